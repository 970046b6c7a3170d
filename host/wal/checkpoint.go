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
	// checkpointName is the checkpoint's file name inside the log folder.
	checkpointName = "checkpoint"
	// checkpointTemp is where a new checkpoint is written before the rename.
	checkpointTemp = "checkpoint.tmp"
	// checkpointMagic opens a checkpoint: the bytes 'W' 'H' 'C' '1'.
	checkpointMagic = "WHC1"
	// checkpointFixed is the size of a checkpoint without its ranges.
	checkpointFixed = 20
)

// encodeCheckpoint appends the checkpoint encoding of s to dst.
func encodeCheckpoint(dst []byte, s *ackSet) []byte {
	start := len(dst)
	dst = append(dst, checkpointMagic...)
	dst = binary.LittleEndian.AppendUint32(dst, 0) // checksum, below
	dst = binary.LittleEndian.AppendUint64(dst, s.low)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(s.above)))
	for _, r := range s.above {
		dst = binary.LittleEndian.AppendUint64(dst, r.From)
		dst = binary.LittleEndian.AppendUint64(dst, r.To)
	}
	c := dst[start:]
	binary.LittleEndian.PutUint32(c[4:8], crc32.Checksum(c[8:], castagnoli))
	return dst
}

// DecodeCheckpoint validates a checkpoint file's bytes and returns its low
// watermark (every sequence number below it is acknowledged) and the
// acknowledged ranges above it. The error wraps [ErrCorrupt]. It never
// allocates more than len(b) implies.
func DecodeCheckpoint(b []byte) (low uint64, above []Range, err error) {
	s, err := decodeCheckpoint(b)
	return s.low, s.above, err
}

// decodeCheckpoint is DecodeCheckpoint returning an ackSet.
func decodeCheckpoint(b []byte) (ackSet, error) {
	if len(b) < checkpointFixed || string(b[0:4]) != checkpointMagic {
		return ackSet{}, fmt.Errorf("%w: not a checkpoint", ErrCorrupt)
	}
	if got, want := crc32.Checksum(b[8:], castagnoli), binary.LittleEndian.Uint32(b[4:8]); got != want {
		return ackSet{}, fmt.Errorf("%w: checkpoint checksum %08x, want %08x", ErrCorrupt, got, want)
	}
	s := ackSet{low: binary.LittleEndian.Uint64(b[8:16])}
	n := binary.LittleEndian.Uint32(b[16:20])
	rest := b[checkpointFixed:]
	if uint64(len(rest)) != 16*uint64(n) {
		return ackSet{}, fmt.Errorf("%w: checkpoint of %d ranges has %d bytes of ranges", ErrCorrupt, n, len(rest))
	}
	if n > 0 {
		s.above = make([]Range, n)
	}
	prev := s.low
	for i := range s.above {
		r := Range{binary.LittleEndian.Uint64(rest[16*i:]), binary.LittleEndian.Uint64(rest[16*i+8:])}
		if r.From <= prev || r.To <= r.From {
			return ackSet{}, fmt.Errorf("%w: checkpoint range %d [%d, %d) out of order", ErrCorrupt, i, r.From, r.To)
		}
		s.above[i] = r
		prev = r.To
	}
	return s, nil
}

// readCheckpoint loads the checkpoint of the log in dir. A missing file is
// an empty set and no error.
func readCheckpoint(dir string) (ackSet, error) {
	b, err := os.ReadFile(filepath.Join(dir, checkpointName))
	if errors.Is(err, fs.ErrNotExist) {
		return ackSet{}, nil
	}
	if err != nil {
		return ackSet{}, fmt.Errorf("wal: read checkpoint: %w", err)
	}
	return decodeCheckpoint(b)
}

// writeCheckpoint replaces the checkpoint of the log in dir with b,
// atomically: b goes to a temporary file that is renamed over the old one,
// so a reader sees the old checkpoint or the new one, never a mix.
//
// With durable set, the temporary file is synced before the rename and the
// folder after it, so the new checkpoint survives a power loss. Without it,
// a crash may leave the previous checkpoint (or, on file systems that do not
// order a rename after the data it publishes, an empty or partial file that
// fails its checksum and reads as no checkpoint). Either way the log only
// forgets acknowledgements, so records are delivered again: a duplicate,
// never a loss. The log asks for durability only before deleting segments,
// so that a segment file is never gone while the acknowledgements that
// justified deleting it are not yet on disk.
func writeCheckpoint(fsys FileSystem, dir string, b []byte, durable bool) error {
	tmp := filepath.Join(dir, checkpointTemp)
	f, err := fsys.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("wal: write checkpoint: %w", err)
	}
	_, err = f.Write(b)
	if err == nil && durable {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(dir, checkpointName))
	}
	if err == nil && durable {
		err = syncDir(dir)
	}
	if err != nil {
		return fmt.Errorf("wal: write checkpoint: %w", err)
	}
	return nil
}

// syncDir flushes a folder's entries (created, renamed, removed files).
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
