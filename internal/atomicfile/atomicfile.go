// Package atomicfile writes small files so that a reader, or a process
// restarted after a crash, sees either the old content or the new one,
// never a part: the data goes to a hidden temporary file in the same
// folder, which is synced and renamed into place, and the folder is synced
// so the rename itself survives a power loss.
//
// It is the one copy of this routine for the stream registry, the plugin
// store and the schema registry, which sit on both sides of the
// host/converters boundary (hence a module-internal package, not one of
// theirs).
package atomicfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Write replaces path with data, creating the folder if needed. The file
// gets perm; the temporary file is named "."+base+".tmp-*", so listings
// that skip hidden names never see it, and it is removed on failure.
func Write(path string, data []byte, perm os.FileMode) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(f.Name())
			err = fmt.Errorf("write %s: %w", path, err)
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Chmod(perm); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return err
	}
	return SyncDir(dir)
}

// SyncDir makes the creations, renames and removals in dir durable. Where
// the system cannot sync a folder (os.ErrInvalid, errors.ErrUnsupported) it
// does nothing.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil && !errors.Is(err, os.ErrInvalid) && !errors.Is(err, errors.ErrUnsupported) {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}
