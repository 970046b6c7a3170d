package deliver

import "github.com/wasmhose/wasmhose/host/wal"

// SetSealer makes the stream's write-ahead log encrypt the records of every
// frame written after it returns with s, or write them in the clear when s
// is nil (server-side stream encryption). Records already in the log keep
// their form; replay opens sealed ones with the Opener of Options.Log.
func (p *Pipeline) SetSealer(s wal.Sealer) { p.log.SetSealer(s) }

// Sealed reports whether the stream's write-ahead log encrypts the records
// it writes now.
func (p *Pipeline) Sealed() bool { return p.log.Sealing() }
