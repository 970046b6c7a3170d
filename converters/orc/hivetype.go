package orc

import (
	"fmt"
	"strconv"
	"strings"
)

// hiveType is a parsed Hive type string such as
// "map<string,struct<a:char(3),b:decimal(10,2)>>". The writer takes the
// column types from the Arrow schema and reads the Hive type (field metadata
// "hive.type") only for what Arrow does not carry: char and varchar lengths.
type hiveType struct {
	name     string // lower-case base name: int, char, array, struct, …
	params   []int  // char(n), varchar(n), decimal(p,s)
	children []*hiveType
	fields   []string // struct field names
}

// parseHiveType parses a Hive type string.
func parseHiveType(s string) (*hiveType, error) {
	p := hiveParser{s: s}
	t, err := p.parse(0)
	if err != nil {
		return nil, fmt.Errorf("orc: hive type %q: %w", s, err)
	}
	p.space()
	if p.i != len(p.s) {
		return nil, fmt.Errorf("orc: hive type %q: unexpected %q at %d", s, p.s[p.i:], p.i)
	}
	return t, nil
}

type hiveParser struct {
	s string
	i int
}

func (p *hiveParser) space() {
	for p.i < len(p.s) && p.s[p.i] == ' ' {
		p.i++
	}
}

func (p *hiveParser) eat(c byte) bool {
	p.space()
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *hiveParser) expect(c byte) error {
	if !p.eat(c) {
		return fmt.Errorf("expected %q at %d", c, p.i)
	}
	return nil
}

// word reads up to the next delimiter.
func (p *hiveParser) word() string {
	p.space()
	start := p.i
	for p.i < len(p.s) && !strings.ContainsRune("<>(),: ", rune(p.s[p.i])) {
		p.i++
	}
	return p.s[start:p.i]
}

const maxHiveDepth = 100

func (p *hiveParser) parse(depth int) (*hiveType, error) {
	if depth > maxHiveDepth {
		return nil, fmt.Errorf("nested deeper than %d", maxHiveDepth)
	}
	name := strings.ToLower(p.word())
	if name == "" {
		return nil, fmt.Errorf("expected a type at %d", p.i)
	}
	t := &hiveType{name: name}
	switch name {
	case "array":
		if err := p.expect('<'); err != nil {
			return nil, err
		}
		c, err := p.parse(depth + 1)
		if err != nil {
			return nil, err
		}
		t.children = []*hiveType{c}
		return t, p.expect('>')
	case "map":
		if err := p.expect('<'); err != nil {
			return nil, err
		}
		k, err := p.parse(depth + 1)
		if err != nil {
			return nil, err
		}
		if err := p.expect(','); err != nil {
			return nil, err
		}
		v, err := p.parse(depth + 1)
		if err != nil {
			return nil, err
		}
		t.children = []*hiveType{k, v}
		return t, p.expect('>')
	case "struct":
		if err := p.expect('<'); err != nil {
			return nil, err
		}
		if p.eat('>') {
			return t, nil
		}
		for {
			f := p.word()
			if f == "" {
				return nil, fmt.Errorf("expected a field name at %d", p.i)
			}
			if err := p.expect(':'); err != nil {
				return nil, err
			}
			c, err := p.parse(depth + 1)
			if err != nil {
				return nil, err
			}
			t.fields = append(t.fields, strings.ToLower(f))
			t.children = append(t.children, c)
			if p.eat('>') {
				return t, nil
			}
			if err := p.expect(','); err != nil {
				return nil, err
			}
		}
	}
	if p.eat('(') {
		for {
			w := p.word()
			n, err := strconv.Atoi(w)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("bad parameter %q of %s", w, name)
			}
			t.params = append(t.params, n)
			if p.eat(')') {
				break
			}
			if err := p.expect(','); err != nil {
				return nil, err
			}
		}
	}
	return t, nil
}
