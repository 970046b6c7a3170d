package fault

import (
	"context"
	"io/fs"

	"github.com/wasmhose/wasmhose/host/wal"
)

// FS is a wal.FileSystem whose opens, writes, syncs, truncations and closes
// follow a Plan; the rules' names match file paths. Errors come back as
// *fs.PathError, as the operating system's do, so a rule with Err
// syscall.ENOSPC is a full disk. A write a rule acts on with Partial n
// writes the first n bytes for real before failing: a short write.
type FS struct {
	next wal.FileSystem
	plan *Plan
}

// NewFS returns the operating system's file system under plan. next, when
// not nil, replaces the operating system.
func NewFS(plan *Plan, next wal.FileSystem) *FS {
	if next == nil {
		next = wal.OSFileSystem{}
	}
	return &FS{next: next, plan: plan}
}

// OpenFile implements wal.FileSystem.
func (f *FS) OpenFile(name string, flag int, perm fs.FileMode) (wal.File, error) {
	act := f.plan.Decide(OpOpen, name)
	_ = wait(context.Background(), act.Delay)
	if act.Err != nil && !act.Commit {
		return nil, &fs.PathError{Op: "open", Path: name, Err: act.Err}
	}
	file, err := f.next.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	if act.Err != nil {
		_ = file.Close()
		return nil, &fs.PathError{Op: "open", Path: name, Err: act.Err}
	}
	return &faultyFile{File: file, name: name, plan: f.plan}, nil
}

// faultyFile is an open file under a plan.
type faultyFile struct {
	wal.File
	name string
	plan *Plan
}

// Write implements wal.File.
func (f *faultyFile) Write(p []byte) (int, error) {
	act := f.plan.Decide(OpWrite, f.name)
	_ = wait(context.Background(), act.Delay)
	if act.Err == nil {
		return f.File.Write(p)
	}
	n := 0
	switch {
	case act.Commit:
		var err error
		if n, err = f.File.Write(p); err != nil {
			return n, err
		}
	case act.Partial > 0:
		var err error
		if n, err = f.File.Write(p[:min(act.Partial, len(p))]); err != nil {
			return n, err
		}
	}
	return n, &fs.PathError{Op: "write", Path: f.name, Err: act.Err}
}

// Sync implements wal.File.
func (f *faultyFile) Sync() error {
	return f.do(OpSync, "sync", f.File.Sync)
}

// Truncate implements wal.File.
func (f *faultyFile) Truncate(size int64) error {
	return f.do(OpTruncate, "truncate", func() error { return f.File.Truncate(size) })
}

// Close implements wal.File. The file is always closed, so an injected
// failure leaks no descriptor.
func (f *faultyFile) Close() error {
	act := f.plan.Decide(OpClose, f.name)
	_ = wait(context.Background(), act.Delay)
	err := f.File.Close()
	if act.Err != nil && err == nil {
		err = &fs.PathError{Op: "close", Path: f.name, Err: act.Err}
	}
	return err
}

// do applies the plan's decision for one call around call.
func (f *faultyFile) do(op, osOp string, call func() error) error {
	act := f.plan.Decide(op, f.name)
	_ = wait(context.Background(), act.Delay)
	if act.Err == nil {
		return call()
	}
	if act.Commit {
		if err := call(); err != nil {
			return err
		}
	}
	return &fs.PathError{Op: osOp, Path: f.name, Err: act.Err}
}

var _ wal.FileSystem = (*FS)(nil)
