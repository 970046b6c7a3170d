package console

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/wasmhose/wasmhose/host/apierror"
	"github.com/wasmhose/wasmhose/host/deliver"
	"github.com/wasmhose/wasmhose/host/metrics"
	"github.com/wasmhose/wasmhose/host/objstore"
	"github.com/wasmhose/wasmhose/host/stream"
)

// Defaults of Options.
const (
	// DefaultInterval is the default time between two samples.
	DefaultInterval = 5 * time.Second
	// DefaultWindow is the default history kept per stream.
	DefaultWindow = time.Hour
	// DefaultObjects is how many objects the objects endpoint returns
	// without ?limit.
	DefaultObjects = 20
	// MaxObjects is the largest ?limit the objects endpoint accepts.
	MaxObjects = 1000
	// maxAfter is the longest ?after the objects endpoint accepts: S3's
	// longest key, in bytes.
	maxAfter = 1024
	// sparkPoints is the length of the stream list's sparklines.
	sparkPoints = 60
	// listPage is the page size used to list every stream.
	listPage = 1000
	// backendTimeout bounds each call a request makes to the backend.
	backendTimeout = 10 * time.Second
)

// Backend is what the console reads. *service.Service implements it.
// Errors that are an [apierror.Error] of type ResourceNotFoundException
// become 404 answers.
type Backend interface {
	// List returns stream names in order after exclusiveStart, at most
	// limit of them, and whether more follow (ListDeliveryStreams).
	List(ctx context.Context, limit int, typ, exclusiveStart string) (names []string, hasMore bool)
	// Describe returns DescribeDeliveryStream's view of a stream.
	Describe(ctx context.Context, name string) (stream.Description, error)
	// Snapshot returns the counters of every ACTIVE stream.
	Snapshot() []metrics.Stream
	// RecentErrors returns an ACTIVE stream's latest delivery errors, newest first.
	RecentErrors(name string) ([]deliver.ErrorEvent, error)
	// RecentObjects returns the latest objects an ACTIVE stream stored,
	// newest first, from memory (no store call).
	RecentObjects(name string) ([]deliver.StoredObject, error)
	// Objects returns one page of a stream's objects in key order: at most
	// limit of those after the key after, and the key to go on from ("" at
	// the end of the listing). Its work must be bounded by the page, not by
	// the bucket: every GET of the objects endpoint may call it.
	Objects(ctx context.Context, name, after string, limit int) (objs []objstore.ObjectInfo, next string, err error)
}

// Options configure a Console. The zero value is valid.
type Options struct {
	// Interval is the time between two samples of the counters, and so the
	// resolution of the charts. Default 5 s (DefaultInterval).
	Interval time.Duration
	// Window is how much history each stream's series keeps: it holds
	// Window/Interval points. Default 1 h (DefaultWindow).
	Window time.Duration
	// Logger receives the console's errors (failed object listings); nil
	// discards them.
	Logger *slog.Logger
	// Now is the sampler's clock. Default time.Now.
	Now func() time.Time
}

// Console serves the web console and samples the service's counters in the
// background until Close. Its methods are safe for concurrent use.
type Console struct {
	b      Backend
	opts   Options
	sm     *sampler
	mux    *http.ServeMux
	assets map[string]asset

	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

// New returns a Console reading b and starts its sampler: the first sample
// (a baseline) is taken now, the next ones every o.Interval. b must not be
// nil. Call Close to stop the sampler.
func New(b Backend, o Options) *Console {
	if o.Interval <= 0 {
		o.Interval = DefaultInterval
	}
	if o.Window <= 0 {
		o.Window = DefaultWindow
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	capacity := int((o.Window + o.Interval - 1) / o.Interval)
	c := &Console{
		b:      b,
		opts:   o,
		sm:     newSampler(b.Snapshot, capacity),
		assets: loadAssets(),
		stop:   make(chan struct{}),
		done:   make(chan struct{}),
	}
	c.routes()
	c.sm.sample(o.Now())
	go func() {
		defer close(c.done)
		c.sm.run(o.Interval, o.Now, c.stop)
	}()
	return c
}

// Close stops the sampler and waits for it to return. It cannot fail, and
// it is safe to call more than once. The routes keep answering after Close,
// with the series frozen.
func (c *Console) Close() {
	c.closeOnce.Do(func() { close(c.stop) })
	<-c.done
}

// Register mounts the console on e: GET / (a redirect), /console and
// everything under /console/.
func (c *Console) Register(e *echo.Echo) {
	h := echo.WrapHandler(c)
	e.GET("/", h)
	e.Any("/console", h)
	e.Any("/console/*", h)
}

// ServeHTTP implements http.Handler for the console's routes.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	c.mux.ServeHTTP(w, r)
}

func (c *Console) routes() {
	m := http.NewServeMux()
	toConsole := func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/console/", http.StatusFound)
	}
	m.HandleFunc("GET /{$}", toConsole)
	m.HandleFunc("GET /console", toConsole)
	m.HandleFunc("GET /console/{$}", c.serveIndex)
	m.HandleFunc("GET /console/assets/{file}", c.serveAsset)
	m.HandleFunc("GET /console/api/streams", c.apiStreams)
	m.HandleFunc("GET /console/api/streams/{name}", c.apiStream)
	m.HandleFunc("GET /console/api/streams/{name}/series", c.apiSeries)
	m.HandleFunc("GET /console/api/streams/{name}/errors", c.apiErrors)
	m.HandleFunc("GET /console/api/streams/{name}/objects", c.apiObjects)
	m.HandleFunc("/console/api/", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			writeError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", "the console API is read-only: "+r.Method+" is not allowed")
			return
		}
		writeError(w, http.StatusNotFound, "NotFound", "no console API at "+r.Method+" "+r.URL.Path)
	})
	c.mux = m
}

// Totals are a stream's cumulative counters and gauges, read live.
type Totals struct {
	// IncomingRecords and IncomingBytes count what PutRecord(Batch) accepted.
	IncomingRecords int64 `json:"incomingRecords"`
	// IncomingBytes is the bytes accepted.
	IncomingBytes int64 `json:"incomingBytes"`
	// DeliveredRecords is the records stored in objects.
	DeliveredRecords int64 `json:"deliveredRecords"`
	// DeliveredBytes is the record bytes stored, before compression.
	DeliveredBytes int64 `json:"deliveredBytes"`
	// DeliveredObjects is the objects stored.
	DeliveredObjects int64 `json:"deliveredObjects"`
	// FailedStoreCalls is the object-store calls that failed (and were retried).
	FailedStoreCalls int64 `json:"failedStoreCalls"`
	// BufferedRecords is the records in the open buffer.
	BufferedRecords int `json:"bufferedRecords"`
	// BufferedBytes is the bytes in the open buffer.
	BufferedBytes int `json:"bufferedBytes"`
	// UnackedRecords is the records in the write-ahead log not yet stored.
	UnackedRecords uint64 `json:"unackedRecords"`
	// LogBytes is the write-ahead log's size on disk.
	LogBytes int64 `json:"logBytes"`
	// Freshness is the age in seconds of the oldest record not yet stored.
	Freshness float64 `json:"freshness"`
	// LogDamagedRanges is the damaged ranges the write-ahead log found when
	// the stream opened: records lost, their bytes quarantined.
	LogDamagedRanges int64 `json:"logDamagedRanges"`
	// LogDamagedBytes is the bytes of those ranges.
	LogDamagedBytes int64 `json:"logDamagedBytes"`
}

// StreamSummary is one stream as the stream list shows it.
type StreamSummary struct {
	// Name is the DeliveryStreamName.
	Name string `json:"name"`
	// ARN is the DeliveryStreamARN.
	ARN string `json:"arn"`
	// Status is the DeliveryStreamStatus (CREATING, ACTIVE, DELETING, ...).
	Status string `json:"status"`
	// Version is the VersionId.
	Version string `json:"version"`
	// Created is the CreateTimestamp.
	Created time.Time `json:"created"`
	// BucketARN is the destination bucket's ARN.
	BucketARN string `json:"bucketArn"`
	// Bucket is the bucket's name ("" when BucketARN does not parse).
	Bucket string `json:"bucket"`
	// Prefix is the destination Prefix.
	Prefix string `json:"prefix"`
	// ErrorOutputPrefix is the destination ErrorOutputPrefix.
	ErrorOutputPrefix string `json:"errorOutputPrefix"`
	// Compression is the CompressionFormat.
	Compression string `json:"compression"`
	// BufferSizeMB is BufferingHints.SizeInMBs.
	BufferSizeMB int `json:"bufferSizeMB"`
	// BufferIntervalSeconds is BufferingHints.IntervalInSeconds.
	BufferIntervalSeconds int `json:"bufferIntervalSeconds"`
	// Totals are the live counters; null unless the stream is ACTIVE.
	Totals *Totals `json:"totals"`
	// Latest is the newest sampled point; null before the first one.
	Latest *Point `json:"latest"`
	// Spark is the incoming records per second of the latest points
	// (at most 60), oldest first.
	Spark []float64 `json:"spark"`
}

// summarize builds a stream's summary from its description and counters.
func (c *Console) summarize(d stream.Description, st *metrics.Stream, now time.Time) StreamSummary {
	s := StreamSummary{
		Name:    d.DeliveryStreamName,
		ARN:     d.DeliveryStreamARN,
		Status:  d.DeliveryStreamStatus,
		Version: d.VersionId,
		Created: time.Time(d.CreateTimestamp).UTC(),
		Spark:   []float64{},
	}
	if dest := destination(d); dest != nil {
		s.BucketARN = dest.BucketARN
		s.Bucket, _ = objstore.BucketFromARN(dest.BucketARN)
		s.Prefix = deref(dest.Prefix)
		s.ErrorOutputPrefix = deref(dest.ErrorOutputPrefix)
		s.Compression = deref(dest.CompressionFormat)
		if h := dest.BufferingHints; h != nil {
			s.BufferSizeMB = deref(h.SizeInMBs)
			s.BufferIntervalSeconds = deref(h.IntervalInSeconds)
		}
	}
	if st != nil {
		s.Totals = &Totals{
			IncomingRecords:  st.IncomingRecords,
			IncomingBytes:    st.IncomingBytes,
			DeliveredRecords: st.DeliveredRecords,
			DeliveredBytes:   st.DeliveredBytes,
			DeliveredObjects: st.DeliveredObjects,
			FailedStoreCalls: st.FailedStoreCalls,
			BufferedRecords:  st.BufferedRecords,
			BufferedBytes:    st.BufferedBytes,
			UnackedRecords:   st.UnackedRecords,
			LogBytes:         st.LogBytes,
			Freshness:        freshness(now, *st),
			LogDamagedRanges: st.LogDamagedRanges,
			LogDamagedBytes:  st.LogDamagedBytes,
		}
	}
	if spark, last := c.sm.recent(s.Name, sparkPoints); spark != nil {
		s.Spark, s.Latest = spark, last
	}
	return s
}

// destination returns the extended S3 destination of a description, or nil.
func destination(d stream.Description) *stream.ExtendedS3DestinationConfiguration {
	if len(d.Destinations) == 0 || d.Destinations[0].ExtendedS3DestinationDescription == nil {
		return nil
	}
	return &d.Destinations[0].ExtendedS3DestinationDescription.ExtendedS3DestinationConfiguration
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// snapshotByName returns the live counters by stream name.
func (c *Console) snapshotByName() map[string]*metrics.Stream {
	snap := c.b.Snapshot()
	out := make(map[string]*metrics.Stream, len(snap))
	for i := range snap {
		out[snap[i].Name] = &snap[i]
	}
	return out
}

// streamsResponse is the body of GET /console/api/streams.
type streamsResponse struct {
	Streams  []StreamSummary `json:"streams"`
	Interval float64         `json:"interval"` // seconds between samples
	Window   float64         `json:"window"`   // seconds of history
	Now      int64           `json:"now"`      // server time, Unix ms
}

func (c *Console) apiStreams(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), backendTimeout)
	defer cancel()
	var names []string
	for start := ""; ; {
		page, more := c.b.List(ctx, listPage, "", start)
		names = append(names, page...)
		if !more || len(page) == 0 {
			break
		}
		start = page[len(page)-1]
	}
	live := c.snapshotByName()
	now := c.opts.Now()
	out := streamsResponse{Streams: make([]StreamSummary, 0, len(names)), Interval: c.opts.Interval.Seconds(), Window: c.opts.Window.Seconds(), Now: now.UnixMilli()}
	for _, n := range names {
		d, err := c.b.Describe(ctx, n)
		if err != nil {
			continue // deleted since List
		}
		out.Streams = append(out.Streams, c.summarize(d, live[n], now))
	}
	writeJSON(w, http.StatusOK, out)
}

// streamResponse is the body of GET /console/api/streams/{name}.
type streamResponse struct {
	Summary     StreamSummary      `json:"summary"`
	Description stream.Description `json:"description"`
	Now         int64              `json:"now"`
}

// describe answers 404 for an unknown stream; ok is false when it did.
func (c *Console) describe(w http.ResponseWriter, r *http.Request) (stream.Description, bool) {
	ctx, cancel := context.WithTimeout(r.Context(), backendTimeout)
	defer cancel()
	d, err := c.b.Describe(ctx, r.PathValue("name"))
	if err != nil {
		c.writeBackendError(w, err)
		return d, false
	}
	return d, true
}

func (c *Console) apiStream(w http.ResponseWriter, r *http.Request) {
	d, ok := c.describe(w, r)
	if !ok {
		return
	}
	now := c.opts.Now()
	writeJSON(w, http.StatusOK, streamResponse{
		Summary:     c.summarize(d, c.snapshotByName()[d.DeliveryStreamName], now),
		Description: d,
		Now:         now.UnixMilli(),
	})
}

// seriesResponse is the body of GET /console/api/streams/{name}/series.
type seriesResponse struct {
	Interval float64 `json:"interval"` // seconds between samples
	Window   float64 `json:"window"`   // seconds of history
	Now      int64   `json:"now"`      // server time, Unix ms
	Points   []Point `json:"points"`   // oldest first
}

func (c *Console) apiSeries(w http.ResponseWriter, r *http.Request) {
	var since int64
	if v := r.URL.Query().Get("since"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			writeError(w, http.StatusBadRequest, "InvalidParameter", "since must be Unix milliseconds, not "+strconv.Quote(v))
			return
		}
		since = n
	}
	if _, ok := c.describe(w, r); !ok {
		return
	}
	pts, _ := c.sm.points(r.PathValue("name"), since)
	if pts == nil {
		pts = []Point{}
	}
	writeJSON(w, http.StatusOK, seriesResponse{
		Interval: c.opts.Interval.Seconds(), Window: c.opts.Window.Seconds(),
		Now: c.opts.Now().UnixMilli(), Points: pts,
	})
}

// errorsResponse is the body of GET /console/api/streams/{name}/errors.
type errorsResponse struct {
	Errors []deliver.ErrorEvent `json:"errors"`
}

func (c *Console) apiErrors(w http.ResponseWriter, r *http.Request) {
	if _, ok := c.describe(w, r); !ok {
		return
	}
	evs, err := c.b.RecentErrors(r.PathValue("name"))
	if err != nil || evs == nil {
		evs = []deliver.ErrorEvent{} // not ACTIVE: no pipeline, no errors
	}
	writeJSON(w, http.StatusOK, errorsResponse{Errors: evs})
}

// Object is one delivered object in the objects endpoint.
type Object struct {
	// Key is the object key.
	Key string `json:"key"`
	// Size is the object's length in bytes.
	Size int64 `json:"size"`
	// LastModified is when the object was stored.
	LastModified time.Time `json:"lastModified"`
	// ErrorOutput is true for an object of the error output; it is known
	// for the recent objects only (order "newest").
	ErrorOutput bool `json:"errorOutput,omitempty"`
}

// Orders of an objects page.
const (
	// orderNewest is a page of the objects the stream stored lately,
	// newest first, from memory.
	orderNewest = "newest"
	// orderKey is a page of the bucket's listing under the prefix root,
	// in key order.
	orderKey = "key"
)

// objectsResponse is the body of GET /console/api/streams/{name}/objects.
type objectsResponse struct {
	Bucket string `json:"bucket"`
	// Order is "newest" or "key" (see orderNewest, orderKey).
	Order   string   `json:"order"`
	Objects []Object `json:"objects"`
	// Next is the ?after of the following page, a page of the listing;
	// null when the listing is over. After a "newest" page it is "": the
	// listing from its start.
	Next *string `json:"next"`
}

// apiObjects answers a page of a stream's objects. Without ?after, the
// first page: the objects the stream stored lately, newest first, from
// the pipeline's memory, or when it has none in the stream's bucket (a
// stream not ACTIVE, or just restarted) the first page of the listing.
// With ?after (which may be empty), the page of the listing after that
// key. ?limit (1 to MaxObjects, default DefaultObjects) bounds the page.
func (c *Console) apiObjects(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit := DefaultObjects
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxObjects {
			writeError(w, http.StatusBadRequest, "InvalidParameter", "limit must be an integer from 1 to "+strconv.Itoa(MaxObjects)+", not "+strconv.Quote(v))
			return
		}
		limit = n
	}
	browse, after := q.Has("after"), q.Get("after")
	if len(after) > maxAfter || !utf8.ValidString(after) {
		writeError(w, http.StatusBadRequest, "InvalidParameter", "after must be an object key: UTF-8, at most "+strconv.Itoa(maxAfter)+" bytes")
		return
	}
	d, ok := c.describe(w, r)
	if !ok {
		return
	}
	out := objectsResponse{Objects: []Object{}}
	if dest := destination(d); dest != nil {
		out.Bucket, _ = objstore.BucketFromARN(dest.BucketARN)
	}
	if !browse {
		recent, _ := c.b.RecentObjects(d.DeliveryStreamName) // not ACTIVE: none
		for _, o := range recent {
			if o.Bucket != out.Bucket {
				continue // stored before an UpdateDestination changed the bucket
			}
			out.Objects = append(out.Objects, Object{Key: o.Key, Size: o.Size, LastModified: o.Stored.UTC(), ErrorOutput: o.ErrorOutput})
			if len(out.Objects) == limit {
				break
			}
		}
		if len(out.Objects) > 0 {
			out.Order, out.Next = orderNewest, new(string)
			writeJSON(w, http.StatusOK, out)
			return
		}
	}
	ctx, cancel := context.WithTimeout(r.Context(), backendTimeout)
	defer cancel()
	infos, next, err := c.b.Objects(ctx, d.DeliveryStreamName, after, limit)
	if err != nil {
		c.opts.Logger.Warn("console: cannot list objects", "stream", d.DeliveryStreamName, "err", err)
		c.writeBackendError(w, err)
		return
	}
	out.Order = orderKey
	for _, o := range infos {
		out.Objects = append(out.Objects, Object{Key: o.Key, Size: o.Size, LastModified: o.LastModified.UTC()})
	}
	if next != "" {
		out.Next = &next
	}
	writeJSON(w, http.StatusOK, out)
}

// errorBody is the shape of every console API error.
type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// writeBackendError answers a backend error: 404 for an unknown stream, 400
// for another client error, 500 otherwise.
func (c *Console) writeBackendError(w http.ResponseWriter, err error) {
	var ae *apierror.Error
	switch {
	case errors.As(err, &ae) && ae.Type == apierror.TypeResourceNotFound:
		writeError(w, http.StatusNotFound, ae.Type, ae.Message)
	case errors.As(err, &ae) && ae.Status < 500:
		writeError(w, http.StatusBadRequest, ae.Type, ae.Message)
	case errors.Is(err, context.DeadlineExceeded):
		writeError(w, http.StatusGatewayTimeout, "Timeout", err.Error())
	default:
		writeError(w, http.StatusInternalServerError, apierror.TypeInternalFailure, err.Error())
	}
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	var b errorBody
	b.Error.Code, b.Error.Message = code, msg
	writeJSON(w, status, b)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error":{"code":"InternalFailure","message":"cannot encode the answer"}}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
