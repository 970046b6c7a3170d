package compress_test

import (
	"archive/zip"
	"bytes"
	stdgzip "compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/wasmhose/wasmhose/host/compress"
)

// roundTripInputs are the sizes every format is checked at.
func roundTripInputs() []struct {
	name string
	data []byte
} {
	return []struct {
		name string
		data []byte
	}{
		{name: "empty", data: []byte{}},
		{name: "one byte", data: []byte{'x'}},
		{name: "one block", data: jsonBytes(compress.SnappyBlockSize)},
		{name: "one block plus one", data: jsonBytes(compress.SnappyBlockSize + 1)},
		{name: "incompressible", data: randomBytes(3*compress.SnappyBlockSize + 17)},
		{name: "many blocks", data: jsonBytes(6<<20 + 123)},
	}
}

// independentDecode decodes an object without this package's code.
func independentDecode(t testing.TB, f compress.Format, enc []byte) []byte {
	t.Helper()
	switch f {
	case compress.Uncompressed:
		return enc
	case compress.GZIP:
		zr, err := stdgzip.NewReader(bytes.NewReader(enc))
		if err != nil {
			t.Fatalf("compress/gzip: %v", err)
		}
		zr.Multistream(false)
		out, err := io.ReadAll(zr)
		if err != nil {
			t.Fatalf("compress/gzip: %v", err)
		}
		// Exactly one member: nothing may follow it.
		if err := zr.Reset(bytes.NewReader(nil)); err != io.EOF {
			t.Fatalf("compress/gzip: reset on empty: %v", err)
		}
		return out
	case compress.ZIP:
		zr, err := zip.NewReader(bytes.NewReader(enc), int64(len(enc)))
		if err != nil {
			t.Fatalf("archive/zip: %v", err)
		}
		if len(zr.File) != 1 {
			t.Fatalf("archive/zip: %d entries, want 1", len(zr.File))
		}
		if m := zr.File[0].Method; m != zip.Deflate {
			t.Fatalf("archive/zip: method %d, want Deflate", m)
		}
		rc, err := zr.File[0].Open()
		if err != nil {
			t.Fatalf("archive/zip: %v", err)
		}
		defer rc.Close()
		out, err := io.ReadAll(rc)
		if err != nil {
			t.Fatalf("archive/zip: %v", err)
		}
		return out
	case compress.Snappy:
		if !bytes.HasPrefix(enc, testXerialHeader) {
			t.Fatalf("header % x, want % x", enc[:min(16, len(enc))], testXerialHeader)
		}
		out, _, err := decodeXerial(enc)
		if err != nil {
			t.Fatalf("xerial parser: %v", err)
		}
		return out
	case compress.HadoopSnappy:
		out, _, err := decodeHadoop(enc)
		if err != nil {
			t.Fatalf("hadoop parser: %v", err)
		}
		return out
	}
	t.Fatalf("no independent decoder for %q", f)
	return nil
}

// writeInPieces writes data in pieces of the given sizes, cycling.
func writeInPieces(w io.Writer, data []byte, sizes []int) error {
	for i := 0; len(data) > 0; i++ {
		n := min(sizes[i%len(sizes)], len(data))
		if _, err := w.Write(data[:n]); err != nil {
			return err
		}
		data = data[n:]
	}
	return nil
}

func TestRoundTrip(t *testing.T) {
	for _, f := range compress.Formats() {
		for _, in := range roundTripInputs() {
			t.Run(fmt.Sprintf("%s/%s", f, in.name), func(t *testing.T) {
				enc, err := compress.Encode(f, in.data, compress.Options{})
				if err != nil {
					t.Fatalf("Encode: %v", err)
				}
				if got := independentDecode(t, f, enc); !bytes.Equal(got, in.data) {
					t.Fatalf("independent decode: got %d bytes, want %d", len(got), len(in.data))
				}
				r, err := compress.NewReader(f, bytes.NewReader(enc))
				if err != nil {
					t.Fatalf("NewReader: %v", err)
				}
				got, err := io.ReadAll(r)
				if err != nil {
					t.Fatalf("read: %v", err)
				}
				if err := r.Close(); err != nil {
					t.Fatalf("reader Close: %v", err)
				}
				if !bytes.Equal(got, in.data) {
					t.Fatalf("NewReader: got %d bytes, want %d", len(got), len(in.data))
				}

				// Streaming in odd pieces gives a decodable object too; for
				// the Snappy framings it is byte-identical to Encode.
				var buf bytes.Buffer
				w, err := compress.NewWriter(f, &buf, compress.Options{})
				if err != nil {
					t.Fatalf("NewWriter: %v", err)
				}
				if err := writeInPieces(w, in.data, []int{1, 7, 4096, 100003, 200}); err != nil {
					t.Fatalf("write: %v", err)
				}
				if err := w.Close(); err != nil {
					t.Fatalf("Close: %v", err)
				}
				if got := independentDecode(t, f, buf.Bytes()); !bytes.Equal(got, in.data) {
					t.Fatalf("pieces: independent decode differs")
				}
				if (f == compress.Snappy || f == compress.HadoopSnappy) && !bytes.Equal(buf.Bytes(), enc) {
					t.Fatalf("pieces: output differs from Encode")
				}
			})
		}
	}
}

func TestLevels(t *testing.T) {
	data := jsonBytes(300 << 10)
	for _, f := range compress.Formats() {
		for level := compress.HuffmanOnly; level <= compress.BestCompression; level++ {
			t.Run(fmt.Sprintf("%s/level=%d", f, level), func(t *testing.T) {
				enc, err := compress.Encode(f, data, compress.Options{Level: level})
				if err != nil {
					t.Fatal(err)
				}
				if got := independentDecode(t, f, enc); !bytes.Equal(got, data) {
					t.Fatal("round trip differs")
				}
			})
		}
	}
}

func TestGzipWithGunzip(t *testing.T) {
	gunzip := requireTool(t, "gunzip")
	for _, in := range roundTripInputs() {
		t.Run(in.name, func(t *testing.T) {
			enc, err := compress.Encode(compress.GZIP, in.data, compress.Options{})
			if err != nil {
				t.Fatal(err)
			}
			// RFC 1952 header: ID1 ID2, CM=8 (deflate), FLG=0 (no name,
			// comment or extra), MTIME=0.
			if exp := []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0}; !bytes.Equal(enc[:8], exp) {
				t.Errorf("header % x, want % x", enc[:8], exp)
			}
			path := filepath.Join(t.TempDir(), "object.gz")
			if err := os.WriteFile(path, enc, 0o600); err != nil {
				t.Fatal(err)
			}
			runTool(t, gunzip, "-t", path)
			if got := runTool(t, gunzip, "-c", path); !bytes.Equal(got, in.data) {
				t.Fatalf("gunzip -c: got %d bytes, want %d", len(got), len(in.data))
			}
		})
	}
}

func TestZipWithUnzip(t *testing.T) {
	unzip := requireTool(t, "unzip")
	const entry = "a9fa96af-e4e4-409f-bac3-1f804714faaa"
	mod := time.Date(2016, 2, 25, 13, 5, 8, 0, time.UTC)
	for _, in := range roundTripInputs() {
		t.Run(in.name, func(t *testing.T) {
			enc, err := compress.Encode(compress.ZIP, in.data, compress.Options{EntryName: entry, ModTime: mod})
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "object.zip")
			if err := os.WriteFile(path, enc, 0o600); err != nil {
				t.Fatal(err)
			}
			runTool(t, unzip, "-tq", path)
			if got := string(runTool(t, unzip, "-Z1", path)); got != entry+"\n" {
				t.Fatalf("unzip -Z1 = %q, want the one entry %q", got, entry)
			}
			if got := runTool(t, unzip, "-p", path); !bytes.Equal(got, in.data) {
				t.Fatalf("unzip -p: got %d bytes, want %d", len(got), len(in.data))
			}
			zr, err := zip.NewReader(bytes.NewReader(enc), int64(len(enc)))
			if err != nil {
				t.Fatal(err)
			}
			fh := zr.File[0].FileHeader
			if fh.Name != entry || fh.Method != zip.Deflate || !fh.Modified.Equal(mod) {
				t.Fatalf("entry %q method %d modified %v; want %q, Deflate, %v", fh.Name, fh.Method, fh.Modified, entry, mod)
			}
		})
	}
}

func TestZipDefaults(t *testing.T) {
	enc, err := compress.Encode(compress.ZIP, []byte("abc"), compress.Options{})
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(enc), int64(len(enc)))
	if err != nil {
		t.Fatal(err)
	}
	fh := zr.File[0].FileHeader
	if fh.Name != compress.DefaultEntryName {
		t.Errorf("name %q, want %q", fh.Name, compress.DefaultEntryName)
	}
	if epoch := time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC); !fh.Modified.Equal(epoch) {
		t.Errorf("modified %v, want %v", fh.Modified, epoch)
	}
	again, err := compress.Encode(compress.ZIP, []byte("abc"), compress.Options{})
	if err != nil || !bytes.Equal(enc, again) {
		t.Errorf("output is not deterministic (err %v)", err)
	}
}

// TestSnappyBlockLayout checks the framing of multi-block output with the
// independent parsers: 32 KiB blocks, one chunk per Hadoop block, and every
// Hadoop chunk within the 256 KiB buffer of Hadoop's SnappyDecompressor
// even for incompressible input.
func TestSnappyBlockLayout(t *testing.T) {
	for _, f := range []compress.Format{compress.Snappy, compress.HadoopSnappy} {
		for _, in := range []struct {
			name string
			data []byte
		}{
			{name: "json", data: jsonBytes(1<<20 + 5)},
			{name: "random", data: randomBytes(1<<20 + 5)},
		} {
			t.Run(string(f)+"/"+in.name, func(t *testing.T) {
				enc, err := compress.Encode(f, in.data, compress.Options{})
				if err != nil {
					t.Fatal(err)
				}
				var stats []blockStat
				if f == compress.Snappy {
					_, stats, err = decodeXerial(enc)
				} else {
					_, stats, err = decodeHadoop(enc)
				}
				if err != nil {
					t.Fatal(err)
				}
				if exp := (len(in.data) + compress.SnappyBlockSize - 1) / compress.SnappyBlockSize; len(stats) != exp {
					t.Fatalf("%d blocks, want %d", len(stats), exp)
				}
				for i, st := range stats {
					exp := compress.SnappyBlockSize
					if i == len(stats)-1 {
						exp = len(in.data) - i*compress.SnappyBlockSize
					}
					if st.uncompressed != exp {
						t.Fatalf("block %d holds %d bytes, want %d", i, st.uncompressed, exp)
					}
					if len(st.chunks) != 1 || st.chunks[0] > 256<<10 {
						t.Fatalf("block %d chunks %v: want one chunk of at most 256 KiB", i, st.chunks)
					}
				}
			})
		}
	}
}

func TestNewWriterErrors(t *testing.T) {
	tests := []struct {
		name   string
		f      compress.Format
		o      compress.Options
		expErr error
	}{
		{name: "empty format", f: "", expErr: compress.ErrUnknownFormat},
		{name: "wrong case", f: "gzip", expErr: compress.ErrUnknownFormat},
		{name: "level too high", f: compress.GZIP, o: compress.Options{Level: 10}, expErr: compress.ErrInvalidOptions},
		{name: "level too low", f: compress.GZIP, o: compress.Options{Level: -3}, expErr: compress.ErrInvalidOptions},
		{name: "level checked for snappy", f: compress.Snappy, o: compress.Options{Level: 42}, expErr: compress.ErrInvalidOptions},
		{name: "absolute entry", f: compress.ZIP, o: compress.Options{EntryName: "/etc/passwd"}, expErr: compress.ErrInvalidOptions},
		{name: "dot-dot entry", f: compress.ZIP, o: compress.Options{EntryName: "../x"}, expErr: compress.ErrInvalidOptions},
		{name: "dot entry", f: compress.ZIP, o: compress.Options{EntryName: "."}, expErr: compress.ErrInvalidOptions},
		{name: "directory entry", f: compress.ZIP, o: compress.Options{EntryName: "dir/"}, expErr: compress.ErrInvalidOptions},
		{name: "backslash entry", f: compress.ZIP, o: compress.Options{EntryName: `a\b`}, expErr: compress.ErrInvalidOptions},
		{name: "entry checked for gzip", f: compress.GZIP, o: compress.Options{EntryName: "../x"}, expErr: compress.ErrInvalidOptions},
		{name: "mod time before 1980", f: compress.ZIP, o: compress.Options{ModTime: time.Date(1979, 12, 31, 0, 0, 0, 0, time.UTC)}, expErr: compress.ErrInvalidOptions},
		{name: "mod time after 2106", f: compress.ZIP, o: compress.Options{ModTime: time.Date(2107, 1, 1, 0, 0, 0, 0, time.UTC)}, expErr: compress.ErrInvalidOptions},
		{name: "nested entry is fine", f: compress.ZIP, o: compress.Options{EntryName: "a/b.json"}},
		{name: "huffman only is fine", f: compress.ZIP, o: compress.Options{Level: compress.HuffmanOnly}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := compress.NewWriter(tt.f, io.Discard, tt.o)
			if tt.expErr == nil {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				if err := w.Close(); err != nil {
					t.Fatalf("Close: %v", err)
				}
				return
			}
			if !errors.Is(err, tt.expErr) {
				t.Fatalf("err = %v, want %v", err, tt.expErr)
			}
			if w != nil {
				t.Fatal("writer returned with an error")
			}
			if _, err := compress.Encode(tt.f, []byte("x"), tt.o); !errors.Is(err, tt.expErr) {
				t.Fatalf("Encode err = %v, want %v", err, tt.expErr)
			}
		})
	}
}

// recordingWriter records writes and whether Close was called, and fails
// after failAfter bytes if failAfter >= 0.
type recordingWriter struct {
	buf       bytes.Buffer
	closed    bool
	failAfter int
}

var errSink = errors.New("sink failed")

func (r *recordingWriter) Write(p []byte) (int, error) {
	if r.failAfter >= 0 && r.buf.Len()+len(p) > r.failAfter {
		return 0, errSink
	}
	return r.buf.Write(p)
}

func (r *recordingWriter) Close() error {
	r.closed = true
	return nil
}

func TestWriterContract(t *testing.T) {
	for _, f := range compress.Formats() {
		t.Run(string(f), func(t *testing.T) {
			sink := &recordingWriter{failAfter: -1}
			w, err := compress.NewWriter(f, sink, compress.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := w.Write([]byte("hello")); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if sink.closed {
				t.Error("Close closed the destination")
			}
			n := sink.buf.Len()
			if err := w.Close(); err != nil {
				t.Errorf("second Close = %v, want nil", err)
			}
			if sink.buf.Len() != n {
				t.Error("second Close wrote more output")
			}
			if _, err := w.Write([]byte("x")); !errors.Is(err, compress.ErrClosed) {
				t.Errorf("Write after Close = %v, want ErrClosed", err)
			}
		})
	}
}

func TestWriterSinkError(t *testing.T) {
	data := jsonBytes(200 << 10)
	for _, f := range compress.Formats() {
		t.Run(string(f), func(t *testing.T) {
			sink := &recordingWriter{failAfter: 1000}
			w, err := compress.NewWriter(f, sink, compress.Options{})
			if err != nil {
				t.Fatal(err)
			}
			werr := writeInPieces(w, data, []int{5000})
			cerr := w.Close()
			if !errors.Is(werr, errSink) && !errors.Is(cerr, errSink) {
				t.Fatalf("write err %v, close err %v: want the sink's error", werr, cerr)
			}
			if !errors.Is(cerr, errSink) {
				t.Fatalf("Close = %v, want the sink's error again", cerr)
			}
			if again := w.Close(); !errors.Is(again, errSink) {
				t.Fatalf("second Close = %v, want the first Close's error", again)
			}
		})
	}
}

func ExampleEncode() {
	obj, err := compress.Encode(compress.HadoopSnappy, []byte("hello"), compress.Options{})
	if err != nil {
		panic(err)
	}
	fmt.Printf("% x\n", obj)

	r, err := compress.NewReader(compress.HadoopSnappy, bytes.NewReader(obj))
	if err != nil {
		panic(err)
	}
	defer r.Close()
	plain, err := io.ReadAll(r)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%s %s %s\n", plain, compress.HadoopSnappy.Extension(), compress.HadoopSnappy.ContentEncoding())
	// Output:
	// 00 00 00 05 00 00 00 07 05 10 68 65 6c 6c 6f
	// hello .snappy hadoop-snappy
}
