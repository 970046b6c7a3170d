package compress_test

import (
	"archive/zip"
	"bytes"
	stdgzip "compress/gzip"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/wasmhose/wasmhose/host/compress"
)

// golden is one hand-checked fixture from testdata/golden.
type golden struct {
	name      string
	format    compress.Format
	blockSize int
	input     []byte
	mode      string
	exp       []byte
}

func loadGoldens(t testing.TB) []golden {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "golden", "*.golden"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatal("no golden fixtures found")
	}
	var out []golden
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		head, body, ok := strings.Cut(string(raw), "\n----------\n")
		if !ok {
			t.Fatalf("%s: no ---------- separator", p)
		}
		g := golden{name: filepath.Base(p)}
		for _, line := range strings.Split(head, "\n") {
			line, _, _ = strings.Cut(line, "#")
			if strings.TrimSpace(line) == "" {
				continue
			}
			k, v, ok := strings.Cut(line, ":")
			if !ok {
				t.Fatalf("%s: bad header line %q", p, line)
			}
			v = strings.TrimSpace(v)
			switch strings.TrimSpace(k) {
			case "format":
				g.format = compress.Format(v)
			case "block-size":
				if g.blockSize, err = strconv.Atoi(v); err != nil {
					t.Fatalf("%s: block-size: %v", p, err)
				}
			case "input":
				s, err := strconv.Unquote(v)
				if err != nil {
					t.Fatalf("%s: input: %v", p, err)
				}
				g.input = []byte(s)
			case "mode":
				g.mode = v
			default:
				t.Fatalf("%s: unknown key %q", p, k)
			}
		}
		var hexDigits strings.Builder
		for _, line := range strings.Split(body, "\n") {
			line, _, _ = strings.Cut(line, "#")
			hexDigits.WriteString(strings.Join(strings.Fields(line), ""))
		}
		if g.exp, err = hex.DecodeString(hexDigits.String()); err != nil {
			t.Fatalf("%s: body: %v", p, err)
		}
		if !g.format.Valid() || g.blockSize <= 0 || (g.mode != "encode" && g.mode != "decode") {
			t.Fatalf("%s: incomplete header %+v", p, g)
		}
		out = append(out, g)
	}
	return out
}

func TestGolden(t *testing.T) {
	for _, g := range loadGoldens(t) {
		t.Run(g.name, func(t *testing.T) {
			if g.mode == "encode" {
				newWriter := func(w io.Writer) io.WriteCloser {
					if g.blockSize == compress.SnappyBlockSize {
						cw, err := compress.NewWriter(g.format, w, compress.Options{})
						if err != nil {
							t.Fatal(err)
						}
						return cw
					}
					return compress.NewWriterBlockSize(g.format, w, g.blockSize)
				}
				for _, pieces := range [][]int{{len(g.input) + 1}, {1}, {3, 5}} {
					var buf bytes.Buffer
					w := newWriter(&buf)
					if err := writeInPieces(w, g.input, pieces); err != nil {
						t.Fatal(err)
					}
					if err := w.Close(); err != nil {
						t.Fatal(err)
					}
					if !bytes.Equal(buf.Bytes(), g.exp) {
						t.Fatalf("writes of %v: encoded\n% x\nwant\n% x", pieces, buf.Bytes(), g.exp)
					}
				}
			}

			r, err := compress.NewReader(g.format, bytes.NewReader(g.exp))
			if err != nil {
				t.Fatalf("NewReader: %v", err)
			}
			got, err := io.ReadAll(iotest.OneByteReader(r))
			if err != nil {
				t.Fatalf("NewReader read: %v", err)
			}
			if !bytes.Equal(got, g.input) {
				t.Fatalf("NewReader decoded %q, want %q", got, g.input)
			}

			var indep []byte
			if g.format == compress.Snappy {
				indep, _, err = decodeXerial(g.exp)
			} else {
				indep, _, err = decodeHadoop(g.exp)
			}
			if err != nil {
				t.Fatalf("independent parser: %v", err)
			}
			if !bytes.Equal(indep, g.input) {
				t.Fatalf("independent parser decoded %q, want %q", indep, g.input)
			}
		})
	}
}

// readAll decodes enc with this package's reader.
func readAll(f compress.Format, enc []byte) ([]byte, error) {
	r, err := compress.NewReader(f, bytes.NewReader(enc))
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

// TestReaderReadsIndependentOutput feeds the reader streams that this
// package's writer did not produce.
func TestReaderReadsIndependentOutput(t *testing.T) {
	data := jsonBytes(700<<10 + 3)
	stdGzip := func() []byte {
		var b bytes.Buffer
		zw := stdgzip.NewWriter(&b)
		zw.Name = "object.json" // FNAME set: the reader must skip it
		zw.Write(data)
		zw.Close()
		return b.Bytes()
	}
	stdZip := func(method uint16) []byte {
		var b bytes.Buffer
		zw := zip.NewWriter(&b)
		w, _ := zw.CreateHeader(&zip.FileHeader{Name: "0b6f1c2e-uuid", Method: method})
		w.Write(data)
		zw.Close()
		return b.Bytes()
	}
	tests := []struct {
		name string
		f    compress.Format
		enc  []byte
	}{
		{name: "compress/gzip", f: compress.GZIP, enc: stdGzip()},
		{name: "archive/zip deflate", f: compress.ZIP, enc: stdZip(zip.Deflate)},
		{name: "archive/zip store", f: compress.ZIP, enc: stdZip(zip.Store)},
		{name: "golang/snappy xerial", f: compress.Snappy, enc: encodeXerial(data, 32<<10)},
		{name: "golang/snappy xerial 1 MiB blocks", f: compress.Snappy, enc: encodeXerial(data, 1<<20)},
		{name: "xerial concatenated", f: compress.Snappy, enc: append(encodeXerial(data[:1000], 32<<10), encodeXerial(data[1000:], 32<<10)[0:]...)},
		{name: "hadoop one chunk per block", f: compress.HadoopSnappy, enc: encodeHadoop(data, 256<<10, 256<<10)},
		{name: "hadoop many chunks per block", f: compress.HadoopSnappy, enc: encodeHadoop(data, 300<<10, 64<<10)},
		{name: "hadoop with end marker", f: compress.HadoopSnappy, enc: append(encodeHadoop(data, 218422, 218422), 0, 0, 0, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readAll(tt.f, tt.enc)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, data) {
				t.Fatalf("got %d bytes, want %d", len(got), len(data))
			}
		})
	}
}

func TestReaderCorrupt(t *testing.T) {
	valid := func(f compress.Format, s string) []byte {
		b, err := compress.Encode(f, []byte(s), compress.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	gz := valid(compress.GZIP, "hello, world")
	zp := valid(compress.ZIP, "hello, world")
	xs := valid(compress.Snappy, "hello, world")
	hs := valid(compress.HadoopSnappy, "hello, world")
	flip := func(b []byte, i int) []byte {
		c := bytes.Clone(b)
		c[i] ^= 0xff
		return c
	}
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	u32 := func(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
	twoEntries := func() []byte {
		var b bytes.Buffer
		zw := zip.NewWriter(&b)
		for _, n := range []string{"a", "b"} {
			w, _ := zw.Create(n)
			w.Write([]byte(n))
		}
		zw.Close()
		return b.Bytes()
	}
	dirEntry := func() []byte {
		var b bytes.Buffer
		zw := zip.NewWriter(&b)
		zw.Create("dir/")
		zw.Close()
		return b.Bytes()
	}
	hdr := xs[:16]
	tests := []struct {
		name string
		f    compress.Format
		in   []byte
	}{
		{name: "gzip empty", f: compress.GZIP, in: nil},
		{name: "gzip bad magic", f: compress.GZIP, in: flip(gz, 0)},
		{name: "gzip truncated", f: compress.GZIP, in: gz[:len(gz)-5]},
		{name: "gzip bad crc", f: compress.GZIP, in: flip(gz, len(gz)-8)},
		{name: "gzip bad size", f: compress.GZIP, in: flip(gz, len(gz)-1)},
		{name: "gzip two members", f: compress.GZIP, in: cat(gz, gz)},
		{name: "gzip trailing zero", f: compress.GZIP, in: cat(gz, []byte{0})},
		{name: "zip empty", f: compress.ZIP, in: nil},
		{name: "zip garbage", f: compress.ZIP, in: []byte("PK\x03\x04 not really")},
		{name: "zip truncated", f: compress.ZIP, in: zp[:len(zp)-10]},
		{name: "zip two entries", f: compress.ZIP, in: twoEntries()},
		{name: "zip directory entry", f: compress.ZIP, in: dirEntry()},
		{name: "zip bad central crc", f: compress.ZIP, in: flip(zp, bytes.Index(zp, []byte("PK\x01\x02"))+16)},
		{name: "zip bad data", f: compress.ZIP, in: flip(zp, zipDataOffset(t, zp)+2)},
		{name: "zip bad descriptor crc", f: compress.ZIP, in: flip(zp, bytes.Index(zp, []byte("PK\x07\x08"))+4)},
		{name: "snappy empty", f: compress.Snappy, in: nil},
		{name: "snappy raw block without header", f: compress.Snappy, in: []byte{5, 0x10, 'h', 'e', 'l', 'l', 'o'}},
		{name: "snappy short header", f: compress.Snappy, in: hdr[:10]},
		{name: "snappy bad magic", f: compress.Snappy, in: flip(xs, 1)},
		{name: "snappy version 0", f: compress.Snappy, in: cat(hdr[:8], u32(0), u32(1))},
		{name: "snappy needs newer reader", f: compress.Snappy, in: cat(hdr[:8], u32(2), u32(2))},
		{name: "snappy truncated length", f: compress.Snappy, in: cat(hdr, []byte{0, 0})},
		{name: "snappy zero chunk", f: compress.Snappy, in: cat(hdr, u32(0))},
		{name: "snappy negative chunk", f: compress.Snappy, in: cat(hdr, u32(0xfffffff0))},
		{name: "snappy huge chunk", f: compress.Snappy, in: cat(hdr, u32(0x7fffffff), []byte{1, 2, 3})},
		{name: "snappy truncated chunk", f: compress.Snappy, in: xs[:len(xs)-1]},
		{name: "snappy bad block", f: compress.Snappy, in: cat(hdr, u32(3), []byte{0x05, 0x10, 'h'})},
		{name: "snappy forged length", f: compress.Snappy, in: cat(hdr, u32(6), []byte{0xff, 0xff, 0xff, 0xff, 0x0f, 0})},
		// "ab", copy 4 from offset 2, then an S2 repeat (copy-1 with
		// offset 0): s2.Decode reads "ababababab", Snappy decoders reject it.
		{name: "snappy S2 repeat", f: compress.Snappy, in: cat(hdr, u32(8), []byte{0x0a, 0x04, 'a', 'b', 0x01, 0x02, 0x01, 0x00})},
		{name: "hadoop S2 repeat", f: compress.HadoopSnappy, in: cat(u32(10), u32(8), []byte{0x0a, 0x04, 'a', 'b', 0x01, 0x02, 0x01, 0x00})},
		{name: "snappy truncated second header", f: compress.Snappy, in: cat(xs, hdr[:10])},
		{name: "hadoop truncated block length", f: compress.HadoopSnappy, in: []byte{0, 0, 5}},
		{name: "hadoop negative block", f: compress.HadoopSnappy, in: u32(0x80000000)},
		{name: "hadoop block without chunk", f: compress.HadoopSnappy, in: u32(5)},
		{name: "hadoop truncated", f: compress.HadoopSnappy, in: hs[:len(hs)-1]},
		{name: "hadoop chunk longer than block", f: compress.HadoopSnappy, in: cat(u32(4), hs[4:])},
		{name: "hadoop short block then eof", f: compress.HadoopSnappy, in: cat(u32(20), hs[4:])},
		{name: "hadoop zero chunk", f: compress.HadoopSnappy, in: cat(u32(5), u32(0))},
		{name: "hadoop data after end marker", f: compress.HadoopSnappy, in: cat(u32(0), hs)},
		{name: "hadoop xerial input", f: compress.HadoopSnappy, in: xs},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readAll(tt.f, tt.in)
			if !errors.Is(err, compress.ErrCorrupt) {
				t.Fatalf("err = %v (decoded %q), want ErrCorrupt", err, got)
			}
		})
	}
}

// zipDataOffset returns where the first entry's compressed data starts.
func zipDataOffset(t *testing.T, b []byte) int {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	off, err := zr.File[0].DataOffset()
	if err != nil {
		t.Fatal(err)
	}
	return int(off)
}

// errReader fails every read.
type errReader struct{}

var errSource = errors.New("source failed")

func (errReader) Read([]byte) (int, error) { return 0, errSource }

func TestReaderContract(t *testing.T) {
	if _, err := compress.NewReader("lz4", bytes.NewReader(nil)); !errors.Is(err, compress.ErrUnknownFormat) {
		t.Fatalf("unknown format: err = %v", err)
	}
	for _, f := range compress.Formats() {
		t.Run(string(f), func(t *testing.T) {
			enc, err := compress.Encode(f, []byte("hello"), compress.Options{})
			if err != nil {
				t.Fatal(err)
			}
			r, err := compress.NewReader(f, bytes.NewReader(enc))
			if err != nil {
				t.Fatal(err)
			}
			if err := r.Close(); err != nil {
				t.Fatal(err)
			}
			if _, err := r.Read(make([]byte, 10)); !errors.Is(err, compress.ErrClosed) {
				t.Fatalf("Read after Close = %v, want ErrClosed", err)
			}

			// Errors from the source are passed on, wrapped, not reported
			// as corruption.
			r, err = compress.NewReader(f, errReader{})
			if err == nil {
				_, err = io.ReadAll(r)
			}
			if !errors.Is(err, errSource) || errors.Is(err, compress.ErrCorrupt) {
				t.Fatalf("source error: err = %v, want errSource and not ErrCorrupt", err)
			}
		})
	}
}

// fuzzReader is the body of every reader fuzz target: NewReader and Read
// must not panic, every failure must be an error, and a stream this
// package decodes must also decode with the independent parser.
func fuzzReader(f *testing.F, format compress.Format) {
	// Small seeds keep the fuzzer fast; the golden fixtures below supply
	// multi-block Snappy streams (4-byte blocks) without 32 KiB inputs.
	for _, in := range []string{"", "x", "hello, world", strings.Repeat("abc", 2000)} {
		enc, err := compress.Encode(format, []byte(in), compress.Options{})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(enc)
		f.Add(enc[:len(enc)/2])
	}
	if format == compress.Snappy || format == compress.HadoopSnappy {
		for _, g := range loadGoldens(f) {
			if g.format == format {
				f.Add(g.exp)
			}
		}
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		r, err := compress.NewReader(format, bytes.NewReader(in))
		if err != nil {
			return
		}
		got, err := io.ReadAll(io.LimitReader(r, 64<<20))
		if cerr := r.Close(); cerr != nil {
			t.Fatalf("Close: %v", cerr)
		}
		if err != nil {
			if !errors.Is(err, compress.ErrCorrupt) {
				t.Fatalf("error does not wrap ErrCorrupt: %v", err)
			}
			return
		}
		switch format {
		case compress.Snappy:
			indep, _, ierr := decodeXerial(in)
			if ierr != nil || !bytes.Equal(indep, got) {
				t.Fatalf("accepted a stream the independent parser reads differently: %v", ierr)
			}
		case compress.HadoopSnappy:
			indep, _, ierr := decodeHadoop(in)
			if ierr != nil || !bytes.Equal(indep, got) {
				t.Fatalf("accepted a stream the independent parser reads differently: %v", ierr)
			}
		}
	})
}

func FuzzReaderGZIP(f *testing.F)         { fuzzReader(f, compress.GZIP) }
func FuzzReaderZIP(f *testing.F)          { fuzzReader(f, compress.ZIP) }
func FuzzReaderSnappy(f *testing.F)       { fuzzReader(f, compress.Snappy) }
func FuzzReaderHadoopSnappy(f *testing.F) { fuzzReader(f, compress.HadoopSnappy) }

// FuzzRoundTrip encodes arbitrary input and checks that the independent
// decoder and NewReader give it back. sel picks the format (sel%5) and the
// level (sel/5%12-2, including two invalid values), so that one execution
// runs one encoder: the deflate writers' set-up makes running all five per
// input too slow to fuzz.
func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte(""), uint8(0))
	f.Add([]byte("hello, world"), uint8(1))
	f.Add([]byte("hello, world"), uint8(3))
	f.Add(bytes.Repeat([]byte("abcd"), 1000), uint8(4+5*11))
	f.Add(bytes.Repeat([]byte{0}, 3000), uint8(2))
	f.Fuzz(func(t *testing.T, data []byte, sel uint8) {
		formats := compress.Formats()
		format := formats[int(sel)%len(formats)]
		level := int(sel)/len(formats)%12 - 2
		enc, err := compress.Encode(format, data, compress.Options{Level: level})
		if level < compress.HuffmanOnly || level > compress.BestCompression {
			if !errors.Is(err, compress.ErrInvalidOptions) {
				t.Fatalf("%s level %d: err = %v, want ErrInvalidOptions", format, level, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("%s level %d: %v", format, level, err)
		}
		if got := independentDecode(t, format, enc); !bytes.Equal(got, data) {
			t.Fatalf("%s level %d: independent decode differs", format, level)
		}
		got, err := readAll(format, enc)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("%s level %d: NewReader: %v", format, level, err)
		}
	})
}
