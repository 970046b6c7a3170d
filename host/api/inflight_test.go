package api_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wasmhose/wasmhose/host/api"
	"github.com/wasmhose/wasmhose/host/apierror"
)

// firstRead counts the request bodies the server has started to read.
type firstRead struct {
	io.ReadCloser
	once  atomic.Bool
	count *atomic.Int64
}

func (f *firstRead) Read(p []byte) (int, error) {
	n, err := f.ReadCloser.Read(p)
	if n > 0 && f.once.CompareAndSwap(false, true) {
		f.count.Add(1)
	}
	return n, err
}

// slowPost opens a connection to addr and sends the headers of a
// PutRecordBatch declaring length body bytes, then the first sent bytes
// of a body, and leaves the connection open.
func slowPost(t *testing.T, addr string, length, sent int) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	body := `{"DeliveryStreamName":"s","Records":[{"Data":"` + strings.Repeat("A", length) // never closed: not sent whole
	fmt.Fprintf(conn, "POST / HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-amz-json-1.1\r\nX-Amz-Target: %sPutRecordBatch\r\nContent-Length: %d\r\n\r\n%s",
		addr, api.TargetPrefix, length, body[:sent])
	return conn
}

// waitFor polls cond until it holds or 10 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func heapAlloc() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestSlowBodiesHoldNoMemory opens 100 loopback connections that each
// declare a 4 MiB body, send 1 KiB of it and stall: the server must hold
// what arrived, not what was declared (it held 100 × 4 MiB before).
func TestSlowBodiesHoldNoMemory(t *testing.T) {
	const conns, declared, sent = 100, 4 << 20, 1 << 10
	h := newHarness()
	var started atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = &firstRead{ReadCloser: r.Body, count: &started}
		h.srv.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	addr := strings.TrimPrefix(ts.URL, "http://")
	before := heapAlloc()
	for range conns {
		slowPost(t, addr, declared, sent)
	}
	waitFor(t, "every body to be read from", func() bool { return started.Load() == conns })
	after := heapAlloc()
	grown := int64(after) - int64(before)
	t.Logf("%d connections declaring %d MiB, %d bytes sent: heap %+.1f MiB", conns, declared>>20, sent, float64(grown)/(1<<20))
	if limit := int64(16 << 20); grown > limit {
		t.Fatalf("heap grew by %.1f MiB for %d stalled bodies, want under %d MiB", float64(grown)/(1<<20), conns, limit>>20)
	}
}

// TestInFlightBound: past Options.MaxInFlightBytes a request is answered
// 503 ServiceUnavailableException "Slow down.", and the bytes come back
// when the request holding them ends.
func TestInFlightBound(t *testing.T) {
	h := &harness{fake: newFakeBackend(), panics: &panicLog{}, obs: &observer{}}
	h.srv = api.New(h.fake, api.Options{MaxInFlightBytes: 1 << 20})
	ts := httptest.NewServer(h.srv)
	t.Cleanup(ts.Close)
	addr := strings.TrimPrefix(ts.URL, "http://")

	hog := slowPost(t, addr, 1000<<10, 900<<10)
	waitFor(t, "the stalled body to be held", func() bool { return h.srv.InFlightBytes() >= 800<<10 })

	post := func() *http.Response {
		body := `{"Limit":10,"Padding":"` + strings.Repeat("x", 300<<10) + `"}`
		req, err := http.NewRequest(http.MethodPost, ts.URL, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Amz-Target", api.TargetPrefix+"ListDeliveryStreams")
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		resp, err := ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	resp := post()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("X-Amzn-ErrorType") != apierror.TypeServiceUnavailable ||
		!strings.Contains(string(b), `"message":"Slow down."`) {
		t.Fatalf("past the bound: %d %s", resp.StatusCode, b)
	}

	hog.Close()
	waitFor(t, "the bytes to be given back", func() bool { return h.srv.InFlightBytes() == 0 })
	if resp := post(); resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("after the hog left: %d %s", resp.StatusCode, b)
	}
}

// TestDeclaredTooLarge: a body declared over MaxBodyBytes is refused
// before it is read. (net/http then reads up to 256 KiB of what follows,
// hoping to keep the connection, hence the 300 KiB sent.)
func TestDeclaredTooLarge(t *testing.T) {
	h := newHarness()
	var started atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = &firstRead{ReadCloser: r.Body, count: &started}
		h.srv.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	conn := slowPost(t, strings.TrimPrefix(ts.URL, "http://"), api.MaxBodyBytes+1, 300<<10)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d, want 413", resp.StatusCode)
	}
	if n := started.Load(); n != 0 {
		t.Fatal("the handler read the body it refused")
	}
}
