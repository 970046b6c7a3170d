package deliver_test

import (
	"strings"
	"testing"
	"time"

	"github.com/wasmhose/wasmhose/host/compress"
	"github.com/wasmhose/wasmhose/host/deliver"
	"github.com/wasmhose/wasmhose/host/stream"
)

// TestBatchThatCannotBeBuiltStaysInView: a stream stored before
// CreateDeliveryStream checked key lengths, whose 1,000-character prefix
// can never evaluate, must neither strand its records silently nor drop
// them: every failed build is logged, counted and retried while the
// records wait in the log; an UpdateDestination that fixes the prefix
// delivers them; without one they are discarded loudly once the retention
// period is over.
func TestBatchThatCannotBeBuiltStaysInView(t *testing.T) {
	long := strings.Repeat("a", 1000)
	tests := []struct {
		name string
		// then is what happens once the failures are seen: an update
		// (true) or the retention period passing (false).
		update bool
	}{
		{name: "expires after the retention period"},
		{name: "an update delivers the records", update: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			local := newLocal(t)
			clk := newClock(t0)
			logs := t.TempDir()
			s := newStream("long", func(d *stream.ExtendedS3DestinationConfiguration) {
				withErrorLog(d)
				d.Prefix = stream.String(long)
				d.CompressionFormat = stream.String("UNCOMPRESSED")
			})
			p := open(t, s, deliver.Options{LogDir: t.TempDir(), Store: local, Now: clk.Now, Retention: time.Hour, LogsDir: logs, Workers: 1,
				RetryBase: time.Millisecond, RetryMax: 5 * time.Millisecond})
			put(t, p, lines("r", 0, 3)...)
			p.Flush()
			failures := func() int {
				n := 0
				for _, l := range errorLog(t, logs) {
					if strings.Contains(l.Message, "evaluated prefix too long") {
						n++
					}
				}
				return n
			}
			waitFor(t, "failed builds logged", func() bool { return failures() >= 3 })
			if st := p.Stats(); st.Log.Unacked != 3 || st.PendingBytes == 0 || st.FailedBuilds < 3 || st.ExpiredRecords != 0 || len(objects(t, local)) != 0 {
				t.Fatalf("while failing: %+v", st)
			}
			if tt.update {
				s2 := s.Clone()
				s2.VersionID++
				s2.Destination.Prefix = stream.String("short/")
				if err := p.Update(s2); err != nil {
					t.Fatal(err)
				}
				waitFor(t, "records delivered", func() bool { return p.Stats().DeliveredRecords == 3 })
				if objs := objects(t, local); len(objs) != 1 || !strings.HasPrefix(objs[0].Key, "short/") {
					t.Fatalf("objects %v", objs)
				}
			} else {
				clk.Set(t0.Add(61 * time.Minute))
				waitFor(t, "records discarded", func() bool { return p.Stats().ExpiredRecords == 3 })
				if n := len(objects(t, local)); n != 0 {
					t.Fatalf("%d objects", n)
				}
			}
			waitFor(t, "the log released", func() bool { return p.Stats().Log.Unacked == 0 })
			if st := p.Stats(); st.PendingBytes != 0 {
				t.Fatalf("after: %+v", st)
			}
		})
	}
}

// TestDefaultExtensionsFitTheKeyCheck: stream.ValidateKeys counts
// stream.MaxDefaultExtension for a destination without FileExtension, so
// no extension the pipeline picks by itself may be longer.
func TestDefaultExtensionsFitTheKeyCheck(t *testing.T) {
	exts := []string{".parquet", ".orc"}
	for _, f := range []string{"UNCOMPRESSED", "GZIP", "ZIP", "Snappy", "HADOOP_SNAPPY"} {
		var c compress.Format
		if err := c.UnmarshalText([]byte(f)); err != nil {
			t.Fatal(err)
		}
		exts = append(exts, c.Extension())
	}
	for _, e := range exts {
		if len(e) > len(stream.MaxDefaultExtension) {
			t.Errorf("extension %q is longer than stream.MaxDefaultExtension %q", e, stream.MaxDefaultExtension)
		}
	}
}
