package loadgen

import (
	"bytes"
	"fmt"
	"io"
	"time"
)

// WriteText writes r as a short human-readable report, followed by its
// Delivery when set.
func (r Result) WriteText(w io.Writer) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "run %s  stream %s  endpoint %s\n", r.RunID, r.Stream, r.Endpoint)
	rate := "as fast as possible"
	if r.Rate > 0 {
		rate = fmt.Sprintf("target %.0f records/s", r.Rate)
	}
	fmt.Fprintf(&b, "  load         %d workers, %d records/batch, %d B/record, %s\n", r.Concurrency, r.BatchSize, r.RecordSize, rate)
	fmt.Fprintf(&b, "  elapsed      %v\n", r.Elapsed.Round(time.Millisecond))
	fmt.Fprintf(&b, "  requests     %d (%d failed)\n", r.Requests, r.FailedRequests)
	fmt.Fprintf(&b, "  records      %d sent ok, %d failed\n", r.RecordsSent, r.RecordsFailed)
	fmt.Fprintf(&b, "  throughput   %.0f records/s, %.2f MB/s\n", r.RecordsPerSec, r.MBPerSec)
	l := r.Latency
	fmt.Fprintf(&b, "  latency      p50 %v  p90 %v  p99 %v  max %v  (mean %v, %d calls)\n",
		roundDur(l.P50), roundDur(l.P90), roundDur(l.P99), roundDur(l.Max), roundDur(l.Mean), l.Count)
	for _, e := range r.Errors {
		fmt.Fprintf(&b, "  error        %s: %d calls, %d records: %s\n", e.Code, e.Calls, e.Records, e.Sample)
	}
	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("loadgen: write result: %w", err)
	}
	if r.Delivery != nil {
		return r.Delivery.WriteText(w)
	}
	return nil
}

// WriteText writes d as a short human-readable report.
func (d Delivery) WriteText(w io.Writer) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "  delivery     %d delivered, %d distinct, %d duplicates, %d missing", d.Delivered, d.Distinct, d.Duplicates, d.Missing)
	if d.Extra > 0 {
		fmt.Fprintf(&b, ", %d extra", d.Extra)
	}
	if d.Malformed > 0 {
		fmt.Fprintf(&b, ", %d malformed", d.Malformed)
	}
	fmt.Fprintf(&b, " (%d objects read", d.Objects)
	if d.Skipped > 0 {
		fmt.Fprintf(&b, ", %d older skipped", d.Skipped)
	}
	fmt.Fprintf(&b, ", %v, %s)\n", d.Elapsed.Round(time.Millisecond), d.Stopped)
	if d.Unsupported > 0 || d.Unreadable > 0 {
		fmt.Fprintf(&b, "  not checked  %d objects unsupported for check, %d unreadable; missing is an upper bound\n", d.Unsupported, d.Unreadable)
	}
	for _, p := range d.Problems {
		fmt.Fprintf(&b, "               %s\n", p)
	}
	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("loadgen: write delivery: %w", err)
	}
	return nil
}

// roundDur rounds d to three significant digits or so, for display.
func roundDur(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond)
	case d >= time.Microsecond:
		return d.Round(10 * time.Nanosecond)
	}
	return d
}
