package public

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"
	"text/template"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/wasmhose/wasmhose/host/config"
	wasmrt "github.com/wasmhose/wasmhose/runtime"
)

// Defaults of a route's settings left at zero.
const (
	DefaultMaxBodyBytes = 64 << 10
	DefaultPerSecond    = 20
	DefaultMaxAge       = 600
)

// MaxRecordBytes is the largest record, as for PutRecord.
const MaxRecordBytes = 1_024_000

// maxErrors bounds the validation errors in one answer.
const maxErrors = 20

// route is one compiled public route.
type route struct {
	path, stream string
	schema       *jsonschema.Schema
	tmpl         *template.Template // nil: the body as compact JSON
	plugin       wasmrt.Transformer // nil: none
	newline      bool
	maxBody      int64
	limit        *limiter
	origins      []string // "*" allows any
	maxAge       int
}

// compile builds a route from its configuration. transforms resolves the
// plugin, if any, as lambdaARN.
func compile(ctx context.Context, rc config.PublicRoute, lambdaARN string, transforms Transforms) (*route, error) {
	rt := &route{
		path: rc.Path, stream: rc.Stream, newline: rc.Newline,
		maxBody: rc.MaxBodyBytes, origins: slices.Clone(rc.CORS.AllowedOrigins), maxAge: rc.CORS.MaxAgeSeconds,
	}
	if rt.maxBody == 0 {
		rt.maxBody = DefaultMaxBodyBytes
	}
	if rt.maxAge == 0 {
		rt.maxAge = DefaultMaxAge
	}
	perSecond, burst := rc.RateLimit.PerSecond, rc.RateLimit.Burst
	if perSecond == 0 {
		perSecond = DefaultPerSecond
	}
	if burst == 0 {
		burst = max(1, int(2*perSecond))
	}
	rt.limit = newLimiter(perSecond, burst)

	schemaDoc, name := []byte(rc.Schema), "inline schema of "+rc.Path
	if rc.SchemaFile != "" {
		b, err := os.ReadFile(rc.SchemaFile)
		if err != nil {
			return nil, fmt.Errorf("public route %s: schema: %w", rc.Path, err)
		}
		schemaDoc, name = b, rc.SchemaFile
	}
	sch, err := compileSchema(schemaDoc)
	if err != nil {
		return nil, fmt.Errorf("public route %s: schema %s: %w", rc.Path, name, err)
	}
	rt.schema = sch
	if rc.Template != "" {
		t, err := template.New(rc.Path).Option("missingkey=error").Funcs(template.FuncMap{"json": toJSON}).Parse(rc.Template)
		if err != nil {
			return nil, fmt.Errorf("public route %s: template: %w", rc.Path, err)
		}
		rt.tmpl = t
	}
	if rc.Plugin != "" {
		if transforms == nil {
			return nil, fmt.Errorf("public route %s: plugin %s: no plugin store", rc.Path, rc.Plugin)
		}
		p, err := transforms.Resolve(ctx, lambdaARN)
		if err != nil {
			return nil, fmt.Errorf("public route %s: plugin %s: %w", rc.Path, rc.Plugin, err)
		}
		rt.plugin = p
	}
	return rt, nil
}

// refuseLoader refuses every external $ref: a route's schema is one
// self-contained document, and validation never reads files or the network.
type refuseLoader struct{}

func (refuseLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("external $ref %s: a public route's schema must be self-contained", url)
}

// compileSchema compiles a JSON Schema document (draft 2020-12 unless it
// says otherwise in $schema), with format assertions on.
func compileSchema(doc []byte) (*jsonschema.Schema, error) {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return nil, fmt.Errorf("not JSON: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	c.UseLoader(refuseLoader{})
	const url = "wasmhose:///route.schema.json"
	if err := c.AddResource(url, v); err != nil {
		return nil, err
	}
	return c.Compile(url)
}

// toJSON is the templates' json function: the value as compact JSON.
func toJSON(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

// BodyError is a refused body: the HTTP status, a message and, for a body
// that does not match the schema, the validation errors.
type BodyError struct {
	// Status is the HTTP status of the answer.
	Status int `json:"-"`
	// Message says what is wrong.
	Message string `json:"message"`
	// Errors are the schema violations, in JSON Schema's basic output form.
	Errors []Violation `json:"errors,omitempty"`
}

func (e *BodyError) Error() string { return e.Message }

// Violation is one schema violation.
type Violation struct {
	// InstanceLocation is the JSON pointer of the offending value in the body.
	InstanceLocation string `json:"instanceLocation"`
	// KeywordLocation is the JSON pointer of the schema keyword that failed.
	KeywordLocation string `json:"keywordLocation"`
	// Error says what failed.
	Error string `json:"error"`
}

func badBody(format string, args ...any) *BodyError {
	return &BodyError{Status: http.StatusBadRequest, Message: fmt.Sprintf(format, args...)}
}

// record turns a request body into the record to store: decode, validate,
// template. A refusal is a *BodyError; it never panics on any input.
func (rt *route) record(body []byte) ([]byte, error) {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return nil, badBody("the body is not JSON: %v", err)
	}
	// The schema sees one value per key, the stored record the raw text:
	// a repeated key would smuggle a value past the schema.
	if ptr, dup, err := duplicateKey(body); err != nil {
		return nil, badBody("the body is not JSON: %v", err)
	} else if dup {
		return nil, badBody("the body has the key at %s more than once in one object; each key may appear once", ptr)
	}
	if err := rt.schema.Validate(v); err != nil {
		var ve *jsonschema.ValidationError
		if !errors.As(err, &ve) {
			return nil, badBody("the body could not be validated: %v", err)
		}
		return nil, violations(ve)
	}
	var out []byte
	if rt.tmpl == nil {
		var b bytes.Buffer
		if err := json.Compact(&b, body); err != nil {
			return nil, badBody("the body is not JSON: %v", err)
		}
		out = b.Bytes()
	} else {
		w := &capped{limit: MaxRecordBytes}
		if err := rt.tmpl.Execute(w, v); err != nil {
			if errors.Is(err, errTooLarge) {
				return nil, &BodyError{Status: http.StatusRequestEntityTooLarge, Message: fmt.Sprintf("the record would exceed %d bytes", MaxRecordBytes)}
			}
			return nil, badBody("the body does not fit the route's record template: %v", err)
		}
		out = w.b.Bytes()
	}
	return out, nil
}

// finish appends the newline and checks the record's size.
func (rt *route) finish(rec []byte) ([]byte, error) {
	if rt.newline {
		rec = append(rec, '\n')
	}
	if len(rec) > MaxRecordBytes {
		return nil, &BodyError{Status: http.StatusRequestEntityTooLarge, Message: fmt.Sprintf("the record would exceed %d bytes", MaxRecordBytes)}
	}
	return rec, nil
}

// transform runs the route's plugin on one record: Ok gives the new
// record, Dropped gives nil, ProcessingFailed a 400.
func (rt *route) transform(ctx context.Context, rec []byte, now time.Time) ([]byte, error) {
	res, err := rt.plugin.Transform(ctx, []wasmrt.Record{{Data: rec, ArrivalMillis: now.UnixMilli()}})
	if err != nil {
		return nil, fmt.Errorf("public: plugin: %w", err)
	}
	if len(res) != 1 {
		return nil, fmt.Errorf("public: plugin: %d results for one record", len(res))
	}
	switch res[0].Status {
	case wasmrt.StatusOk:
		return bytes.Clone(res[0].Data), nil
	case wasmrt.StatusDropped:
		return nil, nil
	default:
		msg := res[0].Error
		if msg == "" {
			msg = "no reason given"
		}
		return nil, badBody("the record was refused by the route's transform: %s", msg)
	}
}

// violations flattens a validation error into at most maxErrors leaves.
func violations(ve *jsonschema.ValidationError) *BodyError {
	out := ve.BasicOutput()
	e := badBody("the body does not match the route's schema")
	for _, u := range out.Errors {
		if u.Error == nil {
			continue
		}
		if len(e.Errors) == maxErrors {
			e.Message += fmt.Sprintf(" (first %d errors shown)", maxErrors)
			break
		}
		e.Errors = append(e.Errors, Violation{InstanceLocation: u.InstanceLocation, KeywordLocation: u.KeywordLocation, Error: u.Error.String()})
	}
	if len(e.Errors) == 0 && out.Error != nil {
		e.Errors = []Violation{{InstanceLocation: out.InstanceLocation, KeywordLocation: out.KeywordLocation, Error: out.Error.String()}}
	}
	return e
}

var errTooLarge = errors.New("record too large")

// capped is a writer that fails past limit bytes.
type capped struct {
	b     bytes.Buffer
	limit int
}

func (c *capped) Write(p []byte) (int, error) {
	if c.b.Len()+len(p) > c.limit {
		return 0, errTooLarge
	}
	return c.b.Write(p)
}
