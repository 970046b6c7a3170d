// Package plugins is the catalogue of Wasmhose's built-in plugins: the
// transforms a Firehose processor can name without installing anything.
// There is one per Firehose Lambda blueprint (process-record,
// apachelog-to-json, apachelog-to-csv, syslog-to-json, syslog-to-csv,
// cloudwatch-logs-processor); all share one embedded Wasm module
// (plugins/guest, built from package plugins/blueprint), and each binds the
// configuration that selects its blueprint.
//
// Catalogue returns a Registry built from an explicit list (no init
// registration); NewEmptyRegistry serves tests and custom catalogues. The
// plugins and their options are documented in README.md, which
// `go generate ./plugins` renders from the catalogue.
//
// # Notes
//
//   - The module blueprints.wasm is committed; `make plugins-wasm` rebuilds
//     it. go test never does.
//   - A plugin's Wasm bytes are shared by every Plugin value and Registry:
//     never modify them.
package plugins
