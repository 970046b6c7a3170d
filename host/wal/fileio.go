package wal

import (
	"io"
	"io/fs"
	"os"
)

// File is what the log needs of a file it writes: a segment being appended
// to, or a checkpoint being replaced. *os.File implements it.
type File interface {
	io.Writer
	// Sync flushes the file's data and size to stable storage.
	Sync() error
	// Truncate changes the file's size.
	Truncate(size int64) error
	// Close closes the file.
	Close() error
}

// FileSystem opens the files the log writes: segments (created, or reopened
// for appending at Open) and the checkpoint's temporary file. It is the seam
// through which tests inject faults into the log's writes (a full disk, a
// short write, a failed fsync; see host/fault); reads, renames and
// deletions always use the operating system.
type FileSystem interface {
	// OpenFile opens name like os.OpenFile.
	OpenFile(name string, flag int, perm fs.FileMode) (File, error)
}

// OSFileSystem is the operating system's FileSystem, the default.
type OSFileSystem struct{}

// OpenFile implements FileSystem with os.OpenFile.
func (OSFileSystem) OpenFile(name string, flag int, perm fs.FileMode) (File, error) {
	f, err := os.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err // a nil *os.File must not become a non-nil File
	}
	return f, nil
}
