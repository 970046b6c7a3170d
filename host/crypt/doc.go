// Package crypt is Wasmhose's encryption at rest: a local keyring that
// stands in for AWS KMS, the envelope format of objects encrypted in the
// local store, and the sealing of write-ahead-log frames for server-side
// stream encryption.
//
//   - [Keyring] holds one AES-256 key per KMS key ARN under <data-dir>/keys,
//     created on first use, with versions: rotation adds one and keeps the
//     old ones, so nothing already encrypted has to be rewritten.
//   - [Encrypt], [Decrypt], [NewWriter] and [NewReader] implement the
//     envelope format below. [Store] applies it to an objstore.Store: the
//     local store's answer to a stream's KMSEncryptionConfig, where S3
//     would use SSE-KMS. `wasmhose decrypt` reads such objects back.
//   - [FrameSealer] and [FrameOpener] encrypt and decrypt write-ahead-log
//     frame payloads (StartDeliveryStreamEncryption); the log stores their
//     output as opaque bytes.
//
// All encryption is AES-256-GCM from the standard library. Integers are
// big-endian.
//
// # Envelope format (objects)
//
// Each object gets a fresh random 32-byte data key. The data key is
// wrapped (encrypted) with the current version of the keyring key, and the
// plaintext is cut into chunks of ChunkSize bytes (64 KiB) that are each
// encrypted and authenticated on their own, so objects of any size stream
// through a fixed buffer and a reader detects truncation, reordering and
// tampering. The header:
//
//	offset     size  field
//	0          8     magic: 0x89 'W' 'H' 'E' 0x0D 0x0A 0x1A 0x0A
//	8          1     format version: 1
//	9          1     L: key id length (1..255; 32 from this keyring)
//	10         L     key id: the keyring key (hex of SHA-256(ARN)[:16])
//	10+L       4     key version, uint32 (>= 1)
//	14+L       4     chunk size C, uint32 (1 KiB .. 16 MiB; 64 KiB written)
//	18+L       1     W: wrapped key length: 60
//	19+L       60    wrapped data key: nonce (12) || AES-256-GCM(key version,
//	                 data key) (32) || tag (16); its additional data is
//	                 header bytes 0 .. 18+L (everything before it)
//	79+L       8     nonce prefix: random
//	87+L             chunks
//
// Chunk i (from 0) is AES-256-GCM(data key) of C plaintext bytes (the last
// chunk 0..C bytes), with the nonce prefix || uint32 i as nonce and the
// whole header followed by one byte, 1 for the last chunk and 0 for the
// others, as additional data; it is C+16 bytes long, the last one 16..C+16.
// An empty object is one empty last chunk. A reader treats the chunk that
// ends the file as the last: a file cut at a chunk boundary fails because
// its final chunk was not sealed as last, one cut inside a chunk because
// the tag does not match.
//
// # Sealed log frames
//
// A FrameSealer derives a subkey from a key version and a random 16-byte
// salt with HKDF-SHA-256 (info "wasmhose wal frame v1") and numbers its
// 12-byte nonces with a counter (4 zero bytes, then a uint64 from 1), so no
// nonce repeats under a subkey. A sealed payload is:
//
//	offset     size  field
//	0          1     format version: 1
//	1          1     L: key id length
//	2          L     key id
//	2+L        4     key version, uint32
//	6+L        16    salt
//	22+L       12    nonce
//	34+L       N+16  AES-256-GCM ciphertext of the N plaintext bytes, and tag
//
// The additional data is the caller's (the log passes the frame's sequence
// numbers and arrival time) followed by bytes 0 .. 33+L, so a sealed payload
// cannot be moved to another frame or its key reference altered unnoticed.
//
// # Errors
//
// [ErrKeyNotFound]: the keyring lacks the key or version (a wrong or lost
// keys folder). [ErrAuth]: the key does not open the data, or the data was
// changed or cut short. [ErrFormat]: not a valid header. [ErrNotEncrypted]:
// the bytes are not an encrypted object. Decryption never returns
// unauthenticated plaintext.
package crypt
