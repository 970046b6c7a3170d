package blueprint

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Status is the outcome of one record, with the values of Firehose's Lambda
// results (and of the Wasmhose ABI).
type Status int

// The record statuses.
const (
	// StatusOk: deliver Result.Data.
	StatusOk Status = 0
	// StatusDropped: do not deliver the record; counts as success.
	StatusDropped Status = 1
	// StatusProcessingFailed: send the original record to the error output,
	// with Result.Error as its errorMessage.
	StatusProcessingFailed Status = 2
)

// String returns Firehose's name of the status.
func (s Status) String() string {
	switch s {
	case StatusOk:
		return "Ok"
	case StatusDropped:
		return "Dropped"
	case StatusProcessingFailed:
		return "ProcessingFailed"
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// Result is the outcome of one record.
type Result struct {
	// Status is the outcome.
	Status Status
	// Data is the output record (StatusOk only; may be empty). The service
	// keeps the original record of a failed one, so Data is nil otherwise.
	Data []byte
	// Error explains a StatusProcessingFailed result.
	Error string
}

// Errors of New. Each is wrapped with detail; test with errors.Is.
var (
	// ErrUnknownBlueprint: no blueprint has the name.
	ErrUnknownBlueprint = errors.New("unknown blueprint")
	// ErrConfig: the configuration is not a JSON object, has a member the
	// blueprint does not know, or a member with a wrong type or value.
	ErrConfig = errors.New("invalid blueprint configuration")
)

// The blueprints' names: Firehose's Lambda blueprints.
const (
	ProcessRecord           = "process-record"
	ApachelogToJSON         = "apachelog-to-json"
	ApachelogToCSV          = "apachelog-to-csv"
	SyslogToJSON            = "syslog-to-json"
	SyslogToCSV             = "syslog-to-csv"
	CloudwatchLogsProcessor = "cloudwatch-logs-processor"
)

// appendFunc transforms data, appending an Ok output to dst. It returns the
// extended dst and the status and error text of the record.
type appendFunc func(dst, data []byte) ([]byte, Status, string)

// spec describes one blueprint: its configuration type and constructor.
type spec struct {
	name string
	// build decodes the configuration (nil: none given) and returns the
	// transform and whether the newline option is on.
	build func(config []byte) (appendFunc, bool, error)
}

// Names returns the blueprints' names, sorted.
func Names() []string {
	names := make([]string, 0, len(specs))
	for _, s := range specs {
		names = append(names, s.name)
	}
	slices.Sort(names)
	return names
}

// Blueprint is a configured blueprint. It is immutable and safe for
// concurrent use.
type Blueprint struct {
	name    string
	fn      appendFunc
	newline bool
}

// New returns the blueprint name configured with config, a JSON object of
// the blueprint's options (empty or "null" for the defaults). A member the
// blueprint does not know is an error, wrapping ErrConfig.
func New(name string, config []byte) (*Blueprint, error) {
	i := slices.IndexFunc(specs, func(s spec) bool { return s.name == name })
	if i < 0 {
		return nil, fmt.Errorf("%w %q (known: %v)", ErrUnknownBlueprint, name, Names())
	}
	fn, nl, err := specs[i].build(config)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &Blueprint{name: name, fn: fn, newline: nl}, nil
}

// NewFromConfig is New for the plugins' configuration, one JSON object
// that names the blueprint in its member "blueprint" and holds the
// blueprint's options beside it: {"blueprint":"apachelog-to-json",
// "newline":true}.
func NewFromConfig(config []byte) (*Blueprint, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(config, &obj); err != nil || obj == nil {
		return nil, fmt.Errorf(`%w: want a JSON object such as {"blueprint":"apachelog-to-json"}`, ErrConfig)
	}
	raw, ok := obj["blueprint"]
	if !ok {
		return nil, fmt.Errorf(`%w: the member "blueprint" is missing (one of %v)`, ErrConfig, Names())
	}
	var name string
	if err := json.Unmarshal(raw, &name); err != nil {
		return nil, fmt.Errorf(`%w: the member "blueprint" is not a string`, ErrConfig)
	}
	delete(obj, "blueprint")
	rest, err := json.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return New(name, rest)
}

// Name returns the blueprint's name.
func (b *Blueprint) Name() string { return b.name }

// Transform transforms one record. An Ok result's Data is newly allocated
// (never data itself; empty, not nil, for an empty output); a failed or
// dropped one's is nil.
func (b *Blueprint) Transform(data []byte) Result {
	out, r := b.AppendTransform(nil, data)
	if r.Status == StatusOk && out == nil {
		r.Data = []byte{}
	}
	return r
}

// AppendTransform transforms one record, appending an Ok output to dst, and
// returns the extended buffer and the result, whose Data is the appended
// part (it aliases the returned buffer, with its capacity capped so that
// appending to Data cannot overwrite later output). A batch can so share
// one buffer; a failed or dropped record leaves dst as it was.
func (b *Blueprint) AppendTransform(dst, data []byte) ([]byte, Result) {
	start := len(dst)
	out, st, msg := b.fn(dst, data)
	if st != StatusOk {
		return out[:start], Result{Status: st, Error: msg}
	}
	if b.newline && len(out) > start && out[len(out)-1] != '\n' {
		out = append(out, '\n')
	}
	return out, Result{Status: StatusOk, Data: out[start:len(out):len(out)]}
}

// decodeConfig decodes a JSON object into v, whose members must be among
// names, spelt exactly (encoding/json alone would match "Newline" to
// newline). Empty config and "null" leave v unchanged.
func decodeConfig(config []byte, v any, names ...string) error {
	config = bytes.TrimSpace(config)
	if len(config) == 0 || string(config) == "null" {
		return nil
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(config, &members); err != nil || members == nil {
		return fmt.Errorf("%w: want a JSON object, got %.40q", ErrConfig, config)
	}
	for name := range members {
		if !slices.Contains(names, name) {
			return fmt.Errorf("%w: unknown option %q (the options are: %s)", ErrConfig, name, strings.Join(names, ", "))
		}
	}
	if err := json.Unmarshal(config, v); err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return nil
}

// common holds the option every blueprint takes.
type common struct {
	// Newline ends every non-empty output record with "\n".
	Newline bool `json:"newline"`
}

// specs lists the blueprints and their configurations.
var specs = []spec{
	{ProcessRecord, func(config []byte) (appendFunc, bool, error) {
		var c common
		err := decodeConfig(config, &c, "newline")
		return processRecord, c.Newline, err
	}},
	{ApachelogToJSON, func(config []byte) (appendFunc, bool, error) {
		c := struct {
			common
			Combined bool `json:"combined"`
		}{Combined: true}
		err := decodeConfig(config, &c, "newline", "combined")
		return apacheToJSON(c.Combined), c.Newline, err
	}},
	{ApachelogToCSV, func(config []byte) (appendFunc, bool, error) {
		var c struct {
			common
			Combined bool `json:"combined"`
		}
		err := decodeConfig(config, &c, "newline", "combined")
		return apacheToCSV(c.Combined), c.Newline, err
	}},
	{SyslogToJSON, func(config []byte) (appendFunc, bool, error) {
		var c common
		err := decodeConfig(config, &c, "newline")
		return syslogToJSON, c.Newline, err
	}},
	{SyslogToCSV, func(config []byte) (appendFunc, bool, error) {
		var c common
		err := decodeConfig(config, &c, "newline")
		return syslogToCSV, c.Newline, err
	}},
	{CloudwatchLogsProcessor, func(config []byte) (appendFunc, bool, error) {
		var c struct {
			common
			ControlMessages string `json:"controlMessages"`
		}
		if err := decodeConfig(config, &c, "newline", "controlMessages"); err != nil {
			return nil, false, err
		}
		switch c.ControlMessages {
		case "", "fail", "drop":
		default:
			return nil, false, fmt.Errorf(`%w: controlMessages is %q, want "fail" or "drop"`, ErrConfig, c.ControlMessages)
		}
		return cloudwatchLogs(c.ControlMessages == "drop"), c.Newline, nil
	}},
}

// processRecord is the process-record blueprint: the data unchanged.
func processRecord(dst, data []byte) ([]byte, Status, string) {
	return append(dst, data...), StatusOk, ""
}
