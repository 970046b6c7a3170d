package wal_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"syscall"
	"testing"

	"github.com/wasmhose/wasmhose/host/fault"
	"github.com/wasmhose/wasmhose/host/wal"
)

// recs returns n records named "<tag>-<i>".
func recs(tag string, n int) []wal.Record {
	out := make([]wal.Record, n)
	for i := range out {
		out[i] = wal.Record{Data: fmt.Appendf(nil, "%s-%d", tag, i)}
	}
	return out
}

// replayed returns the data of every entry Replay yields.
func replayed(t *testing.T, l *wal.Log) []string {
	t.Helper()
	var out []string
	if err := l.Replay(func(e wal.Entry) error {
		out = append(out, string(e.Data))
		return nil
	}); err != nil {
		t.Fatalf("Replay: %v", err)
	}
	return out
}

func names(rs ...[]wal.Record) []string {
	var out []string
	for _, r := range rs {
		for _, x := range r {
			out = append(out, string(x.Data))
		}
	}
	return out
}

// TestWriteFaults injects each failure of the log's file I/O into one
// append through the wal.FileSystem seam. The failed append returns the
// error and leaves nothing behind; the log keeps going (a full disk is not
// fatal) unless the partial frame could not be cut off, in which case it
// stops and the next Open detects the torn tail by its checksums and
// reports it. After a reopen without faults exactly the records whose
// appends succeeded are replayed, none twice.
func TestWriteFaults(t *testing.T) {
	enospc := syscall.ENOSPC
	tests := []struct {
		name  string
		rules []fault.Rule
		// sticky: the log stops after the fault (every later append fails).
		sticky bool
		// torn: the reopened log reports a torn tail of this many bytes.
		torn int64
		// kept: the failed append's whole frame stayed in the file (its
		// sync failed, then the cut), so it is replayed: delivered though
		// never acknowledged, which at-least-once allows; lost it is not.
		kept bool
		// segBytes makes every frame roll to a new segment.
		segBytes int64
	}{
		{name: "disk full on write", rules: []fault.Rule{{Op: fault.OpWrite, Name: ".wal", Times: 1, Err: enospc}}},
		{name: "short write, disk full", rules: []fault.Rule{{Op: fault.OpWrite, Name: ".wal", Times: 1, Partial: 7, Err: enospc}}},
		{name: "fsync fails", rules: []fault.Rule{{Op: fault.OpSync, Name: ".wal", Times: 1, Err: syscall.EIO}}},
		{name: "fsync fails with disk full", rules: []fault.Rule{{Op: fault.OpSync, Name: ".wal", Times: 1, Err: enospc}}},
		{name: "segment creation fails", segBytes: 1, rules: []fault.Rule{{Op: fault.OpOpen, Name: ".wal", Times: 1, Err: enospc}}},
		{
			name: "short write and the cut fails: torn tail at the next open", sticky: true, torn: 9,
			rules: []fault.Rule{
				{Op: fault.OpWrite, Name: ".wal", Times: 1, Partial: 9, Err: enospc},
				{Op: fault.OpTruncate, Name: ".wal", Times: 1, Err: syscall.EIO},
			},
		},
		{
			name: "fsync and the cut fail", sticky: true, kept: true,
			rules: []fault.Rule{
				{Op: fault.OpSync, Name: ".wal", Times: 1, Err: syscall.EIO},
				{Op: fault.OpTruncate, Name: ".wal", Times: 1, Err: syscall.EIO},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			plan := fault.NewPlan()
			l, err := wal.Open(dir, wal.Options{FS: fault.NewFS(plan, nil), SegmentBytes: tc.segBytes})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			a, b, c := recs("a", 3), recs("b", 4), recs("c", 5)
			if first, err := l.Append(ctx, a); err != nil || first != 1 {
				t.Fatalf("Append a = %d, %v", first, err)
			}
			for _, r := range tc.rules {
				plan.Add(r)
			}
			_, err = l.Append(ctx, b)
			if err == nil {
				t.Fatal("Append b succeeded through an injected fault")
			}
			if want := tc.rules[0].Err; !errors.Is(err, want) {
				t.Fatalf("Append b = %v, want an error wrapping %v", err, want)
			}
			first, err := l.Append(ctx, c)
			acked := [][]wal.Record{a}
			if tc.kept {
				acked = append(acked, b)
			}
			if tc.sticky {
				if err == nil {
					t.Fatal("Append after an uncut partial frame succeeded; the log must stop")
				}
			} else {
				if err != nil || first != 4 {
					t.Fatalf("Append c after the fault = %d, %v; want 4 (b's sequence numbers given again)", first, err)
				}
				acked = append(acked, c)
			}
			if st := l.Stats(); !tc.sticky && st.NextSeq != 9 {
				t.Fatalf("NextSeq = %d, want 9", st.NextSeq)
			}
			_ = l.Close()

			l2, err := wal.Open(dir, wal.Options{SegmentBytes: tc.segBytes})
			if err != nil {
				t.Fatalf("reopen: %v", err)
			}
			defer l2.Close()
			rec := l2.Recovered()
			if rec.TruncatedBytes != tc.torn || (tc.torn > 0) != (rec.TornSegment != "") {
				t.Fatalf("Recovered = %+v, want a torn tail of %d bytes", rec, tc.torn)
			}
			if got, want := replayed(t, l2), names(acked...); !slices.Equal(got, want) {
				t.Fatalf("replayed %q, want %q", got, want)
			}
			if plan.Injected(tc.rules[0].Op) == 0 {
				t.Fatal("the plan injected nothing")
			}
		})
	}
}

// TestCheckpointWriteFault: a checkpoint that cannot be written fails the
// Ack; the next Ack writes it, and after a reopen only the records not
// acknowledged are replayed.
func TestCheckpointWriteFault(t *testing.T) {
	dir := t.TempDir()
	plan := fault.NewPlan()
	l, err := wal.Open(dir, wal.Options{FS: fault.NewFS(plan, nil)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Append(context.Background(), recs("x", 6)); err != nil {
		t.Fatal(err)
	}
	plan.Add(fault.Rule{Op: fault.OpWrite, Name: "checkpoint", Times: 1, Err: syscall.ENOSPC})
	if err := l.Ack(1, 3); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Ack with the disk full = %v, want ENOSPC", err)
	}
	if err := l.Ack(3, 4); err != nil {
		t.Fatalf("Ack after the fault = %v", err)
	}
	_ = l.Close()
	l2, err := wal.Open(dir, wal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close()
	if got, want := replayed(t, l2), []string{"x-3", "x-4", "x-5"}; !slices.Equal(got, want) {
		t.Fatalf("replayed %q, want %q", got, want)
	}
}

// TestDiskFullThenRoom: while every write fails with ENOSPC, every append
// fails and none is half-kept; once writes succeed again appends go on
// with consecutive sequence numbers.
func TestDiskFullThenRoom(t *testing.T) {
	dir := t.TempDir()
	plan := fault.NewPlan()
	l, err := wal.Open(dir, wal.Options{FS: fault.NewFS(plan, nil), NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx := context.Background()
	full := plan.Add(fault.Rule{Op: fault.OpWrite, Name: ".wal", Partial: 5, Err: syscall.ENOSPC})
	for i := range 20 {
		if _, err := l.Append(ctx, recs(fmt.Sprint("full", i), 2)); !errors.Is(err, syscall.ENOSPC) {
			t.Fatalf("append %d while full = %v", i, err)
		}
	}
	full()
	for i := range 3 {
		first, err := l.Append(ctx, recs(fmt.Sprint("ok", i), 2))
		if err != nil || first != uint64(1+2*i) {
			t.Fatalf("append %d after room = %d, %v", i, first, err)
		}
	}
	if got := replayed(t, l); len(got) != 6 || got[0] != "ok0-0" {
		t.Fatalf("replayed %q", got)
	}
	if st := l.Stats(); st.Unacked != 6 {
		t.Fatalf("stats %+v", st)
	}
}
