package transformtest

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"

	wasmrt "github.com/wasmhose/wasmhose/runtime"
)

// MaxCaseLineBytes is the longest line ReadCases accepts.
const MaxCaseLineBytes = 16 << 20

// FileCase is one line of a cases file: a record and the result it must
// produce, or a configuration that init must refuse.
//
// A cases file holds one JSON object per line; blank lines and lines
// starting with # are skipped. The fields (the format of the reference
// plugins' examples/plugins/testdata/cases.jsonl):
//
//	name          string   the check's name (default "line N")
//	config        string   the configuration's bytes to load the plugin with
//	                       (absent: the default configuration)
//	input         string   the record's data (UTF-8), or
//	input_base64  string   the record's data, base64
//	status        string   "Ok", "Dropped" or "ProcessingFailed"
//	data          string   Ok: the expected data (absent: empty), or
//	data_base64   string   the same, base64
//	error         string   ProcessingFailed: the expected error text
//	keys          object   Ok: the expected partition keys, name to value
//	                       (any order; absent: none)
//	init_error    string   instead of input and status: init must refuse
//	                       config with exactly this text
//
// Unknown fields are an error, so that a misspelt field is not silently
// ignored.
type FileCase struct {
	// Line is the 1-based line number in the file.
	Line int
	// Name is the case's name.
	Name string
	// Config is the configuration; meaningful when HasConfig.
	Config []byte
	// HasConfig says the case names its own configuration.
	HasConfig bool
	// Record is the input record.
	Record wasmrt.Record
	// Result is the expected result (partition keys sorted by name).
	Result wasmrt.Result
	// InitError, when not empty, is the text with which init must refuse
	// Config; Record and Result are then unused.
	InitError string
}

// caseLine is the JSON form of a FileCase.
type caseLine struct {
	Name        string            `json:"name"`
	Config      *string           `json:"config"`
	Input       *string           `json:"input"`
	InputBase64 *string           `json:"input_base64"`
	Status      *string           `json:"status"`
	Data        *string           `json:"data"`
	DataBase64  *string           `json:"data_base64"`
	Error       *string           `json:"error"`
	Keys        map[string]string `json:"keys"`
	InitError   *string           `json:"init_error"`
}

// ReadCases parses a cases file (see FileCase for the format). It reports
// the first malformed line with its number.
func ReadCases(r io.Reader) ([]FileCase, error) {
	br := bufio.NewReader(r)
	var out []FileCase
	for n := 1; ; n++ {
		line, err := readLine(br)
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("cases line %d: %w", n, err)
		}
		if t := bytes.TrimSpace(line); len(t) > 0 && t[0] != '#' {
			c, perr := parseCase(t, n)
			if perr != nil {
				return nil, fmt.Errorf("cases line %d: %w", n, perr)
			}
			out = append(out, c)
		}
		if errors.Is(err, io.EOF) {
			return out, nil
		}
	}
}

// readLine reads one line without its newline, refusing lines longer than
// MaxCaseLineBytes.
func readLine(br *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		line = append(line, chunk...)
		if len(line) > MaxCaseLineBytes {
			return nil, fmt.Errorf("line longer than %d bytes", MaxCaseLineBytes)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		return bytes.TrimSuffix(line, []byte("\n")), err
	}
}

func parseCase(b []byte, n int) (FileCase, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var l caseLine
	if err := dec.Decode(&l); err != nil {
		return FileCase{}, fmt.Errorf("not a case object: %w", err)
	}
	if dec.More() {
		return FileCase{}, errors.New("more than one JSON value on the line")
	}
	c := FileCase{Line: n, Name: l.Name}
	if c.Name == "" {
		c.Name = fmt.Sprintf("line %d", n)
	}
	if l.Config != nil {
		c.HasConfig, c.Config = true, []byte(*l.Config)
	}
	if l.InitError != nil {
		switch {
		case *l.InitError == "":
			return c, errors.New("init_error is empty")
		case !c.HasConfig:
			return c, errors.New("init_error needs a config")
		case l.Input != nil || l.InputBase64 != nil || l.Status != nil || l.Data != nil || l.DataBase64 != nil || l.Error != nil || l.Keys != nil:
			return c, errors.New("init_error excludes input and expected results")
		}
		c.InitError = *l.InitError
		return c, nil
	}
	data, err := oneOf("input", l.Input, l.InputBase64)
	if err != nil {
		return c, err
	}
	if data == nil {
		return c, errors.New("input or input_base64 is required")
	}
	c.Record = wasmrt.Record{Data: data}
	if l.Status == nil {
		return c, errors.New("status is required")
	}
	want, err := oneOf("data", l.Data, l.DataBase64)
	if err != nil {
		return c, err
	}
	switch *l.Status {
	case "Ok":
		c.Result = wasmrt.Result{Status: wasmrt.StatusOk, Data: want}
		names := make([]string, 0, len(l.Keys))
		for k := range l.Keys {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			c.Result.PartitionKeys = append(c.Result.PartitionKeys, wasmrt.PartitionKey{Name: k, Value: l.Keys[k]})
		}
	case "Dropped":
		c.Result = wasmrt.Result{Status: wasmrt.StatusDropped}
	case "ProcessingFailed":
		c.Result = wasmrt.Result{Status: wasmrt.StatusProcessingFailed}
		if l.Error != nil {
			c.Result.Error = *l.Error
		}
	default:
		return c, fmt.Errorf("status %q: want Ok, Dropped or ProcessingFailed", *l.Status)
	}
	switch {
	case want != nil && c.Result.Status != wasmrt.StatusOk:
		return c, errors.New("data is for Ok results only")
	case l.Keys != nil && c.Result.Status != wasmrt.StatusOk:
		return c, errors.New("keys is for Ok results only")
	case l.Error != nil && c.Result.Status != wasmrt.StatusProcessingFailed:
		return c, errors.New("error is for ProcessingFailed results only")
	}
	return c, nil
}

// oneOf returns the bytes of a text field or its base64 twin, nil if both
// are absent.
func oneOf(name string, text, b64 *string) ([]byte, error) {
	switch {
	case text != nil && b64 != nil:
		return nil, fmt.Errorf("give %s or %s_base64, not both", name, name)
	case text != nil:
		return []byte(*text), nil
	case b64 != nil:
		b, err := base64.StdEncoding.DecodeString(*b64)
		if err != nil {
			return nil, fmt.Errorf("%s_base64: %w", name, err)
		}
		if b == nil {
			b = []byte{}
		}
		return b, nil
	}
	return nil, nil
}

// AsCases turns file cases into golden cases, one single-record Case each,
// plus, when there are several, one Case holding all their records in one
// batch (named "all-in-one-batch"). Cases with an InitError are skipped.
func AsCases(fcs []FileCase) []Case {
	var out []Case
	var all Case
	for _, fc := range fcs {
		if fc.InitError != "" {
			continue
		}
		out = append(out, Case{Name: fc.Name, Records: []wasmrt.Record{fc.Record}, Results: []wasmrt.Result{fc.Result}})
		all.Records = append(all.Records, fc.Record)
		all.Results = append(all.Results, fc.Result)
	}
	if len(out) > 1 {
		all.Name = "all-in-one-batch"
		out = append(out, all)
	}
	return out
}
