package metrics

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// value returns the sample of family name whose labels include want.
func value(t *testing.T, m *Metrics, name string, want map[string]string) float64 {
	t.Helper()
	fams, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
	next:
		for _, s := range f.GetMetric() {
			got := map[string]string{}
			for _, l := range s.GetLabel() {
				got[l.GetName()] = l.GetValue()
			}
			for k, v := range want {
				if got[k] != v {
					continue next
				}
			}
			switch {
			case s.Counter != nil:
				return s.GetCounter().GetValue()
			case s.Gauge != nil:
				return s.GetGauge().GetValue()
			case s.Histogram != nil:
				return float64(s.GetHistogram().GetSampleCount())
			}
		}
	}
	t.Fatalf("no sample %s%v", name, want)
	return 0
}

func TestCollectorAndRequests(t *testing.T) {
	now := time.Now()
	m := New(func() []Stream {
		return []Stream{{Name: "s", IncomingRecords: 10, IncomingBytes: 100, DeliveredRecords: 8, DeliveredObjects: 2, FailedStoreCalls: 1,
			OldestUndelivered: now.Add(-3 * time.Second), ProcessingCalls: 4, ProcessingFailures: 1, ProcessingSeconds: 0.5,
			PluginFailures: map[string]int64{"timeout": 1}, LogDamagedRanges: 2, LogDamagedBytes: 4096}}
	})
	m.WatchPluginRuntime(func() (int64, int64, int64) { return 2, 5, 3 })
	m.ObserveRequest("PutRecordBatch", "s", 200, 5*time.Millisecond, 500, 1000, 0)
	m.ObserveRequest("PutRecordBatch", "s", 200, 5*time.Millisecond, 500, 1000, 500) // throttled per record
	m.ObserveRequest("DescribeDeliveryStream", "", 400, time.Millisecond, 0, 0, 0)
	s := map[string]string{"stream": "s"}
	tests := []struct {
		name   string
		labels map[string]string
		exp    float64
	}{
		{"wasmhose_incoming_records_total", s, 10},
		{"wasmhose_incoming_bytes_total", s, 100},
		{"wasmhose_delivery_to_s3_calls_total", map[string]string{"stream": "s", "result": "success"}, 2},
		{"wasmhose_delivery_to_s3_calls_total", map[string]string{"stream": "s", "result": "failure"}, 1},
		{"wasmhose_execute_processing_calls_total", map[string]string{"stream": "s", "result": "success"}, 3},
		{"wasmhose_execute_processing_seconds_total", s, 0.5},
		{"wasmhose_streams", nil, 1},
		{"wasmhose_wal_damaged_ranges_total", s, 2},
		{"wasmhose_wal_damaged_bytes_total", s, 4096},
		{"wasmhose_plugin_failures_total", map[string]string{"stream": "s", "kind": "timeout"}, 1},
		{"wasmhose_plugin_instances", nil, 2},
		{"wasmhose_plugin_instances_created_total", nil, 5},
		{"wasmhose_plugin_instances_recycled_total", nil, 3},
		{"wasmhose_api_requests_total", map[string]string{"operation": "PutRecordBatch", "code": "200"}, 2},
		{"wasmhose_api_put_records_total", map[string]string{"operation": "PutRecordBatch"}, 1000},
		{"wasmhose_throttled_records_total", s, 500},
		{"wasmhose_api_latency_seconds", map[string]string{"operation": "DescribeDeliveryStream"}, 1},
	}
	for _, tt := range tests {
		if got := value(t, m, tt.name, tt.labels); got != tt.exp {
			t.Errorf("%s%v = %v, want %v", tt.name, tt.labels, got, tt.exp)
		}
	}
	if fresh := value(t, m, "wasmhose_delivery_to_s3_data_freshness_seconds", s); fresh < 3 || fresh > 60 {
		t.Errorf("freshness %v, want about 3 s", fresh)
	}
	problems, err := testutil.GatherAndLint(m.Registry())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		if strings.HasPrefix(p.Metric, "wasmhose_") {
			t.Errorf("lint: %s: %s", p.Metric, p.Text)
		}
	}
}
