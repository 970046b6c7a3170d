package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/firehose/types"
	"github.com/aws/aws-sdk-go-v2/service/glue"
	gluetypes "github.com/aws/aws-sdk-go-v2/service/glue/types"
	"github.com/aws/smithy-go"
	"github.com/chromedp/chromedp"

	"github.com/wasmhose/wasmhose/host/config"
)

// TestAuthPolicies runs the service with SigV4 and per-key policies and
// drives it with the stock SDK client: the admin key (no policy) manages
// streams, the producer key (inline YAML-style policy) may only put to and
// describe "clicks", the reader key (policy file) may only list.
func TestAuthPolicies(t *testing.T) {
	dir := t.TempDir()
	policyFile := filepath.Join(dir, "reader.json")
	if err := os.WriteFile(policyFile, []byte(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"firehose:List*","Resource":"*"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	ts := startServer(t, filepath.Join(dir, "data"), func(c *config.Config) {
		c.Auth.Mode = config.AuthSigV4
		c.Auth.Keys = []config.AuthKey{
			{AccessKeyID: "AKIDADMIN", SecretAccessKey: "admin-secret"},
			{AccessKeyID: "AKIDPRODUCER", SecretAccessKey: "producer-secret", Name: "producer", Policy: config.Document(`{
				"Version": "2012-10-17",
				"Statement": [
					{"Effect": "Allow", "Action": ["firehose:Put*", "firehose:DescribeDeliveryStream"],
					 "Resource": "arn:aws:firehose:us-east-1:000000000000:deliverystream/clicks"},
					{"Effect": "Deny", "Action": "firehose:PutRecordBatch", "Resource": "*"}]}`)},
			{AccessKeyID: "AKIDREADER", SecretAccessKey: "reader-secret", PolicyFile: policyFile},
		}
	})
	ctx := context.Background()
	admin := ts.clientWith("AKIDADMIN", "admin-secret")
	producer := ts.clientWith("AKIDPRODUCER", "producer-secret")
	reader := ts.clientWith("AKIDREADER", "reader-secret")
	createStream(t, admin, "clicks", &types.ExtendedS3DestinationConfiguration{})
	createStream(t, admin, "orders", &types.ExtendedS3DestinationConfiguration{})

	const arn = "arn:aws:firehose:us-east-1:000000000000:deliverystream/"
	put := func(c *firehose.Client, stream string) error {
		_, err := c.PutRecord(ctx, &firehose.PutRecordInput{DeliveryStreamName: aws.String(stream), Record: &types.Record{Data: []byte("x\n")}})
		return err
	}
	tests := []struct {
		name   string
		call   func() error
		expMsg string // "" allowed
	}{
		{"producer puts to clicks", func() error { return put(producer, "clicks") }, ""},
		{"producer describes clicks", func() error {
			_, err := producer.DescribeDeliveryStream(ctx, &firehose.DescribeDeliveryStreamInput{DeliveryStreamName: aws.String("clicks")})
			return err
		}, ""},
		{"producer puts to orders", func() error { return put(producer, "orders") },
			"User: arn:aws:iam::000000000000:user/producer is not authorized to perform: firehose:PutRecord on resource: " + arn + "orders because no identity-based policy allows the firehose:PutRecord action"},
		{"producer batch is denied explicitly", func() error {
			_, err := producer.PutRecordBatch(ctx, &firehose.PutRecordBatchInput{DeliveryStreamName: aws.String("clicks"), Records: []types.Record{{Data: []byte("x")}}})
			return err
		}, "User: arn:aws:iam::000000000000:user/producer is not authorized to perform: firehose:PutRecordBatch on resource: " + arn + "clicks with an explicit deny in an identity-based policy"},
		{"producer deletes clicks", func() error {
			_, err := producer.DeleteDeliveryStream(ctx, &firehose.DeleteDeliveryStreamInput{DeliveryStreamName: aws.String("clicks")})
			return err
		}, "firehose:DeleteDeliveryStream on resource: " + arn + "clicks because"},
		{"producer lists", func() error {
			_, err := producer.ListDeliveryStreams(ctx, &firehose.ListDeliveryStreamsInput{})
			return err
		}, "firehose:ListDeliveryStreams on resource: * because"},
		{"reader lists", func() error {
			_, err := reader.ListDeliveryStreams(ctx, &firehose.ListDeliveryStreamsInput{})
			return err
		}, ""},
		{"reader puts", func() error { return put(reader, "clicks") }, "User: arn:aws:iam::000000000000:user/AKIDREADER is not authorized to perform: firehose:PutRecord"},
		{"admin puts anywhere", func() error { return put(admin, "orders") }, ""},
		{"admin creates a Glue database", func() error {
			_, err := ts.glueClient("AKIDADMIN", "admin-secret").CreateDatabase(ctx, &glue.CreateDatabaseInput{DatabaseInput: &gluetypes.DatabaseInput{Name: aws.String("analytics")}})
			return err
		}, ""},
		{"reader cannot create a Glue table", func() error {
			_, err := ts.glueClient("AKIDREADER", "reader-secret").CreateTable(ctx, &glue.CreateTableInput{DatabaseName: aws.String("analytics"), TableInput: clickTableInput(glueCols("id", "string")...)})
			return err
		}, "User: arn:aws:iam::000000000000:user/AKIDREADER is not authorized to perform: glue:CreateTable on resource: arn:aws:glue:us-east-1:000000000000:catalog because"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if tt.expMsg == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var ae smithy.APIError
			if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDeniedException" || ae.ErrorMessage() != tt.expMsg && !strings.Contains(ae.ErrorMessage(), tt.expMsg) {
				t.Fatalf("err = %v, want AccessDeniedException %q", err, tt.expMsg)
			}
			var re interface{ HTTPStatusCode() int }
			if !errors.As(err, &re) || re.HTTPStatusCode() != http.StatusBadRequest {
				t.Fatalf("status: %v, want 400", err)
			}
		})
	}
	if logs := ts.logs.String(); !strings.Contains(logs, `"keysWithPolicies":2`) {
		t.Fatalf("start-up log does not count the policies:\n%s", logs)
	}
}

// TestAuthBadPolicy: a policy the evaluator cannot honour stops the start.
func TestAuthBadPolicy(t *testing.T) {
	cfg := config.Default()
	cfg.Listen, cfg.DataDir = "127.0.0.1:0", t.TempDir()
	cfg.Auth.Mode = config.AuthSigV4
	cfg.Auth.Keys = []config.AuthKey{{AccessKeyID: "AKID", SecretAccessKey: "s",
		Policy: config.Document(`{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}}`)}}
	err := serve(context.Background(), cfg, io.Discard, nil)
	if err == nil || !strings.Contains(err.Error(), "auth.keys[0].policy: policy: Statement[0]: Condition is not supported") {
		t.Fatalf("serve = %v", err)
	}
}

// writeCert writes a fresh self-signed certificate for 127.0.0.1 to
// cert.pem and key.pem in dir and returns it.
func writeCert(t *testing.T, dir string, serial int64) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: fmt.Sprintf("wasmhose test %d", serial)},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	// The key first, then the certificate: a reload between the two
	// writes fails on the mismatch and keeps the old pair.
	if err := os.WriteFile(filepath.Join(dir, "key.pem"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "cert.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// tlsClient is an SDK client over HTTPS trusting only roots.
func tlsClient(addr string, roots ...*x509.Certificate) *firehose.Client {
	pool := x509.NewCertPool()
	for _, c := range roots {
		pool.AddCert(c)
	}
	return firehose.New(firehose.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String("https://" + addr),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTLS", "tls-secret", ""),
		HTTPClient:   &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}},
		Retryer:      aws.NopRetryer{},
	})
}

// servedSerial returns the serial of the certificate addr presents.
func servedSerial(t *testing.T, addr string) int64 {
	t.Helper()
	conn, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true}) // #nosec: only reads the served certificate
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0].SerialNumber.Int64()
}

// TestTLS serves the API over HTTPS with signing on, calls it with the SDK
// trusting the test's CA, replaces the certificate files, sends SIGHUP and
// sees the new certificate served; a client that trusts only the old one
// now fails, one that trusts the new one works.
func TestTLS(t *testing.T) {
	dir := t.TempDir()
	first := writeCert(t, dir, 101)
	ts := startServer(t, filepath.Join(dir, "data"), func(c *config.Config) {
		c.TLS = config.TLS{CertFile: filepath.Join(dir, "cert.pem"), KeyFile: filepath.Join(dir, "key.pem")}
		c.Auth.Mode = config.AuthSigV4
		c.Auth.Keys = []config.AuthKey{{AccessKeyID: "AKIDTLS", SecretAccessKey: "tls-secret"}}
	})
	ctx := context.Background()
	if _, err := tlsClient(ts.addr, first).ListDeliveryStreams(ctx, &firehose.ListDeliveryStreamsInput{}); err != nil {
		t.Fatalf("HTTPS call: %v", err)
	}
	// Plain HTTP on the TLS listener is not served.
	if resp, err := http.Get("http://" + ts.addr + "/healthz"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Fatal("plain HTTP answered 200 on the TLS listener")
		}
	}

	second := writeCert(t, dir, 102)
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the new certificate after SIGHUP", func() bool { return servedSerial(t, ts.addr) == 102 })
	if _, err := tlsClient(ts.addr, first).ListDeliveryStreams(ctx, &firehose.ListDeliveryStreamsInput{}); err == nil {
		t.Fatal("a client trusting only the old certificate still connected")
	}
	if _, err := tlsClient(ts.addr, second).ListDeliveryStreams(ctx, &firehose.ListDeliveryStreamsInput{}); err != nil {
		t.Fatalf("HTTPS call with the new certificate: %v", err)
	}
	if !strings.Contains(ts.logs.String(), `"msg":"TLS certificate reloaded"`) {
		t.Fatalf("no reload in the log:\n%s", ts.logs)
	}
}

const clickSchemaJSON = `{
  "type": "object",
  "required": ["page", "ts"],
  "additionalProperties": false,
  "properties": {
    "page": {"type": "string", "minLength": 1},
    "ts":   {"type": "integer", "minimum": 0}
  }
}`

// publicRoute is the clicks route of the end-to-end tests.
func publicRoute(origins ...string) config.PublicRoute {
	return config.PublicRoute{
		Path: "/v1/clicks", Stream: "clicks", Schema: config.Document(clickSchemaJSON),
		Template: `{"page":{{json .page}},"ts":{{.ts}}}`, Newline: true,
		CORS: config.CORS{AllowedOrigins: origins},
	}
}

// postJSON posts body to url and returns the status and answer.
func postJSON(t *testing.T, url, body string) (int, string) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// waitObjects waits until the bucket's objects hold want (in any order of
// objects) and returns their concatenation.
func waitObjects(t *testing.T, dataDir, bucket string, want ...string) string {
	t.Helper()
	var all string
	waitFor(t, "records "+strings.Join(want, ", ")+" delivered", func() bool {
		var b strings.Builder
		for _, v := range objects(t, dataDir, bucket) {
			b.Write(v)
		}
		all = b.String()
		for _, w := range want {
			if !strings.Contains(all, w) {
				return false
			}
		}
		return true
	})
	return all
}

// TestPublicEndpoint: the public route on its own listener, with signing
// on for the API: an unsigned POST of a valid body is delivered, invalid
// ones are refused with their errors and never delivered, and the public
// listener serves no Firehose operation.
func TestPublicEndpoint(t *testing.T) {
	dir := t.TempDir()
	ts := startServer(t, dir, func(c *config.Config) {
		c.Auth.Mode = config.AuthSigV4
		c.Auth.Keys = []config.AuthKey{{AccessKeyID: "AKIDADMIN", SecretAccessKey: "admin-secret"}}
		c.Public = config.Public{Listen: "127.0.0.1:0", Routes: []config.PublicRoute{publicRoute()}}
	})
	m := regexp.MustCompile(`"msg":"public endpoint serving \(unsigned\)","addr":"([^"]+)"`).FindStringSubmatch(ts.logs.String())
	if m == nil {
		t.Fatalf("no public listener in the log:\n%s", ts.logs)
	}
	pub := "http://" + m[1]
	createStream(t, ts.clientWith("AKIDADMIN", "admin-secret"), "clicks", &types.ExtendedS3DestinationConfiguration{
		BucketARN:      aws.String("arn:aws:s3:::public"),
		BufferingHints: &types.BufferingHints{SizeInMBs: aws.Int32(1), IntervalInSeconds: aws.Int32(0)},
	})

	code, body := postJSON(t, pub+"/v1/clicks", `{"page":"/home","ts":1700000000}`)
	var ok struct{ RecordId string }
	if code != 200 || json.Unmarshal([]byte(body), &ok) != nil || len(ok.RecordId) < 20 {
		t.Fatalf("valid POST: %d %s", code, body)
	}
	code, body = postJSON(t, pub+"/v1/clicks", `{"page":"","ts":"soon","bad":true}`)
	if code != 400 || !strings.Contains(body, `"instanceLocation":"/ts"`) || !strings.Contains(body, `"instanceLocation":"/page"`) {
		t.Fatalf("invalid POST: %d %s", code, body)
	}
	code, _ = postJSON(t, pub+"/v1/clicks", `{"page":"/`+strings.Repeat("x", 70000)+`","ts":1}`)
	if code != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversized POST: %d", code)
	}
	// No management operation on the public listener, signed or not.
	req, _ := http.NewRequest(http.MethodPost, pub+"/", strings.NewReader(`{"DeliveryStreamName":"clicks"}`))
	req.Header.Set("X-Amz-Target", "Firehose_20150804.DeleteDeliveryStream")
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("management call on the public listener: %d", resp.StatusCode)
	}
	// The signed API still refuses unsigned calls.
	if code, _ := postJSON(t, "http://"+ts.addr+"/v1/nothing", `{}`); code != http.StatusNotFound {
		t.Fatalf("public route served on the API listener: %d", code)
	}

	got := waitObjects(t, dir, "public", "{\"page\":\"/home\",\"ts\":1700000000}\n")
	if strings.Contains(got, "soon") || strings.Count(got, "\n") != 1 {
		t.Fatalf("delivered %q: want exactly the valid record", got)
	}
}

// TestPublicInBrowser: a page on another origin posts clicks to the public
// route from headless Chromium. fetch() with a JSON body makes the browser
// send a CORS preflight first; the route answers it for the page's origin,
// takes the valid click, refuses the invalid one with its validation
// errors (readable by the page), and a page on an origin not configured
// cannot post at all.
func TestPublicInBrowser(t *testing.T) {
	chromiumPath(t) // skip early, before starting anything
	page := `<!doctype html><meta charset="utf-8"><title>shop</title>
<script>
async function send(url, body) {
  try {
    const r = await fetch(url, {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)});
    return {status: r.status, body: await r.json()};
  } catch (e) {
    return {error: String(e)};
  }
}
</script>`
	pageSrv := func() (*http.Server, string) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = io.WriteString(w, page)
		})}
		go func() { _ = hs.Serve(ln) }()
		t.Cleanup(func() { _ = hs.Close() })
		return hs, "http://" + ln.Addr().String()
	}
	_, shop := pageSrv()
	_, other := pageSrv()

	dir := t.TempDir()
	ts := startServer(t, dir, func(c *config.Config) {
		c.Public = config.Public{Routes: []config.PublicRoute{publicRoute(shop)}} // on the API's listener
	})
	createStream(t, ts.client(), "clicks", &types.ExtendedS3DestinationConfiguration{
		BucketARN:      aws.String("arn:aws:s3:::browser"),
		BufferingHints: &types.BufferingHints{SizeInMBs: aws.Int32(1), IntervalInSeconds: aws.Int32(0)},
	})
	endpoint := "http://" + ts.addr + "/v1/clicks"

	p := newBrowserTab(t)
	evalJSON := func(expr string, v any) {
		t.Helper()
		s, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](`(async () => JSON.stringify(await (`+expr+`)))()`, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("browser: %s: %v\n%s", expr, err, p.dump())
		}
		if err := json.Unmarshal([]byte(s), v); err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
	}
	type result struct {
		Status int
		Error  string
		Body   struct {
			RecordId string
			Message  string
			Errors   []struct{ InstanceLocation string }
		}
	}
	p.do(t, chromedp.Navigate(shop+"/"))
	var good, bad result
	evalJSON(fmt.Sprintf(`send(%q, {page: "/cart", ts: 1700000001})`, endpoint), &good)
	if good.Status != 200 || good.Body.RecordId == "" {
		t.Fatalf("browser POST from %s: %+v\n%s", shop, good, p.dump())
	}
	evalJSON(fmt.Sprintf(`send(%q, {page: "/cart", ts: -5})`, endpoint), &bad)
	if bad.Status != 400 || len(bad.Body.Errors) != 1 || bad.Body.Errors[0].InstanceLocation != "/ts" {
		t.Fatalf("invalid browser POST: %+v", bad)
	}

	p.do(t, chromedp.Navigate(other+"/"))
	var refused result
	evalJSON(fmt.Sprintf(`send(%q, {page: "/evil", ts: 1})`, endpoint), &refused)
	if refused.Error == "" || refused.Status != 0 {
		t.Fatalf("a page on an origin not configured could post: %+v", refused)
	}

	got := waitObjects(t, dir, "browser", `{"page":"/cart","ts":1700000001}`)
	if strings.Contains(got, "/evil") || strings.Contains(got, "-5") {
		t.Fatalf("delivered %q: a refused click got through", got)
	}
	if !bytes.Contains([]byte(got), []byte("\n")) {
		t.Fatalf("delivered %q without the newline", got)
	}
}
