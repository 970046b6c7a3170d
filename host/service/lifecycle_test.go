package service_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/wasmhose/wasmhose/host/service"
	"github.com/wasmhose/wasmhose/host/stream"
)

// producers runs n goroutines putting batches of 20 distinct records to
// name until stop is closed; it returns the acknowledged records (those
// Put returned RecordIds for) once they have all returned. Refused puts
// (the stream deleting or gone) are not acknowledged and not retried.
func producers(svc *service.Service, name string, n int, stop <-chan struct{}) (wait func() []string) {
	var (
		mu    sync.Mutex
		acked []string
		wg    sync.WaitGroup
	)
	for w := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := 0; ; b++ {
				select {
				case <-stop:
					return
				default:
				}
				data := make([][]byte, 20)
				for i := range data {
					data[i] = fmt.Appendf(nil, "%s-w%d-b%d-i%d\n", name, w, b, i)
				}
				if _, _, err := svc.Put(context.Background(), name, data); err != nil {
					continue
				}
				mu.Lock()
				for _, d := range data {
					acked = append(acked, string(d))
				}
				mu.Unlock()
			}
		}()
	}
	return func() []string {
		wg.Wait()
		mu.Lock()
		defer mu.Unlock()
		slices.Sort(acked)
		return acked
	}
}

// TestUpdateDestinationUnderLoad: UpdateDestination, called again and again
// while producers put, loses nothing acknowledged: every record is stored
// once, under whichever version (prefix) was in force when it was buffered.
func TestUpdateDestinationUnderLoad(t *testing.T) {
	e := newEnv(t)
	svc := e.open(t, nil)
	create(t, svc, input("upd", func(d *stream.ExtendedS3DestinationConfiguration) { d.Prefix = stream.String("v1/") }))
	stop := make(chan struct{})
	wait := producers(svc, "upd", 4, stop)
	for v := 1; v <= 20; v++ {
		err := svc.Update(context.Background(), &stream.UpdateInput{DeliveryStreamName: "upd", CurrentDeliveryStreamVersionId: fmt.Sprint(v),
			DestinationId: stream.DefaultDestinationID, ExtendedS3DestinationUpdate: &stream.ExtendedS3DestinationUpdate{Prefix: stream.String(fmt.Sprintf("v%d/", v+1))}})
		if err != nil {
			t.Fatalf("update to version %d: %v", v+1, err)
		}
	}
	close(stop)
	acked := wait()
	svc.FlushAll()
	waitFor(t, "every acknowledged record stored", func() bool { return len(e.records(t)) >= len(acked) })
	if got := e.records(t); !slices.Equal(got, acked) {
		t.Fatalf("stored %d records, want exactly the %d acknowledged", len(got), len(acked))
	}
	if len(acked) == 0 {
		t.Fatal("nothing acknowledged")
	}
	versions := map[string]bool{}
	for k := range e.objects(t) {
		v, _, _ := strings.Cut(k, "/")
		versions[v] = true
	}
	t.Logf("%d records acknowledged and stored once, in %d objects under %d versions' prefixes", len(acked), len(e.objects(t)), len(versions))
}

// TestDeleteUnderLoad: DeleteDeliveryStream while producers put delivers
// every record acknowledged before the stream left ACTIVE; puts after that
// are refused, never acknowledged and dropped.
func TestDeleteUnderLoad(t *testing.T) {
	e := newEnv(t)
	svc := e.open(t, nil)
	create(t, svc, input("del", nil))
	stop := make(chan struct{})
	wait := producers(svc, "del", 4, stop)
	waitFor(t, "some load", func() bool {
		st, err := svc.StreamStats("del")
		return err == nil && st.IncomingRecords >= 2000
	})
	if err := svc.Delete(context.Background(), "del", false); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the stream removed", func() bool { return status(t, svc, "del") == "" })
	close(stop)
	acked := wait()
	if got := e.records(t); !slices.Equal(got, acked) {
		t.Fatalf("stored %d records, want exactly the %d acknowledged", len(got), len(acked))
	}
}

// resources samples what a leak would grow: goroutines, open files and
// the live heap after a collection.
type resources struct {
	goroutines, fds int
	heap            uint64
}

func sample(t *testing.T) resources {
	t.Helper()
	var r resources
	// Goroutines end a moment after the calls that stop them return.
	for range 3 {
		runtime.GC()
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	r.heap = ms.HeapAlloc
	r.goroutines = runtime.NumGoroutine()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	r.fds = len(fds)
	return r
}

// TestManyStreamsDoNotLeak creates, fills and deletes 300 streams, twice:
// afterwards goroutines and open files are back to where they started and
// the live heap has not grown with the number of streams. The slack is
// generous (the runtime and the HTTP-less test keep a few of their own);
// nothing here measures time.
func TestManyStreamsDoNotLeak(t *testing.T) {
	if testing.Short() {
		t.Skip("300 streams: skipped in -short mode")
	}
	e := newEnv(t)
	svc := e.open(t, func(o *service.Options) { o.MaxStreams = 300 })
	var delivered atomic.Int64
	wave := func(tag string, n int) {
		names := make([]string, n)
		for i := range names {
			names[i] = fmt.Sprintf("%s-%03d", tag, i)
			if _, err := svc.Create(context.Background(), input(names[i], nil)); err != nil {
				t.Fatalf("create %s: %v", names[i], err)
			}
		}
		for _, n := range names {
			waitFor(t, n+" ACTIVE", func() bool { return status(t, svc, n) == stream.StatusActive })
			putLines(t, svc, n, n, 5)
		}
		for _, n := range names {
			if err := svc.Delete(context.Background(), n, false); err != nil {
				t.Fatalf("delete %s: %v", n, err)
			}
		}
		for _, n := range names {
			waitFor(t, n+" removed", func() bool { return status(t, svc, n) == "" })
		}
		delivered.Add(int64(n * 5))
	}
	wave("warm", 20) // first use of every code path
	base := sample(t)
	wave("a", 300)
	afterA := sample(t)
	wave("b", 300)
	afterB := sample(t)
	t.Logf("goroutines %d → %d → %d; open files %d → %d → %d; live heap %d KiB → %d KiB → %d KiB",
		base.goroutines, afterA.goroutines, afterB.goroutines, base.fds, afterA.fds, afterB.fds,
		base.heap>>10, afterA.heap>>10, afterB.heap>>10)
	for _, s := range []resources{afterA, afterB} {
		if s.goroutines > base.goroutines+10 {
			t.Errorf("goroutines %d after deleting every stream, %d before: leak", s.goroutines, base.goroutines)
		}
		if s.fds > base.fds+10 {
			t.Errorf("open files %d after deleting every stream, %d before: leak", s.fds, base.fds)
		}
	}
	if afterB.heap > afterA.heap+16<<20 {
		t.Errorf("live heap grew from %d to %d KiB over the second 300 streams", afterA.heap>>10, afterB.heap>>10)
	}
	if got := len(e.records(t)); int64(got) != delivered.Load() {
		t.Errorf("%d records stored, %d acknowledged", got, delivered.Load())
	}
}
