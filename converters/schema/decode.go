package schema

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"

	"github.com/wasmhose/wasmhose/internal/awsjson"
)

// decodeRequest parses an AWS JSON 1.1 request body into v. An empty body
// is {}. Member names bind case-sensitively and unknown members are
// ignored, as in AWS's JSON protocols (encoding/json alone would bind
// "tableinput" to TableInput). A body that is not JSON of v's shape is a
// SerializationException.
func decodeRequest(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	var generic any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&generic); err != nil {
		return newError(TypeSerialization, "Cannot deserialize request: malformed JSON: %v", err)
	}
	if dec.More() {
		return newError(TypeSerialization, "Cannot deserialize request: data after the JSON value")
	}
	if _, ok := generic.(map[string]any); !ok {
		return newError(TypeSerialization, "Cannot deserialize request: the body must be a JSON object")
	}
	pruned, err := json.Marshal(awsjson.Prune(generic, reflect.TypeOf(v)))
	if err != nil {
		return newError(TypeSerialization, "Cannot deserialize request: %v", err)
	}
	if err := json.Unmarshal(pruned, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return newError(TypeSerialization, "Cannot deserialize request: member %s: expected %s, got JSON %s", te.Field, jsonKind(te.Type), te.Value)
		}
		msg := strings.TrimPrefix(err.Error(), "json: ")
		if i := strings.Index(msg, "Go "); i >= 0 {
			msg = msg[:i] + "a request member"
		}
		return newError(TypeSerialization, "Cannot deserialize request: %s", msg)
	}
	return nil
}

// jsonKind names the JSON kind a Go type decodes from, for messages that
// must not show Go type names.
func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	default:
		return "an object"
	}
}

// DecodeTableInput parses a Glue TableInput from JSON, with the API's rules
// (case-sensitive members, unknown ones ignored). The JSON may also be a
// CreateTable request, {"DatabaseName": …, "TableInput": {…}}, as `aws glue
// create-table --cli-input-json` takes; its TableInput is used. The input
// is not validated: Registry.CreateTable and UpdateTable do that.
func DecodeTableInput(b []byte) (*TableInput, error) {
	var req struct {
		TableInput *TableInput `json:"TableInput"`
	}
	if err := decodeRequest(b, &req); err != nil {
		return nil, err
	}
	if req.TableInput != nil {
		return req.TableInput, nil
	}
	var in TableInput
	if err := decodeRequest(b, &in); err != nil {
		return nil, err
	}
	return &in, nil
}
