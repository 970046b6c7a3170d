// Package awsjson binds AWS JSON 1.1 request members the way AWS does:
// member names are case-sensitive and unknown members are ignored, where
// encoding/json alone would bind "deliverystreamname" to DeliveryStreamName.
// It prunes a generically decoded body to the members a Go shape names
// exactly, before the body is decoded into that shape.
//
// The Firehose API (host/api) and the Glue API (converters/schema) both
// use it, from both sides of the host/converters boundary.
package awsjson

import (
	"encoding/json"
	"reflect"
	"strings"
	"sync"
)

// unmarshaler is json.Unmarshaler's type: a type that decodes itself
// (json.RawMessage, a blob, a timestamp) is taken whole, never pruned.
var unmarshaler = reflect.TypeFor[json.Unmarshaler]()

// NeedsPrune reports whether any object member in v, a value decoded into
// any (maps, slices, scalars), is not named exactly by a field of t at its
// place: only then must the body be rewritten.
func NeedsPrune(v any, t reflect.Type) bool {
	t = elem(t)
	if opaque(t) {
		return false
	}
	switch x := v.(type) {
	case map[string]any:
		switch t.Kind() {
		case reflect.Map:
			for _, e := range x {
				if NeedsPrune(e, t.Elem()) {
					return true
				}
			}
		case reflect.Struct:
			fields := fieldsOf(t)
			for k, e := range x {
				ft, ok := fields[k]
				if !ok || NeedsPrune(e, ft) {
					return true
				}
			}
		}
	case []any:
		if t.Kind() == reflect.Slice || t.Kind() == reflect.Array {
			for _, e := range x {
				if NeedsPrune(e, t.Elem()) {
					return true
				}
			}
		}
	}
	return false
}

// Prune drops, in place and recursively, the object members of v that t
// does not name exactly, and returns v.
func Prune(v any, t reflect.Type) any {
	t = elem(t)
	if opaque(t) {
		return v
	}
	switch x := v.(type) {
	case map[string]any:
		switch t.Kind() {
		case reflect.Map:
			for k, e := range x {
				x[k] = Prune(e, t.Elem())
			}
		case reflect.Struct:
			fields := fieldsOf(t)
			for k, e := range x {
				ft, ok := fields[k]
				if !ok {
					delete(x, k)
					continue
				}
				x[k] = Prune(e, ft)
			}
		}
	case []any:
		if t.Kind() == reflect.Slice || t.Kind() == reflect.Array {
			for i, e := range x {
				x[i] = Prune(e, t.Elem())
			}
		}
	}
	return v
}

func elem(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

func opaque(t reflect.Type) bool {
	return t.Implements(unmarshaler) || reflect.PointerTo(t).Implements(unmarshaler)
}

var fieldCache sync.Map // reflect.Type → map[string]reflect.Type

// fieldsOf maps a struct's JSON member names to field types, with the
// fields of embedded structs promoted.
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
