// Package pluginstore keeps the transform plugins of a Wasmhose data dir as
// Lambda-like functions and resolves a processor's LambdaArn to a loaded
// plugin.
//
// As a Lambda function is code plus configuration, a function here is a Wasm
// module plus the configuration bound to it when it was installed. The
// LambdaArn arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]
// of a Firehose processor names it, so delivery-stream configurations keep
// the Firehose API unchanged. Region and account are not checked.
//
// # Functions and versions
//
// Installing a name that exists adds a version (1, 2, …); versions are
// immutable. A qualifier ":<n>" selects version n; no qualifier, or
// "$LATEST", selects the newest. Removing a function deletes all its
// versions. The built-in plugins of the catalogue passed to Open resolve by
// name without being installed; an installed function of the same name
// shadows the built-in until it is removed. A built-in has no versions: only
// the unqualified and "$LATEST" ARNs name it.
//
// # Layout
//
// Under the directory passed to Open (by convention <data-dir>/plugins, see
// DirName):
//
//	modules/<sha256>.wasm   each module once, named by the SHA-256 of its bytes
//	functions/<name>.json   one manifest per function: its versions, each with
//	                        module hash, size, configuration, time and source
//	compiled/               the runtime's compilation cache, if the caller
//	                        configures it there (CompilationCacheDir)
//
// Every file is written to a temporary name and renamed into place, so a
// reader sees the old or the new file, never a part. Modules no manifest
// refers to are deleted when a function is removed.
//
// # Resolving
//
// Store.Resolve implements the host's deliver.Transforms. It reads the
// function's manifest on every call, so functions installed by another
// process (the wasmhose plugin command) are seen at the next Resolve, and
// keeps one loaded *wasmrt.Plugin per (name, version, module, configuration):
// streams naming the same function share it. Loaded plugins stay until
// Store.Close, including those of versions superseded or removed since, so
// that pipelines holding them keep working.
//
// # Notes
//
// A Store serialises its own writes, and is safe for concurrent use. Two
// processes writing to the same directory at once are not coordinated: run
// one install or remove at a time per data dir.
package pluginstore
