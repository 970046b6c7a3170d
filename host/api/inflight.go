package api

import (
	"io"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/labstack/echo/v4"

	"github.com/wasmhose/wasmhose/host/apierror"
)

// DefaultMaxInFlightBytes is the default of Options.MaxInFlightBytes:
// room for about 32 full PutRecordBatch bodies (4 MiB of data, 5.3 MiB in
// base64) read at once.
const DefaultMaxInFlightBytes = 256 << 20

// bodyChunk is the size of the chunks readBody reads a body into.
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

// chunks recycles the buffers readBody reads into.
var chunks = sync.Pool{New: func() any { return new([bodyChunk]byte) }}

// readBody reads a request body of at most MaxBodyBytes. It holds memory
// as bytes arrive, never the declared Content-Length up front: the body is
// read into 64 KiB chunks, and copied into one buffer of its exact size
// once it is whole, so a client that declares 8 MiB and stalls holds what
// it sent (rounded up to 64 KiB), not 8 MiB, and no buffer is ever larger
// than the body. A body declared larger than MaxBodyBytes is refused
// before any read.
func readBody(req *http.Request) ([]byte, error) {
	declared := req.ContentLength
	if declared > MaxBodyBytes {
		return nil, tooLarge()
	}
	if declared >= 0 && declared <= bodyChunk {
		// Small bodies, the most common: one buffer of the declared size.
		buf := make([]byte, declared)
		if _, err := io.ReadFull(req.Body, buf); err != nil {
			return nil, err
		}
		return buf, nil
	}
	var held []*[bodyChunk]byte
	defer func() {
		for _, c := range held {
			chunks.Put(c)
		}
	}()
	total, last := 0, 0 // bytes read, and of them in the last chunk
	for {
		if last == bodyChunk || held == nil {
			if total > MaxBodyBytes {
				return nil, tooLarge()
			}
			held = append(held, chunks.Get().(*[bodyChunk]byte))
			last = 0
		}
		n, err := req.Body.Read(held[len(held)-1][last:])
		last += n
		total += n
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	if total > MaxBodyBytes {
		return nil, tooLarge()
	}
	body := make([]byte, 0, total)
	for i, c := range held {
		if i == len(held)-1 {
			body = append(body, c[:last]...)
		} else {
			body = append(body, c[:]...)
		}
	}
	return body, nil
}

func tooLarge() error {
	return apierror.New(apierror.TypeRequestEntityTooLarge, "Request body exceeds %d bytes", MaxBodyBytes)
}
