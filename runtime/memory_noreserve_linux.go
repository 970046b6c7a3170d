package wasmrt

import "syscall"

const mapNoReserve = syscall.MAP_NORESERVE
