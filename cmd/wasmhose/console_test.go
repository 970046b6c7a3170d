package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/firehose/types"
	"github.com/chromedp/chromedp"
)

// consoleGetJSON fetches a console API path from the test server into v.
func consoleGetJSON(t *testing.T, addr, path string, v any) {
	t.Helper()
	resp, err := http.Get("http://" + addr + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d: %s", path, resp.StatusCode, b)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("GET %s: %v: %s", path, err, b)
	}
}

type consoleObject struct {
	Key          string    `json:"key"`
	Size         int64     `json:"size"`
	LastModified time.Time `json:"lastModified"`
}

type consoleObjects struct {
	Bucket  string          `json:"bucket"`
	Order   string          `json:"order"`
	Objects []consoleObject `json:"objects"`
	Next    *string         `json:"next"`
}

func consolePut(t *testing.T, c *firehose.Client, stream, data string) {
	t.Helper()
	if _, err := c.PutRecord(context.Background(), &firehose.PutRecordInput{
		DeliveryStreamName: aws.String(stream), Record: &types.Record{Data: []byte(data)},
	}); err != nil {
		t.Fatalf("put to %s: %v", stream, err)
	}
}

// TestConsoleAPIOnTheService runs the console's JSON API against the real
// service: the stream list, a stream's recent objects newest first, and
// the listing (Service.Objects) keeping to a stream's own objects under
// its prefix root, by key.
func TestConsoleAPIOnTheService(t *testing.T) {
	ts := startServer(t, t.TempDir(), nil)
	c := ts.client()
	now := &types.BufferingHints{SizeInMBs: aws.Int32(1), IntervalInSeconds: aws.Int32(0)}
	for _, name := range []string{"alpha", "beta"} {
		createStream(t, c, name, &types.ExtendedS3DestinationConfiguration{
			BucketARN: aws.String("arn:aws:s3:::shared"), Prefix: aws.String("data/"), BufferingHints: now,
		})
	}
	createStream(t, c, "gamma", &types.ExtendedS3DestinationConfiguration{
		BucketARN: aws.String("arn:aws:s3:::shared"), Prefix: aws.String("logs/!{timestamp:yyyy}/"),
		ErrorOutputPrefix: aws.String("errors/!{firehose:error-output-type}/"), BufferingHints: now,
	})
	objectsOf := func(stream string) consoleObjects {
		var o consoleObjects
		consoleGetJSON(t, ts.addr, "/console/api/streams/"+stream+"/objects", &o)
		return o
	}
	consolePut(t, c, "alpha", "a1\n")
	waitFor(t, "alpha's first object", func() bool { return len(objectsOf("alpha").Objects) == 1 })
	consolePut(t, c, "alpha", "a2\n")
	consolePut(t, c, "beta", "b1\n")
	consolePut(t, c, "gamma", "g1\n")
	waitFor(t, "every object", func() bool { return len(objects(t, ts.dataDir, "shared")) == 4 })

	tests := []struct {
		stream    string
		exp       int
		expPrefix string
		expNewest string // content of the newest object
	}{
		{stream: "alpha", exp: 2, expPrefix: "data/", expNewest: "a2\n"},
		{stream: "beta", exp: 1, expPrefix: "data/", expNewest: "b1\n"},
		{stream: "gamma", exp: 1, expPrefix: "logs/", expNewest: "g1\n"},
	}
	for _, tt := range tests {
		t.Run(tt.stream, func(t *testing.T) {
			got := objectsOf(tt.stream)
			if got.Bucket != "shared" || len(got.Objects) != tt.exp {
				t.Fatalf("bucket %q, %d objects %+v; want shared, %d", got.Bucket, len(got.Objects), got.Objects, tt.exp)
			}
			for i, o := range got.Objects {
				if !strings.HasPrefix(o.Key, tt.expPrefix) || !strings.HasPrefix(filepath.Base(o.Key), tt.stream+"-1-") || o.Size != 3 {
					t.Errorf("object %+v is not one of %s's", o, tt.stream)
				}
				if i > 0 && o.LastModified.After(got.Objects[i-1].LastModified) {
					t.Errorf("objects not newest first: %+v", got.Objects)
				}
			}
			if b := objects(t, ts.dataDir, "shared")[got.Objects[0].Key]; string(b) != tt.expNewest {
				t.Errorf("newest object holds %q, want %q", b, tt.expNewest)
			}
			// The same objects through the listing, by key.
			var listed consoleObjects
			consoleGetJSON(t, ts.addr, "/console/api/streams/"+tt.stream+"/objects?after=", &listed)
			if listed.Order != "key" || len(listed.Objects) != tt.exp || listed.Next != nil {
				t.Errorf("listing %+v, want %d objects by key and no next", listed, tt.exp)
			}
			for i, o := range listed.Objects {
				if i > 0 && o.Key <= listed.Objects[i-1].Key || !strings.HasPrefix(filepath.Base(o.Key), tt.stream+"-1-") {
					t.Errorf("listing %+v: not %s's objects by key", listed.Objects, tt.stream)
				}
			}
		})
	}

	var list struct {
		Streams []struct {
			Name   string `json:"name"`
			Totals struct {
				IncomingRecords int64 `json:"incomingRecords"`
			} `json:"totals"`
		} `json:"streams"`
	}
	consoleGetJSON(t, ts.addr, "/console/api/streams", &list)
	if len(list.Streams) != 3 || list.Streams[0].Name != "alpha" || list.Streams[0].Totals.IncomingRecords != 2 {
		t.Errorf("stream list %+v", list.Streams)
	}

	// GET / leads to the console; POST / is still the Firehose API.
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get("http://" + ts.addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/console/" {
		t.Errorf("GET / = %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// chromiumPath returns the path of a Chromium to drive. Without one the test is
// skipped loudly, or fails under CI=true, where .ci/run installs it.
func chromiumPath(t *testing.T) string {
	t.Helper()
	candidates := []string{os.Getenv("WASMHOSE_CHROMIUM"), "chromium", "chromium-browser", "google-chrome"}
	for _, c := range candidates {
		if c == "" {
			continue
		}
		if p, err := exec.LookPath(c); err == nil {
			return p
		}
	}
	const msg = "SKIPPED: the console's browser test needs Chromium: apt-get install chromium (or set WASMHOSE_CHROMIUM)"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	fmt.Fprintln(os.Stderr, "\n*** "+msg+" ***")
	t.Skip(msg)
	return ""
}

// screenshotDir is where the test leaves its screenshots:
// $WASMHOSE_ARTIFACTS/<test> when set, else the test's artifact folder
// (kept under -outputdir with go test -artifacts, temporary otherwise).
func screenshotDir(t *testing.T) string {
	t.Helper()
	if d := os.Getenv("WASMHOSE_ARTIFACTS"); d != "" {
		dir := filepath.Join(d, t.Name())
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	return t.ArtifactDir()
}

// browserTab drives one headless Chromium tab. Its methods take the running
// test, which may be a subtest of the one that opened the page.
type browserTab struct {
	ctx context.Context

	mu       sync.Mutex
	messages []chromedp.ConsoleMessage
	out      syncBuffer // the browser's own output
}

func newBrowserTab(t *testing.T) *browserTab {
	t.Helper()
	p := &browserTab{}
	// Flags that work as root in a container; a fresh profile every run.
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1360, 900),
		chromedp.CombinedOutput(&p.out),
	)
	ctx, cancelTab := chromedp.NewContext(alloc)
	ctx, cancelTimeout := context.WithTimeout(ctx, 5*time.Minute)
	t.Cleanup(func() {
		cancelTimeout()
		cancelTab()
		cancelAlloc()
	})
	p.ctx = ctx
	msgs := chromedp.Console(ctx) // starts the browser and subscribes
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			p.mu.Lock()
			p.messages = append(p.messages, m)
			p.mu.Unlock()
		}
	}()
	return p
}

func (p *browserTab) do(t *testing.T, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(p.ctx, steps...); err != nil {
		t.Fatalf("browser: %v\n%s", err, p.dump())
	}
}

func (p *browserTab) eval(t *testing.T, expr string) string {
	t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](expr))
	if err != nil {
		t.Fatalf("browser: evaluate %s: %v\n%s", expr, err, p.dump())
	}
	return v
}

// waitJS polls a JavaScript condition in the page until it holds, for at
// most a minute.
func (p *browserTab) waitJS(t *testing.T, what, cond string) {
	t.Helper()
	p.waitJSFor(t, time.Minute, what, cond)
}

// waitJSFor is waitJS with another time limit.
func (p *browserTab) waitJSFor(t *testing.T, limit time.Duration, what, cond string) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		ok, err := chromedp.Run(p.ctx, chromedp.Evaluate[bool]("!!("+cond+")"))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s (%s); last error %v\n%s", what, cond, err, p.dump())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// text is the trimmed textContent of the first element matching sel.
func (p *browserTab) text(t *testing.T, sel string) string {
	t.Helper()
	return p.eval(t, fmt.Sprintf(`(document.querySelector(%q)?.textContent ?? "").trim()`, sel))
}

// dump describes the page for a failure message.
func (p *browserTab) dump() string {
	ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
	defer cancel()
	body, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href + "\n" + document.body.innerText`))
	if err != nil {
		body = "(page text unavailable: " + err.Error() + ")"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "--- page ---\n%s\n--- console ---\n", body)
	p.mu.Lock()
	for _, m := range p.messages {
		fmt.Fprintf(&b, "%s %s:%d %s\n", m.Type, m.URL, m.Line+1, m.Text)
	}
	p.mu.Unlock()
	return b.String()
}

// problems returns the console errors and uncaught exceptions (a CSP
// violation, a failed request, a script error).
func (p *browserTab) problems() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, m := range p.messages {
		if m.IsException() || m.Type == "error" || m.Type == "assert" {
			out = append(out, fmt.Sprintf("%s %s:%d %s", m.Type, m.URL, m.Line+1, m.Text))
		}
	}
	return out
}

func (p *browserTab) screenshot(t *testing.T, paths ...string) {
	t.Helper()
	png, err := chromedp.Run(p.ctx, chromedp.FullScreenshot(100)) // 100: PNG
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	for _, path := range paths {
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s", path)
	}
}

// The prefix of the hostile stream: its objects' keys, and so the messages
// of its delivery errors, hold markup the console must show as text.
const hostilePrefix = `<script>window.pwned=1</script><img src=x onerror="window.pwned=2">/`

// TestConsoleInBrowser loads the console in headless Chromium: it finds the
// streams, shows a hostile stream's errors and objects as text, sends a test
// record through the form, and sees the counters, the chart and the new
// object appear. It leaves console.png in the test's artifact folder, and
// with WASMHOSE_UPDATE_SCREENSHOT=1 refreshes docs/console.png.
func TestConsoleInBrowser(t *testing.T) {
	chromiumPath(t) // skip early, before starting anything
	dir := t.TempDir()
	ts := startServer(t, dir, nil)
	c := ts.client()
	base := "http://" + ts.addr

	createStream(t, c, "clicks", &types.ExtendedS3DestinationConfiguration{
		BucketARN: aws.String("arn:aws:s3:::analytics"), Prefix: aws.String("clicks/"),
		CompressionFormat: types.CompressionFormatGzip,
		BufferingHints:    &types.BufferingHints{SizeInMBs: aws.Int32(1), IntervalInSeconds: aws.Int32(0)},
	})
	// A file where the bucket's folder must be fails every delivery of the
	// hostile stream until it is removed.
	blocker := filepath.Join(dir, "s3", "quarantine")
	if err := os.MkdirAll(filepath.Dir(blocker), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(blocker, []byte("not a folder"), 0o644); err != nil {
		t.Fatal(err)
	}
	createStream(t, c, "hostile", &types.ExtendedS3DestinationConfiguration{
		BucketARN: aws.String("arn:aws:s3:::quarantine"), Prefix: aws.String(hostilePrefix),
		BufferingHints: &types.BufferingHints{SizeInMBs: aws.Int32(1), IntervalInSeconds: aws.Int32(0)},
	})
	consolePut(t, c, "hostile", "<b>bold?</b>\n")

	p := newBrowserTab(t)
	p.do(t, chromedp.Navigate(base+"/")) // GET / redirects to /console/
	p.waitJS(t, "both streams listed", `document.querySelector('tr[data-stream="clicks"]') && document.querySelector('tr[data-stream="hostile"]')`)
	if got := p.text(t, `tr[data-stream="hostile"] .dest`); !strings.Contains(got, hostilePrefix) {
		t.Errorf("hostile destination shown as %q, want the prefix as text", got)
	}

	t.Run("markup in errors and keys is text", func(t *testing.T) {
		p.do(t, chromedp.Click(chromedp.CSS(`tr[data-stream="hostile"] a`)))
		p.waitJS(t, "an error row", `document.querySelectorAll('#errors tbody tr').length > 0`)
		msg := p.text(t, "#errors tbody tr .err-msg")
		if !strings.Contains(msg, "<script>window.pwned=1</script>") || !strings.Contains(msg, `<img src=x onerror="window.pwned=2">`) {
			t.Errorf("error message shown as %q, want the markup as text", msg)
		}
		if code := p.text(t, "#errors tbody tr .badge"); !strings.HasPrefix(code, "S3.") && code != "InternalError" {
			t.Errorf("error code %q", code)
		}
		if err := os.Remove(blocker); err != nil {
			t.Fatal(err)
		}
		p.waitJS(t, "the hostile object listed", `document.querySelectorAll('#objects tbody tr').length > 0`)
		if key := p.text(t, "#objects tbody tr .key"); !strings.HasPrefix(key, hostilePrefix) {
			t.Errorf("object key shown as %q", key)
		}
		if got := p.eval(t, `String(document.querySelectorAll('#app script, #app img').length) + "/" + String(window.pwned)`); got != "0/undefined" {
			t.Errorf("injected elements/pwned = %s, want 0/undefined", got)
		}
	})

	t.Run("a test record from the form is counted and delivered", func(t *testing.T) {
		p.do(t, chromedp.Click(chromedp.CSS(`.crumbs a`)))
		p.waitJS(t, "the stream list", `document.querySelector('tr[data-stream="clicks"] a')`)
		p.do(t, chromedp.Click(chromedp.CSS(`tr[data-stream="clicks"] a`)))
		p.waitJS(t, "the form", `document.querySelector('#send textarea') && document.querySelector('[data-stat="incomingRecords"] .value').textContent === '0'`)
		const record = `{"hello": "wörld", "price": "12 €", "from": "the browser test"}`
		p.do(t,
			chromedp.SetValue(chromedp.CSS("#send textarea"), record),
			chromedp.Click(chromedp.CSS(`#send button[type="submit"]`)),
		)
		p.waitJS(t, "the acknowledgement", `document.querySelector('#send output.ok')?.textContent.includes('RecordId')`)
		p.waitJS(t, "the counter", `document.querySelector('[data-stat="incomingRecords"] .value').textContent === '1'`)
		p.waitJS(t, "the new object", `[...document.querySelectorAll('#objects tbody tr .key')].some(k => k.textContent.startsWith('clicks/'))`)
		p.waitJS(t, "the delivered counter", `document.querySelector('[data-stat="deliveredRecords"] .value').textContent === '1'`)
		p.waitJS(t, "a sampled point on the chart", `Number(document.querySelector('[data-chart="incomingRecords"]').dataset.last) > 0`)

		key := p.text(t, "#objects tbody tr .key")
		if got := p.text(t, "#objects header .aside"); got != "newest first · s3://analytics/" {
			t.Errorf("objects aside %q, want the recent objects, newest first", got)
		}
		// More follows next into the bucket's listing, by key; with one
		// object that is the whole listing, and More goes away.
		p.waitJS(t, "the More button", `!document.querySelector('#objects-more').hidden`)
		p.do(t, chromedp.Click(chromedp.CSS("#objects-more")))
		p.waitJS(t, "the listing's page", `document.querySelectorAll('#objects tbody.more-rows tr .key').length === 1`)
		if got := p.text(t, "#objects tbody.more-rows tr .key"); got != key {
			t.Errorf("the listing shows %q, want %q", got, key)
		}
		if sep := p.text(t, "#objects tbody.more-rows tr.sep"); !strings.Contains(sep, "s3://analytics/clicks/, by key") {
			t.Errorf("separator %q", sep)
		}
		p.waitJS(t, "More gone at the end of the listing", `document.querySelector('#objects-more').hidden`)

		gz := objects(t, dir, "analytics")[key]
		zr, err := gzip.NewReader(bytes.NewReader(gz))
		if err != nil {
			t.Fatalf("object %s: %v", key, err)
		}
		got, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != record+"\n" {
			t.Errorf("object holds %q, want the UTF-8 record and a newline %q", got, record+"\n")
		}
		shots := []string{filepath.Join(screenshotDir(t), "console.png")}
		if os.Getenv("WASMHOSE_UPDATE_SCREENSHOT") == "1" {
			stop := fillCharts(t, p, c)
			defer stop()
			shots = append(shots, filepath.Join("..", "..", "docs", "console.png"))
		}
		p.screenshot(t, shots...)
	})

	if probs := p.problems(); len(probs) > 0 {
		t.Errorf("the page logged errors:\n%s", strings.Join(probs, "\n"))
	}
}

// fillCharts gives the stream a 10 s buffer (as a real one would have) and
// sends a steady trickle of records until the charts hold a minute of
// samples, so that the README's screenshot shows live charts; stop ends the
// trickle. It runs only when the screenshot is refreshed.
func fillCharts(t *testing.T, p *browserTab, c *firehose.Client) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	d, err := c.DescribeDeliveryStream(ctx, &firehose.DescribeDeliveryStreamInput{DeliveryStreamName: aws.String("clicks")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.UpdateDestination(ctx, &firehose.UpdateDestinationInput{
		DeliveryStreamName:             aws.String("clicks"),
		CurrentDeliveryStreamVersionId: d.DeliveryStreamDescription.VersionId,
		DestinationId:                  d.DeliveryStreamDescription.Destinations[0].DestinationId,
		ExtendedS3DestinationUpdate: &types.ExtendedS3DestinationUpdate{
			BufferingHints: &types.BufferingHints{SizeInMBs: aws.Int32(1), IntervalInSeconds: aws.Int32(10)},
		},
	}); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			n := 3 + i%7 + (i/25)%5
			recs := make([]types.Record, n)
			for j := range recs {
				recs[j] = types.Record{Data: []byte(`{"page":"/home","user":` + strconv.Itoa(i*10+j) + "}\n")}
			}
			_, _ = c.PutRecordBatch(ctx, &firehose.PutRecordBatchInput{DeliveryStreamName: aws.String("clicks"), Records: recs})
		}
	}()
	stop = sync.OnceFunc(func() {
		cancel()
		<-done
	})
	t.Cleanup(stop)
	p.waitJSFor(t, 3*time.Minute, "a minute of samples", `Number(document.querySelector('[data-chart="incomingRecords"]').dataset.points) >= 14`)
	p.waitJS(t, "a second object since the update", `document.querySelectorAll('#objects tbody tr').length >= 3`)
	return stop
}
