package api

import (
	"encoding/base64"
)

// decodeBatchFast parses the common shape of a PutRecordBatch body,
//
//	{"DeliveryStreamName":"name","Records":[{"Data":"base64"},...]}
//
// in one pass, without encoding/json's separate validation pass and with one
// allocation for all record bytes. It accepts members in any order and JSON
// whitespace anywhere. Anything else (escapes, other members, other key
// cases, duplicates, nulls) returns ok=false and the caller falls back to
// encoding/json, so the fast path never decides a request differently: when
// it accepts, the result equals json.Unmarshal's (FuzzDecodeBatchFast checks
// that).
func decodeBatchFast(b []byte) (in putRecordBatchInput, ok bool) {
	p := parser{b: b}
	p.ws()
	if !p.lit('{') {
		return in, false
	}
	var haveName, haveRecords bool
	type span struct{ s, e int }
	var datas []span
	total := 0
	for first := true; ; first = false {
		p.ws()
		if p.lit('}') {
			break
		}
		if !first && !p.lit(',') {
			return in, false
		}
		p.ws()
		key, okk := p.str()
		if !okk {
			return in, false
		}
		p.ws()
		if !p.lit(':') {
			return in, false
		}
		p.ws()
		switch string(key) {
		case "DeliveryStreamName":
			if haveName {
				return in, false
			}
			v, okv := p.str()
			if !okv {
				return in, false
			}
			name := string(v)
			in.DeliveryStreamName = &name
			haveName = true
		case "Records":
			if haveRecords || !p.lit('[') {
				return in, false
			}
			haveRecords = true
			p.ws()
			if p.lit(']') {
				in.Records = []record{}
				continue
			}
			for {
				p.ws()
				if !p.lit('{') {
					return in, false
				}
				p.ws()
				k, okk := p.str()
				if !okk || string(k) != "Data" {
					return in, false
				}
				p.ws()
				if !p.lit(':') {
					return in, false
				}
				p.ws()
				s := p.i
				if _, okv := p.str(); !okv {
					return in, false
				}
				datas = append(datas, span{s + 1, p.i - 1})
				total += base64.StdEncoding.DecodedLen(p.i - 1 - (s + 1))
				p.ws()
				if !p.lit('}') {
					return in, false
				}
				p.ws()
				if p.lit(']') {
					break
				}
				if !p.lit(',') {
					return in, false
				}
			}
		default:
			return in, false
		}
	}
	p.ws()
	if p.i != len(b) {
		return in, false
	}
	if haveRecords && in.Records == nil {
		slab := make([]byte, total)
		in.Records = make([]record, len(datas))
		off := 0
		for i, d := range datas {
			dst := slab[off : off : off+base64.StdEncoding.DecodedLen(d.e-d.s)]
			n, err := base64.StdEncoding.Decode(dst[:cap(dst)], b[d.s:d.e])
			if err != nil {
				return putRecordBatchInput{}, false
			}
			in.Records[i] = record{Data: dst[:n:n]}
			off += n
		}
	}
	return in, true
}

// parser is a cursor over a JSON document for decodeBatchFast.
type parser struct {
	b []byte
	i int
}

func (p *parser) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *parser) lit(c byte) bool {
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

// str reads a JSON string with no escapes and only printable ASCII, and
// returns its contents; anything else is left to encoding/json.
func (p *parser) str() ([]byte, bool) {
	if !p.lit('"') {
		return nil, false
	}
	s := p.i
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			v := p.b[s:p.i]
			p.i++
			return v, true
		case c == '\\' || c < 0x20 || c >= 0x80:
			return nil, false
		}
		p.i++
	}
	return nil, false
}
