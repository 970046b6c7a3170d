package loadgen

import (
	"math/rand/v2"
	"testing"
	"time"
)

// durations returns n values: first, first+step, first+2*step, ...
func durations(first, step time.Duration, n int) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = first + time.Duration(i)*step
	}
	return out
}

func TestHistogramQuantile(t *testing.T) {
	bimodal := append(durations(time.Millisecond, 0, 90), durations(time.Second, 0, 10)...)
	tests := []struct {
		name    string
		samples []time.Duration
		q       float64
		exp     time.Duration // exact nearest-rank value
	}{
		{name: "empty", q: 0.5, exp: 0},
		{name: "one value", samples: []time.Duration{5 * time.Millisecond}, q: 0.99, exp: 5 * time.Millisecond},
		{name: "small exact p0", samples: durations(1, 1, 100), q: 0, exp: 1},
		{name: "small exact p50", samples: durations(1, 1, 100), q: 0.5, exp: 50},
		{name: "small exact p99", samples: durations(1, 1, 100), q: 0.99, exp: 99},
		{name: "small exact p100", samples: durations(1, 1, 100), q: 1, exp: 100},
		{name: "ms p50", samples: durations(time.Millisecond, time.Millisecond, 1000), q: 0.5, exp: 500 * time.Millisecond},
		{name: "ms p90", samples: durations(time.Millisecond, time.Millisecond, 1000), q: 0.9, exp: 900 * time.Millisecond},
		{name: "ms p99", samples: durations(time.Millisecond, time.Millisecond, 1000), q: 0.99, exp: 990 * time.Millisecond},
		{name: "ms p99.9 between ranks", samples: durations(time.Millisecond, time.Millisecond, 1000), q: 0.9991, exp: time.Second},
		{name: "ms max", samples: durations(time.Millisecond, time.Millisecond, 1000), q: 1, exp: time.Second},
		{name: "bimodal p90", samples: bimodal, q: 0.9, exp: time.Millisecond},
		{name: "bimodal p91", samples: bimodal, q: 0.91, exp: time.Second},
		{name: "huge", samples: []time.Duration{time.Nanosecond, 1<<63 - 1}, q: 1, exp: 1<<63 - 1},
		{name: "negative counts as zero", samples: []time.Duration{-time.Second, time.Second}, q: 0.5, exp: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Record in random order, in two histograms merged, to cover
			// merge too.
			a, b := newHistogram(), newHistogram()
			for i, j := range rand.Perm(len(tt.samples)) {
				if i%2 == 0 {
					a.record(tt.samples[j])
				} else {
					b.record(tt.samples[j])
				}
			}
			a.merge(b)
			got := a.quantile(tt.q)
			// The value is rounded up to the top of its bucket, at most
			// 1/128 above it.
			if got < tt.exp || float64(got-tt.exp) > float64(tt.exp)/subCount {
				t.Errorf("quantile(%v) = %v, want %v (+%v at most)", tt.q, got, tt.exp, tt.exp/subCount)
			}
		})
	}
}

func TestHistogramBuckets(t *testing.T) {
	values := []uint64{0, 1, 127, 128, 129, 255, 256, 257, 1000, 1 << 20, 1<<20 + 1, 123456789, 1<<62 + 12345, 1<<63 - 1}
	for range 1000 {
		values = append(values, rand.Uint64N(1<<63))
	}
	for _, v := range values {
		i := bucketOf(v)
		if i < 0 || i >= numBuckets {
			t.Fatalf("bucketOf(%d) = %d, out of range", v, i)
		}
		top := bucketMax(i)
		if top < v || (v >= subCount && float64(top-v) > float64(v)/subCount) {
			t.Errorf("bucketMax(bucketOf(%d)) = %d", v, top)
		}
		if i > 0 && bucketMax(i-1) >= v {
			t.Errorf("bucketMax(%d) = %d, not below %d", i-1, bucketMax(i-1), v)
		}
	}
}

func TestHistogramSummary(t *testing.T) {
	h := newHistogram()
	if got := h.summary(); got != (Latency{}) {
		t.Errorf("empty summary = %+v", got)
	}
	for _, d := range durations(time.Millisecond, time.Millisecond, 4) {
		h.record(d)
	}
	s := h.summary()
	if s.Count != 4 || s.Mean != 2500*time.Microsecond || s.Max != 4*time.Millisecond || s.P50 < 2*time.Millisecond || s.P50 > s.P90 || s.P99 != s.Max {
		t.Errorf("summary = %+v", s)
	}
}
