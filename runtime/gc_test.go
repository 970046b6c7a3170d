package wasmrt_test

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"testing"
	"time"

	wasmrt "github.com/wasmhose/wasmhose/runtime"
)

// TestRunawayGuestDoesNotBlockTheProcess: Go cannot preempt a goroutine
// running compiled Wasm, so a guest looping forever would hold up every
// garbage collection (a stop-the-world waits for all goroutines) and, with
// it, the whole process, and the timer meant to interrupt it might never
// run. The injected checks yield to Go periodically; this test forces
// collections while looping guests run, and needs them all to finish and
// the guests to be stopped at their deadline.
func TestRunawayGuestDoesNotBlockTheProcess(t *testing.T) {
	r := newRuntime(t, wasmrt.NewConfig().WithBatchTimeout(300*time.Millisecond).WithWorkers(2))
	cases := []struct{ fixture, record string }{
		{"wat/loop.wasm", ""},
		{"wat/recurse.wasm", ""},
		{"wat/nested.wasm", ""},
		{"kitchen/kitchen.wasm", "loop"},
		{"kitchen/kitchen.wasm", "maze"},
	}
	var wg sync.WaitGroup
	for _, c := range cases {
		p := load(t, r, c.fixture, "")
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := p.Transform(context.Background(), []wasmrt.Record{{Data: []byte(c.record)}})
			if !errors.Is(err, wasmrt.ErrTimeout) {
				t.Errorf("%s: Transform = %v, want ErrTimeout", c.fixture, err)
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	gcs := 0
	for {
		runtime.GC() // would never return while a guest holds its thread
		gcs++
		select {
		case <-done:
			if gcs < 2 {
				t.Fatalf("only %d collections ran while the guests looped", gcs)
			}
			return
		default:
		}
	}
}
