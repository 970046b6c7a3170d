package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"

	"github.com/wasmhose/wasmhose/internal/awsjson"
)

// blob is a Firehose blob member: a base64 string in JSON. Unlike a plain
// []byte it refuses a JSON array of numbers, which encoding/json would take.
type blob []byte

// UnmarshalJSON implements json.Unmarshaler.
func (b *blob) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if bytes.Equal(data, []byte("null")) {
		*b = nil
		return nil
	}
	if len(data) == 0 || data[0] != '"' {
		return errors.New("a blob must be a base64-encoded string")
	}
	var raw []byte
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	if raw == nil {
		raw = []byte{}
	}
	*b = raw
	return nil
}

// exactMembers rewrites a request body so that only members whose names
// match the target shape exactly (case-sensitively) are bound: AWS JSON
// member names are case-sensitive, and an unknown member is ignored, while
// encoding/json would bind "deliverystreamname" to DeliveryStreamName. A
// body that is not JSON is returned unchanged for the decoder to reject.
func exactMembers(body []byte, t reflect.Type) []byte {
	var v any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return body
	}
	if !awsjson.NeedsPrune(v, t) {
		return body
	}
	out, err := json.Marshal(awsjson.Prune(v, t))
	if err != nil {
		return body
	}
	return out
}

var blobType = reflect.TypeFor[blob]()

func elemType(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}
