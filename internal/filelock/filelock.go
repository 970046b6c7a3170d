// Package filelock serializes writers in different processes: the server
// and a `wasmhose plugin` or `wasmhose schema` command working on the same
// data dir. Lock takes an advisory, exclusive lock on a file (flock(2) on
// Unix, LockFileEx on Windows); on other systems it only opens the file and
// serializes nothing across processes.
//
// The lock belongs to the open file, so two Locks on one path in one
// process also exclude each other. It is advisory: only code that takes it
// is held back. The kernel drops it when the process dies, so a crashed
// writer never leaves the data dir locked.
package filelock

import (
	"fmt"
	"os"
	"sync"
)

// Lock blocks until it holds the exclusive lock on path, creating the file
// if needed, and returns the function that releases it.
func Lock(path string) (unlock func() error, err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("filelock: %w", err)
	}
	if err := lockFile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("filelock: lock %s: %w", path, err)
	}
	return func() error {
		err := unlockFile(f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("filelock: unlock %s: %w", path, err)
		}
		return nil
	}, nil
}

// LockWith takes mu, the in-process lock of the same writers, then the file
// lock on path, and returns the function that releases both. Goroutines
// then queue on mu rather than each holding a descriptor while blocked in
// the kernel.
func LockWith(mu sync.Locker, path string) (unlock func(), err error) {
	mu.Lock()
	release, err := Lock(path)
	if err != nil {
		mu.Unlock()
		return nil, err
	}
	return func() {
		_ = release() // the lock goes with the file descriptor in any case
		mu.Unlock()
	}, nil
}
