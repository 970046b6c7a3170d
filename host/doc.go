// Package host is the delivery-stream service, "the host": it speaks the
// Amazon Kinesis Data Firehose API, keeps what producers send in a
// write-ahead log, buffers it and delivers objects to S3 or a local folder.
// The package itself holds no code; the service lives in its subpackages:
//
//	api/       the HTTP front (echo): the Firehose JSON 1.1 protocol, /healthz;
//	           it calls the service through its Backend interface
//	apierror/  the catalogue of API errors: shape names, HTTP statuses, ValidationException texts
//	stream/    the delivery-stream model in AWS shapes, its defaults and validation, the registry
//	prefix/    the !{...} prefix language and Firehose object names
//	wal/       the durable record log and its checkpoints
//	buffer/    size/interval batching
//	compress/  the Firehose compression formats (GZIP, ZIP, Snappy, HADOOP_SNAPPY)
//	objstore/  the ObjectStore interface: the local folder and S3
//	deliver/   one stream's pipeline: log → buffer → processors → compression → store, with retries
//	service/   the control plane: streams, their pipelines and lifecycle; the api.Backend
//	config/    the configuration file
//	metrics/   the Prometheus endpoint
//	console/   the web console
//
// # Import direction
//
// Imports flow one way: cmd → host → {runtime, converters, plugins}. Nothing
// under runtime/, converters/, plugins/ or sdk/ imports host, and nothing
// under host imports cmd. Inside host the leaves (apierror, prefix, stream,
// wal, buffer, compress, objstore) import no other host package, except
// that stream uses apierror and prefix; api reaches the service only
// through its Backend interface, so it imports neither deliver, wal nor
// objstore. The table in imports_test.go enforces these rules over `go list
// -deps`; a new rule is one line there.
package host
