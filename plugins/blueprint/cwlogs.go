package blueprint

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"sync"
)

// MaxDecompressedBytes caps the gunzipped size of one CloudWatch Logs
// payload. CloudWatch Logs sends at most about 1 MiB of events per record,
// so a record beyond the cap is not a subscription payload (or is a
// compression bomb): it fails.
const MaxDecompressedBytes = 8 << 20

// gunzipState is a reusable decompressor and output buffer: a gzip.Reader
// allocates large tables, too many to make one per record.
type gunzipState struct {
	src bytes.Reader
	zr  gzip.Reader
	buf bytes.Buffer
}

var gunzipPool = sync.Pool{New: func() any { return new(gunzipState) }}

// cloudwatchLogs is the cloudwatch-logs-processor blueprint: it gunzips the
// record, parses the subscription payload and, for a DATA_MESSAGE, writes
// each log event's message followed by "\n". Other message types fail, or
// with dropControl a CONTROL_MESSAGE is Dropped.
func cloudwatchLogs(dropControl bool) appendFunc {
	return func(dst, data []byte) ([]byte, Status, string) {
		fail := func(format string, args ...any) ([]byte, Status, string) {
			return dst, StatusProcessingFailed, "cloudwatch-logs-processor: " + fmt.Sprintf(format, args...)
		}
		st := gunzipPool.Get().(*gunzipState)
		defer gunzipPool.Put(st)
		st.src.Reset(data)
		if err := st.zr.Reset(&st.src); err != nil {
			return fail("the record is not gzip data: %v", err)
		}
		st.buf.Reset()
		_, err := st.buf.ReadFrom(io.LimitReader(&st.zr, MaxDecompressedBytes+1))
		if err != nil {
			return fail("the record is not valid gzip data: %v", err)
		}
		raw := st.buf.Bytes()
		if len(raw) > MaxDecompressedBytes {
			return fail("the payload is larger than %d bytes uncompressed", MaxDecompressedBytes)
		}
		// One pass validates the payload as JSON.parse would and notes the
		// members it needs (the last of each name, as JSON.parse keeps).
		p := &jsonScanner{s: text(raw)}
		p.ws()
		if p.i >= len(p.s) || p.s[p.i] != '{' {
			if err := p.value(); err != nil {
				return fail("the payload is not JSON: %v", err)
			}
			return fail("the payload is not a JSON object")
		}
		var msgType []byte
		typeOK, events := false, []byte(nil)
		err = p.object(func(key []byte) error {
			p.ws()
			switch string(key) {
			case "messageType":
				if p.i < len(p.s) && p.s[p.i] == '"' {
					var err error
					msgType, err = p.str(msgType[:0], true)
					typeOK = true
					return err
				}
				typeOK = false
			case "logEvents":
				start := p.i
				err := p.value()
				events = p.s[start:p.i]
				return err
			}
			return p.value()
		})
		if err == nil {
			if p.ws(); p.i != len(p.s) {
				err = p.errorf("data after the payload")
			}
		}
		if err != nil {
			return fail("the payload is not JSON: %v", err)
		}
		if !typeOK {
			return fail("the payload has no messageType string")
		}
		if string(msgType) != "DATA_MESSAGE" {
			if dropControl && string(msgType) == "CONTROL_MESSAGE" {
				return dst, StatusDropped, ""
			}
			return fail("messageType is %q, not DATA_MESSAGE", msgType)
		}
		if len(events) == 0 || events[0] != '[' {
			return fail("logEvents is not an array")
		}
		// The events, already validated: each message decoded into dst.
		start := len(dst)
		q := &jsonScanner{s: events}
		n := 0
		err = q.array(func() error {
			q.ws()
			if q.s[q.i] != '{' {
				return fmt.Errorf("log event %d is not an object", n)
			}
			mark, found := len(dst), false
			err := q.object(func(key []byte) error {
				q.ws()
				if string(key) != "message" {
					return q.value()
				}
				dst, found = dst[:mark], false // a later "message" wins
				if q.s[q.i] != '"' {
					return q.value()
				}
				var err error
				dst, err = q.str(dst, true)
				found = true
				return err
			})
			if err == nil && !found {
				err = fmt.Errorf("log event %d has no message string", n)
			}
			dst = append(dst, '\n')
			n++
			return err
		})
		if err != nil {
			return dst[:start], StatusProcessingFailed, "cloudwatch-logs-processor: " + err.Error()
		}
		return dst, StatusOk, ""
	}
}
