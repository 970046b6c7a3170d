package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/wasmhose/wasmhose/host/config"
)

// TestListenerTimeouts: on the API listener, a client that sends its body
// slowly and a keep-alive connection left idle are both cut off by the
// configured timeouts (before, both lived as long as the client liked).
func TestListenerTimeouts(t *testing.T) {
	ts := startServer(t, t.TempDir(), func(c *config.Config) {
		c.HTTP.ReadHeaderTimeout = time.Second
		c.HTTP.ReadTimeout = 2 * time.Second
		c.HTTP.IdleTimeout = time.Second
	})
	// closedWithin reads from conn until the server closes it, and
	// reports how long that took; it fails past limit.
	closedWithin := func(t *testing.T, conn net.Conn, limit time.Duration) time.Duration {
		t.Helper()
		start := time.Now()
		if err := conn.SetReadDeadline(start.Add(limit)); err != nil {
			t.Fatal(err)
		}
		_, err := io.Copy(io.Discard, conn)
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Fatalf("the connection was still open after %s", limit)
		}
		return time.Since(start)
	}
	dial := func(t *testing.T) net.Conn {
		conn, err := net.Dial("tcp", ts.addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		return conn
	}

	t.Run("slow body", func(t *testing.T) {
		conn := dial(t)
		fmt.Fprintf(conn, "POST / HTTP/1.1\r\nHost: %s\r\nX-Amz-Target: Firehose_20150804.PutRecordBatch\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: %d\r\n\r\n{\"DeliveryStreamName\":",
			ts.addr, 4<<20)
		d := closedWithin(t, conn, 15*time.Second)
		t.Logf("a stalled 4 MiB body was cut off after %s", d.Round(10*time.Millisecond))
	})
	t.Run("idle keep-alive", func(t *testing.T) {
		conn := dial(t)
		fmt.Fprintf(conn, "GET /healthz HTTP/1.1\r\nHost: %s\r\n\r\n", ts.addr)
		br := bufio.NewReader(conn)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, resp.Body); err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Close {
			t.Fatalf("healthz: %d, close %t", resp.StatusCode, resp.Close)
		}
		d := closedWithin(t, conn, 15*time.Second)
		t.Logf("an idle keep-alive connection was closed after %s", d.Round(10*time.Millisecond))
	})
}
