// Package wal is the durable record log of one delivery stream: the
// write-ahead log that makes Wasmhose's promise hold. A record acknowledged
// to a producer is stored in the destination or the error output even if
// the process is killed at any instant.
//
// The API layer calls [Log.Append] and answers the producer only after it
// returns: by then the records are synced to disk. The delivery side calls
// [Log.Ack] once the object holding those records is stored. After a
// restart, [Open] recovers the folder and [Log.Replay] hands back, in order,
// everything appended but not acknowledged. Delivery is at least once: a
// crash between storing an object and acknowledging its records replays
// them, and that duplicate is accepted; loss is not.
//
// # Writing: group commit
//
// Append calls queue their records for one writer goroutine. Each time it
// wakes the writer takes every queued call (up to [MaxPayload] bytes),
// assigns consecutive sequence numbers, encodes the records straight into
// one reusable buffer as a single frame, writes it with one write, syncs
// once, and wakes all the callers. Throughput therefore grows with the
// number of concurrent producers instead of collapsing under fsync, and
// the write path makes no per-record allocations.
//
// Because every frame is written with its own write and synced before the
// next one starts, a crash can damage only the last frame of the last
// segment, and nothing valid can follow that damage. Open relies on this to
// tell a torn tail (cut off silently, reported by [Log.Recovered]) from
// corruption (reported as a [*CorruptionError]).
//
// A write or sync that fails (a full disk) fails only the appends of its
// frame: the frame is cut off the segment and its sequence numbers are given
// again, so appends succeed once there is room. The files the log writes
// are opened through [Options.FS], the seam tests use to inject such faults.
//
// # Folder layout
//
//	<dir>/00000000000000000001.wal         segment files, named by the sequence
//	<dir>/00000000000000052341.wal         number of their first record (20 digits)
//	<dir>/checkpoint                       acknowledged sequence numbers
//	<dir>/checkpoint.tmp                   a checkpoint being written (deleted by Open)
//	<dir>/LOCK                             flock(2)ed while a Log has the folder open
//	<dir>/<segment>.wal.<offset>.corrupt   damaged data set aside by Options.RepairCorrupt
//
// Sequence numbers start at 1. One that Append has returned is never given
// again (only those of a torn, unacknowledged tail are). A new segment starts
// when the next frame would take the current one past Options.SegmentBytes;
// its creation is made durable (the folder is synced) before anything is
// written to it. A segment whose records are all acknowledged is deleted,
// except the one being written.
//
// # Segment files
//
// A segment is a sequence of frames and nothing else: no file header, no
// padding. The first frame's first sequence number equals the number in
// the file name, and each frame's first sequence number is one past the
// previous frame's last. All integers are little-endian.
//
// A frame is a 16-byte header and a payload of N bytes:
//
//	offset  size  field
//	0       4     magic: 'W' 'H' 'F' '1' (0x57 0x48 0x46 0x31)
//	4       4     N: payload length, uint32; 21 <= N <= MaxPayload (16 MiB)
//	8       4     CRC-32C (Castagnoli) of the N payload bytes, uint32
//	12      4     CRC-32C of header bytes 0..11, uint32
//	16      N     payload
//
// The header checksum lets a reader trust N before reading the payload, so
// a corrupt length is recognised as such instead of being taken for a
// frame running past the end of the file. The payload is:
//
//	offset  size  field
//	0       8     first sequence number, uint64; >= 1
//	8       4     C: record count, uint32; >= 1
//	12      ...   C records, back to back
//
// and each record is:
//
//	size    field
//	8       arrival time: Unix nanoseconds, int64; 0 for the zero time.Time
//	1..10   L: data length, canonical (shortest) unsigned varint
//	            (encoding/binary.AppendUvarint)
//	L       data
//
// The records fill the payload exactly. Record i has sequence number
// first+i. [DecodeFrame] implements these rules and is fuzzed.
//
// # Sealed frames
//
// When the log has a [Sealer] (server-side stream encryption), the writer
// seals each frame's records: the header's magic is 'W' 'H' 'S' '1'
// (0x57 0x48 0x53 0x31), its length bounds are 21 <= N <= MaxPayload+64 KiB,
// and the payload is
//
//	offset  size  field
//	0       8     first sequence number, uint64; >= 1
//	8       4     C: record count, uint32; >= 1
//	12      8     earliest arrival of the C records: Unix nanoseconds, int64; 0 unknown
//	20      ...   the Sealer's output for the C records (encoded as above),
//	              authenticated with payload bytes 0..19
//
// The clear fields let Open recover and check sequence numbers without the
// key; the checksums cover the sealed bytes, so a torn sealed frame is found
// like any other. Replay opens sealed frames with Options.Opener, checks
// the records as in a plain frame, and fails with an error wrapping
// [ErrSealed] when they do not open (no key, the wrong key): it never yields
// what it could not authenticate. Plain and sealed frames mix freely in a
// segment; [Log.SetSealer] switches between them at a frame boundary.
//
// # Checkpoint file
//
// The checkpoint records which sequence numbers are acknowledged: all those
// below a low watermark, plus sorted, disjoint ranges above it.
//
//	offset  size  field
//	0       4     magic: 'W' 'H' 'C' '1' (0x57 0x48 0x43 0x31)
//	4       4     CRC-32C of bytes 8 to the end, uint32
//	8       8     low watermark W, uint64: every sequence number < W is acknowledged
//	16      4     R: number of ranges, uint32
//	20      16*R  R ranges, each From uint64 then To uint64: [From, To) is
//	              acknowledged; W < From < To, and each From is greater
//	              than the previous To
//
// Every Ack rewrites it atomically: the new checkpoint is written to
// checkpoint.tmp and renamed over the old one. It is synced only before
// segments are deleted; losing a recent checkpoint in a crash only replays
// records already delivered. A checkpoint that fails its checksum is
// ignored (see Recovery.CheckpointErr): everything in the segments is
// replayed. [DecodeCheckpoint] implements these rules and is fuzzed.
//
// # Recovery
//
// Open reads the checkpoint, deletes segments it covers entirely without
// reading them, and scans every other segment frame by frame, checking
// both checksums, the payload layout and the sequence numbers. Then:
//
//   - A bad frame in the last segment with no valid frame after it is a
//     torn tail: the write that made it never returned, so nothing in it was
//     acknowledged. The file is truncated where the bad frame starts, and
//     [Log.Recovered] reports the bytes and frame dropped.
//   - Any other damage (a bad frame in an earlier segment, a bad frame
//     followed by valid ones, sequence numbers that do not follow on) is
//     corruption of data that was synced and may have been acknowledged.
//     Open does not skip over it: it fails with a [*CorruptionError] that
//     names the file, the offset and the sequence number, and it changes
//     nothing on disk. An operator can then set Options.RepairCorrupt, which
//     keeps the frames before the damage, moves the rest of that segment to
//     a .corrupt file, and reports the sequence numbers lost.
//   - Sequence numbers that no segment holds are treated as acknowledged
//     (they belonged to deleted segments); those the checkpoint did not
//     cover are reported in Recovery.Holes.
//
// Replay reads the segments again and checks every frame again, so damage
// that appears after Open is reported by Replay as a [*CorruptionError].
package wal
