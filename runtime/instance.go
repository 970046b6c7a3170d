package wasmrt

import (
	"context"
	"errors"
	"fmt"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/wasmhose/wasmhose/runtime/abi"
	"github.com/wasmhose/wasmhose/runtime/internal/bounds"
	"github.com/wasmhose/wasmhose/runtime/internal/frame"
	"github.com/wasmhose/wasmhose/runtime/internal/interrupt"
)

// instance is one instantiated module. It is used by one goroutine at a
// time: the pool hands it out and takes it back.
type instance struct {
	p           *Plugin
	mod         api.Module
	mem         api.Memory
	alloc       api.Function
	transformFn api.Function
	flag        api.MutableGlobal // the injected interrupt global (StopInterrupt)
	log         *logSink

	// broken is set when a call failed in a way that leaves the instance
	// unusable or untrusted; the pool then discards it.
	broken bool

	results []frame.Result
}

// session is the deadline of one batch (or of an instantiation) and the
// means to stop the guest when it passes.
type session struct {
	ctx    context.Context // the batch context: deadline, instance value
	parent context.Context
	cancel context.CancelFunc
	stop   func() bool
	fired  chan struct{}
}

func (in *instance) begin(parent context.Context) *session {
	s := &session{parent: parent}
	s.ctx, s.cancel = context.WithTimeout(context.WithValue(parent, instanceKey{}, in), in.p.rt.cfg.batchTimeout)
	if in.flag != nil {
		s.fired = make(chan struct{})
		flag := in.flag
		s.stop = context.AfterFunc(s.ctx, func() {
			flag.Set(1)
			close(s.fired)
		})
	}
	return s
}

// end releases the session. If the interrupt fired, the instance cannot run
// again (its flag is set), so it is marked broken.
func (in *instance) end(s *session) {
	if s.stop != nil && !s.stop() {
		<-s.fired
		in.broken = true
	}
	s.cancel()
	in.log.reset(s.parent)
}

// callErr classifies the error of a call to an export.
func (in *instance) callErr(s *session, fn string, err error) error {
	in.broken = true
	if s.ctx.Err() != nil {
		if perr := s.parent.Err(); perr != nil {
			return fmt.Errorf("%s: %w", fn, perr)
		}
		return fmt.Errorf("%w (%v, in %s)", ErrTimeout, in.p.rt.cfg.batchTimeout, fn)
	}
	return &TrapError{Plugin: in.p.name, Func: fn, Err: err}
}

func (in *instance) call(s *session, fn api.Function, name string, params ...uint64) (uint64, error) {
	res, err := fn.Call(s.ctx, params...)
	if err != nil {
		return 0, in.callErr(s, name, err)
	}
	if len(res) == 0 {
		return 0, nil
	}
	return res[0], nil
}

func (in *instance) instantiate(ctx context.Context, mc wazero.ModuleConfig) error {
	p := in.p
	// Instantiation runs no guest code: the module's start section was
	// turned into an export (bounds.StartExport) that initialize calls under
	// the deadline, where the interrupt flag exists; the deadline here
	// bounds the host's own work (data and element segments).
	sctx, cancel := context.WithTimeout(context.WithValue(ctx, instanceKey{}, in), p.rt.cfg.batchTimeout)
	defer cancel()
	m, err := p.rt.wz.InstantiateModule(sctx, p.mod.compiled, mc)
	if err != nil {
		if ctx.Err() != nil { // the caller gave up (a client that hung up), not the deadline
			return fmt.Errorf("%w: instantiate: %w", ErrInit, ctx.Err())
		}
		if sctx.Err() != nil {
			return fmt.Errorf("%w: instantiate: %w", ErrInit, ErrTimeout)
		}
		return fmt.Errorf("%w: instantiate: %w", ErrInit, err)
	}
	in.mod = m
	in.p.rt.instances.Add(1)
	in.p.rt.created.Add(1)
	in.mem = m.Memory()
	in.alloc = m.ExportedFunction(abi.ExportAlloc)
	in.transformFn = m.ExportedFunction(abi.ExportTransform)
	if p.rt.cfg.stop == StopInterrupt {
		g, ok := m.ExportedGlobal(interrupt.ExportName).(api.MutableGlobal)
		if !ok {
			m.Close(ctx)
			return fmt.Errorf("%w: interrupt global missing", ErrInit)
		}
		in.flag = g
	}
	if in.mem == nil {
		m.Close(ctx)
		return fmt.Errorf("%w: memory %s", ErrMissingExport, abi.ExportMemory)
	}
	s := in.begin(ctx)
	err = in.initialize(s)
	in.end(s)
	if err == nil && in.broken {
		err = fmt.Errorf("%w: %w", ErrInit, ErrTimeout)
	}
	if err != nil {
		in.close(ctx)
		return err
	}
	return nil
}

// initialize runs the start function, _initialize and init, in that order.
func (in *instance) initialize(s *session) error {
	if in.p.mod.hasStart {
		if _, err := in.call(s, in.mod.ExportedFunction(bounds.StartExport), "start function"); err != nil {
			return fmt.Errorf("%w: %w", ErrInit, err)
		}
	}
	if in.p.mod.hasReact {
		if _, err := in.call(s, in.mod.ExportedFunction(abi.ExportInitialize), abi.ExportInitialize); err != nil {
			return fmt.Errorf("%w: %w", ErrInit, err)
		}
	}
	if in.p.mod.hasInit {
		if err := in.init(s); err != nil {
			return fmt.Errorf("%w: %w", ErrInit, err)
		}
	}
	return nil
}

// init passes the configuration to the init export.
func (in *instance) init(s *session) error {
	cfg := in.p.config
	ptr, err := in.call(s, in.alloc, abi.ExportAlloc, uint64(len(cfg)))
	if err != nil {
		return err
	}
	if uint32(ptr) == 0 {
		return ErrOutOfMemory
	}
	if !in.mem.Write(uint32(ptr), cfg) {
		return fmt.Errorf("%w: alloc returned %d, outside memory", ErrMalformedResult, uint32(ptr))
	}
	packed, err := in.call(s, in.mod.ExportedFunction(abi.ExportInit), abi.ExportInit, uint64(uint32(ptr)), uint64(len(cfg)))
	if err != nil || packed == 0 {
		return err
	}
	eptr, elen := abi.Unpack(packed)
	msg, ok := in.mem.Read(eptr, min(elen, maxLogLine))
	if !ok {
		return fmt.Errorf("%w: init error text [%d, +%d) outside memory", ErrMalformedResult, eptr, elen)
	}
	return fmt.Errorf("plugin rejected its configuration: %s", msg)
}

func (in *instance) close(ctx context.Context) error {
	if in.mod == nil {
		return nil
	}
	err := in.mod.Close(ctx)
	in.mod = nil
	in.p.rt.instances.Add(-1)
	return err
}

// transform runs one batch.
func (in *instance) transform(ctx context.Context, records []Record) ([]Result, error) {
	cfg := in.p.rt.cfg
	dataLen := 0
	for _, r := range records {
		dataLen += len(r.Data)
	}
	size := frame.InputSize(len(records), dataLen)
	if int64(size) > int64(cfg.memoryLimitPages)*65536 || size > 1<<32-1 {
		return nil, fmt.Errorf("%w: %d records, %d bytes", ErrBatchTooLarge, len(records), size)
	}
	s := in.begin(ctx)
	defer in.end(s)

	ptr, err := in.call(s, in.alloc, abi.ExportAlloc, uint64(size))
	if err != nil {
		return nil, err
	}
	if uint32(ptr) == 0 {
		in.broken = true
		return nil, fmt.Errorf("%w: alloc(%d) returned 0", ErrOutOfMemory, size)
	}
	buf, ok := in.mem.Read(uint32(ptr), uint32(size))
	if !ok {
		in.broken = true
		return nil, fmt.Errorf("%w: alloc(%d) returned %d, outside memory", ErrMalformedResult, size, uint32(ptr))
	}
	rest := frame.PutHeader(buf, len(records))
	for _, r := range records {
		rest = frame.PutRecord(rest, r.ArrivalMillis, r.Data)
	}

	packed, err := in.call(s, in.transformFn, abi.ExportTransform, uint64(uint32(ptr)), uint64(size))
	if err != nil {
		return nil, err
	}
	optr, olen := abi.Unpack(packed)
	if int64(olen) > int64(cfg.maxOutputBytes) {
		in.broken = true
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrOutputTooLarge, olen, cfg.maxOutputBytes)
	}
	view, ok := in.mem.Read(optr, olen)
	if !ok {
		in.broken = true
		return nil, fmt.Errorf("%w: result frame [%d, +%d) outside memory", ErrMalformedResult, optr, olen)
	}
	out := make([]byte, len(view))
	copy(out, view)
	in.results, err = frame.Decode(in.results[:0], out, len(records))
	if err != nil {
		var be *frame.BatchError
		if errors.As(err, &be) {
			return nil, &PluginError{Plugin: in.p.name, Message: be.Message}
		}
		in.broken = true
		return nil, fmt.Errorf("%w: %w", ErrMalformedResult, err)
	}
	results := make([]Result, len(in.results))
	for i, r := range in.results {
		results[i] = Result{Status: r.Status, Data: r.Data, Error: r.Error}
		if len(r.Keys) > 0 {
			keys := make([]PartitionKey, len(r.Keys))
			for k, kv := range r.Keys {
				keys[k] = PartitionKey{Name: kv.Name, Value: kv.Value}
			}
			results[i].PartitionKeys = keys
		}
		in.results[i] = frame.Result{}
	}
	return results, nil
}
