package deliver

import (
	"testing"
	"time"
)

// TestBackoffIsCappedAndJittered: the k-th wait lies in [d/2, d) for
// d = min(base·2^k, max), and the waits for the same step differ (jitter),
// so workers retrying one outage do not retry in lockstep.
func TestBackoffIsCappedAndJittered(t *testing.T) {
	base, limit := 100*time.Millisecond, 30*time.Second
	seen := map[int]map[time.Duration]bool{}
	for run := 0; run < 50; run++ {
		b := backoff{next: base, max: limit}
		d := base
		for k := 0; k < 12; k++ {
			w := b.wait()
			if w < d/2 || w >= d {
				t.Fatalf("wait %d = %s, want in [%s, %s)", k, w, d/2, d)
			}
			if seen[k] == nil {
				seen[k] = map[time.Duration]bool{}
			}
			seen[k][w] = true
			d = min(d*2, limit)
		}
		if b.next != limit {
			t.Fatalf("after 12 steps the base is %s, want the cap %s", b.next, limit)
		}
	}
	for k, ws := range seen {
		if len(ws) < 10 {
			t.Fatalf("step %d: only %d distinct waits in 50 runs: no jitter", k, len(ws))
		}
	}
}
