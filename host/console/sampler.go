package console

import (
	"sync"
	"time"

	"github.com/wasmhose/wasmhose/host/metrics"
)

// Point is one sample of a stream's time series: the rates over the
// interval that ends at T, and the gauges at T.
type Point struct {
	// T is the end of the interval, in Unix milliseconds.
	T int64 `json:"t"`
	// IncomingRecords is records accepted per second (Firehose: IncomingRecords).
	IncomingRecords float64 `json:"incomingRecords"`
	// IncomingBytes is bytes accepted per second (Firehose: IncomingBytes).
	IncomingBytes float64 `json:"incomingBytes"`
	// DeliveredRecords is records stored per second (Firehose: DeliveryToS3.Records).
	DeliveredRecords float64 `json:"deliveredRecords"`
	// DeliveredBytes is record bytes stored per second, before compression
	// (Firehose: DeliveryToS3.Bytes).
	DeliveredBytes float64 `json:"deliveredBytes"`
	// Objects is objects stored per second (Firehose: DeliveryToS3.ObjectCount).
	Objects float64 `json:"objects"`
	// Freshness is the age in seconds of the oldest record not yet stored
	// at T, 0 when everything is stored (Firehose: DeliveryToS3.DataFreshness).
	Freshness float64 `json:"freshness"`
	// Success is the share of object-store calls in the interval that
	// succeeded, 0 to 1 (Firehose: DeliveryToS3.Success); nil (JSON null)
	// when the interval had no store call.
	Success *float64 `json:"success"`
	// BufferedRecords is the number of records in the open buffer at T.
	BufferedRecords int `json:"bufferedRecords"`
	// PluginLatency is the mean duration in milliseconds of the plugin
	// invocations in the interval (Firehose: ExecuteProcessing.Duration);
	// nil (JSON null) when the interval had none.
	PluginLatency *float64 `json:"pluginLatency"`
}

// counters are the cumulative values a Point's rates are computed from.
type counters struct {
	incomingRecords, incomingBytes   int64
	deliveredRecords, deliveredBytes int64
	objects, failedStores            int64
	procCalls                        int64
	procSeconds                      float64
}

func countersOf(s metrics.Stream) counters {
	return counters{
		incomingRecords:  s.IncomingRecords,
		incomingBytes:    s.IncomingBytes,
		deliveredRecords: s.DeliveredRecords,
		deliveredBytes:   s.DeliveredBytes,
		objects:          s.DeliveredObjects,
		failedStores:     s.FailedStoreCalls,
		procCalls:        s.ProcessingCalls,
		procSeconds:      s.ProcessingSeconds,
	}
}

// increase is how much a counter grew from prev to cur. A counter that went
// down was reset (the stream was deleted and created again, or the service
// restarted): it counted cur since the reset, as Prometheus' increase()
// assumes.
func increase(prev, cur int64) int64 {
	if cur < prev {
		return cur
	}
	return cur - prev
}

// series is one stream's bounded ring of points and the counters of its
// last sample.
type series struct {
	buf   []Point // ring storage, len == capacity
	start int     // index of the oldest point
	n     int     // points held
	last  counters
}

func newSeries(capacity int) *series { return &series{buf: make([]Point, capacity)} }

// push appends p, dropping the oldest point when the ring is full.
func (s *series) push(p Point) {
	if s.n < len(s.buf) {
		s.buf[(s.start+s.n)%len(s.buf)] = p
		s.n++
		return
	}
	s.buf[s.start] = p
	s.start = (s.start + 1) % len(s.buf)
}

// after returns a copy of the points with T > since, oldest first.
func (s *series) after(since int64) []Point {
	out := make([]Point, 0, s.n)
	for i := range s.n {
		p := s.buf[(s.start+i)%len(s.buf)]
		if p.T > since {
			out = append(out, p)
		}
	}
	return out
}

// latest returns the newest point, if any.
func (s *series) latest() (Point, bool) {
	if s.n == 0 {
		return Point{}, false
	}
	return s.buf[(s.start+s.n-1)%len(s.buf)], true
}

// sampler turns periodic snapshots of the streams' counters into per-stream
// series of rates. Its methods are safe for concurrent use.
type sampler struct {
	src      func() []metrics.Stream
	capacity int

	mu      sync.Mutex
	streams map[string]*series
	lastAt  time.Time // time of the previous sample; zero before the first
}

// newSampler returns a sampler keeping capacity points per stream.
func newSampler(src func() []metrics.Stream, capacity int) *sampler {
	return &sampler{src: src, capacity: max(capacity, 1), streams: map[string]*series{}}
}

// sample takes one snapshot at now. The first call only records a baseline.
// Later calls add one point per stream, with rates over the time since the
// previous call. A stream first seen after the baseline was created during
// that time, so its counters are counted from zero. Streams missing from the
// snapshot (deleted, or not ACTIVE) lose their series.
func (sm *sampler) sample(now time.Time) {
	snap := sm.src()
	sm.mu.Lock()
	defer sm.mu.Unlock()
	baseline := sm.lastAt.IsZero()
	dt := now.Sub(sm.lastAt).Seconds()
	sm.lastAt = now
	seen := make(map[string]bool, len(snap))
	for _, st := range snap {
		seen[st.Name] = true
		cur := countersOf(st)
		s, ok := sm.streams[st.Name]
		if !ok {
			s = newSeries(sm.capacity)
			sm.streams[st.Name] = s
		}
		if baseline || dt <= 0 {
			s.last = cur
			continue
		}
		s.push(point(now, dt, s.last, cur, st))
		s.last = cur
	}
	for name := range sm.streams {
		if !seen[name] {
			delete(sm.streams, name)
		}
	}
}

// point computes the sample at now from the counters dt seconds earlier.
func point(now time.Time, dt float64, prev, cur counters, st metrics.Stream) Point {
	rate := func(p, c int64) float64 { return float64(increase(p, c)) / dt }
	p := Point{
		T:                now.UnixMilli(),
		IncomingRecords:  rate(prev.incomingRecords, cur.incomingRecords),
		IncomingBytes:    rate(prev.incomingBytes, cur.incomingBytes),
		DeliveredRecords: rate(prev.deliveredRecords, cur.deliveredRecords),
		DeliveredBytes:   rate(prev.deliveredBytes, cur.deliveredBytes),
		Objects:          rate(prev.objects, cur.objects),
		Freshness:        freshness(now, st),
		BufferedRecords:  st.BufferedRecords,
	}
	if calls := increase(prev.procCalls, cur.procCalls); calls > 0 {
		secs := cur.procSeconds
		if cur.procCalls >= prev.procCalls {
			secs -= prev.procSeconds
		}
		v := max(0, secs) * 1000 / float64(calls)
		p.PluginLatency = &v
	}
	ok := increase(prev.objects, cur.objects)
	failed := increase(prev.failedStores, cur.failedStores)
	if ok+failed > 0 {
		v := float64(ok) / float64(ok+failed)
		p.Success = &v
	}
	return p
}

// freshness is the age in seconds of the oldest undelivered record.
func freshness(now time.Time, st metrics.Stream) float64 {
	if st.OldestUndelivered.IsZero() {
		return 0
	}
	return max(0, now.Sub(st.OldestUndelivered).Seconds())
}

// points returns a stream's points with T > since, oldest first; ok is
// false when the sampler has no series for the stream.
func (sm *sampler) points(name string, since int64) (pts []Point, ok bool) {
	sm.mu.Lock()
	defer sm.mu.Unlock()
	s, ok := sm.streams[name]
	if !ok {
		return nil, false
	}
	return s.after(since), true
}

// recent returns the IncomingRecords rates of a stream's last n points,
// oldest first, for a sparkline, and its newest point.
func (sm *sampler) recent(name string, n int) (spark []float64, last *Point) {
	sm.mu.Lock()
	defer sm.mu.Unlock()
	s, ok := sm.streams[name]
	if !ok {
		return nil, nil
	}
	first := max(0, s.n-n)
	spark = make([]float64, 0, s.n-first)
	for i := first; i < s.n; i++ {
		spark = append(spark, s.buf[(s.start+i)%len(s.buf)].IncomingRecords)
	}
	if p, ok := s.latest(); ok {
		last = &p
	}
	return spark, last
}

// run samples every interval until stop is closed.
func (sm *sampler) run(interval time.Duration, now func() time.Time, stop <-chan struct{}) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			sm.sample(now())
		}
	}
}
