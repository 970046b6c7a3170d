// Package abi holds the names, status codes and frame layout of the Wasmhose
// plugin ABI, version 1, as constants. It is the single place where the
// strings and numbers of the contract documented in sdk/ABI.md are written
// down; the runtime and the SDKs refer to these constants instead of
// repeating literals.
//
// The package has no dependencies (not even the standard library), so an SDK
// may copy it verbatim; sdk/go mirrors it because it is a separate module that
// must not import this one.
//
// # Notes
//
// A shipped ABI version never changes. A change to anything in this package
// that alters the wire contract needs a new major version (wasmhose_v2, …) and
// a second set of constants, never an edit of these.
package abi
