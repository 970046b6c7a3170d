package wal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
)

const (
	// leaseName is the sequence lease's file name inside the log folder.
	leaseName = "lease"
	// leaseTemp is where a new lease is written before the rename.
	leaseTemp = "lease.tmp"
	// leaseMagic opens a lease file: the bytes 'W' 'H' 'L' '1'.
	leaseMagic = "WHL1"
	// leaseSize is the size of a lease file.
	leaseSize = 20
	// leaseClosed is the lease flag of a log closed cleanly: its limit is
	// exactly the next sequence number.
	leaseClosed = 1

	// leaseBlock is how many sequence numbers the writer leases at once
	// beyond those it is about to give out. A larger block costs fewer
	// lease writes (one synced file write per block); a smaller one skips
	// fewer numbers after a crash. 2^20 numbers is one lease write per
	// million records, and a crash skips at most a million of the 2^64
	// numbers a log has.
	leaseBlock = 1 << 20
)

// lease is the decoded sequence lease: no sequence number at or above
// limit was ever given out, and when closed is set the log was closed
// cleanly with limit as its next sequence number.
type lease struct {
	limit  uint64
	closed bool
}

// encodeLease appends the lease file encoding of ls to dst.
//
//	offset  size  field
//	0       4     magic: 'W' 'H' 'L' '1'
//	4       4     CRC-32C of bytes 8..19, uint32
//	8       8     limit, uint64: no sequence number >= limit was given out
//	16      4     flags, uint32: 1 when the log was closed cleanly (limit is
//	              then exactly the next sequence number), else 0
func encodeLease(dst []byte, ls lease) []byte {
	start := len(dst)
	dst = append(dst, leaseMagic...)
	dst = binary.LittleEndian.AppendUint32(dst, 0)
	dst = binary.LittleEndian.AppendUint64(dst, ls.limit)
	var flags uint32
	if ls.closed {
		flags = leaseClosed
	}
	dst = binary.LittleEndian.AppendUint32(dst, flags)
	b := dst[start:]
	binary.LittleEndian.PutUint32(b[4:8], crc32.Checksum(b[8:], castagnoli))
	return dst
}

// DecodeLease validates a lease file's bytes and returns the limit it
// records (no sequence number at or above it was given out) and whether
// the log was closed cleanly (the limit is then exactly the next sequence
// number). The error wraps [ErrCorrupt].
func DecodeLease(b []byte) (limit uint64, closed bool, err error) {
	ls, err := decodeLease(b)
	return ls.limit, ls.closed, err
}

// decodeLease is DecodeLease returning a lease.
func decodeLease(b []byte) (lease, error) {
	if len(b) != leaseSize || string(b[0:4]) != leaseMagic {
		return lease{}, fmt.Errorf("%w: not a sequence lease", ErrCorrupt)
	}
	if got, want := crc32.Checksum(b[8:], castagnoli), binary.LittleEndian.Uint32(b[4:8]); got != want {
		return lease{}, fmt.Errorf("%w: sequence lease checksum %08x, want %08x", ErrCorrupt, got, want)
	}
	ls := lease{limit: binary.LittleEndian.Uint64(b[8:16])}
	switch flags := binary.LittleEndian.Uint32(b[16:20]); flags {
	case 0:
	case leaseClosed:
		ls.closed = true
	default:
		return lease{}, fmt.Errorf("%w: sequence lease flags %#x", ErrCorrupt, flags)
	}
	if ls.limit == 0 {
		return lease{}, fmt.Errorf("%w: sequence lease limit 0", ErrCorrupt)
	}
	return ls, nil
}

// readLease loads the lease of the log in dir. ok is false when there is
// none (a new log, or one written before leases existed).
func readLease(dir string) (ls lease, ok bool, err error) {
	b, err := os.ReadFile(filepath.Join(dir, leaseName))
	if errors.Is(err, fs.ErrNotExist) {
		return lease{}, false, nil
	}
	if err != nil {
		return lease{}, false, fmt.Errorf("wal: read sequence lease: %w", err)
	}
	ls, err = decodeLease(b)
	return ls, err == nil, err
}

// writeLease replaces the lease of the log in dir atomically (temporary
// file and rename), durably unless noSync: the file and the folder are
// synced before it returns, so a sequence number below the new limit can
// be given out.
func writeLease(fsys FileSystem, dir string, ls lease, noSync bool) error {
	var buf [leaseSize]byte
	b := encodeLease(buf[:0], ls)
	tmp := filepath.Join(dir, leaseTemp)
	f, err := fsys.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("wal: write sequence lease: %w", err)
	}
	_, err = f.Write(b)
	if err == nil && !noSync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(dir, leaseName))
	}
	if err == nil && !noSync {
		err = syncDir(dir)
	}
	if err != nil {
		return fmt.Errorf("wal: write sequence lease: %w", err)
	}
	return nil
}
