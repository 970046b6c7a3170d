// Package converters turns JSON records into columnar files the way Firehose's
// record format conversion does: a Glue-style table schema (package schema)
// names the columns and their Hive types (package hive), a JSON SerDe decodes
// records into Arrow record batches, and an output format writes the batches
// as one Parquet or ORC object.
//
// The packages under converters never import the host; the delivery pipeline
// (host/deliver) drives them through the small interfaces declared here.
package converters
