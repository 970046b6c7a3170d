package service_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/wasmhose/wasmhose/host/stream"
)

// reopen closes svc with a context that is already over, so that nothing
// buffered is delivered and every record stays in the log, and opens a new
// service on the same data dir.
func reopen(t *testing.T, e *env, svc interface {
	Close(context.Context) error
}) {
	t.Helper()
	e.store.hold()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := svc.Close(ctx); err != nil && !errors.Is(err, context.Canceled) {
		t.Fatalf("Close: %v", err)
	}
	e.store.release()
}

// TestEveryValidNameSurvivesARestart creates streams whose names a file
// system treats specially (hidden, dot-segments, a ".json" suffix, case
// variants), puts records, restarts the service on the same data dir and
// checks that every stream is back and its records are delivered.
func TestEveryValidNameSurvivesARestart(t *testing.T) {
	names := []string{".", "..", ".logs", "...json", "a.json", "x", "X", strings.Repeat(".", 64), "-", "_"}
	e := newEnv(t)
	svc := e.open(t, nil)
	var want []string
	for _, n := range names {
		create(t, svc, input(n, nil))
		want = append(want, putLines(t, svc, n, "rec"+n, 3)...)
	}
	reopen(t, e, svc)

	svc2 := e.open(t, nil)
	got, _ := svc2.List(context.Background(), 0, "", "")
	sorted := slices.Clone(names)
	slices.Sort(sorted)
	if !slices.Equal(got, sorted) {
		t.Fatalf("streams after a restart: %q, want %q", got, sorted)
	}
	for _, n := range names {
		if s := status(t, svc2, n); s != stream.StatusActive {
			t.Fatalf("%q after a restart: status %q", n, s)
		}
		waitFor(t, "records of "+n+" delivered", func() bool {
			st, err := svc2.StreamStats(n)
			return err == nil && st.DeliveredRecords == 3
		})
	}
	slices.Sort(want)
	if got := e.records(t); !slices.Equal(got, want) {
		t.Fatalf("delivered %q, want %q", got, want)
	}

	// Deleting removes the registry entry: the stream stays gone after the
	// next restart.
	for _, n := range names {
		if err := svc2.Delete(context.Background(), n, true); err != nil {
			t.Fatalf("Delete %q: %v", n, err)
		}
		waitFor(t, n+" deleted", func() bool { return status(t, svc2, n) == "" })
	}
	reopen(t, e, svc2)
	svc3 := e.open(t, nil)
	if got, _ := svc3.List(context.Background(), 0, "", ""); len(got) != 0 {
		t.Fatalf("streams after deleting all and restarting: %q", got)
	}
}

// copyDir copies the folder src to dst.
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestDataDirOfTheEarlierLayoutLoads opens a data dir written by the
// release before names were encoded (testdata/datadir-v1: registry files
// named <name>.json, three records left in each stream's log) and checks
// that every stream loads and delivers its records, including ".logs",
// whose file that release wrote but never read back.
func TestDataDirOfTheEarlierLayoutLoads(t *testing.T) {
	e := newEnv(t)
	copyDir(t, filepath.Join("testdata", "datadir-v1"), e.dir)
	svc := e.open(t, nil)
	names := []string{".logs", "Mixed.Case-1_x", "clicks"}
	got, _ := svc.List(context.Background(), 0, "", "")
	if !slices.Equal(got, names) {
		t.Fatalf("streams: %q, want %q", got, names)
	}
	var want []string
	for _, n := range names {
		for i := range 3 {
			want = append(want, n+"-"+string(rune('0'+i))+"\n")
		}
		waitFor(t, "records of "+n+" delivered", func() bool {
			st, err := svc.StreamStats(n)
			return err == nil && st.DeliveredRecords == 3
		})
	}
	slices.Sort(want)
	if got := e.records(t); !slices.Equal(got, want) {
		t.Fatalf("delivered %q, want %q", got, want)
	}

	// An update rewrites the entry in the current layout; a restart still
	// finds the stream once.
	for _, n := range names {
		if err := svc.Update(context.Background(), &stream.UpdateInput{DeliveryStreamName: n, CurrentDeliveryStreamVersionId: "1",
			DestinationId: stream.DefaultDestinationID, ExtendedS3DestinationUpdate: &stream.ExtendedS3DestinationUpdate{Prefix: stream.String("q/")}}); err != nil {
			t.Fatalf("Update %q: %v", n, err)
		}
	}
	reopen(t, e, svc)
	svc2 := e.open(t, nil)
	if got, _ := svc2.List(context.Background(), 0, "", ""); !slices.Equal(got, names) {
		t.Fatalf("streams after an update and a restart: %q, want %q", got, names)
	}
	for _, n := range names {
		d, err := svc2.Describe(context.Background(), n)
		if err != nil || d.VersionId != "2" {
			t.Fatalf("%q after an update and a restart: version %q, %v", n, d.VersionId, err)
		}
	}
}
