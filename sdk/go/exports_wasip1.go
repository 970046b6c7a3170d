//go:build wasip1

package wasmhose

import "unsafe"

// Guest-side state of the ABI. An instance is single-threaded: the host never
// calls two exports at once.
var (
	inBuf  []byte   // returned by alloc; the host writes frames and config here
	outBuf []byte   // the last result frame; valid until the next call
	recs   []Record // reused record slice
)

//go:wasmimport wasmhose_v1 log
func hostLog(level int32, ptr unsafe.Pointer, n uint32)

// Log sends a log line to the service's log, attributed to the plugin. The
// service may truncate long lines and rate-limit chatty plugins.
func Log(level Level, msg string) {
	if len(msg) == 0 {
		return
	}
	hostLog(int32(level), unsafe.Pointer(unsafe.StringData(msg)), uint32(len(msg)))
}

//go:wasmexport wasmhose_abi_v1
func abiV1() {}

//go:wasmexport wasmhose_v1_alloc
func alloc(size uint32) uint32 {
	if cap(inBuf) < int(size) || cap(inBuf) == 0 {
		inBuf = make([]byte, max(size, 64))
	}
	inBuf = inBuf[:cap(inBuf)]
	return uint32(uintptr(unsafe.Pointer(&inBuf[0])))
}

// guestBytes returns the region [ptr, ptr+n) if it lies inside inBuf.
func guestBytes(ptr, n uint32) ([]byte, bool) {
	if len(inBuf) == 0 {
		return nil, n == 0
	}
	base := uint32(uintptr(unsafe.Pointer(&inBuf[0])))
	if ptr < base || uint64(ptr-base)+uint64(n) > uint64(len(inBuf)) {
		return nil, false
	}
	off := ptr - base
	return inBuf[off : off+n : off+n], true
}

func pack(b []byte) uint64 {
	if len(b) == 0 {
		return 0
	}
	return uint64(uintptr(unsafe.Pointer(&b[0])))<<32 | uint64(len(b))
}

//go:wasmexport wasmhose_v1_init
func initExport(ptr, n uint32) uint64 {
	cfg, ok := guestBytes(ptr, n)
	if !ok {
		outBuf = append(outBuf[:0], "wasmhose sdk: config outside the alloc buffer"...)
		return pack(outBuf)
	}
	if initHandler == nil {
		return 0
	}
	if err := initHandler(cfg); err != nil {
		msg := err.Error()
		if msg == "" {
			msg = "init failed"
		}
		outBuf = append(outBuf[:0], msg...)
		return pack(outBuf)
	}
	return 0
}

//go:wasmexport wasmhose_v1_transform
func transformExport(ptr, n uint32) uint64 {
	in, ok := guestBytes(ptr, n)
	if !ok {
		outBuf = encodeFailure(outBuf[:0], "wasmhose sdk: input frame outside the alloc buffer")
		return pack(outBuf)
	}
	outBuf, recs = handle(outBuf[:0], in, recs)
	return pack(outBuf)
}
