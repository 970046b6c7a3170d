// Package transformtest is a conformance suite for transforms, in the manner
// of testing/slogtest: Run drives any wasmrt.Transformer (a loaded Wasm
// plugin in any language, or a native Go transform) through golden batches,
// limit-sized batches, hostile inputs and generated ("fuzzed") batches, and
// reports every violation of the contract of wasmrt.Transformer and
// sdk/ABI.md as a test error. Report drives the same checks for a program
// other than go test (`wasmhose plugin test`), one outcome per check.
//
// Checked for every plugin:
//
//   - one result per record, in order, for batches of 0, 1, 2, 500 and
//     10,000 records, empty records, binary bytes (every byte value), a
//     1 MiB record and a 3 MiB batch (Firehose's largest Lambda buffer);
//   - hostile inputs (deep nesting, invalid UTF-8, broken escapes and JSON
//     edge cases, 1 MiB tokens, NUL bytes) get an answer, not a trap;
//   - statuses are Ok, Dropped or ProcessingFailed; only Ok results carry
//     partition keys; partition key names are non-empty;
//   - the same batch twice gives the same results (unless Options.Stateful);
//   - splitting a batch does not change its results (unless
//     Options.BatchDependent): result i depends only on record i;
//   - the plugin serves a normal batch after every other case, so no case
//     leaves it broken.
//
// With Options.Identity, every result must also be Ok with the record's own
// bytes. Options.Cases adds plugin-specific golden cases; ReadCases reads
// them from a cases file (JSON lines, see FileCase), the format
// `wasmhose plugin test --cases` takes.
package transformtest
