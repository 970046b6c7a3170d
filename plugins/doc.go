// Package plugins is the catalogue of Wasmhose's built-in plugins: the
// transforms a Firehose processor can name without installing anything.
// There is one per Firehose Lambda blueprint (process-record,
// apachelog-to-json, apachelog-to-csv, syslog-to-json, syslog-to-csv,
// cloudwatch-logs-processor); all share one embedded Wasm module
// (blueprints.wasm, built from plugins/guest and package plugins/blueprint),
// and each binds the configuration that selects its blueprint,
// {"blueprint":"<name>"}. A user adds options by merging members into that
// object (see each Plugin's Options).
//
// Catalogue returns a Registry built from an explicit list in
// catalogue.go (no init registration); NewEmptyRegistry serves tests and
// custom catalogues. README.md documents every plugin, its options and
// examples; `go generate ./plugins` renders it from the catalogue
// (internal/gendocs), and a test fails when it is stale.
//
// # Design
//
//   - Built-ins run in Wasm like third-party plugins (the Benthos rule: the
//     built-ins use the public API), so they get the same sandbox, limits
//     and conformance kit, and the service has one code path.
//   - One module for all blueprints, not six: one compilation (and one
//     compilation-cache entry) instead of six of a 4 MB Go module; the
//     configuration picks the blueprint.
//   - The blueprint logic is plain Go (package blueprint, standard library
//     only), so it is tested, fuzzed and benchmarked natively, and the
//     golden-equivalence test proves the Wasm build gives the same bytes.
//   - Parsers are hand-written, not regexp: they reproduce the Node.js
//     regular expressions' JavaScript semantics exactly (Go's RE2 differs
//     on \s, . and backtracking order) and are fast enough in Wasm
//     (BenchmarkApachelogToJSON).
//
// # Notes
//
//   - The module blueprints.wasm is committed; `make plugins-wasm` rebuilds
//     it (reproducibly: `make plugins-check` fails if it is stale). go test
//     never does.
//   - A plugin's Wasm bytes are shared by every Plugin value and Registry:
//     never modify them.
package plugins

//go:generate go run ./internal/gendocs -o README.md
