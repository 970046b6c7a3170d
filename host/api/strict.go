package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"sync"
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
	if !needsRewrite(v, t) {
		return body
	}
	out, err := json.Marshal(prune(v, t))
	if err != nil {
		return body
	}
	return out
}

// fieldsOf maps a struct type's JSON member names to field types.
var fieldCache sync.Map // reflect.Type → map[string]reflect.Type

func fieldsOf(t reflect.Type) map[string]reflect.Type {
	if m, ok := fieldCache.Load(t); ok {
		return m.(map[string]reflect.Type)
	}
	m := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name := f.Name
		if tag, ok := f.Tag.Lookup("json"); ok {
			n, _, _ := strings.Cut(tag, ",")
			if n == "-" {
				continue
			}
			if n != "" {
				name = n
			}
		}
		if f.Anonymous && f.Type.Kind() == reflect.Struct {
			for k, v := range fieldsOf(f.Type) {
				if _, dup := m[k]; !dup {
					m[k] = v
				}
			}
			continue
		}
		m[name] = f.Type
	}
	fieldCache.Store(t, m)
	return m
}

func elemType(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

var rawMessage = reflect.TypeFor[json.RawMessage]()
var blobType = reflect.TypeFor[blob]()

// needsRewrite reports whether any object member in v differs in case only
// from a member of t (or is otherwise unknown to t).
func needsRewrite(v any, t reflect.Type) bool {
	t = elemType(t)
	if t == rawMessage || t == blobType {
		return false
	}
	switch x := v.(type) {
	case map[string]any:
		if t.Kind() == reflect.Map {
			for _, e := range x {
				if needsRewrite(e, t.Elem()) {
					return true
				}
			}
			return false
		}
		if t.Kind() != reflect.Struct {
			return false
		}
		fields := fieldsOf(t)
		for k, e := range x {
			ft, ok := fields[k]
			if !ok || needsRewrite(e, ft) {
				return true
			}
		}
	case []any:
		if t.Kind() == reflect.Slice {
			for _, e := range x {
				if needsRewrite(e, t.Elem()) {
					return true
				}
			}
		}
	}
	return false
}

// prune drops the members of v that t does not name exactly.
func prune(v any, t reflect.Type) any {
	t = elemType(t)
	if t == rawMessage || t == blobType {
		return v
	}
	switch x := v.(type) {
	case map[string]any:
		switch t.Kind() {
		case reflect.Map:
			for k, e := range x {
				x[k] = prune(e, t.Elem())
			}
		case reflect.Struct:
			fields := fieldsOf(t)
			for k, e := range x {
				ft, ok := fields[k]
				if !ok {
					delete(x, k)
					continue
				}
				x[k] = prune(e, ft)
			}
		}
	case []any:
		if t.Kind() == reflect.Slice {
			for i, e := range x {
				x[i] = prune(e, t.Elem())
			}
		}
	}
	return v
}
