package filelock_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/wasmhose/wasmhose/internal/filelock"
)

// TestLockExcludes: goroutines each taking their own Lock on one path (own
// open file, as separate processes would) never overlap: a counter kept
// in a file, read and rewritten under the lock, loses no increment.
func TestLockExcludes(t *testing.T) {
	var mu sync.Mutex
	for _, tc := range []struct {
		name string
		lock func(path string) (func() error, error)
	}{
		{"Lock", filelock.Lock},
		{"LockWith", func(path string) (func() error, error) {
			unlock, err := filelock.LockWith(&mu, path)
			return func() error { unlock(); return nil }, err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) { lockExcludes(t, tc.lock) })
	}
}

func lockExcludes(t *testing.T, lock func(path string) (func() error, error)) {
	dir := t.TempDir()
	lockPath, counter := filepath.Join(dir, ".lock"), filepath.Join(dir, "n")
	if err := os.WriteFile(counter, []byte("0"), 0o644); err != nil {
		t.Fatal(err)
	}
	const workers, rounds = 4, 50
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range rounds {
				unlock, err := lock(lockPath)
				if err != nil {
					t.Error(err)
					return
				}
				b, _ := os.ReadFile(counter)
				n, _ := strconv.Atoi(string(b))
				time.Sleep(10 * time.Microsecond)
				if err := os.WriteFile(counter, []byte(strconv.Itoa(n+1)), 0o644); err != nil {
					t.Error(err)
				}
				if err := unlock(); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if b, _ := os.ReadFile(counter); string(b) != strconv.Itoa(workers*rounds) {
		t.Fatalf("counter %s, want %d", b, workers*rounds)
	}
}

// TestLockAcrossProcesses: while this process holds the lock, a child
// process (this test binary, re-run) cannot take it; it gets it once the
// parent lets go.
func TestLockAcrossProcesses(t *testing.T) {
	if path := os.Getenv("FILELOCK_CHILD"); path != "" {
		unlock, err := filelock.Lock(path)
		if err != nil {
			os.Exit(2)
		}
		_ = unlock()
		os.Exit(0)
	}
	path := filepath.Join(t.TempDir(), ".lock")
	unlock, err := filelock.Lock(path)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run", "^TestLockAcrossProcesses$")
	cmd.Env = append(os.Environ(), "FILELOCK_CHILD="+path)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		t.Fatalf("the child took the lock the parent holds (exit %v)", err)
	case <-time.After(300 * time.Millisecond):
	}
	if err := unlock(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("child: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the child did not get the lock after the parent let go")
	}
}
