package public_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/wasmhose/wasmhose/host/public"
)

func TestDuplicateKey(t *testing.T) {
	tests := []struct {
		name, doc string
		exp       string // "" = no duplicate
	}{
		{"flat", `{"a":1,"b":2}`, ""},
		{"flat duplicate", `{"a":1,"b":2,"a":3}`, "/a"},
		{"duplicate after a nested object", `{"a":{"x":1,"y":[1,{"z":2}]},"b":2,"a":0}`, "/a"},
		{"same key at different levels", `{"a":{"a":{"a":1}}}`, ""},
		{"same key in sibling objects", `[{"a":1},{"a":1}]`, ""},
		{"inside an array", `[1,{"a":1},{"b":1,"b":2}]`, "/2/b"},
		{"deep", `{"p":[[{"q":{"r":1,"r":1}}]]}`, "/p/0/0/q/r"},
		{"escaped names are decoded", `{"a":1,"\u0061":2}`, "/a"},
		{"pointer escaping", `{"a/b~":1,"a/b~":2}`, "/a~1b~0"},
		{"case differs", `{"a":1,"A":2}`, ""},
		{"empty key", `{"":1,"":2}`, "/"},
		{"scalar", `"x"`, ""},
		{"empty object and array", `{"a":{},"b":[],"c":[{}]}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, found, err := public.DuplicateKey([]byte(tt.doc))
			if err != nil {
				t.Fatal(err)
			}
			if found != (tt.exp != "") || got != tt.exp {
				t.Fatalf("DuplicateKey(%s) = %q %t, want %q", tt.doc, got, found, tt.exp)
			}
		})
	}
	if _, _, err := public.DuplicateKey([]byte(`{"a":`)); err == nil {
		t.Error("truncated JSON: no error")
	}
}

// FuzzDuplicateKey checks duplicateKey against a plain reading: a document
// whose every object, decoded member by member, has distinct keys has no
// duplicate, and a reported pointer names a key that is really repeated.
func FuzzDuplicateKey(f *testing.F) {
	for _, s := range []string{`{"a":1,"a":2}`, `[{"a":1},{"a":[{"b":1,"b":{}}]}]`, `{"x":{"y":null},"z":"a"}`, `{"page":"<script>","ts":1,"page":"/ok"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		if !json.Valid(doc) {
			return
		}
		ptr, found, err := public.DuplicateKey(doc)
		if err != nil {
			t.Fatalf("valid JSON %q: %v", doc, err)
		}
		if exp := hasDuplicate(t, json.RawMessage(doc)); found != exp {
			t.Fatalf("%q: found %t (%q), want %t", doc, found, ptr, exp)
		}
		if found && !strings.HasPrefix(ptr, "/") {
			t.Fatalf("%q: pointer %q", doc, ptr)
		}
	})
}

// hasDuplicate decodes each object as an ordered list of members.
func hasDuplicate(t *testing.T, raw json.RawMessage) bool {
	t.Helper()
	var arr []json.RawMessage
	if json.Unmarshal(raw, &arr) == nil {
		for _, v := range arr {
			if hasDuplicate(t, v) {
				return true
			}
		}
		return false
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return false
	}
	seen := map[string]bool{}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		if seen[k.(string)] || hasDuplicate(t, v) {
			return true
		}
		seen[k.(string)] = true
	}
	return false
}
