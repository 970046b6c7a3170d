package wasmrt

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/experimental"
)

// Plugin is a loaded plugin: a compiled module, its configuration and a pool
// of instances. It implements Transformer; its methods are safe for
// concurrent use.
type Plugin struct {
	rt     *Runtime
	mod    *module
	name   string
	config []byte
	logger *slog.Logger

	// slots holds one entry per worker: an idle instance, or nil for a slot
	// whose instance has not been created (or was discarded).
	slots chan *instance

	closed    atomic.Bool
	closeOnce sync.Once
	closeErr  error
}

func newPlugin(r *Runtime, m *module, name string, config []byte) *Plugin {
	p := &Plugin{
		rt: r, mod: m, name: name, config: append([]byte(nil), config...),
		slots: make(chan *instance, r.cfg.workers),
	}
	if r.cfg.logger != nil {
		p.logger = r.cfg.logger.With("plugin", name)
	} else {
		p.logger = slog.New(slog.DiscardHandler)
	}
	for range r.cfg.workers {
		p.slots <- nil
	}
	return p
}

// Name returns the name the plugin was loaded under.
func (p *Plugin) Name() string { return p.name }

// Transform runs one batch on an idle instance (waiting for one if all are
// busy, until ctx ends). See Transformer for the contract. Errors wrap
// ErrTimeout, ErrMalformedResult, ErrOutputTooLarge, ErrOutOfMemory,
// ErrBatchTooLarge, ErrClosed or the context's error, or are a *TrapError or
// a *PluginError.
func (p *Plugin) Transform(ctx context.Context, records []Record) ([]Result, error) {
	if p.closed.Load() {
		return nil, fmt.Errorf("plugin %s: %w", p.name, ErrClosed)
	}
	var inst *instance
	select {
	case inst = <-p.slots:
	case <-ctx.Done():
		return nil, fmt.Errorf("plugin %s: waiting for an instance: %w", p.name, ctx.Err())
	}
	if p.closed.Load() {
		p.slots <- inst
		return nil, fmt.Errorf("plugin %s: %w", p.name, ErrClosed)
	}
	if inst == nil {
		var err error
		if inst, err = p.newInstance(ctx); err != nil {
			p.slots <- nil
			return nil, fmt.Errorf("plugin %s: %w", p.name, err)
		}
	}
	res, err := inst.transform(ctx, records)
	if inst.broken {
		inst.close(context.WithoutCancel(ctx))
		inst = nil
		p.rt.recycled.Add(1)
	}
	p.slots <- inst
	return res, err
}

// Close waits for the calls in progress (until ctx ends), closes the
// instances and releases the compiled module. Later calls to Transform return
// ErrClosed. Close is idempotent.
func (p *Plugin) Close(ctx context.Context) error {
	p.closeOnce.Do(func() {
		p.closed.Store(true)
		var errs []error
		for range cap(p.slots) {
			select {
			case inst := <-p.slots:
				if inst != nil {
					errs = append(errs, inst.close(ctx))
				}
			case <-ctx.Done():
				errs = append(errs, fmt.Errorf("waiting for calls in progress: %w", ctx.Err()))
			}
			if ctx.Err() != nil {
				break
			}
		}
		errs = append(errs, p.rt.release(ctx, p.mod))
		if err := errors.Join(errs...); err != nil {
			p.closeErr = fmt.Errorf("close plugin %s: %w", p.name, err)
		}
	})
	return p.closeErr
}

// newInstance instantiates the module, runs _initialize and init under the
// batch deadline and returns a ready instance.
func (p *Plugin) newInstance(ctx context.Context) (*instance, error) {
	inst := &instance{p: p}
	inst.log = newLogSink(p.logger)
	mc := wazero.NewModuleConfig().
		WithName("").
		WithStartFunctions(). // _initialize runs below, under the deadline
		WithStdout(inst.log.writer(slog.LevelInfo)).
		WithStderr(inst.log.writer(slog.LevelWarn)).
		WithSysWalltime().
		WithSysNanotime().
		WithNanosleep(func(int64) {}).
		WithRandSource(rand.Reader)
	if a := memoryAllocator(); a != nil {
		ctx = experimental.WithMemoryAllocator(ctx, a)
	}
	if err := inst.instantiate(ctx, mc); err != nil {
		return nil, err
	}
	return inst, nil
}
