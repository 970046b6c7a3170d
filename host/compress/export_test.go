package compress

import "io"

// NewWriterBlockSize is NewWriter for Snappy or HADOOP_SNAPPY with a block
// size other than SnappyBlockSize, so that small hand-checked fixtures can
// hold several blocks.
func NewWriterBlockSize(f Format, w io.Writer, blockSize int) io.WriteCloser {
	return &writer{f: f, enc: newSnappyWriter(w, f == HadoopSnappy, DefaultLevel, blockSize)}
}
