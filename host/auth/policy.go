package auth

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Decision is the outcome of evaluating a policy for one action on one
// resource, in IAM's three states.
type Decision int

// The decisions.
const (
	// ImplicitDeny: no statement allows the request (IAM's default).
	ImplicitDeny Decision = iota
	// Allow: a statement allows the request and none denies it.
	Allow
	// ExplicitDeny: a Deny statement matches; it wins over any Allow.
	ExplicitDeny
)

// String names the decision.
func (d Decision) String() string {
	switch d {
	case Allow:
		return "Allow"
	case ExplicitDeny:
		return "ExplicitDeny"
	default:
		return "ImplicitDeny"
	}
}

// Policy is a parsed identity-based IAM policy document, the subset of IAM's
// grammar that decides which actions a key may perform on which resources:
//
//	{
//	  "Version": "2012-10-17",
//	  "Statement": [
//	    {"Sid": "Produce", "Effect": "Allow", "Action": "firehose:Put*",
//	     "Resource": "arn:aws:firehose:*:*:deliverystream/clicks-*"},
//	    {"Effect": "Deny", "NotAction": ["firehose:Describe*", "firehose:List*"], "Resource": "*"}
//	  ]
//	}
//
// Statement is an object or a list. Each statement has an Effect (Allow or
// Deny), exactly one of Action and NotAction, and exactly one of Resource
// and NotResource, each a string or a list of strings. Actions are
// "service:Operation" patterns (or "*") matched without regard to case, as
// IAM does; resources are ARN patterns matched case-sensitively, segment by
// segment between the first five colons, or "*". In both, '*' matches any
// run of characters (within the segment, for ARNs) and '?' any one.
//
// A Policy is immutable and safe for concurrent use.
//
// # Notes
//
// Elements this evaluator cannot honour are refused when parsing instead of
// being ignored, since ignoring them would widen or narrow access silently:
// Condition, Principal and NotPrincipal (these belong to resource-based
// policies), policy variables such as ${aws:username}, and unknown members.
// A member given twice in one object is refused too.
type Policy struct {
	statements []statement
}

type statement struct {
	sid         string
	deny        bool
	notAction   bool
	actions     []string // lower-cased patterns
	notResource bool
	resources   []string
}

// ParsePolicy parses an IAM policy document (JSON). Every problem is
// reported with its place in the document; it never panics.
func ParsePolicy(doc []byte) (*Policy, error) {
	if err := noDuplicateMembers(doc); err != nil {
		return nil, fmt.Errorf("policy: %w", err)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(doc, &top); err != nil || top == nil {
		return nil, errors.New("policy: the document must be a JSON object")
	}
	var errs []error
	for k := range top {
		switch k {
		case "Version", "Id", "Statement":
		default:
			errs = append(errs, fmt.Errorf("unknown member %q (known: Version, Id, Statement)", k))
		}
	}
	if raw, ok := top["Version"]; ok {
		var v string
		if json.Unmarshal(raw, &v) != nil || (v != "2012-10-17" && v != "2008-10-17") {
			errs = append(errs, fmt.Errorf("Version: %s must be \"2012-10-17\" or \"2008-10-17\"", raw))
		}
	}
	if raw, ok := top["Id"]; ok {
		var id string
		if json.Unmarshal(raw, &id) != nil {
			errs = append(errs, errors.New("Id: must be a string"))
		}
	}
	var raws []json.RawMessage
	switch raw, ok := top["Statement"]; {
	case !ok:
		errs = append(errs, errors.New("Statement: required"))
	case bytes.HasPrefix(bytes.TrimSpace(raw), []byte("[")):
		if json.Unmarshal(raw, &raws) != nil {
			errs = append(errs, errors.New("Statement: must be an object or a list of objects"))
		} else if len(raws) == 0 {
			errs = append(errs, errors.New("Statement: the list must not be empty"))
		}
	default:
		raws = []json.RawMessage{raw}
	}
	p := &Policy{}
	for i, raw := range raws {
		st, err := parseStatement(raw)
		if err != nil {
			errs = append(errs, fmt.Errorf("Statement[%d]: %w", i, err))
			continue
		}
		p.statements = append(p.statements, st)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("policy: %w", err)
	}
	return p, nil
}

func parseStatement(raw json.RawMessage) (statement, error) {
	var st statement
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return st, errors.New("must be an object")
	}
	var errs []error
	for k := range m {
		switch k {
		case "Sid", "Effect", "Action", "NotAction", "Resource", "NotResource":
		case "Condition", "Principal", "NotPrincipal":
			errs = append(errs, fmt.Errorf("%s is not supported here (identity-based policies without conditions)", k))
		default:
			errs = append(errs, fmt.Errorf("unknown member %q", k))
		}
	}
	if raw, ok := m["Sid"]; ok {
		if json.Unmarshal(raw, &st.sid) != nil {
			errs = append(errs, errors.New("Sid: must be a string"))
		}
	}
	var effect string
	if raw, ok := m["Effect"]; !ok || json.Unmarshal(raw, &effect) != nil || (effect != "Allow" && effect != "Deny") {
		errs = append(errs, errors.New(`Effect: must be "Allow" or "Deny"`))
	}
	st.deny = effect == "Deny"

	var err error
	st.actions, st.notAction, err = patternList(m, "Action", "NotAction", checkAction)
	if err != nil {
		errs = append(errs, err)
	}
	for i, a := range st.actions {
		st.actions[i] = strings.ToLower(a)
	}
	st.resources, st.notResource, err = patternList(m, "Resource", "NotResource", checkResource)
	if err != nil {
		errs = append(errs, err)
	}
	return st, errors.Join(errs...)
}

// patternList reads exactly one of the members pos and neg, a string or a
// non-empty list of strings, and checks each.
func patternList(m map[string]json.RawMessage, pos, neg string, check func(string) error) ([]string, bool, error) {
	rp, hasPos := m[pos]
	rn, hasNeg := m[neg]
	name, raw, negated := pos, rp, false
	switch {
	case hasPos && hasNeg:
		return nil, false, fmt.Errorf("%s and %s: give one, not both", pos, neg)
	case !hasPos && !hasNeg:
		return nil, false, fmt.Errorf("%s or %s: required", pos, neg)
	case hasNeg:
		name, raw, negated = neg, rn, true
	}
	var list []string
	var one string
	if err := json.Unmarshal(raw, &one); err == nil {
		list = []string{one}
	} else if err := json.Unmarshal(raw, &list); err != nil || len(list) == 0 {
		return nil, false, fmt.Errorf("%s: must be a string or a non-empty list of strings", name)
	}
	var errs []error
	for _, s := range list {
		if err := check(s); err != nil {
			errs = append(errs, fmt.Errorf("%s: %q: %w", name, s, err))
		}
	}
	return list, negated, errors.Join(errs...)
}

func checkAction(a string) error {
	if a == "*" {
		return nil
	}
	svc, op, ok := strings.Cut(a, ":")
	if !ok || svc == "" || op == "" || strings.ContainsAny(svc, "*?") {
		return errors.New(`must be "service:Action" (wildcards * and ? in the action part) or "*"`)
	}
	return nil
}

func checkResource(r string) error {
	switch {
	case r == "*":
		return nil
	case strings.Contains(r, "${"):
		return errors.New("policy variables are not supported")
	case !strings.HasPrefix(r, "arn:") || strings.Count(r, ":") < 5:
		return errors.New(`must be an ARN (arn:partition:service:region:account:resource) or "*"`)
	}
	return nil
}

// Evaluate decides action (such as "firehose:PutRecord") on resource (an
// ARN, or "*" for actions that name no resource) by IAM's rules: an
// explicit Deny in any statement wins; otherwise an Allow in any statement
// allows; otherwise the request is implicitly denied.
func (p *Policy) Evaluate(action, resource string) Decision {
	d := ImplicitDeny
	for _, st := range p.statements {
		if !st.matches(action, resource) {
			continue
		}
		if st.deny {
			return ExplicitDeny
		}
		d = Allow
	}
	return d
}

func (st *statement) matches(action, resource string) bool {
	la := strings.ToLower(action)
	hit := false
	for _, pat := range st.actions {
		if glob(pat, la) {
			hit = true
			break
		}
	}
	if hit == st.notAction {
		return false
	}
	hit = false
	for _, pat := range st.resources {
		if matchARN(pat, resource) {
			hit = true
			break
		}
	}
	return hit != st.notResource
}

// matchARN matches an ARN pattern against an ARN: "*" matches anything;
// otherwise the first five colon-separated segments match one by one and
// the rest (the resource part, which may hold colons) as a whole, so a
// wildcard never spans a segment boundary.
func matchARN(pat, arn string) bool {
	if pat == "*" {
		return true
	}
	ps := strings.SplitN(pat, ":", 6)
	as := strings.SplitN(arn, ":", 6)
	if len(ps) != len(as) {
		return false
	}
	for i := range ps {
		if !glob(ps[i], as[i]) {
			return false
		}
	}
	return true
}

// glob reports whether s matches pattern, where '*' matches any run of
// bytes and '?' any one character. It runs in O(len(pattern)·len(s)) at
// worst: the greedy algorithm remembers only the last star.
func glob(pattern, s string) bool {
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && pattern[p] == '?':
			// '?' is one character, not one byte.
			_, n := utf8.DecodeRuneInString(s[i:])
			p, i = p+1, i+n
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case p < len(pattern) && pattern[p] == s[i]:
			p, i = p+1, i+1
		case star >= 0:
			_, n := utf8.DecodeRuneInString(s[mark:])
			mark += n
			p, i = star+1, mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// noDuplicateMembers walks a JSON document and refuses an object that
// names a member twice: encoding/json would keep the last silently, and a
// policy whose meaning depends on that is better refused.
func noDuplicateMembers(doc []byte) error {
	dec := json.NewDecoder(bytes.NewReader(doc))
	var walk func(depth int) error
	walk = func(depth int) error {
		if depth > 64 {
			return errors.New("the document nests too deeply")
		}
		t, err := dec.Token()
		if err != nil {
			return fmt.Errorf("not valid JSON: %w", err)
		}
		switch t {
		case json.Delim('{'):
			seen := map[string]bool{}
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return fmt.Errorf("not valid JSON: %w", err)
				}
				key, _ := k.(string)
				if seen[key] {
					return fmt.Errorf("member %q appears twice in one object", key)
				}
				seen[key] = true
				if err := walk(depth + 1); err != nil {
					return err
				}
			}
			_, err = dec.Token()
		case json.Delim('['):
			for dec.More() {
				if err := walk(depth + 1); err != nil {
					return err
				}
			}
			_, err = dec.Token()
		}
		if err != nil {
			return fmt.Errorf("not valid JSON: %w", err)
		}
		return nil
	}
	if err := walk(0); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("not valid JSON: data after the document")
	}
	return nil
}
