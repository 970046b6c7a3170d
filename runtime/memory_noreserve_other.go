//go:build unix && !linux

package wasmrt

const mapNoReserve = 0
