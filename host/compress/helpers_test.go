package compress_test

// Independent decoders and encoders for the two Snappy framings, written
// from the format descriptions (xerial snappy-java SnappyCodec and
// SnappyOutputStream; Hadoop BlockCompressorStream and
// BlockDecompressorStream) on top of github.com/golang/snappy, so that no
// code path of the package under test checks its own output.

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/golang/snappy"
)

var testXerialHeader = []byte{0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0, 0, 0, 0, 1, 0, 0, 0, 1}

// blockStat describes one block of a Snappy or HADOOP_SNAPPY stream.
type blockStat struct {
	uncompressed int   // decoded bytes in the block
	chunks       []int // compressed length of each chunk
}

// decodeXerial parses a snappy-java stream: a header, then length-prefixed
// blocks; a header may recur where a length is due (concatenated streams).
// As snappy-java's reader does, it accepts any header whose version is at
// least 1; it also insists on a compatible version of at most 1, the only
// version there is.
func decodeXerial(b []byte) ([]byte, []blockStat, error) {
	var out []byte
	var stats []blockStat
	for first := true; first || len(b) > 0; first = false {
		if first || bytes.HasPrefix(b, testXerialHeader[:4]) {
			if len(b) < 16 || !bytes.Equal(b[:8], testXerialHeader[:8]) {
				return nil, nil, fmt.Errorf("bad header % x", b[:min(len(b), 16)])
			}
			if v, c := int32(binary.BigEndian.Uint32(b[8:])), int32(binary.BigEndian.Uint32(b[12:])); v < 1 || c > 1 {
				return nil, nil, fmt.Errorf("version %d, compatible version %d", v, c)
			}
			b = b[16:]
			continue
		}
		if len(b) < 4 {
			return nil, nil, fmt.Errorf("truncated length: % x", b)
		}
		n := int(binary.BigEndian.Uint32(b))
		b = b[4:]
		if n <= 0 || n > len(b) {
			return nil, nil, fmt.Errorf("chunk length %d with %d bytes left", n, len(b))
		}
		dec, err := snappy.Decode(nil, b[:n])
		if err != nil {
			return nil, nil, fmt.Errorf("golang/snappy: %w", err)
		}
		out = append(out, dec...)
		stats = append(stats, blockStat{uncompressed: len(dec), chunks: []int{n}})
		b = b[n:]
	}
	return out, stats, nil
}

// decodeHadoop parses Hadoop block framing: per block an uncompressed
// length, then chunks until that many bytes have been decoded.
func decodeHadoop(b []byte) ([]byte, []blockStat, error) {
	var out []byte
	var stats []blockStat
	for len(b) > 0 {
		if len(b) < 4 {
			return nil, nil, fmt.Errorf("truncated block length: % x", b)
		}
		want := int(binary.BigEndian.Uint32(b))
		b = b[4:]
		if want == 0 {
			if len(b) != 0 {
				return nil, nil, errors.New("data after end marker")
			}
			break
		}
		st := blockStat{uncompressed: want}
		got := 0
		for got < want {
			if len(b) < 4 {
				return nil, nil, fmt.Errorf("truncated chunk length in block of %d", want)
			}
			n := int(binary.BigEndian.Uint32(b))
			b = b[4:]
			if n <= 0 || n > len(b) {
				return nil, nil, fmt.Errorf("chunk length %d with %d bytes left", n, len(b))
			}
			dec, err := snappy.Decode(nil, b[:n])
			if err != nil {
				return nil, nil, fmt.Errorf("golang/snappy: %w", err)
			}
			out = append(out, dec...)
			got += len(dec)
			st.chunks = append(st.chunks, n)
			b = b[n:]
		}
		if got != want {
			return nil, nil, fmt.Errorf("block decoded to %d bytes, header said %d", got, want)
		}
		stats = append(stats, st)
	}
	return out, stats, nil
}

// encodeXerial writes a snappy-java stream with golang/snappy.
func encodeXerial(data []byte, blockSize int) []byte {
	out := append([]byte(nil), testXerialHeader...)
	for len(data) > 0 {
		n := min(blockSize, len(data))
		block := snappy.Encode(nil, data[:n])
		out = binary.BigEndian.AppendUint32(out, uint32(len(block)))
		out = append(out, block...)
		data = data[n:]
	}
	return out
}

// encodeHadoop writes Hadoop framing with golang/snappy the way
// BlockCompressorStream handles a large write: one block per blockSize
// bytes of input, each split into chunks of chunkSize input bytes.
func encodeHadoop(data []byte, blockSize, chunkSize int) []byte {
	var out []byte
	for len(data) > 0 {
		n := min(blockSize, len(data))
		out = binary.BigEndian.AppendUint32(out, uint32(n))
		block := data[:n]
		for len(block) > 0 {
			m := min(chunkSize, len(block))
			c := snappy.Encode(nil, block[:m])
			out = binary.BigEndian.AppendUint32(out, uint32(len(c)))
			out = append(out, c...)
			block = block[m:]
		}
		data = data[n:]
	}
	return out
}

var (
	events = []string{"page_view", "add_to_cart", "checkout", "search", "login", "logout"}
	paths  = []string{"/", "/products", "/products/item", "/cart", "/search", "/account/orders"}
	agents = []string{
		"Mozilla/5.0 (X11; Linux x86_64) Firefox/131.0",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) Safari/605.1.15",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/129.0",
	}
)

// jsonRecords returns newline-terminated JSON records of about 200 bytes,
// totalling at least n bytes, as producers typically send to Firehose:
// repeated keys, a few enumerated values and some high-entropy fields.
// The output is deterministic.
func jsonRecords(n int) [][]byte {
	rng := rand.New(rand.NewPCG(1, 2))
	var recs [][]byte
	total := 0
	for i := 0; total < n; i++ {
		r := fmt.Appendf(nil,
			`{"ts":"2026-11-26T%02d:%02d:%02d.%03dZ","event":%q,"path":%q,"user_id":%d,"session":"%016x","latency_ms":%d,"ua":%q,"ok":%t}`+"\n",
			i/3600%24, i/60%60, i%60, rng.IntN(1000), events[rng.IntN(len(events))],
			paths[rng.IntN(len(paths))], rng.IntN(100000), rng.Uint64(), rng.IntN(2000),
			agents[rng.IntN(len(agents))], rng.IntN(10) > 0)
		recs = append(recs, r)
		total += len(r)
	}
	return recs
}

// jsonBytes returns exactly n bytes of jsonRecords output.
func jsonBytes(n int) []byte {
	var b []byte
	for _, r := range jsonRecords(n) {
		b = append(b, r...)
	}
	return b[:n]
}

// randomBytes returns n incompressible bytes.
func randomBytes(n int) []byte {
	rng := rand.New(rand.NewPCG(3, 4))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

// requireTool returns the path of an external command. Without it the
// test fails when CI=true and is skipped, loudly, otherwise.
func requireTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is required in CI but was not found: %v", name, err)
	}
	msg := fmt.Sprintf("SKIPPING %s: %q not found in PATH (%v); install it (Debian: apt-get install %s) to run this check, CI=true makes this a failure",
		t.Name(), name, err, map[string]string{"gunzip": "gzip", "unzip": "unzip"}[name])
	fmt.Fprintln(os.Stderr, "WARNING: "+msg)
	t.Skip(msg)
	return ""
}

// runTool runs an external command and returns its standard output.
func runTool(t testing.TB, path string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(path, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\nstderr: %s", path, strings.Join(args, " "), err, stderr.String())
	}
	return out
}
