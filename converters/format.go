package converters

import (
	"github.com/apache/arrow-go/v18/arrow"
)

// BatchWriter writes Arrow record batches, all of one schema, as one
// columnar file (a Parquet or ORC object). Close writes the file's footer;
// the writer is unusable afterwards.
type BatchWriter interface {
	// Write appends the batch's rows to the file.
	Write(batch arrow.RecordBatch) error
	// Close finishes the file.
	Close() error
}
