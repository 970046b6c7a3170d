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
// tell a torn tail (cut off quietly, reported by [Log.Recovered]) from
// damage to data that was synced (delivered around, quarantined and
// reported loudly: see Recovery below).
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
//	<dir>/lease                            the sequence lease
//	<dir>/lease.tmp                        a lease being written (deleted by Open)
//	<dir>/LOCK                             flock(2)ed while a Log has the folder open
//	<dir>/quarantine/<segment>.<from>-<to>.damaged
//	                                       a copy of the damaged bytes [from, to)
//	                                       of a segment, made by Open
//
// Sequence numbers start at 1, and they are the RecordIds producers see:
// one that may have reached a producer is never given again, whatever
// happens to its record (see the sequence lease). A new segment starts
// when the next frame would take the current one past Options.SegmentBytes,
// and after Open skipped sequence numbers or found the last segment
// damaged; its creation is made durable (the folder is synced) before
// anything is written to it. A segment whose records are all acknowledged
// (or lost to damage) is deleted, except the one being written.
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
// # Sequence lease
//
// The lease file bounds the sequence numbers given out:
//
//	offset  size  field
//	0       4     magic: 'W' 'H' 'L' '1' (0x57 0x48 0x4c 0x31)
//	4       4     CRC-32C of bytes 8..19, uint32
//	8       8     limit L, uint64: no sequence number >= L was given out
//	16      4     flags, uint32: 1 when the log was closed cleanly, and L is
//	              then exactly the next sequence number; else 0
//
// Before the writer gives out a number at or above L it replaces the
// lease (temporary file, rename, both synced) with one reaching a block of
// 2^20 numbers further, flags 0: one synced write per million records.
// Close writes the exact next number with flags 1. So after a crash Open
// skips to L, past every number that can have reached a producer, even
// when the frames that held them were cut off, and after a clean close it
// knows exactly where the log must end: a log that ends sooner lost
// records, which is damage, not a torn tail. A log without a lease (new,
// or written before leases) behaves as after a clean close, except that a
// torn tail, or a lease that fails its checksum, skips two blocks.
// [DecodeLease] implements these rules and is fuzzed.
//
// # Recovery
//
// Open reads the checkpoint and the lease, deletes segments the checkpoint
// covers entirely without reading them, and scans every other segment frame
// by frame, checking both checksums, the payload layout and the sequence
// numbers. When the bytes at some offset are not the frame expected there,
// the scan resynchronises: it looks, at every later offset, for a frame
// whose header and payload checksums verify and whose sequence numbers lie
// after those already read (and before the next segment's), and goes on
// from there. Then:
//
//   - A bad frame in the last segment with nothing valid behind it, when
//     the log was not closed cleanly, is a torn tail: the write that made
//     it never returned, so nothing in it was acknowledged. The file is
//     truncated where the torn frame starts, and [Log.Recovered] reports
//     the bytes dropped. Whole frames before the torn one (a header that
//     verifies and a payload that ends before the file does) were synced
//     before it was written: they are damage, not the tear.
//   - Any other bad range (in an earlier segment, followed by valid
//     frames, at the end of a log closed cleanly, or sequence numbers that
//     do not follow on) is damage to data that was synced and may have been
//     acknowledged. Open copies its bytes to the quarantine folder, leaves
//     the segment as it is (Replay steps over the range), treats the
//     sequence numbers it may have held as acknowledged (nothing can
//     deliver them) and lists it in Recovery.Damaged, so the caller can
//     raise the alarm. Every readable record before and after it is kept.
//     A damaged last segment is not appended to: the next record starts a
//     new one.
//   - Sequence numbers that no segment holds are treated as acknowledged
//     (they belonged to deleted segments); those the checkpoint did not
//     cover are reported in Recovery.Holes, or, when the checkpoint is
//     sound and a segment ends before the next one starts, as damage.
//
// The damage stays in its segment, and is found and reported again by each
// Open, until every readable record of the segment is acknowledged and the
// segment deleted; the quarantined copy stays until the log is removed.
// Replay reads the segments again and checks every frame again, so damage
// that appears after Open is reported by Replay as a [*CorruptionError]
// (and dealt with by the next Open).
package wal
