package fault_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/wasmhose/wasmhose/host/fault"
	"github.com/wasmhose/wasmhose/host/objstore"
)

// TestPlanDecides: which calls of a sequence each rule fails.
func TestPlanDecides(t *testing.T) {
	errX := errors.New("x")
	tests := []struct {
		name  string
		rules []fault.Rule
		calls []string // "op name" of each call, in order
		exp   []bool   // whether each call fails
	}{
		{name: "no rules", calls: []string{"put a", "put b"}, exp: []bool{false, false}},
		{name: "third call", rules: []fault.Rule{{Op: "put", Skip: 2, Times: 1, Err: errX}},
			calls: []string{"put a", "put a", "put a", "put a"}, exp: []bool{false, false, true, false}},
		{name: "first two", rules: []fault.Rule{{Op: "put", Times: 2, Err: errX}},
			calls: []string{"put a", "put a", "put a"}, exp: []bool{true, true, false}},
		{name: "every call", rules: []fault.Rule{{Op: "put", Err: errX}},
			calls: []string{"put a", "put b", "put c"}, exp: []bool{true, true, true}},
		{name: "other ops pass and are not counted", rules: []fault.Rule{{Op: "put", Skip: 1, Times: 1, Err: errX}},
			calls: []string{"get a", "put a", "get a", "put a"}, exp: []bool{false, false, false, true}},
		{name: "name filter", rules: []fault.Rule{{Op: "put", Name: "errors/", Err: errX}},
			calls: []string{"put b/data/1", "put b/errors/1", "put b/data/2"}, exp: []bool{false, true, false}},
		{name: "any op", rules: []fault.Rule{{Times: 1, Err: errX}},
			calls: []string{"sync f", "write f"}, exp: []bool{true, false}},
		{name: "delay only", rules: []fault.Rule{{Op: "put", Delay: time.Microsecond}},
			calls: []string{"put a"}, exp: []bool{false}},
		{name: "first acting rule wins, both count", rules: []fault.Rule{{Op: "put", Times: 1, Err: errX}, {Op: "put", Skip: 1, Times: 1, Err: errX}},
			calls: []string{"put a", "put a", "put a"}, exp: []bool{true, true, false}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := fault.NewPlan(tc.rules...)
			failed := 0
			for i, c := range tc.calls {
				var op, name string
				for j := range c {
					if c[j] == ' ' {
						op, name = c[:j], c[j+1:]
						break
					}
				}
				got := p.Decide(op, name).Err != nil
				if got != tc.exp[i] {
					t.Fatalf("call %d (%s): failed = %v, want %v", i, c, got, tc.exp[i])
				}
				if got {
					failed++
				}
			}
			total := 0
			for _, op := range []string{"put", "get", "sync", "write"} {
				total += p.Injected(op)
			}
			if total != failed {
				t.Fatalf("Injected = %d, want %d", total, failed)
			}
		})
	}
}

// TestPlanRemove: an outage added with Add ends when its remover runs.
func TestPlanRemove(t *testing.T) {
	p := fault.NewPlan()
	up := p.Add(fault.Rule{Op: fault.OpPut, Err: fault.SlowDown()})
	if p.Decide(fault.OpPut, "b/k").Err == nil {
		t.Fatal("outage did not fail the call")
	}
	up()
	if p.Decide(fault.OpPut, "b/k").Err != nil {
		t.Fatal("call failed after the outage ended")
	}
	if p.Calls(fault.OpPut) != 2 || p.Injected(fault.OpPut) != 1 {
		t.Fatalf("calls %d injected %d", p.Calls(fault.OpPut), p.Injected(fault.OpPut))
	}
}

// TestS3ErrorsClassifyLikeS3: the injected S3 errors get the Firehose
// error codes and the retry classification real S3 answers get.
func TestS3ErrorsClassifyLikeS3(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		code      string
		permanent bool
	}{
		{"500 InternalError", fault.InternalError(), "InternalError", false},
		{"503 SlowDown", fault.SlowDown(), "S3.SlowDown", false},
		{"403 AccessDenied", fault.AccessDenied(), "S3.AccessDenied", true},
		{"404 NoSuchBucket", fault.NoSuchBucket(), "S3.NoSuchBucket", true},
		{"unknown 502", fault.S3Error(502, "BadGateway", "bad gateway"), "S3.BadGateway", false},
		{"unknown 409", fault.S3Error(409, "Conflict", "conflict"), "S3.Conflict", true},
	}
	local, err := objstore.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer local.Close()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := fault.NewStore(local, fault.NewPlan(fault.Rule{Op: fault.OpPut, Err: tc.err}))
			err := s.Put(context.Background(), "b", "k", []byte("x"), objstore.PutOptions{})
			var oe *objstore.Error
			if !errors.As(err, &oe) || oe.Op != "put" || oe.Bucket != "b" || oe.Key != "k" {
				t.Fatalf("Put = %#v, want an *objstore.Error naming the call", err)
			}
			if got := objstore.ErrorCode(err); got != tc.code {
				t.Errorf("ErrorCode = %q, want %q", got, tc.code)
			}
			if got := objstore.Permanent(err); got != tc.permanent {
				t.Errorf("Permanent = %v, want %v", got, tc.permanent)
			}
		})
	}
}

// TestStoreCommitAndDelay: Commit stores the object and still fails (a lost
// response); a delay ends with the caller's context.
func TestStoreCommitAndDelay(t *testing.T) {
	local, err := objstore.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer local.Close()
	plan := fault.NewPlan(fault.Rule{Op: fault.OpPut, Times: 1, Commit: true, Err: fault.InternalError()})
	s := fault.NewStore(local, plan)
	ctx := context.Background()
	if err := s.Put(ctx, "b", "k", []byte("body"), objstore.PutOptions{}); err == nil {
		t.Fatal("committed Put reported success")
	}
	if b, err := s.Get(ctx, "b", "k"); err != nil || string(b) != "body" {
		t.Fatalf("Get after a committed failure = %q, %v", b, err)
	}
	plan.Add(fault.Rule{Op: fault.OpList, Delay: time.Hour})
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.List(cctx, "b", ""); !errors.Is(err, context.Canceled) {
		t.Fatalf("delayed List with a cancelled context = %v", err)
	}
	if _, _, err := s.ListPage(cctx, "b", "", "", 10); !errors.Is(err, context.Canceled) {
		t.Fatalf("delayed ListPage with a cancelled context = %v", err)
	}
	if err := s.Ping(ctx, "b"); err != nil {
		t.Fatalf("Ping = %v", err)
	}
}

// TestFSShortWrite: a Partial write puts the first bytes in the file and
// returns the error as a *fs.PathError.
func TestFSShortWrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	fsys := fault.NewFS(fault.NewPlan(fault.Rule{Op: fault.OpWrite, Times: 1, Partial: 3, Err: syscall.ENOSPC}), nil)
	f, err := fsys.OpenFile(path, os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	n, err := f.Write([]byte("abcdef"))
	var pe *os.PathError
	if n != 3 || !errors.Is(err, syscall.ENOSPC) || !errors.As(err, &pe) || pe.Path != path {
		t.Fatalf("Write = %d, %v", n, err)
	}
	if n, err := f.Write([]byte("gh")); n != 2 || err != nil {
		t.Fatalf("second Write = %d, %v", n, err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "abcgh" {
		t.Fatalf("file holds %q", b)
	}
}
