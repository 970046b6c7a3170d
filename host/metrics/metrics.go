// Package metrics exposes the service's counters in Prometheus form on
// /metrics, named after Firehose's CloudWatch metrics (namespace AWS/Firehose,
// dimension DeliveryStreamName becomes the label stream).
//
// Request metrics (IncomingPutRequests, PutRecord.Latency, ...) are observed
// by the API layer as requests finish. Delivery metrics are read from the
// streams' own counters at scrape time by a collector, so the delivery hot
// path pays nothing for them. Every metric lives in the Metrics value's own
// registry: there is no global state.
package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Stream is one delivery stream's counters at scrape time.
type Stream struct {
	// Name is the DeliveryStreamName.
	Name string
	// IncomingRecords and IncomingBytes count what PutRecord(Batch) accepted.
	IncomingRecords, IncomingBytes int64
	// DeliveredRecords, DeliveredBytes and DeliveredObjects count what was stored.
	DeliveredRecords, DeliveredBytes, DeliveredObjects int64
	// FailedStoreCalls counts object-store calls that failed (and were retried).
	FailedStoreCalls int64
	// FailedBuilds counts attempts to build a batch's objects that failed (and were retried).
	FailedBuilds int64
	// BufferedRecords and BufferedBytes are in the open buffer.
	BufferedRecords, BufferedBytes int
	// LogBytes and LogSegments are the write-ahead log's size on disk.
	LogBytes int64
	// LogSegments is the number of log segment files.
	LogSegments int
	// UnackedRecords are in the log and not yet stored.
	UnackedRecords uint64
	// OldestUndelivered is the arrival of the oldest record not yet stored (zero: none).
	OldestUndelivered time.Time
	// ProcessingCalls and ProcessingFailures count plugin invocations and the failed ones.
	ProcessingCalls, ProcessingFailures int64
	// ProcessingSeconds is the time spent in invocations.
	ProcessingSeconds float64
	// ProcessedRecords and ProcessedBytes count Ok results.
	ProcessedRecords, ProcessedBytes int64
	// DroppedRecords and ProcessingFailedRecords count Dropped results and records sent to the error output.
	DroppedRecords, ProcessingFailedRecords int64
	// PluginFailures counts failed invocations by kind (timeout, trap, out_of_memory, malformed, other).
	PluginFailures map[string]int64
	// ConvertedRecords and ConvertedBytes count records stored as Parquet/ORC rows.
	ConvertedRecords, ConvertedBytes int64
	// ConversionFailedRecords and ConversionFailedBytes count records stored as format-conversion-failed.
	ConversionFailedRecords, ConversionFailedBytes int64
	// ExpiredRecords counts records discarded after failing past the retention period.
	ExpiredRecords int64
	// LogReadFailures counts write-ahead-log replays stopped by a frame that could not be read (damage, or a wrong or missing encryption key).
	LogReadFailures int64
	// LogDamagedRanges and LogDamagedBytes count the damaged ranges, and their bytes, the write-ahead log found when the stream opened.
	LogDamagedRanges, LogDamagedBytes int64
}

// PluginRuntime reports the Wasm runtime's instance counters.
type PluginRuntime func() (instances, created, recycled int64)

// Source lists the streams' counters; it is called at every scrape.
type Source func() []Stream

// Metrics is the service's metric registry.
type Metrics struct {
	reg *prometheus.Registry

	requests  *prometheus.CounterVec   // IncomingPutRequests / <Op>.Requests
	latency   *prometheus.HistogramVec // <Op>.Latency
	throttled *prometheus.CounterVec   // ThrottledRecords
	putBytes  *prometheus.CounterVec   // PutRecord.Bytes / PutRecordBatch.Bytes
	putRecs   *prometheus.CounterVec   // PutRecordBatch.Records
}

// New returns a registry holding the Go runtime and process collectors, the
// request metrics, and a collector reading src at each scrape.
func New(src Source) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "wasmhose_api_requests_total",
		Help: "API requests by operation, stream and outcome (Firehose: <Operation>.Requests, IncomingPutRequests).",
	}, []string{"operation", "stream", "code"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "wasmhose_api_latency_seconds",
		Help:    "API request latency by operation (Firehose: <Operation>.Latency).",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
	}, []string{"operation"})
	m.throttled = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "wasmhose_throttled_records_total",
		Help: "Records refused with ServiceUnavailableException (Firehose: ThrottledRecords).",
	}, []string{"stream"})
	m.putBytes = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "wasmhose_api_put_bytes_total",
		Help: "Record bytes received by PutRecord and PutRecordBatch (Firehose: PutRecord.Bytes, PutRecordBatch.Bytes).",
	}, []string{"operation", "stream"})
	m.putRecs = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "wasmhose_api_put_records_total",
		Help: "Records received by PutRecord and PutRecordBatch (Firehose: PutRecordBatch.Records).",
	}, []string{"operation", "stream"})
	m.reg.MustRegister(m.requests, m.latency, m.throttled, m.putBytes, m.putRecs,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		&streamCollector{src: src})
	return m
}

// WatchPluginRuntime exports the Wasm runtime's instance counters:
// instances alive, created, and recycled after a failure.
func (m *Metrics) WatchPluginRuntime(f PluginRuntime) {
	m.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "wasmhose_plugin_instances", Help: "Plugin instances alive."},
			func() float64 { n, _, _ := f(); return float64(n) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "wasmhose_plugin_instances_created_total", Help: "Plugin instances instantiated."},
			func() float64 { _, n, _ := f(); return float64(n) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "wasmhose_plugin_instances_recycled_total", Help: "Plugin instances discarded after a trap, a timeout, an out-of-memory or a malformed result."},
			func() float64 { _, _, n := f(); return float64(n) }),
	)
}

// Registry returns the registry, for tests and for other packages' collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// ObserveRequest records one finished API request. stream is "" for
// operations without one, and one fixed value for a stream that does not
// exist (api.UnknownStream), so label values stay bounded; records, bytes and failed describe Put calls.
func (m *Metrics) ObserveRequest(op, stream string, status int, d time.Duration, records, bytes, failed int) {
	m.requests.WithLabelValues(op, stream, strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(op).Observe(d.Seconds())
	if op == "PutRecord" || op == "PutRecordBatch" {
		if status == http.StatusOK || status == http.StatusServiceUnavailable {
			m.putRecs.WithLabelValues(op, stream).Add(float64(records))
			m.putBytes.WithLabelValues(op, stream).Add(float64(bytes))
		}
		if failed > 0 {
			m.throttled.WithLabelValues(stream).Add(float64(failed))
		}
	}
}

// streamCollector turns a Source into per-stream metrics at scrape time.
type streamCollector struct {
	src Source
}

var (
	descIncomingRecords  = prometheus.NewDesc("wasmhose_incoming_records_total", "Records accepted (Firehose: IncomingRecords).", []string{"stream"}, nil)
	descIncomingBytes    = prometheus.NewDesc("wasmhose_incoming_bytes_total", "Bytes accepted (Firehose: IncomingBytes).", []string{"stream"}, nil)
	descDeliveredRecords = prometheus.NewDesc("wasmhose_delivery_to_s3_records_total", "Records stored in objects (Firehose: DeliveryToS3.Records).", []string{"stream"}, nil)
	descDeliveredBytes   = prometheus.NewDesc("wasmhose_delivery_to_s3_bytes_total", "Record bytes stored, before compression (Firehose: DeliveryToS3.Bytes).", []string{"stream"}, nil)
	descObjects          = prometheus.NewDesc("wasmhose_delivery_to_s3_objects_total", "Objects stored (Firehose: DeliveryToS3.ObjectCount).", []string{"stream"}, nil)
	descStoreCalls       = prometheus.NewDesc("wasmhose_delivery_to_s3_calls_total", "Object-store calls by result; success/(success+failure) is Firehose's DeliveryToS3.Success.", []string{"stream", "result"}, nil)
	descFreshness        = prometheus.NewDesc("wasmhose_delivery_to_s3_data_freshness_seconds", "Age of the oldest record not yet stored (Firehose: DeliveryToS3.DataFreshness).", []string{"stream"}, nil)
	descBufferedRecords  = prometheus.NewDesc("wasmhose_buffered_records", "Records in the open buffer.", []string{"stream"}, nil)
	descBufferedBytes    = prometheus.NewDesc("wasmhose_buffered_bytes", "Bytes in the open buffer.", []string{"stream"}, nil)
	descWALBytes         = prometheus.NewDesc("wasmhose_wal_bytes", "Size of the stream's write-ahead log on disk.", []string{"stream"}, nil)
	descWALSegments      = prometheus.NewDesc("wasmhose_wal_segments", "Segment files of the stream's write-ahead log.", []string{"stream"}, nil)
	descWALUnacked       = prometheus.NewDesc("wasmhose_wal_unacked_records", "Records in the write-ahead log not yet stored.", []string{"stream"}, nil)
	descProcCalls        = prometheus.NewDesc("wasmhose_execute_processing_calls_total", "Plugin invocations by result; success/(success+failure) is Firehose's ExecuteProcessing.Success.", []string{"stream", "result"}, nil)
	descProcSeconds      = prometheus.NewDesc("wasmhose_execute_processing_seconds_total", "Time spent in plugin invocations; divided by calls it is Firehose's ExecuteProcessing.Duration.", []string{"stream"}, nil)
	descProcRecords      = prometheus.NewDesc("wasmhose_succeed_processing_records_total", "Records a plugin returned Ok (Firehose: SucceedProcessing.Records).", []string{"stream"}, nil)
	descProcBytes        = prometheus.NewDesc("wasmhose_succeed_processing_bytes_total", "Bytes of Ok results (Firehose: SucceedProcessing.Bytes).", []string{"stream"}, nil)
	descDropped          = prometheus.NewDesc("wasmhose_dropped_records_total", "Records a plugin returned Dropped.", []string{"stream"}, nil)
	descProcFailed       = prometheus.NewDesc("wasmhose_processing_failed_records_total", "Records written to the processing-failed error output.", []string{"stream"}, nil)
	descPluginFailures   = prometheus.NewDesc("wasmhose_plugin_failures_total", "Failed plugin invocations by kind: timeout, trap, out_of_memory, malformed, other.", []string{"stream", "kind"}, nil)
	descConvRecords      = prometheus.NewDesc("wasmhose_succeed_conversion_records_total", "Records converted to Parquet/ORC and stored (Firehose: SucceedConversion.Records).", []string{"stream"}, nil)
	descConvBytes        = prometheus.NewDesc("wasmhose_succeed_conversion_bytes_total", "JSON bytes of the converted records (Firehose: SucceedConversion.Bytes).", []string{"stream"}, nil)
	descConvFailed       = prometheus.NewDesc("wasmhose_failed_conversion_records_total", "Records written to the format-conversion-failed error output (Firehose: FailedConversion.Records).", []string{"stream"}, nil)
	descConvFailedBytes  = prometheus.NewDesc("wasmhose_failed_conversion_bytes_total", "Bytes of those records (Firehose: FailedConversion.Bytes).", []string{"stream"}, nil)
	descExpired          = prometheus.NewDesc("wasmhose_expired_records_total", "Records discarded because the destination failed for longer than the retention period (delivery.retention, Firehose: 24 h).", []string{"stream"}, nil)
	descFailedBuilds     = prometheus.NewDesc("wasmhose_object_build_failures_total", "Attempts to build a batch's objects (prefix evaluation, encoding) that failed; the records wait in the log and are retried.", []string{"stream"}, nil)
	descWALReadFailures  = prometheus.NewDesc("wasmhose_wal_read_failures_total", "Write-ahead-log replays stopped by a frame that could not be read: damage, or a sealed frame whose key is wrong or missing.", []string{"stream"}, nil)
	descWALDamagedRanges = prometheus.NewDesc("wasmhose_wal_damaged_ranges_total", "Damaged ranges found in the write-ahead log when the stream opened: records written, maybe acknowledged, that can no longer be read (copied to the log's quarantine folder). Alert on any.", []string{"stream"}, nil)
	descWALDamagedBytes  = prometheus.NewDesc("wasmhose_wal_damaged_bytes_total", "Bytes of those damaged ranges.", []string{"stream"}, nil)
	descStreams          = prometheus.NewDesc("wasmhose_streams", "Active delivery streams (Firehose: ResourceCount).", nil, nil)
)

// Describe implements prometheus.Collector.
func (c *streamCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descIncomingRecords, descIncomingBytes, descDeliveredRecords, descDeliveredBytes, descObjects,
		descStoreCalls, descFreshness, descBufferedRecords, descBufferedBytes, descWALBytes, descWALSegments, descWALUnacked, descStreams,
		descProcCalls, descProcSeconds, descProcRecords, descProcBytes, descDropped, descProcFailed, descPluginFailures, descExpired,
		descConvRecords, descConvBytes, descConvFailed, descConvFailedBytes, descWALReadFailures,
		descWALDamagedRanges, descWALDamagedBytes, descFailedBuilds} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *streamCollector) Collect(ch chan<- prometheus.Metric) {
	streams := c.src()
	now := time.Now()
	ch <- prometheus.MustNewConstMetric(descStreams, prometheus.GaugeValue, float64(len(streams)))
	for _, s := range streams {
		counter := func(d *prometheus.Desc, v int64, labels ...string) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), append([]string{s.Name}, labels...)...)
		}
		gauge := func(d *prometheus.Desc, v float64) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, s.Name)
		}
		counter(descIncomingRecords, s.IncomingRecords)
		counter(descIncomingBytes, s.IncomingBytes)
		counter(descDeliveredRecords, s.DeliveredRecords)
		counter(descDeliveredBytes, s.DeliveredBytes)
		counter(descObjects, s.DeliveredObjects)
		counter(descStoreCalls, s.DeliveredObjects, "success")
		counter(descStoreCalls, s.FailedStoreCalls, "failure")
		fresh := 0.0
		if !s.OldestUndelivered.IsZero() {
			fresh = max(0, now.Sub(s.OldestUndelivered).Seconds())
		}
		gauge(descFreshness, fresh)
		gauge(descBufferedRecords, float64(s.BufferedRecords))
		gauge(descBufferedBytes, float64(s.BufferedBytes))
		gauge(descWALBytes, float64(s.LogBytes))
		gauge(descWALSegments, float64(s.LogSegments))
		gauge(descWALUnacked, float64(s.UnackedRecords))
		counter(descProcCalls, s.ProcessingCalls-s.ProcessingFailures, "success")
		counter(descProcCalls, s.ProcessingFailures, "failure")
		ch <- prometheus.MustNewConstMetric(descProcSeconds, prometheus.CounterValue, s.ProcessingSeconds, s.Name)
		counter(descProcRecords, s.ProcessedRecords)
		counter(descProcBytes, s.ProcessedBytes)
		counter(descDropped, s.DroppedRecords)
		counter(descProcFailed, s.ProcessingFailedRecords)
		counter(descConvRecords, s.ConvertedRecords)
		counter(descConvBytes, s.ConvertedBytes)
		counter(descConvFailed, s.ConversionFailedRecords)
		counter(descConvFailedBytes, s.ConversionFailedBytes)
		counter(descExpired, s.ExpiredRecords)
		counter(descWALReadFailures, s.LogReadFailures)
		counter(descWALDamagedRanges, s.LogDamagedRanges)
		counter(descWALDamagedBytes, s.LogDamagedBytes)
		counter(descFailedBuilds, s.FailedBuilds)
		for kind, n := range s.PluginFailures {
			counter(descPluginFailures, n, kind)
		}
	}
}
