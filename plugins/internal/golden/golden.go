// Package golden reads and writes the built-in plugins' golden files, in
// Caddy's layout: the input, a line of ten dashes, the expected output.
//
//	# A comment.
//	#config {"newline":true}
//	#gzip
//	127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326
//	----------
//	Ok {"host":"127.0.0.1",…}
//
// Input: one record per line; "#config <json>" sets the blueprint's
// options, "#gzip" compresses every record (CloudWatch Logs payloads), and
// lines starting "# " are comments. Expected: one line per record, its
// status and, after a space, its data (Ok) or error text
// (ProcessingFailed). In both, a record's bytes are written with escapes:
// \n \r \t \\ and \xHH for other control bytes, DEL and invalid UTF-8 (a
// record starting with '#' is written \x23…).
package golden

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Separator separates the input from the expected output.
const Separator = "----------"

// File is a parsed golden file.
type File struct {
	// Config is the blueprint's options (the #config line), or nil.
	Config []byte
	// Records are the input records (gzipped if #gzip).
	Records [][]byte
	// Head is the input section as written, to rewrite the file.
	Head string
	// Expected are the expected results as written, one per record.
	Expected []string
}

// Parse parses a golden file.
func Parse(src []byte) (*File, error) {
	head, exp, ok := strings.Cut(string(src), "\n"+Separator+"\n")
	if !ok {
		return nil, fmt.Errorf("golden: no %q line", Separator)
	}
	f := &File{Head: head}
	gz := false
	for i, line := range strings.Split(head, "\n") {
		switch {
		case strings.HasPrefix(line, "# ") || line == "#":
		case strings.HasPrefix(line, "#config "):
			f.Config = []byte(strings.TrimPrefix(line, "#config "))
		case line == "#gzip":
			gz = true
		case strings.HasPrefix(line, "#"):
			return nil, fmt.Errorf("golden: line %d: unknown directive %q", i+1, line)
		default:
			rec, err := Unescape(line)
			if err != nil {
				return nil, fmt.Errorf("golden: line %d: %w", i+1, err)
			}
			f.Records = append(f.Records, rec)
		}
	}
	if gz {
		for i, r := range f.Records {
			var b bytes.Buffer
			zw := gzip.NewWriter(&b)
			if _, err := zw.Write(r); err != nil {
				return nil, fmt.Errorf("golden: gzip: %w", err)
			}
			if err := zw.Close(); err != nil {
				return nil, fmt.Errorf("golden: gzip: %w", err)
			}
			f.Records[i] = b.Bytes()
		}
	}
	exp = strings.TrimSuffix(exp, "\n")
	if exp != "" {
		f.Expected = strings.Split(exp, "\n")
	}
	return f, nil
}

// Format returns the file with expected as its expected output.
func (f *File) Format(expected []string) []byte {
	return []byte(f.Head + "\n" + Separator + "\n" + strings.Join(expected, "\n") + "\n")
}

// Result formats one result as an expected line.
func Result(status string, data []byte, errText string) string {
	switch status {
	case "Ok":
		return "Ok " + Escape(data)
	case "ProcessingFailed":
		return "ProcessingFailed " + Escape([]byte(errText))
	}
	return status
}

// Escape writes b with the golden files' escapes.
func Escape(b []byte) string {
	var sb strings.Builder
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		c := b[0]
		switch {
		case c == '\n':
			sb.WriteString(`\n`)
		case c == '\r':
			sb.WriteString(`\r`)
		case c == '\t':
			sb.WriteString(`\t`)
		case c == '\\':
			sb.WriteString(`\\`)
		case c < 0x20 || c == 0x7f || (r == utf8.RuneError && n == 1):
			fmt.Fprintf(&sb, `\x%02x`, c)
			n = 1
		default:
			sb.Write(b[:n])
		}
		b = b[n:]
	}
	return sb.String()
}

// Unescape reverses Escape.
func Unescape(s string) ([]byte, error) {
	var out []byte
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			out = append(out, s[i])
			continue
		}
		if i+1 >= len(s) {
			return nil, fmt.Errorf("a lone backslash ends %q", s)
		}
		i++
		switch s[i] {
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case '\\':
			out = append(out, '\\')
		case 'x':
			if i+3 > len(s) {
				return nil, fmt.Errorf("a short \\x escape in %q", s)
			}
			v, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
			if err != nil {
				return nil, fmt.Errorf("a bad \\x escape in %q: %w", s, err)
			}
			out = append(out, byte(v))
			i += 2
		default:
			return nil, fmt.Errorf("unknown escape \\%c in %q", s[i], s)
		}
	}
	return out, nil
}
