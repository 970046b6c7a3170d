package api_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/wasmhose/wasmhose/host/api"
	"github.com/wasmhose/wasmhose/host/apierror"
)

// goldenRequests returns the requests of testdata/golden as fuzz seeds:
// the operation (target without the prefix) and the body; bodies over
// 64 KiB are left out to keep fuzzing fast.
func goldenRequests(f *testing.F) (ops []string, bodies [][]byte) {
	files, err := filepath.Glob(filepath.Join("testdata", "golden", "*.txt"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no golden files: %v", err)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		input, _, _ := strings.Cut(string(data), "\n"+goldenSep+"\n")
		g, err := parseGolden(input)
		if err != nil {
			f.Fatalf("%s: %v", file, err)
		}
		if len(g.body) > 64<<10 {
			continue
		}
		ops = append(ops, strings.TrimPrefix(g.target, api.TargetPrefix))
		bodies = append(bodies, g.body)
	}
	return ops, bodies
}

// fuzzFailures are the backend failures FuzzDispatch injects, by mode.
var fuzzFailures = []map[string]error{
	{},
	{"Put": apierror.ServiceUnavailable("Slow down.")},
	{"*": errors.New("backend: disk on fire")},
	{"*": apierror.ResourceNotFound("Firehose s under account 000000000000 not found.")},
	{"Put": apierror.Internal("internal")},
	{"*": apierror.LimitExceeded("limit")},
}

// FuzzDispatch sends arbitrary operations and bodies. Whatever comes in, the
// server does not panic (echo's Recover middleware would answer 500
// InternalFailure, so the test watches the log and the backend's errors:
// a 500 is allowed only after the backend returned an error that maps to
// 500), the status is 200, 4xx or 503, and every answer passes
// checkResponse: JSON, the error shape with __type and message, the
// X-Amzn-ErrorType header.
func FuzzDispatch(f *testing.F) {
	ops, bodies := goldenRequests(f)
	for i := range ops {
		f.Add(ops[i], bodies[i], uint8(0))
		f.Add(ops[i], bodies[i], uint8(i%len(fuzzFailures)))
	}
	f.Add("PutRecordBatch", []byte(`{"DeliveryStreamName":"s","Records":[{"Data":"aGk="},{"Data":[1,2]},null]}`), uint8(1))
	f.Add("CreateDeliveryStream", []byte(`{"DeliveryStreamName":"t","ExtendedS3DestinationConfiguration":{"RoleARN":"arn:aws:iam::000000000000:role/r","BucketARN":"arn:aws:s3:::b","Prefix":"!{timestamp:yyyy}/","ErrorOutputPrefix":"e/!{firehose:error-output-type}/","ProcessingConfiguration":{"Enabled":true,"Processors":[{"Type":"AppendDelimiterToRecord"}]}}}`), uint8(0))
	f.Add("UpdateDestination", []byte(`{"DeliveryStreamName":"s","CurrentDeliveryStreamVersionId":"1","DestinationId":"destinationId-000000000001","S3DestinationUpdate":{"BufferingHints":{"SizeInMBs":1}}}`), uint8(0))
	f.Add("", []byte(nil), uint8(0))
	f.Fuzz(func(t *testing.T, op string, body []byte, mode uint8) {
		h := newHarness()
		h.createStream(t, "s")
		h.createStream(t, "clicks")
		h.fake.fail = fuzzFailures[int(mode)%len(fuzzFailures)]
		rec := h.post(op, body)
		if p := h.panics.take(); len(p) > 0 {
			t.Fatalf("%s %q: the handler panicked: %q", op, body, p)
		}
		h.fake.mu.Lock()
		internal := h.fake.internalErr
		h.fake.mu.Unlock()
		switch code := rec.Code; {
		case code == http.StatusOK, code >= 400 && code < 500, code == http.StatusServiceUnavailable:
		case code == http.StatusInternalServerError && internal > 0:
		default:
			t.Fatalf("%s %q: status %d (backend internal errors: %d): %s", op, body, code, internal, rec.Body)
		}
		for _, p := range checkResponse(rec) {
			t.Errorf("%s %q: %s", op, body, p)
		}
		// The Observer hears of every request that reached an operation.
		calls := h.obs.calls
		if slices.Contains(firehoseOps, op) && rec.Code != http.StatusRequestEntityTooLarge {
			if len(calls) != 1 || calls[0].op != op || calls[0].status != rec.Code {
				t.Errorf("%s %q: answered %d, observed %+v", op, body, rec.Code, calls)
			}
		} else if len(calls) != 0 {
			t.Errorf("%s %q: not an operation, observed %+v", op, body, calls)
		}
	})
}

// firehoseOps are the operations the server answers.
var firehoseOps = []string{
	"CreateDeliveryStream", "DescribeDeliveryStream", "ListDeliveryStreams", "DeleteDeliveryStream",
	"UpdateDestination", "PutRecord", "PutRecordBatch", "TagDeliveryStream", "UntagDeliveryStream",
	"ListTagsForDeliveryStream", "StartDeliveryStreamEncryption", "StopDeliveryStreamEncryption",
}

// Flags of FuzzPutRecordBatch: how the request departs from a good one.
const (
	fbNullData     = 1 << iota // record k has "Data": null
	fbNoData                   // record k+1 has no Data member
	fbBadBase64                // record k+2's Data is not base64
	fbDataNumber               // record k+3's Data is a number
	fbBadNameChars             // DeliveryStreamName "bad name!"
	fbNameTooLong              // DeliveryStreamName of 65 characters
	fbRecordsNull              // "Records": null
	fbTruncated                // the body's last byte is cut off
)

// Record forms in a FuzzPutRecordBatch body.
const (
	formData = iota
	formNull
	formAbsent
	formBadBase64
	formNumber
)

// fuzzPattern is the source of record bytes: record i is
// fuzzPattern[i%251:][:size], so records differ and sizes are cheap.
var fuzzPattern = func() []byte {
	b := make([]byte, api.MaxRecordBytes+1+251)
	for i := range b {
		b[i] = byte(i*7 + i/251)
	}
	return b
}()

// batchSizes derives record sizes from the fuzzer's bytes: mostly small,
// and when big is set some up to ~1 MB, some at the 1,024,000 boundary (-1,
// 0, +1) and some that bring the total to 4 MiB (-1, 0, +1). Once the total
// is past 4 MiB + 64 KiB records stay small, so the body stays under
// MaxBodyBytes.
func batchSizes(n int, seed []byte, big bool) []int {
	sizes := make([]int, n)
	total := 0
	for i := range sizes {
		var cls, v byte
		if len(seed) > 0 {
			cls, v = seed[(2*i)%len(seed)], seed[(2*i+1)%len(seed)]
		}
		if !big {
			cls = 0
		}
		var sz int
		switch cls % 8 {
		case 5:
			sz = int(v) * 4001
		case 6:
			sz = api.MaxRecordBytes - 1 + int(v%3)
		case 7:
			sz = min(max(api.MaxBatchBytes-total+int(v%3)-1, 0), api.MaxRecordBytes+1)
		default:
			sz = int(v)
		}
		if total > api.MaxBatchBytes+64<<10 {
			sz = min(sz, 16)
		}
		sizes[i] = sz
		total += sz
	}
	return sizes
}

// FuzzPutRecordBatch builds PutRecordBatch bodies from a record count, size
// seeds and flags, and checks the limits both ways. Accepted means 1–500
// records, each present and at most 1,024,000 bytes, 4 MiB in all, a good
// name, and well-formed JSON; then the backend got exactly those bytes in
// order and the answer has one RecordId per record. Anything else is
// refused, with the error the first broken rule calls for: malformed JSON
// SerializationException, a model constraint ValidationException naming
// each broken member, too many bytes InvalidArgumentException.
func FuzzPutRecordBatch(f *testing.F) {
	// Seeds with count under 520 may have records of up to a megabyte;
	// the others (n = count-520) have small records only.
	f.Add(uint16(521), []byte{0, 3}, uint8(0), uint16(0))
	f.Add(uint16(520), []byte{}, uint8(0), uint16(0))
	f.Add(uint16(1020), []byte{0, 1}, uint8(0), uint16(0))
	f.Add(uint16(1021), []byte{0, 1}, uint8(0), uint16(0))
	f.Add(uint16(1), []byte{6, 1}, uint8(0), uint16(0))                               // 1,024,000
	f.Add(uint16(1), []byte{6, 2}, uint8(0), uint16(0))                               // 1,024,001
	f.Add(uint16(5), []byte{6, 1, 6, 1, 6, 1, 6, 1, 7, 1}, uint8(0), uint16(0))       // exactly 4 MiB
	f.Add(uint16(5), []byte{6, 1, 6, 1, 6, 1, 6, 1, 7, 2}, uint8(0), uint16(0))       // 4 MiB + 1
	f.Add(uint16(6), []byte{6, 1, 6, 1, 6, 1, 6, 1, 7, 0, 0, 0}, uint8(0), uint16(0)) // 4 MiB - 1, then an empty record
	f.Add(uint16(523), []byte{0, 9}, uint8(fbNullData|fbNoData), uint16(1))
	f.Add(uint16(523), []byte{0, 9}, uint8(fbBadBase64), uint16(0))
	f.Add(uint16(523), []byte{0, 9}, uint8(fbDataNumber|fbNameTooLong), uint16(0))
	f.Add(uint16(522), []byte{0, 9}, uint8(fbBadNameChars|fbNullData), uint16(0))
	f.Add(uint16(2), []byte{6, 2}, uint8(fbNameTooLong), uint16(0))
	f.Add(uint16(522), []byte{0, 9}, uint8(fbRecordsNull), uint16(0))
	f.Add(uint16(522), []byte{0, 9}, uint8(fbTruncated), uint16(0))
	f.Fuzz(func(t *testing.T, count uint16, seed []byte, flags uint8, pick uint16) {
		// count picks the number of records (0–519) and whether records may
		// be big: always under 520, else for one count in 16. Big bodies are
		// slow to fuzz, so most executions stay small.
		n := int(count) % 520
		sizes := batchSizes(n, seed, (count/520)%16 == 0)
		forms := make([]int, n)
		recordsNull := flags&fbRecordsNull != 0
		if n > 0 && !recordsNull {
			k := int(pick) % n
			for j, fl := range []struct {
				bit  uint8
				form int
			}{{fbNullData, formNull}, {fbNoData, formAbsent}, {fbBadBase64, formBadBase64}, {fbDataNumber, formNumber}} {
				if flags&fl.bit != 0 {
					forms[(k+j)%n] = fl.form
				}
			}
		}
		name := "s"
		switch {
		case flags&fbBadNameChars != 0 && flags&fbNameTooLong != 0:
			name = "bad name!" + strings.Repeat("x", 60)
		case flags&fbBadNameChars != 0:
			name = "bad name!"
		case flags&fbNameTooLong != 0:
			name = strings.Repeat("x", 65)
		}

		var body bytes.Buffer
		fmt.Fprintf(&body, `{"DeliveryStreamName":%q,"Records":`, name)
		data := make([][]byte, n)
		if recordsNull {
			body.WriteString("null")
		} else {
			body.WriteString("[")
			for i := range n {
				if i > 0 {
					body.WriteString(",")
				}
				data[i] = fuzzPattern[i%251:][:sizes[i]]
				switch forms[i] {
				case formData:
					body.WriteString(`{"Data":"` + base64.StdEncoding.EncodeToString(data[i]) + `"}`)
				case formNull:
					body.WriteString(`{"Data":null}`)
				case formAbsent:
					body.WriteString(`{}`)
				case formBadBase64:
					body.WriteString(`{"Data":"*` + base64.StdEncoding.EncodeToString(data[i]) + `"}`)
				case formNumber:
					body.WriteString(`{"Data":7}`)
				}
			}
			body.WriteString("]")
		}
		body.WriteString("}")
		if flags&fbTruncated != 0 {
			body.Truncate(body.Len() - 1)
		}

		// What Firehose's rules call for.
		malformed := flags&fbTruncated != 0
		var paths []string // expected violation paths, in any order
		nameBad := flags&(fbBadNameChars|fbNameTooLong) != 0
		countBad := recordsNull || n == 0 || n > api.MaxBatchRecords
		total := 0
		for i := range n {
			switch forms[i] {
			case formBadBase64, formNumber:
				malformed = true
			case formNull, formAbsent:
				paths = append(paths, fmt.Sprintf("'records.%d.member.data' failed to satisfy constraint: Member must not be null", i+1))
			default:
				total += sizes[i]
				if sizes[i] > api.MaxRecordBytes {
					paths = append(paths, fmt.Sprintf("'records.%d.member.data' failed to satisfy constraint: Member must have length less than or equal to %d", i+1, api.MaxRecordBytes))
				}
			}
		}
		if recordsNull {
			paths = nil
		}
		invalid := nameBad || countBad || len(paths) > 0

		h := newHarness()
		h.createStream(t, "s")
		rec := h.post("PutRecordBatch", body.Bytes())
		desc := fmt.Sprintf("n=%d sizes=%v total=%d flags=%08b forms=%v", n, summarizeSizes(sizes), total, flags, forms)
		if p := h.panics.take(); len(p) > 0 {
			t.Fatalf("%s: panicked: %q", desc, p)
		}
		for _, p := range checkResponse(rec) {
			t.Errorf("%s: %s", desc, p)
		}
		var e struct {
			Type    string `json:"__type"`
			Message string `json:"message"`
		}
		if rec.Code != http.StatusOK {
			_ = json.Unmarshal(rec.Body.Bytes(), &e)
			if len(h.fake.puts) != 0 {
				t.Errorf("%s: refused with %s, but the backend got %d puts", desc, e.Type, len(h.fake.puts))
			}
		}
		switch {
		case body.Len() > api.MaxBodyBytes:
			if rec.Code != http.StatusRequestEntityTooLarge || total <= api.MaxBatchBytes {
				t.Fatalf("%s: %d-byte body: answered %d %.300s", desc, body.Len(), rec.Code, rec.Body)
			}
		case malformed:
			if rec.Code != http.StatusBadRequest || e.Type != apierror.TypeSerialization {
				t.Fatalf("%s: malformed JSON answered %d %.300s, want SerializationException", desc, rec.Code, rec.Body)
			}
		case invalid:
			if rec.Code != http.StatusBadRequest || e.Type != apierror.TypeValidation {
				t.Fatalf("%s: answered %d %.300s, want ValidationException", desc, rec.Code, rec.Body)
			}
			checkViolations(t, desc, e.Message, nameBad, countBad, n, paths)
		case total > api.MaxBatchBytes:
			if rec.Code != http.StatusBadRequest || e.Type != apierror.TypeInvalidArgument || e.Message != "Records size exceeds 4 MB limit" {
				t.Fatalf("%s: %d bytes answered %d %.300s, want InvalidArgumentException", desc, total, rec.Code, rec.Body)
			}
		default:
			if rec.Code != http.StatusOK {
				t.Fatalf("%s: a good batch answered %d %.300s", desc, rec.Code, rec.Body)
			}
			checkAccepted(t, desc, h, rec.Body.Bytes(), data)
			want := observed{"PutRecordBatch", "s", http.StatusOK, n, total, 0}
			if len(h.obs.calls) != 1 || h.obs.calls[0] != want {
				t.Errorf("%s: observed %+v, want [%+v]", desc, h.obs.calls, want)
			}
		}
	})
}

// checkViolations checks a ValidationException's message names exactly the
// broken members. Past 500 records the per-record violations may be left
// out (the server may stop at the list's length).
func checkViolations(t *testing.T, desc, msg string, nameBad, countBad bool, n int, paths []string) {
	t.Helper()
	if got := strings.Contains(msg, "at 'deliveryStreamName'"); got != nameBad {
		t.Errorf("%s: deliveryStreamName named %t, want %t: %.300s", desc, got, nameBad, msg)
	}
	if got := strings.Contains(msg, "at 'records' "); got != countBad {
		t.Errorf("%s: records named %t, want %t: %.300s", desc, got, countBad, msg)
	}
	perRecord := strings.Count(msg, "at 'records.")
	if n > api.MaxBatchRecords && perRecord < len(paths) {
		return
	}
	if perRecord != len(paths) {
		t.Errorf("%s: %d record violations, want %d: %.500s", desc, perRecord, len(paths), msg)
	}
	for _, p := range paths {
		if !strings.Contains(msg, "at "+p) {
			t.Errorf("%s: message does not name %s: %.500s", desc, p, msg)
		}
	}
}

// checkAccepted checks an accepted batch: one RecordId per record, in order,
// none failed, and the backend got exactly the records' bytes in order.
func checkAccepted(t *testing.T, desc string, h *harness, body []byte, data [][]byte) {
	t.Helper()
	var out struct {
		FailedPutCount   *int
		Encrypted        *bool
		RequestResponses []struct {
			RecordId, ErrorCode, ErrorMessage string
		}
	}
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatalf("%s: answer %q: %v", desc, body, err)
	}
	if out.FailedPutCount == nil || *out.FailedPutCount != 0 || out.Encrypted == nil || len(out.RequestResponses) != len(data) {
		t.Fatalf("%s: answer %.500s", desc, body)
	}
	for i, r := range out.RequestResponses {
		if want := fmt.Sprintf("rec-%06d", i+1); r.RecordId != want || r.ErrorCode != "" || r.ErrorMessage != "" {
			t.Fatalf("%s: RequestResponses[%d] = %+v, want RecordId %s", desc, i, r, want)
		}
	}
	if len(h.fake.puts) != 1 {
		t.Fatalf("%s: backend got %d puts, want 1", desc, len(h.fake.puts))
	}
	got := h.fake.puts[0]
	if len(got) != len(data) {
		t.Fatalf("%s: backend got %d records, want %d", desc, len(got), len(data))
	}
	for i := range data {
		if !bytes.Equal(got[i], data[i]) {
			t.Fatalf("%s: record %d: backend got %d bytes, want %d", desc, i+1, len(got[i]), len(data[i]))
		}
	}
}

// summarizeSizes shortens long size lists for messages.
func summarizeSizes(s []int) string {
	if len(s) <= 12 {
		return fmt.Sprint(s)
	}
	return fmt.Sprintf("%v…(%d)", s[:12], len(s))
}
