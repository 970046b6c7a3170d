package blueprint

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// MaxDecompressedBytes caps the gunzipped size of one CloudWatch Logs
// payload. CloudWatch Logs sends at most about 1 MiB of events per record,
// so a record beyond the cap is not a subscription payload (or is a
// compression bomb): it fails.
const MaxDecompressedBytes = 8 << 20

// cloudwatchLogs is the cloudwatch-logs-processor blueprint: it gunzips the
// record, parses the subscription payload and, for a DATA_MESSAGE, writes
// each log event's message followed by "\n". Other message types fail, or
// with dropControl a CONTROL_MESSAGE is Dropped.
func cloudwatchLogs(dropControl bool) appendFunc {
	return func(dst, data []byte) ([]byte, Status, string) {
		fail := func(format string, args ...any) ([]byte, Status, string) {
			return dst, StatusProcessingFailed, "cloudwatch-logs-processor: " + fmt.Sprintf(format, args...)
		}
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return fail("the record is not gzip data: %v", err)
		}
		raw, err := io.ReadAll(io.LimitReader(zr, MaxDecompressedBytes+1))
		if err != nil {
			return fail("the record is not valid gzip data: %v", err)
		}
		if len(raw) > MaxDecompressedBytes {
			return fail("the payload is larger than %d bytes uncompressed", MaxDecompressedBytes)
		}
		var payload map[string]json.RawMessage
		if err := json.Unmarshal(text(raw), &payload); err != nil || payload == nil {
			if err == nil {
				err = errors.New("not an object")
			}
			return fail("the payload is not a JSON object: %v", err)
		}
		var msgType string
		if t, ok := payload["messageType"]; !ok || json.Unmarshal(t, &msgType) != nil {
			return fail("the payload has no messageType string")
		}
		if msgType != "DATA_MESSAGE" {
			if dropControl && msgType == "CONTROL_MESSAGE" {
				return dst, StatusDropped, ""
			}
			return fail("messageType is %q, not DATA_MESSAGE", msgType)
		}
		var events []map[string]json.RawMessage
		rawEvents := bytes.TrimSpace(payload["logEvents"])
		if err := json.Unmarshal(rawEvents, &events); err != nil || events == nil {
			if err == nil {
				err = errors.New("null")
			}
			return fail("logEvents is not an array of objects: %v", err)
		}
		start := len(dst)
		for i, e := range events {
			var msg string
			if m, ok := e["message"]; !ok || json.Unmarshal(m, &msg) != nil {
				return dst[:start], StatusProcessingFailed, fmt.Sprintf("cloudwatch-logs-processor: log event %d has no message string", i)
			}
			dst = append(append(dst, msg...), '\n')
		}
		return dst, StatusOk, ""
	}
}
