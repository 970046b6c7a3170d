package loadgen

import (
	"math"
	"math/bits"
	"time"
)

// Latency summarises the PutRecordBatch call latencies of a run. Durations
// are in nanoseconds when marshalled to JSON.
type Latency struct {
	// Count is the number of calls measured: those that returned a
	// response, whether or not some of their records failed.
	Count int64 `json:"count"`
	// Mean is the arithmetic mean.
	Mean time.Duration `json:"mean"`
	// P50, P90 and P99 are nearest-rank percentiles, within 1/128 (0.8%)
	// of the exact value.
	P50 time.Duration `json:"p50"`
	P90 time.Duration `json:"p90"`
	P99 time.Duration `json:"p99"`
	// Max is the exact maximum.
	Max time.Duration `json:"max"`
}

// subBits sets the histogram's precision: each power-of-two range of values
// is split into 1<<subBits buckets, so a bucket is at most 1/(1<<subBits)
// of its values wide.
const (
	subBits    = 7
	subCount   = 1 << subBits
	numBuckets = subCount + (64-subBits-1)*subCount
)

// histogram is a log-linear histogram of durations in the style of
// HdrHistogram: values below subCount nanoseconds have a bucket each, and
// every range [2^k, 2^(k+1)) above is split into subCount equal buckets.
// Its size is fixed (about 58 KiB), whatever the number of values, so a long
// run does not grow memory. The zero value is not usable: see newHistogram.
// A histogram is not safe for concurrent use; each worker owns one and they
// are merged at the end.
type histogram struct {
	counts   []uint64
	n        int64
	sum      float64
	min, max time.Duration
}

func newHistogram() *histogram {
	return &histogram{counts: make([]uint64, numBuckets), min: math.MaxInt64}
}

// bucketOf returns the bucket index of v (v >= 0).
func bucketOf(v uint64) int {
	if v < subCount {
		return int(v)
	}
	shift := bits.Len64(v) - subBits - 1 // v>>shift is in [subCount, 2*subCount)
	return subCount + shift*subCount + int(v>>shift) - subCount
}

// bucketMax returns the largest value that falls in bucket i.
func bucketMax(i int) uint64 {
	if i < subCount {
		return uint64(i)
	}
	shift := (i - subCount) / subCount
	sub := uint64((i-subCount)%subCount) + subCount
	return (sub+1)<<shift - 1
}

// record adds one value; negative values count as zero.
func (h *histogram) record(d time.Duration) {
	d = max(d, 0)
	h.counts[bucketOf(uint64(d))]++
	h.n++
	h.sum += float64(d)
	h.min = min(h.min, d)
	h.max = max(h.max, d)
}

// merge adds the values of o to h.
func (h *histogram) merge(o *histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.sum += o.sum
	h.min = min(h.min, o.min)
	h.max = max(h.max, o.max)
}

// quantile returns the nearest-rank q-quantile (0 <= q <= 1): the smallest
// recorded value v such that at least q of the values are <= v, rounded up
// to the top of its bucket and clamped to the recorded range. It returns 0
// for an empty histogram.
func (h *histogram) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := int64(math.Ceil(q * float64(h.n)))
	rank = min(max(rank, 1), h.n)
	var seen int64
	for i, c := range h.counts {
		seen += int64(c)
		if seen >= rank {
			v := time.Duration(bucketMax(i))
			return min(max(v, h.min), h.max)
		}
	}
	return h.max
}

// summary returns the Latency of the recorded values.
func (h *histogram) summary() Latency {
	if h.n == 0 {
		return Latency{}
	}
	return Latency{
		Count: h.n,
		Mean:  time.Duration(h.sum / float64(h.n)),
		P50:   h.quantile(0.50),
		P90:   h.quantile(0.90),
		P99:   h.quantile(0.99),
		Max:   h.max,
	}
}
