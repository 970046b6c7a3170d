package public

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"
)

// keyFrame is one open object or array while duplicateKey walks a
// document.
type keyFrame struct {
	object  bool
	keys    map[string]struct{} // objects: the keys seen
	seg     string              // the pointer segment of the value being read
	wantKey bool                // objects: the next token is a key (or '}')
	index   int                 // arrays: the index of the next element
}

// duplicateKey reports the first object member of a JSON document whose
// key appeared before in the same object, as a JSON Pointer (RFC 6901) to
// it ("/user/page"), or found false when every key is unique. Keys compare
// exactly, as JSON Schema and JavaScript see them. An error reports a
// document that is not JSON.
//
// A JSON Schema validator sees one value per key (the last, for the
// decoders of Go and JavaScript) while the body stored is the raw text,
// so a duplicate key would let an unvalidated value through: the public
// endpoint refuses such bodies.
func duplicateKey(doc []byte) (pointer string, found bool, err error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var stack []keyFrame
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			if len(stack) > 0 {
				return "", false, io.ErrUnexpectedEOF
			}
			return "", false, nil
		}
		if err != nil {
			return "", false, err
		}
		if n := len(stack); n > 0 && stack[n-1].wantKey {
			top := &stack[n-1]
			if tok == json.Delim('}') {
				stack = endValue(stack[:n-1])
				continue
			}
			key, _ := tok.(string)
			top.seg, top.wantKey = escapePointer(key), false
			if _, dup := top.keys[key]; dup {
				return pointerOf(stack), true, nil
			}
			top.keys[key] = struct{}{}
			continue
		}
		if n := len(stack); n > 0 && !stack[n-1].object {
			stack[n-1].seg = strconv.Itoa(stack[n-1].index)
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, keyFrame{object: true, keys: map[string]struct{}{}, wantKey: true})
		case json.Delim('['):
			stack = append(stack, keyFrame{})
		case json.Delim(']'):
			stack = endValue(stack[:len(stack)-1])
		default:
			stack = endValue(stack)
		}
	}
}

// endValue moves the innermost frame past the value that just ended.
func endValue(stack []keyFrame) []keyFrame {
	if n := len(stack); n > 0 {
		if stack[n-1].object {
			stack[n-1].wantKey = true
		} else {
			stack[n-1].index++
		}
	}
	return stack
}

func pointerOf(stack []keyFrame) string {
	var b strings.Builder
	for _, f := range stack {
		b.WriteString("/")
		b.WriteString(f.seg)
	}
	return b.String()
}

// escapePointer escapes a key as a JSON Pointer reference token.
func escapePointer(key string) string {
	return strings.ReplaceAll(strings.ReplaceAll(key, "~", "~0"), "/", "~1")
}
