// Package auth verifies AWS Signature Version 4 on Firehose API requests.
//
// A Verifier holds the access keys from the configuration and checks both
// forms of SigV4: the Authorization header and the presigned query string
// (X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date, X-Amz-SignedHeaders,
// X-Amz-Signature, X-Amz-Expires). It never computes the HMAC chain itself:
// it rebuilds a copy of the received request holding only the headers the
// client signed, re-signs that copy with aws-sdk-go-v2's aws/signer/v4 and
// the stored secret, and compares the two signatures with hmac.Equal.
//
// Every failure is an *apierror.Error in the shape AWS answers with:
//
//   - no signature at all: MissingAuthenticationTokenException (403)
//   - a malformed Authorization header or query: IncompleteSignatureException (400)
//   - an access key not in the configuration: UnrecognizedClientException (400)
//   - a signature that leaves x-amz-target or x-amz-date out of its
//     SignedHeaders (Options.SignedHeaders; a presigned URL's X-Amz-Date is
//     in its signed query), a wrong service or region in the credential
//     scope, a scope date that is not the X-Amz-Date day, a clock outside
//     the skew window, an expired presigned URL, a payload hash mismatch or
//     a wrong signature: InvalidSignatureException (400)
//
// # Notes
//
// The payload hash is always computed over the received body; a request
// signed with X-Amz-Content-Sha256: UNSIGNED-PAYLOAD is refused. Only the
// X-Amz-Date header (or query parameter) dates a request, not Date. Headers
// the SDK signer never signs (User-Agent, X-Amzn-Trace-Id, Expect,
// Transfer-Encoding) cannot be verified, so a request that lists one in
// SignedHeaders fails with InvalidSignatureException; the AWS SDKs and CLI
// never sign them. Session tokens are not supported: the configuration
// holds long-term keys only. A presigned URL must carry X-Amz-Target as a
// signed header, not hoisted into the query (aws-sdk-go-v2:
// SignerOptions.DisableHeaderHoisting); otherwise one URL could be replayed
// as any operation.
package auth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/wasmhose/wasmhose/host/apierror"
)

// Algorithm is the only signing algorithm accepted.
const Algorithm = "AWS4-HMAC-SHA256"

// DefaultService is the service name a credential scope must carry.
const DefaultService = "firehose"

// DefaultClockSkew is how far X-Amz-Date may be from the server's clock,
// the AWS rule.
const DefaultClockSkew = 5 * time.Minute

// maxPresignExpires is the longest X-Amz-Expires AWS accepts (7 days).
const maxPresignExpires = 7 * 24 * 60 * 60

// amzDateFormat is the ISO 8601 basic format of X-Amz-Date.
const amzDateFormat = "20060102T150405Z"

// Messages AWS answers with.
const (
	msgMissingToken    = "Missing Authentication Token"
	msgUnrecognized    = "The security token included in the request is invalid."
	msgSignatureDiffer = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)

// Key is one access key a client may sign with.
type Key struct {
	// AccessKeyID identifies the key (the Credential's first part).
	AccessKeyID string
	// SecretAccessKey signs requests.
	SecretAccessKey string
}

// Options configure a Verifier.
type Options struct {
	// Keys are the accepted access keys; at least one is required.
	Keys []Key
	// Service is the service name the credential scope must carry
	// (default "firehose"; AWS's published test vectors use "service").
	Service string
	// Region, when not empty, is the only region the credential scope may
	// name, as AWS refuses a request scoped to another region. Empty
	// accepts any region (the signature still covers the region signed).
	Region string
	// ClockSkew is how far X-Amz-Date may be from Now (default 5 minutes).
	ClockSkew time.Duration
	// Now is the clock (default time.Now); tests inject one.
	Now func() time.Time
	// SignedHeaders are the lower-case headers every signature must cover
	// besides host (always required). Nil means DefaultSignedHeaders. A
	// presigned URL covers x-amz-date through its X-Amz-Date query
	// parameter, which is always signed.
	SignedHeaders []string
}

// DefaultSignedHeaders are the headers a signature must cover by default,
// as AWS's JSON 1.1 services require: x-amz-date, so a captured signature
// cannot be replayed outside its clock window under another date, and
// x-amz-target, so a signature for one operation cannot be replayed as
// another. The AWS SDKs and CLI sign both.
var DefaultSignedHeaders = []string{"x-amz-date", "x-amz-target"}

// Verifier checks SigV4 signatures. It is safe for concurrent use.
type Verifier struct {
	keys     map[string]string
	required []string
	service  string
	region   string
	skew     time.Duration
	now      func() time.Time
	signer   *v4.Signer
}

// New returns a Verifier for o. It fails when there is no key, a key has
// an empty ID or secret, or an ID appears twice.
func New(o Options) (*Verifier, error) {
	if len(o.Keys) == 0 {
		return nil, errors.New("auth: no access keys")
	}
	keys := make(map[string]string, len(o.Keys))
	for i, k := range o.Keys {
		if k.AccessKeyID == "" || k.SecretAccessKey == "" {
			return nil, fmt.Errorf("auth: key %d: accessKeyId and secretAccessKey must not be empty", i)
		}
		if strings.ContainsAny(k.AccessKeyID, "/ ,=") {
			return nil, fmt.Errorf("auth: key %d: accessKeyId %q must not contain '/', ',', '=' or spaces", i, k.AccessKeyID)
		}
		if _, dup := keys[k.AccessKeyID]; dup {
			return nil, fmt.Errorf("auth: key %d: accessKeyId %q appears twice", i, k.AccessKeyID)
		}
		keys[k.AccessKeyID] = k.SecretAccessKey
	}
	required := DefaultSignedHeaders
	if o.SignedHeaders != nil {
		required = o.SignedHeaders
	}
	for _, h := range required {
		if h != strings.ToLower(h) || h == "" {
			return nil, fmt.Errorf("auth: required signed header %q must be a lower-case header name", h)
		}
	}
	v := &Verifier{keys: keys, required: slices.Clone(required), service: o.Service, region: o.Region, skew: o.ClockSkew, now: o.Now,
		signer: v4.NewSigner(func(so *v4.SignerOptions) { so.DisableHeaderHoisting = true })}
	if v.service == "" {
		v.service = DefaultService
	}
	if v.skew <= 0 {
		v.skew = DefaultClockSkew
	}
	if v.now == nil {
		v.now = time.Now
	}
	return v, nil
}

// Credential is the parsed Credential of a signature:
// AccessKeyID/Date/Region/Service/aws4_request.
type Credential struct {
	// AccessKeyID names the signing key.
	AccessKeyID string
	// Date is the scope's day, YYYYMMDD.
	Date string
	// Region is the scope's region.
	Region string
	// Service is the scope's service.
	Service string
}

// Authorization is a parsed SigV4 Authorization header.
type Authorization struct {
	// Credential is the credential scope with the access key.
	Credential Credential
	// SignedHeaders are the lower-case names of the signed headers, in order.
	SignedHeaders []string
	// Signature is the hex signature.
	Signature string
}

// ParseAuthorization parses an Authorization header of the form
//
//	AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/firehose/aws4_request, SignedHeaders=host;x-amz-date, Signature=<64 hex>
//
// A malformed header is an IncompleteSignatureException naming every
// problem; it never panics.
func ParseAuthorization(h string) (Authorization, error) {
	var a Authorization
	alg, rest, _ := strings.Cut(strings.TrimSpace(h), " ")
	if alg != Algorithm {
		return a, incomplete("Unsupported AWS 'algorithm': '%s'. Only %s is accepted.", alg, Algorithm)
	}
	params := map[string]string{}
	for part := range strings.SplitSeq(rest, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, val, ok := strings.Cut(part, "=")
		if !ok {
			return a, incomplete("'%s' not a valid key=value pair (missing equal-sign) in Authorization header: '%s'.", part, h)
		}
		if _, dup := params[k]; dup {
			return a, incomplete("Authorization header has the '%s' parameter twice: '%s'.", k, h)
		}
		params[k] = val
	}
	var missing []string
	for _, k := range []string{"Credential", "SignedHeaders", "Signature"} {
		if _, ok := params[k]; !ok {
			missing = append(missing, fmt.Sprintf("Authorization header requires '%s' parameter.", k))
		}
	}
	if len(missing) > 0 {
		return a, incomplete("%s Authorization=%s", strings.Join(missing, " "), h)
	}
	var err error
	if a.Credential, err = parseCredential(params["Credential"]); err != nil {
		return a, err
	}
	if a.SignedHeaders, err = parseSignedHeaders(params["SignedHeaders"]); err != nil {
		return a, err
	}
	if a.Signature, err = parseSignature(params["Signature"]); err != nil {
		return a, err
	}
	return a, nil
}

func parseCredential(s string) (Credential, error) {
	parts := strings.Split(s, "/")
	if len(parts) != 5 || parts[4] != "aws4_request" {
		return Credential{}, incomplete("Credential '%s' must be AccessKeyId/YYYYMMDD/region/service/aws4_request.", s)
	}
	for _, p := range parts[:4] {
		if p == "" {
			return Credential{}, incomplete("Credential '%s' has an empty part.", s)
		}
	}
	if _, err := time.Parse("20060102", parts[1]); err != nil {
		return Credential{}, incomplete("Credential '%s': the date '%s' must be YYYYMMDD.", s, parts[1])
	}
	return Credential{AccessKeyID: parts[0], Date: parts[1], Region: parts[2], Service: parts[3]}, nil
}

func parseSignedHeaders(s string) ([]string, error) {
	if s == "" {
		return nil, incomplete("SignedHeaders must not be empty.")
	}
	hs := strings.Split(s, ";")
	for i, h := range hs {
		if h == "" || h != strings.ToLower(h) || strings.ContainsAny(h, " \t:") {
			return nil, incomplete("SignedHeaders '%s' must be lower-case header names separated by ';'.", s)
		}
		if i > 0 && hs[i-1] >= h {
			return nil, incomplete("SignedHeaders '%s' must be sorted, without repeats.", s)
		}
	}
	if !contains(hs, "host") {
		return nil, incomplete("SignedHeaders '%s' must include 'host'.", s)
	}
	return hs, nil
}

func parseSignature(s string) (string, error) {
	if len(s) != 2*sha256.Size {
		return "", incomplete("Signature '%s' must be %d hex digits.", s, 2*sha256.Size)
	}
	if _, err := hex.DecodeString(s); err != nil {
		return "", incomplete("Signature '%s' must be hex digits.", s)
	}
	return strings.ToLower(s), nil
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// signed is what both forms have once parsed.
type signed struct {
	auth    Authorization
	date    time.Time
	dateStr string
	expires int // presigned only; 0: none given
	presign bool
	query   url.Values
}

// Verify checks the signature of r, whose body (already read) is body, and
// returns the access key it was signed with. Errors are *apierror.Error
// values in AWS's shapes. r's body is not read.
func (v *Verifier) Verify(r *http.Request, body []byte) (accessKeyID string, err error) {
	s, err := v.parse(r)
	if err != nil {
		return "", err
	}
	if err := v.checkSignedHeaders(s); err != nil {
		return "", err
	}
	c := s.auth.Credential
	if c.Service != v.service {
		return "", invalid("Credential should be scoped to correct service: '%s'.", v.service)
	}
	if v.region != "" && c.Region != v.region {
		return "", invalid("Credential should be scoped to a valid region, not '%s'.", c.Region)
	}
	if c.Date != s.dateStr[:8] {
		return "", invalid("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from 'X-Amz-Date'.", c.Date, s.dateStr[:8])
	}
	if err := v.checkTime(s); err != nil {
		return "", err
	}
	secret, ok := v.keys[c.AccessKeyID]
	if !ok {
		return "", apierror.New(apierror.TypeUnrecognizedClient, "%s", msgUnrecognized)
	}
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	if h := r.Header.Get("X-Amz-Content-Sha256"); h != "" && h != hash {
		return "", invalid("The provided 'x-amz-content-sha256' header does not match what was computed.")
	}
	got, gotHeaders, err := v.resign(r.Context(), r, s, secret, hash)
	if err != nil {
		return "", err
	}
	if gotHeaders != strings.Join(s.auth.SignedHeaders, ";") || !hmac.Equal([]byte(got), []byte(s.auth.Signature)) {
		return "", invalid("%s", msgSignatureDiffer)
	}
	return c.AccessKeyID, nil
}

// checkSignedHeaders refuses a signature that leaves out a required
// header, in the words AWS's JSON services use for host:
//
//	'X-Amz-Target' must be a 'SignedHeader' in the AWS Authorization.
func (v *Verifier) checkSignedHeaders(s signed) error {
	for _, h := range v.required {
		if h == "x-amz-date" && s.presign {
			continue // X-Amz-Date is a query parameter, signed with the query
		}
		if !slices.Contains(s.auth.SignedHeaders, h) {
			return invalid("'%s' must be a 'SignedHeader' in the AWS Authorization.", http.CanonicalHeaderKey(h))
		}
	}
	return nil
}

// parse reads the signature from the Authorization header or the query.
func (v *Verifier) parse(r *http.Request) (signed, error) {
	var s signed
	q := r.URL.Query()
	if h := r.Header.Get("Authorization"); h != "" {
		a, err := ParseAuthorization(h)
		if err != nil {
			return s, err
		}
		s.auth = a
		s.dateStr = r.Header.Get("X-Amz-Date")
		if s.dateStr == "" {
			return s, incomplete("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header; this service reads 'X-Amz-Date' only. Authorization=%s", h)
		}
	} else if q.Has("X-Amz-Algorithm") || q.Has("X-Amz-Signature") || q.Has("X-Amz-Credential") {
		s.presign, s.query = true, q
		if alg := q.Get("X-Amz-Algorithm"); alg != Algorithm {
			return s, incomplete("Unsupported AWS 'algorithm': '%s'. Only %s is accepted.", alg, Algorithm)
		}
		var missing []string
		for _, k := range []string{"X-Amz-Credential", "X-Amz-Date", "X-Amz-SignedHeaders", "X-Amz-Signature"} {
			if q.Get(k) == "" {
				missing = append(missing, fmt.Sprintf("AWS query-string parameters must include '%s'.", k))
			}
		}
		if len(missing) > 0 {
			return s, incomplete("%s Re-examine the query-string parameters.", strings.Join(missing, " "))
		}
		var err error
		if s.auth.Credential, err = parseCredential(q.Get("X-Amz-Credential")); err != nil {
			return s, err
		}
		if s.auth.SignedHeaders, err = parseSignedHeaders(q.Get("X-Amz-SignedHeaders")); err != nil {
			return s, err
		}
		if s.auth.Signature, err = parseSignature(q.Get("X-Amz-Signature")); err != nil {
			return s, err
		}
		s.dateStr = q.Get("X-Amz-Date")
		if e := q.Get("X-Amz-Expires"); e != "" {
			n, err := strconv.Atoi(e)
			if err != nil || n < 1 || n > maxPresignExpires {
				return s, incomplete("X-Amz-Expires '%s' must be a whole number of seconds from 1 to %d.", e, maxPresignExpires)
			}
			s.expires = n
		}
	} else {
		return s, apierror.New(apierror.TypeMissingAuthenticationTk, "%s", msgMissingToken)
	}
	t, err := time.Parse(amzDateFormat, s.dateStr)
	if err != nil {
		return s, incomplete("Date must be in ISO-8601 'basic format'. Got '%s'. See http://en.wikipedia.org/wiki/ISO_8601", s.dateStr)
	}
	s.date = t
	return s, nil
}

// checkTime applies the clock-skew window and, for a presigned URL with
// X-Amz-Expires, its expiry. Messages follow AWS's:
//
//	Signature expired: 20240101T000000Z is now earlier than 20240101T001000Z (20240101T001500Z - 5 min.)
func (v *Verifier) checkTime(s signed) error {
	now := v.now().UTC()
	if s.date.After(now.Add(v.skew)) {
		return invalid("Signature not yet current: %s is still later than %s (%s + %s)",
			s.dateStr, now.Add(v.skew).Format(amzDateFormat), now.Format(amzDateFormat), skewText(v.skew))
	}
	if s.presign && s.expires > 0 {
		if until := s.date.Add(time.Duration(s.expires) * time.Second); now.After(until) {
			return invalid("Signature expired: the presigned URL signed at %s was valid for %d seconds, until %s; it is now %s.",
				s.dateStr, s.expires, until.Format(amzDateFormat), now.Format(amzDateFormat))
		}
		return nil
	}
	if s.date.Before(now.Add(-v.skew)) {
		return invalid("Signature expired: %s is now earlier than %s (%s - %s)",
			s.dateStr, now.Add(-v.skew).Format(amzDateFormat), now.Format(amzDateFormat), skewText(v.skew))
	}
	return nil
}

func skewText(d time.Duration) string {
	if d%time.Minute == 0 {
		return fmt.Sprintf("%d min.", d/time.Minute)
	}
	return d.String()
}

// resign signs a copy of r holding only its signed headers and returns the
// signature and signed-headers list the SDK signer computed.
func (v *Verifier) resign(ctx context.Context, r *http.Request, s signed, secret, hash string) (sig, headers string, err error) {
	cp := &http.Request{
		Method: r.Method,
		URL:    &url.URL{Scheme: "https", Host: r.Host, Path: r.URL.Path, RawPath: r.URL.RawPath, RawQuery: r.URL.RawQuery},
		Host:   r.Host,
		Header: http.Header{},
	}
	cp = cp.WithContext(ctx)
	for _, h := range s.auth.SignedHeaders {
		switch h {
		case "host":
		case "content-length":
			cp.ContentLength = r.ContentLength
		default:
			if vals := r.Header.Values(h); len(vals) > 0 {
				cp.Header[http.CanonicalHeaderKey(h)] = vals
			}
		}
	}
	cred := aws.Credentials{AccessKeyID: s.auth.Credential.AccessKeyID, SecretAccessKey: secret}
	c := s.auth.Credential
	if !s.presign {
		if err := v.signer.SignHTTP(ctx, cred, cp, hash, c.Service, c.Region, s.date); err != nil {
			return "", "", fmt.Errorf("auth: re-sign: %w", err)
		}
		a, err := ParseAuthorization(cp.Header.Get("Authorization"))
		if err != nil {
			return "", "", fmt.Errorf("auth: re-signed header: %w", err)
		}
		return a.Signature, strings.Join(a.SignedHeaders, ";"), nil
	}
	q := url.Values{}
	for k, vs := range s.query {
		if k != "X-Amz-Signature" {
			q[k] = vs
		}
	}
	cp.URL.RawQuery = q.Encode()
	uri, _, err := v.signer.PresignHTTP(ctx, cred, cp, hash, c.Service, c.Region, s.date)
	if err != nil {
		return "", "", fmt.Errorf("auth: re-presign: %w", err)
	}
	u, err := url.Parse(uri)
	if err != nil {
		return "", "", fmt.Errorf("auth: re-presigned URL: %w", err)
	}
	return u.Query().Get("X-Amz-Signature"), u.Query().Get("X-Amz-SignedHeaders"), nil
}

func incomplete(format string, args ...any) error {
	return apierror.New(apierror.TypeIncompleteSignature, format, args...)
}

func invalid(format string, args ...any) error {
	return apierror.New(apierror.TypeInvalidSignature, format, args...)
}
