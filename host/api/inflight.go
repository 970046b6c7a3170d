package api

import (
	"io"
	"net/http"
	"sync/atomic"

	"github.com/labstack/echo/v4"

	"github.com/wasmhose/wasmhose/host/apierror"
)

// DefaultMaxInFlightBytes is the default of Options.MaxInFlightBytes:
// room for about 32 full PutRecordBatch bodies (4 MiB of data, 5.3 MiB in
// base64) read at once.
const DefaultMaxInFlightBytes = 256 << 20

// bodyChunk is the first buffer readBody allocates for a body whose length
// is unknown or larger; it grows by doubling as bytes arrive.
const bodyChunk = 64 << 10

// errSlowDown is what a request body's Read returns once the bytes held by
// all requests in flight would pass the bound: Firehose's throttling
// answer, so an SDK retries with backoff.
var errSlowDown = apierror.ServiceUnavailable("Slow down.")

// budget bounds the bytes of request bodies the server holds at once. A
// nil *budget bounds nothing.
type budget struct {
	max  int64
	used atomic.Int64
}

func newBudget(max int64) *budget {
	if max <= 0 {
		return nil
	}
	return &budget{max: max}
}

// take reserves n bytes, or reports false when that would pass the bound.
func (b *budget) take(n int64) bool {
	if b == nil {
		return true
	}
	if b.used.Add(n) > b.max {
		b.used.Add(-n)
		return false
	}
	return true
}

// give returns n bytes taken earlier.
func (b *budget) give(n int64) {
	if b != nil {
		b.used.Add(-n)
	}
}

// InFlightBytes returns the request-body bytes the server holds now,
// counted against Options.MaxInFlightBytes (0 when unbounded).
func (s *Server) InFlightBytes() int64 {
	if s.inflight == nil {
		return 0
	}
	return s.inflight.used.Load()
}

// countedBody is a request body whose bytes are taken from the budget as
// they arrive, and given back when the request ends.
type countedBody struct {
	io.ReadCloser
	b    *budget
	held int64
}

func (c *countedBody) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	if n > 0 {
		if !c.b.take(int64(n)) {
			return 0, errSlowDown
		}
		c.held += int64(n)
	}
	return n, err
}

// boundInFlight is the middleware that counts every request body (the
// Firehose and Glue APIs, the public routes, anything on the router)
// against the server's budget of bytes in flight, as they are read, and
// gives them back when the handler returns. Past the bound, a read fails
// with ServiceUnavailableException "Slow down.".
func (s *Server) boundInFlight(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		if s.inflight == nil || req.Body == nil || req.Body == http.NoBody {
			return next(c)
		}
		cb := &countedBody{ReadCloser: req.Body, b: s.inflight}
		req.Body = cb
		defer func() { s.inflight.give(cb.held) }()
		return next(c)
	}
}

// readBody reads a request body of at most MaxBodyBytes. It allocates as
// bytes arrive, never the declared Content-Length up front: a client that
// declares 8 MiB and sends nothing holds bodyChunk bytes, not 8 MiB. A
// body declared larger than MaxBodyBytes is refused before any read.
func readBody(req *http.Request) ([]byte, error) {
	declared := req.ContentLength
	if declared > MaxBodyBytes {
		return nil, tooLarge()
	}
	limit := int64(MaxBodyBytes + 1) // one more byte tells a body that is too long
	if declared >= 0 {
		limit = declared
	}
	buf := make([]byte, 0, min(limit, bodyChunk))
	for int64(len(buf)) < limit {
		if len(buf) == cap(buf) {
			grown := make([]byte, len(buf), min(limit, 2*int64(cap(buf))))
			copy(grown, buf)
			buf = grown
		}
		n, err := req.Body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	if len(buf) > MaxBodyBytes {
		return nil, tooLarge()
	}
	return buf, nil
}

func tooLarge() error {
	return apierror.New(apierror.TypeRequestEntityTooLarge, "Request body exceeds %d bytes", MaxBodyBytes)
}
