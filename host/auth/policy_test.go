package auth_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/wasmhose/wasmhose/host/apierror"
	"github.com/wasmhose/wasmhose/host/auth"
)

const (
	clicksARN = "arn:aws:firehose:us-east-1:000000000000:deliverystream/clicks"
	ordersARN = "arn:aws:firehose:us-east-1:000000000000:deliverystream/orders"
)

func mustPolicy(t testing.TB, doc string) *auth.Policy {
	t.Helper()
	p, err := auth.ParsePolicy([]byte(doc))
	if err != nil {
		t.Fatalf("ParsePolicy: %v\n%s", err, doc)
	}
	return p
}

func TestPolicyEvaluate(t *testing.T) {
	tests := []struct {
		name     string
		policy   string
		action   string
		resource string
		exp      auth.Decision
	}{
		{"allow exact", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"firehose:PutRecord","Resource":"` + clicksARN + `"}}`,
			"firehose:PutRecord", clicksARN, auth.Allow},
		{"other action is implicitly denied", `{"Statement":{"Effect":"Allow","Action":"firehose:PutRecord","Resource":"*"}}`,
			"firehose:PutRecordBatch", clicksARN, auth.ImplicitDeny},
		{"other resource is implicitly denied", `{"Statement":{"Effect":"Allow","Action":"firehose:PutRecord","Resource":"` + clicksARN + `"}}`,
			"firehose:PutRecord", ordersARN, auth.ImplicitDeny},
		{"action wildcard", `{"Statement":{"Effect":"Allow","Action":"firehose:Put*","Resource":"*"}}`,
			"firehose:PutRecordBatch", clicksARN, auth.Allow},
		{"action wildcard does not reach other prefixes", `{"Statement":{"Effect":"Allow","Action":"firehose:Put*","Resource":"*"}}`,
			"firehose:DeleteDeliveryStream", clicksARN, auth.ImplicitDeny},
		{"action question mark", `{"Statement":{"Effect":"Allow","Action":"firehose:PutRecor?","Resource":"*"}}`,
			"firehose:PutRecord", clicksARN, auth.Allow},
		{"action match ignores case", `{"Statement":{"Effect":"Allow","Action":"FIREHOSE:putrecord","Resource":"*"}}`,
			"firehose:PutRecord", clicksARN, auth.Allow},
		{"star action", `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`,
			"glue:CreateTable", "arn:aws:glue:us-east-1:000000000000:table/db/t", auth.Allow},
		{"service wildcard only covers its service", `{"Statement":{"Effect":"Allow","Action":"firehose:*","Resource":"*"}}`,
			"glue:CreateTable", "arn:aws:glue:us-east-1:000000000000:catalog", auth.ImplicitDeny},
		{"resource wildcard", `{"Statement":{"Effect":"Allow","Action":"firehose:*","Resource":"arn:aws:firehose:*:*:deliverystream/cl*"}}`,
			"firehose:DescribeDeliveryStream", clicksARN, auth.Allow},
		{"resource wildcard misses", `{"Statement":{"Effect":"Allow","Action":"firehose:*","Resource":"arn:aws:firehose:*:*:deliverystream/cl*"}}`,
			"firehose:DescribeDeliveryStream", ordersARN, auth.ImplicitDeny},
		{"resource match is case-sensitive", `{"Statement":{"Effect":"Allow","Action":"firehose:*","Resource":"arn:aws:firehose:*:*:deliverystream/Clicks"}}`,
			"firehose:PutRecord", clicksARN, auth.ImplicitDeny},
		{"resource wildcard stays in its segment", `{"Statement":{"Effect":"Allow","Action":"glue:*","Resource":"arn:aws:*:000000000000:table/db:t"}}`,
			"glue:GetTable", "arn:aws:glue:us-east-1:000000000000:table/db:t", auth.ImplicitDeny},
		{"resource part may hold colons", `{"Statement":{"Effect":"Allow","Action":"glue:*","Resource":"arn:aws:glue:us-east-1:000000000000:table/*"}}`,
			"glue:GetTable", "arn:aws:glue:us-east-1:000000000000:table/db:x/t", auth.Allow},
		{"star resource covers a no-resource action", `{"Statement":{"Effect":"Allow","Action":"firehose:List*","Resource":"*"}}`,
			"firehose:ListDeliveryStreams", "*", auth.Allow},
		{"an ARN pattern does not cover '*'", `{"Statement":{"Effect":"Allow","Action":"firehose:*","Resource":"arn:aws:firehose:*:*:*"}}`,
			"firehose:ListDeliveryStreams", "*", auth.ImplicitDeny},
		{"explicit deny wins", `{"Statement":[
				{"Effect":"Allow","Action":"firehose:*","Resource":"*"},
				{"Effect":"Deny","Action":"firehose:Delete*","Resource":"` + clicksARN + `"}]}`,
			"firehose:DeleteDeliveryStream", clicksARN, auth.ExplicitDeny},
		{"deny elsewhere leaves the allow", `{"Statement":[
				{"Effect":"Allow","Action":"firehose:*","Resource":"*"},
				{"Effect":"Deny","Action":"firehose:Delete*","Resource":"` + clicksARN + `"}]}`,
			"firehose:DeleteDeliveryStream", ordersARN, auth.Allow},
		{"deny alone is still a deny", `{"Statement":{"Effect":"Deny","Action":"*","Resource":"*"}}`,
			"firehose:PutRecord", clicksARN, auth.ExplicitDeny},
		{"NotAction allows everything else", `{"Statement":{"Effect":"Allow","NotAction":["firehose:Delete*","firehose:Update*"],"Resource":"*"}}`,
			"firehose:PutRecord", clicksARN, auth.Allow},
		{"NotAction leaves the listed actions out", `{"Statement":{"Effect":"Allow","NotAction":["firehose:Delete*","firehose:Update*"],"Resource":"*"}}`,
			"firehose:DeleteDeliveryStream", clicksARN, auth.ImplicitDeny},
		{"Deny with NotAction denies all but the listed", `{"Statement":[
				{"Effect":"Allow","Action":"*","Resource":"*"},
				{"Effect":"Deny","NotAction":"firehose:Describe*","Resource":"*"}]}`,
			"firehose:PutRecord", clicksARN, auth.ExplicitDeny},
		{"Deny with NotAction spares the listed", `{"Statement":[
				{"Effect":"Allow","Action":"*","Resource":"*"},
				{"Effect":"Deny","NotAction":"firehose:Describe*","Resource":"*"}]}`,
			"firehose:DescribeDeliveryStream", clicksARN, auth.Allow},
		{"NotResource allows other resources", `{"Statement":{"Effect":"Allow","Action":"firehose:*","NotResource":"` + ordersARN + `"}}`,
			"firehose:PutRecord", clicksARN, auth.Allow},
		{"NotResource leaves the listed out", `{"Statement":{"Effect":"Allow","Action":"firehose:*","NotResource":"` + ordersARN + `"}}`,
			"firehose:PutRecord", ordersARN, auth.ImplicitDeny},
		{"Deny with NotResource protects all but one", `{"Statement":[
				{"Effect":"Allow","Action":"firehose:*","Resource":"*"},
				{"Effect":"Deny","Action":"firehose:*","NotResource":"arn:aws:firehose:*:*:deliverystream/sandbox-*"}]}`,
			"firehose:DeleteDeliveryStream", clicksARN, auth.ExplicitDeny},
		{"Deny with NotResource spares the sandbox", `{"Statement":[
				{"Effect":"Allow","Action":"firehose:*","Resource":"*"},
				{"Effect":"Deny","Action":"firehose:*","NotResource":"arn:aws:firehose:*:*:deliverystream/sandbox-*"}]}`,
			"firehose:DeleteDeliveryStream", "arn:aws:firehose:us-east-1:000000000000:deliverystream/sandbox-1", auth.Allow},
		{"lists of actions and resources", `{"Statement":[{"Sid":"p","Effect":"Allow",
				"Action":["firehose:PutRecord","firehose:PutRecordBatch"],
				"Resource":["` + ordersARN + `","` + clicksARN + `"]}]}`,
			"firehose:PutRecordBatch", clicksARN, auth.Allow},
		{"star in the middle", `{"Statement":{"Effect":"Allow","Action":"firehose:*Stream*","Resource":"*"}}`,
			"firehose:ListTagsForDeliveryStream", clicksARN, auth.Allow},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustPolicy(t, tt.policy)
			if got := p.Evaluate(tt.action, tt.resource); got != tt.exp {
				t.Fatalf("Evaluate(%s, %s) = %s, want %s", tt.action, tt.resource, got, tt.exp)
			}
		})
	}
}

func TestParsePolicyErrors(t *testing.T) {
	tests := []struct {
		name, doc, expErr string
	}{
		{"not an object", `[]`, "must be a JSON object"},
		{"not JSON", `{"Statement":`, "not valid JSON"},
		{"trailing data", `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}} x`, "data after the document"},
		{"no statement", `{"Version":"2012-10-17"}`, "Statement: required"},
		{"empty statement list", `{"Statement":[]}`, "must not be empty"},
		{"bad version", `{"Version":"2020-01-01","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`, "Version"},
		{"unknown top member", `{"Statements":[]}`, `unknown member "Statements"`},
		{"bad effect", `{"Statement":{"Effect":"allow","Action":"*","Resource":"*"}}`, `Statement[0]: Effect: must be "Allow" or "Deny"`},
		{"no action", `{"Statement":{"Effect":"Allow","Resource":"*"}}`, "Action or NotAction: required"},
		{"both actions", `{"Statement":{"Effect":"Allow","Action":"*","NotAction":"*","Resource":"*"}}`, "give one, not both"},
		{"no resource", `{"Statement":{"Effect":"Allow","Action":"*"}}`, "Resource or NotResource: required"},
		{"empty action list", `{"Statement":{"Effect":"Allow","Action":[],"Resource":"*"}}`, "non-empty list"},
		{"action not a string", `{"Statement":{"Effect":"Allow","Action":[1],"Resource":"*"}}`, "non-empty list of strings"},
		{"action without service", `{"Statement":{"Effect":"Allow","Action":"PutRecord","Resource":"*"}}`, `"service:Action"`},
		{"wildcard service", `{"Statement":{"Effect":"Allow","Action":"fire*:PutRecord","Resource":"*"}}`, `"service:Action"`},
		{"resource not an ARN", `{"Statement":{"Effect":"Allow","Action":"*","Resource":"clicks"}}`, "must be an ARN"},
		{"policy variable", `{"Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:firehose:*:*:deliverystream/${aws:username}"}}`, "policy variables"},
		{"condition", `{"Statement":{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}}`, "Condition is not supported"},
		{"principal", `{"Statement":{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}}`, "Principal is not supported"},
		{"unknown statement member", `{"Statement":{"Effect":"Allow","Actions":"*","Resource":"*"}}`, `unknown member "Actions"`},
		{"duplicate member", `{"Statement":{"Effect":"Deny","Effect":"Allow","Action":"*","Resource":"*"}}`, `"Effect" appears twice`},
		{"statement not an object", `{"Statement":["x"]}`, "Statement[0]: must be an object"},
		{"second statement named", `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Allow","Action":"*"}]}`, "Statement[1]: Resource or NotResource"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := auth.ParsePolicy([]byte(tt.doc))
			if err == nil || !strings.Contains(err.Error(), tt.expErr) {
				t.Fatalf("ParsePolicy = %v, want an error containing %q", err, tt.expErr)
			}
		})
	}
}

func TestAuthorize(t *testing.T) {
	producer := mustPolicy(t, `{"Statement":[
		{"Effect":"Allow","Action":["firehose:Put*","firehose:Describe*"],"Resource":"arn:aws:firehose:*:*:deliverystream/clicks"},
		{"Effect":"Deny","Action":"firehose:PutRecordBatch","Resource":"*"}]}`)
	a, err := auth.NewAuthorizer("us-east-1", "000000000000", []auth.Principal{
		{AccessKeyID: "AKIDADMIN"},
		{AccessKeyID: "AKIDPRODUCER", Name: "producer", Policy: producer},
		{AccessKeyID: "AKIDANON", Policy: producer},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := a.ARN("firehose", "deliverystream/clicks"); got != clicksARN {
		t.Fatalf("ARN = %s", got)
	}
	tests := []struct {
		name, key, action string
		resources         []string
		expMsg            string // "" means allowed
	}{
		{"no policy is full access", "AKIDADMIN", "firehose:DeleteDeliveryStream", []string{clicksARN}, ""},
		{"allowed", "AKIDPRODUCER", "firehose:PutRecord", []string{clicksARN}, ""},
		{"no resource means star", "AKIDPRODUCER", "firehose:ListDeliveryStreams", nil,
			"User: arn:aws:iam::000000000000:user/producer is not authorized to perform: firehose:ListDeliveryStreams on resource: * because no identity-based policy allows the firehose:ListDeliveryStreams action"},
		{"implicit deny", "AKIDPRODUCER", "firehose:PutRecord", []string{ordersARN},
			"User: arn:aws:iam::000000000000:user/producer is not authorized to perform: firehose:PutRecord on resource: " + ordersARN + " because no identity-based policy allows the firehose:PutRecord action"},
		{"explicit deny", "AKIDPRODUCER", "firehose:PutRecordBatch", []string{clicksARN},
			"User: arn:aws:iam::000000000000:user/producer is not authorized to perform: firehose:PutRecordBatch on resource: " + clicksARN + " with an explicit deny in an identity-based policy"},
		{"every resource must pass", "AKIDPRODUCER", "firehose:PutRecord", []string{clicksARN, ordersARN},
			"on resource: " + ordersARN + " because"},
		{"without a name the key is the user", "AKIDANON", "firehose:PutRecord", []string{ordersARN},
			"User: arn:aws:iam::000000000000:user/AKIDANON is not authorized"},
		{"unknown key", "AKIDNOBODY", "firehose:PutRecord", []string{clicksARN}, "user/AKIDNOBODY is not authorized"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := a.Authorize(tt.key, tt.action, tt.resources...)
			if tt.expMsg == "" {
				if err != nil {
					t.Fatalf("Authorize = %v, want nil", err)
				}
				return
			}
			var ae *apierror.Error
			if !errors.As(err, &ae) || ae.Type != apierror.TypeAccessDenied || ae.Status != http.StatusBadRequest || !strings.Contains(ae.Message, tt.expMsg) {
				t.Fatalf("Authorize = %v, want AccessDeniedException (400) containing %q", err, tt.expMsg)
			}
		})
	}
	if _, err := auth.NewAuthorizer("r", "a", []auth.Principal{{AccessKeyID: "x"}, {AccessKeyID: "x"}}); err == nil {
		t.Fatal("NewAuthorizer accepted a key twice")
	}
}

// FuzzPolicy: parsing any document and evaluating any request never
// panics; an accepted policy decides the same request the same way twice,
// and a policy allowing everything allows whatever was fuzzed.
func FuzzPolicy(f *testing.F) {
	f.Add(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"firehose:Put*","Resource":"arn:aws:firehose:*:*:deliverystream/c*"}}`,
		"firehose:PutRecord", clicksARN)
	f.Add(`{"Statement":[{"Effect":"Deny","NotAction":"firehose:?ut*","NotResource":["*"]},{"Effect":"Allow","Action":"*","Resource":"*"}]}`,
		"FIREHOSE:putrecordbatch", "*")
	f.Add(`{"Statement":{"Effect":"Allow","Action":"a:**?*","Resource":"arn:*:*:*:*:*:*"}}`, "a:\xff\xfe", "arn:::::")
	f.Add(`{"Statement":[[[[{}]]]]}`, "", "")
	f.Fuzz(func(t *testing.T, doc, action, resource string) {
		p, err := auth.ParsePolicy([]byte(doc))
		if err != nil {
			return
		}
		if d1, d2 := p.Evaluate(action, resource), p.Evaluate(action, resource); d1 != d2 {
			t.Fatalf("Evaluate is not deterministic: %s then %s", d1, d2)
		}
		all := mustPolicy(t, `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`)
		if d := all.Evaluate(action, resource); d != auth.Allow {
			t.Fatalf("allow-all policy gave %s for %q on %q", d, action, resource)
		}
	})
}

// FuzzVerifyQuery: the presigned query-string form never panics the
// Verifier and any failure is an API error in AWS's shape; a fuzzed query
// never verifies.
func FuzzVerifyQuery(f *testing.F) {
	good := presign(f, newReq(body), body, 300, signOpts{})
	f.Add(good.URL.RawQuery)
	f.Add("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a%2Fb%2Fc%2Fd%2Faws4_request&X-Amz-Date=x&X-Amz-SignedHeaders=host&X-Amz-Signature=00")
	f.Add("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=-1")
	f.Add("X-Amz-Signature=&X-Amz-Credential=%zz")
	v := verifier(f, signedAt, "us-east-1")
	f.Fuzz(func(t *testing.T, query string) {
		r := httptest.NewRequest(http.MethodPost, "http://firehose.local:4573/", strings.NewReader(body))
		r.URL.RawQuery = query
		r.Header.Set("Content-Type", "application/x-amz-json-1.1")
		r.Header.Set("X-Amz-Target", "Firehose_20150804.PutRecord")
		_, err := v.Verify(r, []byte(body))
		if err == nil {
			if query != good.URL.RawQuery {
				// Only a query equal in meaning to the signed one may pass.
				if r.URL.Query().Get("X-Amz-Signature") != good.URL.Query().Get("X-Amz-Signature") {
					t.Fatalf("a fuzzed query verified: %q", query)
				}
			}
			return
		}
		var ae *apierror.Error
		if !errors.As(err, &ae) || ae.Status < 400 || ae.Status >= 500 {
			t.Fatalf("error %v is not a client error in AWS's shape", err)
		}
	})
}

// BenchmarkAuthorize is the per-request cost of a policy check: a
// three-statement policy with wildcards, allowed and explicitly denied.
func BenchmarkAuthorize(b *testing.B) {
	p := mustPolicy(b, `{"Statement":[
		{"Effect":"Allow","Action":["firehose:Put*","firehose:Describe*"],"Resource":"arn:aws:firehose:*:*:deliverystream/click*"},
		{"Effect":"Allow","Action":"firehose:List*","Resource":"*"},
		{"Effect":"Deny","Action":"firehose:PutRecordBatch","NotResource":"arn:aws:firehose:*:*:deliverystream/clicks"}]}`)
	a, err := auth.NewAuthorizer("us-east-1", "000000000000", []auth.Principal{{AccessKeyID: "AKID", Policy: p}})
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name, action, resource string
		allowed                bool
	}{
		{"allow", "firehose:PutRecordBatch", clicksARN, true},
		{"deny", "firehose:PutRecordBatch", "arn:aws:firehose:us-east-1:000000000000:deliverystream/clickstream", false},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := a.Authorize("AKID", bc.action, bc.resource); (err == nil) != bc.allowed {
					b.Fatal(err)
				}
			}
		})
	}
}
