//go:build !unix

package wal

import (
	"fmt"
	"os"
	"path/filepath"
)

// lockDir creates dir's LOCK file but takes no lock: on this platform
// nothing stops two Logs from opening the same folder.
func lockDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, lockName), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("wal: lock: %w", err)
	}
	return f, nil
}
