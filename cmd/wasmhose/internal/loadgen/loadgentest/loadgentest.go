// Package loadgentest provides a tiny in-process Firehose endpoint for tests
// of package loadgen and the bench command.
//
// The endpoint speaks just enough of the AWS JSON 1.1 protocol for
// CreateDeliveryStream, DescribeDeliveryStream and PutRecordBatch, and
// writes the records it accepts as one object per call in the layout of the
// local object store: <dir>/s3/<bucket>/<yyyy/mm/dd/hh>/<stream>-<call><ext>.
// It can inject failures, of whole calls and of single records, and
// duplicate deliveries.
package loadgentest

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// targetPrefix starts every X-Amz-Target header of the Firehose API.
const targetPrefix = "Firehose_20150804."

// Options configures a [Server]. The zero value accepts every record.
type Options struct {
	// Streams lists the delivery streams that exist from the start: name
	// to bucket. They are ACTIVE and deliver GZIP objects.
	Streams map[string]string
	// CreatingDescribes is the number of DescribeDeliveryStream calls that
	// report a stream created through the API as CREATING before it turns
	// ACTIVE.
	CreatingDescribes int
	// FailCall, when not nil and true for the n-th PutRecordBatch call
	// (from 1, in arrival order), fails that call as a whole with
	// ServiceUnavailableException (HTTP 503).
	FailCall func(n int) bool
	// FailRecord, when not nil and true for record i (from 0) of call n,
	// fails that record with ServiceUnavailableException in the response.
	FailRecord func(n, i int) bool
	// Duplicate, when not nil and true for call n, delivers the accepted
	// records of call n twice, in two objects.
	Duplicate func(n int) bool
}

// Server is a running fake Firehose endpoint. It is safe for concurrent use.
type Server struct {
	// URL is the endpoint's base URL, on 127.0.0.1.
	URL string

	dir string
	o   Options

	mu       sync.Mutex
	streams  map[string]*stream
	calls    int
	accepted int64
}

type stream struct {
	bucket      string
	compression string
	describes   int
}

// New starts a Server that writes objects under dir/s3 and stops it when
// the test ends.
func New(t testing.TB, dir string, o Options) *Server {
	t.Helper()
	s := &Server{dir: dir, o: o, streams: map[string]*stream{}}
	for name, bucket := range o.Streams {
		s.streams[name] = &stream{bucket: bucket, compression: "GZIP", describes: o.CreatingDescribes}
	}
	srv := httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// Calls returns the number of PutRecordBatch calls received.
func (s *Server) Calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

// Accepted returns the number of records accepted (and written).
func (s *Server) Accepted() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.accepted
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), targetPrefix)
	if r.Method != http.MethodPost || !ok {
		apiError(w, http.StatusBadRequest, "UnknownOperationException", "not a Firehose request")
		return
	}
	switch op {
	case "CreateDeliveryStream":
		s.create(w, r)
	case "DescribeDeliveryStream":
		s.describe(w, r)
	case "PutRecordBatch":
		s.putRecordBatch(w, r)
	default:
		apiError(w, http.StatusBadRequest, "UnknownOperationException", "operation "+op+" is not implemented")
	}
}

func (s *Server) create(w http.ResponseWriter, r *http.Request) {
	var in struct {
		DeliveryStreamName                 string
		ExtendedS3DestinationConfiguration *struct {
			BucketARN         string
			CompressionFormat string
		}
	}
	if !decode(w, r, &in) {
		return
	}
	d := in.ExtendedS3DestinationConfiguration
	if in.DeliveryStreamName == "" || d == nil || !strings.HasPrefix(d.BucketARN, "arn:aws:s3:::") {
		apiError(w, http.StatusBadRequest, "InvalidArgumentException", "need a name and an ExtendedS3 destination")
		return
	}
	comp := d.CompressionFormat
	if comp == "" {
		comp = "UNCOMPRESSED"
	}
	if comp != "GZIP" && comp != "UNCOMPRESSED" {
		apiError(w, http.StatusBadRequest, "InvalidArgumentException", "this fake supports GZIP and UNCOMPRESSED only")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.streams[in.DeliveryStreamName]; ok {
		apiError(w, http.StatusBadRequest, "ResourceInUseException", "stream "+in.DeliveryStreamName+" exists")
		return
	}
	s.streams[in.DeliveryStreamName] = &stream{bucket: strings.TrimPrefix(d.BucketARN, "arn:aws:s3:::"), compression: comp}
	reply(w, map[string]string{"DeliveryStreamARN": arn(in.DeliveryStreamName)})
}

func (s *Server) describe(w http.ResponseWriter, r *http.Request) {
	var in struct{ DeliveryStreamName string }
	if !decode(w, r, &in) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.streams[in.DeliveryStreamName]
	if !ok {
		apiError(w, http.StatusBadRequest, "ResourceNotFoundException", "stream "+in.DeliveryStreamName+" not found")
		return
	}
	status := "ACTIVE"
	if st.describes < s.o.CreatingDescribes {
		st.describes++
		status = "CREATING"
	}
	reply(w, map[string]any{"DeliveryStreamDescription": map[string]any{
		"DeliveryStreamName":   in.DeliveryStreamName,
		"DeliveryStreamARN":    arn(in.DeliveryStreamName),
		"DeliveryStreamStatus": status,
		"DeliveryStreamType":   "DirectPut",
		"VersionId":            "1",
		"Destinations":         []any{},
		"HasMoreDestinations":  false,
	}})
}

type entry struct {
	RecordId     string `json:",omitempty"`
	ErrorCode    string `json:",omitempty"`
	ErrorMessage string `json:",omitempty"`
}

func (s *Server) putRecordBatch(w http.ResponseWriter, r *http.Request) {
	var in struct {
		DeliveryStreamName string
		Records            []struct{ Data []byte }
	}
	if !decode(w, r, &in) {
		return
	}
	s.mu.Lock()
	s.calls++
	n := s.calls
	st, ok := s.streams[in.DeliveryStreamName]
	s.mu.Unlock()
	switch {
	case !ok:
		apiError(w, http.StatusBadRequest, "ResourceNotFoundException", "stream "+in.DeliveryStreamName+" not found")
		return
	case s.o.FailCall != nil && s.o.FailCall(n):
		apiError(w, http.StatusServiceUnavailable, "ServiceUnavailableException", fmt.Sprintf("call %d failed on purpose", n))
		return
	}
	var body bytes.Buffer
	resp := make([]entry, len(in.Records))
	failed := 0
	for i, rec := range in.Records {
		if s.o.FailRecord != nil && s.o.FailRecord(n, i) {
			failed++
			resp[i] = entry{ErrorCode: "ServiceUnavailableException", ErrorMessage: fmt.Sprintf("record %d of call %d failed on purpose", i, n)}
			continue
		}
		body.Write(rec.Data)
		resp[i] = entry{RecordId: fmt.Sprintf("%d-%d", n, i)}
	}
	copies := 1
	switch {
	case body.Len() == 0:
		copies = 0
	case s.o.Duplicate != nil && s.o.Duplicate(n):
		copies = 2
	}
	for c := range copies {
		if err := s.write(st, in.DeliveryStreamName, fmt.Sprintf("%06d-%d", n, c), body.Bytes()); err != nil {
			apiError(w, http.StatusInternalServerError, "InternalFailure", err.Error())
			return
		}
	}
	s.mu.Lock()
	s.accepted += int64(len(in.Records) - failed)
	s.mu.Unlock()
	reply(w, map[string]any{"FailedPutCount": failed, "Encrypted": false, "RequestResponses": resp})
}

// write stores data as an object of st, atomically: a hidden temporary file
// renamed into place.
func (s *Server) write(st *stream, name, suffix string, data []byte) error {
	ext := ""
	if st.compression == "GZIP" {
		ext = ".gz"
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		if _, err := zw.Write(data); err != nil {
			return err
		}
		if err := zw.Close(); err != nil {
			return err
		}
		data = b.Bytes()
	}
	dir := filepath.Join(s.dir, "s3", st.bucket, time.Now().UTC().Format("2006/01/02/15"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), filepath.Join(dir, name+"-"+suffix+ext))
}

func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		apiError(w, http.StatusBadRequest, "SerializationException", err.Error())
		return false
	}
	return true
}

func reply(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(v)
}

func apiError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", code)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": msg})
}

func arn(name string) string {
	return "arn:aws:firehose:us-east-1:000000000000:deliverystream/" + name
}
