package console

import (
	"fmt"
	"math"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wasmhose/wasmhose/host/metrics"
)

var t0 = time.Date(2026, 11, 26, 3, 0, 0, 0, time.UTC)

// step is one snapshot the sampler takes.
type step struct {
	at   time.Duration // after t0
	snap []metrics.Stream
}

func ptr(v float64) *float64 { return &v }

func TestSamplerRates(t *testing.T) {
	tests := []struct {
		name   string
		steps  []step
		stream string
		exp    []Point
	}{
		{
			name: "rates are counter deltas over the elapsed time",
			steps: []step{
				{0, []metrics.Stream{{Name: "a", IncomingRecords: 100, IncomingBytes: 5000, DeliveredRecords: 50, DeliveredBytes: 2500, DeliveredObjects: 2}}},
				{5 * time.Second, []metrics.Stream{{Name: "a", IncomingRecords: 110, IncomingBytes: 6000, DeliveredRecords: 55, DeliveredBytes: 3000, DeliveredObjects: 3}}},
			},
			stream: "a",
			exp: []Point{{T: t0.Add(5 * time.Second).UnixMilli(), IncomingRecords: 2, IncomingBytes: 200, DeliveredRecords: 1,
				DeliveredBytes: 100, Objects: 0.2, Success: ptr(1)}},
		},
		{
			name: "a late tick divides by the real elapsed time",
			steps: []step{
				{0, []metrics.Stream{{Name: "a"}}},
				{10 * time.Second, []metrics.Stream{{Name: "a", IncomingRecords: 10}}},
			},
			stream: "a",
			exp:    []Point{{T: t0.Add(10 * time.Second).UnixMilli(), IncomingRecords: 1}},
		},
		{
			name: "a counter that goes down was reset and counts from zero",
			steps: []step{
				{0, []metrics.Stream{{Name: "a", IncomingRecords: 1000, IncomingBytes: 9000}}},
				{5 * time.Second, []metrics.Stream{{Name: "a", IncomingRecords: 30, IncomingBytes: 9500}}},
			},
			stream: "a",
			exp:    []Point{{T: t0.Add(5 * time.Second).UnixMilli(), IncomingRecords: 6, IncomingBytes: 100}},
		},
		{
			name: "success is the share of store calls that worked; null without calls",
			steps: []step{
				{0, []metrics.Stream{{Name: "a"}}},
				{5 * time.Second, []metrics.Stream{{Name: "a", DeliveredObjects: 1, FailedStoreCalls: 3}}},
				{10 * time.Second, []metrics.Stream{{Name: "a", DeliveredObjects: 1, FailedStoreCalls: 3}}},
				{15 * time.Second, []metrics.Stream{{Name: "a", DeliveredObjects: 1, FailedStoreCalls: 5}}},
			},
			stream: "a",
			exp: []Point{
				{T: t0.Add(5 * time.Second).UnixMilli(), Objects: 0.2, Success: ptr(0.25)},
				{T: t0.Add(10 * time.Second).UnixMilli()},
				{T: t0.Add(15 * time.Second).UnixMilli(), Success: ptr(0)},
			},
		},
		{
			name: "plugin latency is the mean invocation time in the interval; null without invocations",
			steps: []step{
				{0, []metrics.Stream{{Name: "a", ProcessingCalls: 10, ProcessingSeconds: 1}}},
				{5 * time.Second, []metrics.Stream{{Name: "a", ProcessingCalls: 14, ProcessingSeconds: 1.02}}},
				{10 * time.Second, []metrics.Stream{{Name: "a", ProcessingCalls: 14, ProcessingSeconds: 1.02}}},
			},
			stream: "a",
			exp: []Point{
				{T: t0.Add(5 * time.Second).UnixMilli(), PluginLatency: ptr(5)},
				{T: t0.Add(10 * time.Second).UnixMilli()},
			},
		},
		{
			name: "freshness is the age of the oldest undelivered record; gauges are copied",
			steps: []step{
				{0, []metrics.Stream{{Name: "a"}}},
				{5 * time.Second, []metrics.Stream{{Name: "a", OldestUndelivered: t0.Add(-2 * time.Second), BufferedRecords: 7}}},
			},
			stream: "a",
			exp:    []Point{{T: t0.Add(5 * time.Second).UnixMilli(), Freshness: 7, BufferedRecords: 7}},
		},
		{
			name: "a stream created after the baseline counts from zero",
			steps: []step{
				{0, nil},
				{5 * time.Second, []metrics.Stream{{Name: "new", IncomingRecords: 10}}},
			},
			stream: "new",
			exp:    []Point{{T: t0.Add(5 * time.Second).UnixMilli(), IncomingRecords: 2}},
		},
		{
			name: "streams present at the baseline get no point for it",
			steps: []step{
				{0, []metrics.Stream{{Name: "old", IncomingRecords: 1e6}}},
			},
			stream: "old",
			exp:    []Point{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var cur []metrics.Stream
			sm := newSampler(func() []metrics.Stream { return cur }, 100)
			for _, s := range tt.steps {
				cur = s.snap
				sm.sample(t0.Add(s.at))
			}
			got, ok := sm.points(tt.stream, 0)
			if !ok {
				t.Fatalf("no series for %q", tt.stream)
			}
			if len(got) != len(tt.exp) {
				t.Fatalf("got %d points %+v, want %d", len(got), got, len(tt.exp))
			}
			for i := range got {
				if !samePoint(got[i], tt.exp[i]) {
					t.Errorf("point %d = %s, want %s", i, show(got[i]), show(tt.exp[i]))
				}
			}
		})
	}
}

func samePoint(a, b Point) bool {
	near := func(x, y float64) bool { return math.Abs(x-y) < 1e-9 }
	if (a.Success == nil) != (b.Success == nil) || a.Success != nil && !near(*a.Success, *b.Success) {
		return false
	}
	if (a.PluginLatency == nil) != (b.PluginLatency == nil) || a.PluginLatency != nil && !near(*a.PluginLatency, *b.PluginLatency) {
		return false
	}
	return a.T == b.T && near(a.IncomingRecords, b.IncomingRecords) && near(a.IncomingBytes, b.IncomingBytes) &&
		near(a.DeliveredRecords, b.DeliveredRecords) && near(a.DeliveredBytes, b.DeliveredBytes) &&
		near(a.Objects, b.Objects) && near(a.Freshness, b.Freshness) && a.BufferedRecords == b.BufferedRecords
}

func show(p Point) string {
	success := "null"
	if p.Success != nil {
		success = fmt.Sprint(*p.Success)
	}
	latency := "null"
	if p.PluginLatency != nil {
		latency = fmt.Sprint(*p.PluginLatency)
	}
	return fmt.Sprintf("{T:%d in:%g/%gB out:%g/%gB objects:%g freshness:%g success:%s buffered:%d latency:%s}",
		p.T, p.IncomingRecords, p.IncomingBytes, p.DeliveredRecords, p.DeliveredBytes, p.Objects, p.Freshness, success, p.BufferedRecords, latency)
}

func TestSamplerDropsDeletedStreams(t *testing.T) {
	cur := []metrics.Stream{{Name: "a"}, {Name: "b"}}
	sm := newSampler(func() []metrics.Stream { return cur }, 10)
	sm.sample(t0)
	sm.sample(t0.Add(time.Second))
	cur = []metrics.Stream{{Name: "b"}}
	sm.sample(t0.Add(2 * time.Second))
	if _, ok := sm.points("a", 0); ok {
		t.Error("deleted stream a still has a series")
	}
	if pts, ok := sm.points("b", 0); !ok || len(pts) != 2 {
		t.Errorf("stream b: %d points, ok=%v; want 2", len(pts), ok)
	}
}

func TestSeriesRingIsBounded(t *testing.T) {
	tests := []struct {
		name     string
		capacity int
		pushes   int
		since    int64
		exp      []int64 // T of the points returned
	}{
		{name: "not full", capacity: 4, pushes: 3, exp: []int64{1, 2, 3}},
		{name: "exactly full", capacity: 3, pushes: 3, exp: []int64{1, 2, 3}},
		{name: "wrapped keeps the newest", capacity: 3, pushes: 8, exp: []int64{6, 7, 8}},
		{name: "wrapped twice, since filters", capacity: 3, pushes: 10, since: 8, exp: []int64{9, 10}},
		{name: "since past the newest", capacity: 3, pushes: 5, since: 5, exp: []int64{}},
		{name: "capacity one", capacity: 1, pushes: 4, exp: []int64{4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSeries(tt.capacity)
			for i := 1; i <= tt.pushes; i++ {
				s.push(Point{T: int64(i)})
			}
			got := s.after(tt.since)
			ts := make([]int64, len(got))
			for i, p := range got {
				ts[i] = p.T
			}
			if len(ts) != len(tt.exp) {
				t.Fatalf("got %v, want %v", ts, tt.exp)
			}
			for i := range ts {
				if ts[i] != tt.exp[i] {
					t.Fatalf("got %v, want %v", ts, tt.exp)
				}
			}
			if last, ok := s.latest(); !ok || last.T != int64(tt.pushes) {
				t.Errorf("latest = %d, %v; want %d", last.T, ok, tt.pushes)
			}
		})
	}
}

func TestWindowBoundsTheSeries(t *testing.T) {
	tests := []struct {
		name             string
		interval, window time.Duration
		exp              int
	}{
		{"an hour of 5 s samples", 5 * time.Second, time.Hour, 720},
		{"a window that is not a multiple rounds up", 7 * time.Second, time.Minute, 9},
		{"an interval longer than the window keeps one", time.Hour, time.Minute, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var snaps atomic.Int64
			c := New(&fakeBackend{snapshot: func() []metrics.Stream {
				return []metrics.Stream{{Name: "a", IncomingRecords: snaps.Add(1)}}
			}}, Options{Interval: tt.interval, Window: tt.window})
			c.Close() // stop the ticker; sample by hand below
			for i := 1; i <= tt.exp+50; i++ {
				c.sm.sample(t0.Add(time.Duration(i) * tt.interval))
			}
			pts, _ := c.sm.points("a", 0)
			if len(pts) != tt.exp {
				t.Fatalf("%d points kept, want %d", len(pts), tt.exp)
			}
			if last := pts[len(pts)-1].T; last != t0.Add(time.Duration(tt.exp+50)*tt.interval).UnixMilli() {
				t.Errorf("newest point at %d, want the last sample", last)
			}
		})
	}
}
