// Package loadgen drives PutRecordBatch load against any Firehose-compatible
// endpoint and checks what was delivered. It is the engine of the
// `wasmhose bench` command.
//
// [Run] sends batches of generated records from a number of concurrent
// workers, with the stock aws-sdk-go-v2 Firehose client and SDK retries
// disabled, so every failure is counted rather than hidden. It reports
// throughput, the PutRecordBatch latency distribution and failures in a
// [Result]. Every record carries an id unique to the run:
//
//	{"id":"<run-id>-<worker>-<n>","ts":<unix-ms>,"pad":"xxxx…"}\n
//
// [Check] then reads the objects a local Wasmhose store delivered
// (<data-dir>/s3/<bucket>/…), finds this run's records by their id prefix and
// reports how many were delivered, duplicated and missing, in a [Delivery].
//
// # Notes
//
//   - Latency is measured per PutRecordBatch call from the moment the call
//     starts, so with --rate it is service time, not corrected for
//     coordinated omission: a worker that falls behind its schedule does not
//     charge the wait to the next call.
//   - The load generator signs every request (SigV4) and base64-encodes every
//     record; at high rates its own CPU can be the bottleneck. Run it on
//     another machine, or watch its CPU, before blaming the server.
//   - Check decodes uncompressed and GZIP objects only; ZIP, Snappy and
//     format-converted objects are reported as unsupported for check.
package loadgen
