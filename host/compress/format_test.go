package compress_test

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/wasmhose/wasmhose/host/compress"
)

func TestFormatProperties(t *testing.T) {
	tests := []struct {
		name    string
		f       compress.Format
		valid   bool
		ext     string
		encHdr  string
		display string
	}{
		{name: "uncompressed", f: compress.Uncompressed, valid: true, ext: "", encHdr: "", display: "UNCOMPRESSED"},
		{name: "gzip", f: compress.GZIP, valid: true, ext: ".gz", encHdr: "gzip", display: "GZIP"},
		{name: "zip", f: compress.ZIP, valid: true, ext: ".zip", encHdr: "zip", display: "ZIP"},
		{name: "snappy", f: compress.Snappy, valid: true, ext: ".snappy", encHdr: "snappy-java", display: "Snappy"},
		{name: "hadoop snappy", f: compress.HadoopSnappy, valid: true, ext: ".snappy", encHdr: "hadoop-snappy", display: "HADOOP_SNAPPY"},
		{name: "empty", f: "", valid: false},
		{name: "wrong case SNAPPY", f: "SNAPPY", valid: false, display: "SNAPPY"},
		{name: "wrong case gzip", f: "gzip", valid: false, display: "gzip"},
		{name: "unknown", f: "BZIP2", valid: false, display: "BZIP2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.f.Valid(); got != tt.valid {
				t.Errorf("Valid() = %v, want %v", got, tt.valid)
			}
			if got := tt.f.Extension(); got != tt.ext {
				t.Errorf("Extension() = %q, want %q", got, tt.ext)
			}
			if got := tt.f.ContentEncoding(); got != tt.encHdr {
				t.Errorf("ContentEncoding() = %q, want %q", got, tt.encHdr)
			}
			if got := tt.f.String(); got != tt.display {
				t.Errorf("String() = %q, want %q", got, tt.display)
			}
		})
	}
}

func TestFormats(t *testing.T) {
	exp := []compress.Format{compress.Uncompressed, compress.GZIP, compress.ZIP, compress.Snappy, compress.HadoopSnappy}
	got := compress.Formats()
	if !slices.Equal(got, exp) {
		t.Fatalf("Formats() = %v, want %v", got, exp)
	}
	got[0] = "changed"
	if compress.Formats()[0] != compress.Uncompressed {
		t.Fatal("Formats() returned the package's own slice")
	}
}

func TestUnmarshalText(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		exp    compress.Format
		expErr bool
	}{
		{name: "UNCOMPRESSED", in: "UNCOMPRESSED", exp: compress.Uncompressed},
		{name: "GZIP", in: "GZIP", exp: compress.GZIP},
		{name: "ZIP", in: "ZIP", exp: compress.ZIP},
		{name: "Snappy", in: "Snappy", exp: compress.Snappy},
		{name: "HADOOP_SNAPPY", in: "HADOOP_SNAPPY", exp: compress.HadoopSnappy},
		{name: "empty", in: "", expErr: true},
		{name: "upper SNAPPY", in: "SNAPPY", expErr: true},
		{name: "lower snappy", in: "snappy", expErr: true},
		{name: "lower gzip", in: "gzip", expErr: true},
		{name: "mixed Hadoop_Snappy", in: "Hadoop_Snappy", expErr: true},
		{name: "surrounding space", in: " GZIP", expErr: true},
		{name: "extension", in: ".gz", expErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := compress.Format("sentinel")
			err := f.UnmarshalText([]byte(tt.in))
			if tt.expErr {
				if !errors.Is(err, compress.ErrUnknownFormat) {
					t.Fatalf("err = %v, want ErrUnknownFormat", err)
				}
				for _, allowed := range compress.Formats() {
					if !strings.Contains(err.Error(), string(allowed)) {
						t.Errorf("error %q does not list %s", err, allowed)
					}
				}
				if f != "sentinel" {
					t.Errorf("f changed to %q on error", f)
				}
				return
			}
			if err != nil {
				t.Fatalf("err = %v", err)
			}
			if f != tt.exp {
				t.Fatalf("f = %q, want %q", f, tt.exp)
			}
			p, err := compress.ParseFormat(tt.in)
			if err != nil || p != tt.exp {
				t.Fatalf("ParseFormat = %q, %v; want %q", p, err, tt.exp)
			}
		})
	}
}

func TestFormatJSON(t *testing.T) {
	var cfg struct {
		CompressionFormat compress.Format
	}
	if err := json.Unmarshal([]byte(`{"CompressionFormat":"HADOOP_SNAPPY"}`), &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.CompressionFormat != compress.HadoopSnappy {
		t.Fatalf("got %q", cfg.CompressionFormat)
	}
	err := json.Unmarshal([]byte(`{"CompressionFormat":"LZ4"}`), &cfg)
	if !errors.Is(err, compress.ErrUnknownFormat) {
		t.Fatalf("err = %v, want ErrUnknownFormat", err)
	}
	out, err := json.Marshal(cfg)
	if err != nil || string(out) != `{"CompressionFormat":"HADOOP_SNAPPY"}` {
		t.Fatalf("Marshal = %s, %v", out, err)
	}
}

func FuzzParseFormat(f *testing.F) {
	for _, s := range []string{"UNCOMPRESSED", "GZIP", "ZIP", "Snappy", "HADOOP_SNAPPY", "", "snappy", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := compress.ParseFormat(s)
		if err != nil {
			if !errors.Is(err, compress.ErrUnknownFormat) {
				t.Fatalf("error does not wrap ErrUnknownFormat: %v", err)
			}
			if slices.Contains(compress.Formats(), compress.Format(s)) {
				t.Fatalf("rejected valid %q", s)
			}
			return
		}
		if string(got) != s || !got.Valid() {
			t.Fatalf("ParseFormat(%q) = %q", s, got)
		}
	})
}
