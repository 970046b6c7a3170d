package wasmrt

import (
	"log/slog"
	goruntime "runtime"
	"time"

	"github.com/wasmhose/wasmhose/runtime/internal/bounds"
)

// StopMode selects how a guest that outlives its deadline is stopped.
type StopMode int

const (
	// StopInterrupt injects a check of an interrupt global at every loop
	// header and function entry when the module is loaded; the host sets the
	// global at the deadline. This is the default.
	StopInterrupt StopMode = iota
	// StopCloseOnContextDone uses wazero's WithCloseOnContextDone, which calls
	// out of the guest at every loop iteration: much slower on loop-heavy
	// guests. For comparison and benchmarks.
	StopCloseOnContextDone
	// StopNone does nothing: a guest that loops forever blocks its worker
	// forever. For benchmarks of trusted code only.
	StopNone
)

// String returns the mode's name.
func (m StopMode) String() string {
	switch m {
	case StopInterrupt:
		return "interrupt"
	case StopCloseOnContextDone:
		return "close-on-context-done"
	case StopNone:
		return "none"
	}
	return "StopMode(?)"
}

// Config configures a Runtime. It is immutable: each With method returns a
// modified copy, so a Config is safe to share between goroutines. Setters
// never fail; New reports invalid values.
type Config struct {
	workers          int
	memoryLimitPages uint32
	batchTimeout     time.Duration
	maxOutputBytes   int
	cacheDir         string
	stop             StopMode
	maxModuleBytes   int
	compileTimeout   time.Duration
	logger           *slog.Logger
}

// NewConfig returns the default configuration; each With method documents
// its default.
func NewConfig() Config {
	return Config{
		workers:          goruntime.GOMAXPROCS(0),
		memoryLimitPages: 1024,
		batchTimeout:     30 * time.Second,
		maxOutputBytes:   6 << 20,
		stop:             StopInterrupt,
		maxModuleBytes:   bounds.Default().ModuleBytes,
		compileTimeout:   time.Minute,
	}
}

// WithWorkers sets the number of instances each plugin may run at once; the
// excess Transform calls wait for a free instance. Instances are created on
// demand and never shared between goroutines. Default: GOMAXPROCS.
func (c Config) WithWorkers(n int) Config { c.workers = n; return c }

// WithMemoryLimitPages caps each instance's linear memory, in 64 KiB pages.
// memory.grow beyond it fails (a Go guest then exits, "out of memory"). The
// input frame of a batch must fit within it. Default: 1024 (64 MiB).
func (c Config) WithMemoryLimitPages(pages uint32) Config { c.memoryLimitPages = pages; return c }

// WithBatchTimeout sets the deadline of one batch, counted from the moment an
// instance is acquired; it also bounds a new instance's initialisation. The
// caller's context may end it earlier. Default: 30s.
func (c Config) WithBatchTimeout(d time.Duration) Config { c.batchTimeout = d; return c }

// WithMaxOutputBytes caps the size of a result frame; a larger one fails the
// batch with ErrOutputTooLarge. Default: 6 MiB (Lambda's response limit).
func (c Config) WithMaxOutputBytes(n int) Config { c.maxOutputBytes = n; return c }

// WithCompilationCacheDir keeps wazero's compiled code in dir, so that a
// restarted service does not compile its plugins again. Default: "" (cache in
// memory only).
func (c Config) WithCompilationCacheDir(dir string) Config { c.cacheDir = dir; return c }

// WithStopMode selects how runaway guests are stopped. Default:
// StopInterrupt.
func (c Config) WithStopMode(m StopMode) Config { c.stop = m; return c }

// WithMaxModuleBytes caps the size of a module Load accepts; a larger one
// fails with ErrModuleLimit before it is parsed further. Compiling costs
// memory in proportion (about 12 bytes a byte for Go guests, up to 56 for
// straight-line code). The other structural limits are fixed (sdk/ABI.md,
// "Limits"). Default: 16 MiB.
func (c Config) WithMaxModuleBytes(n int) Config { c.maxModuleBytes = n; return c }

// WithCompileTimeout bounds the compilation of one module; past it Load
// fails with ErrCompileTimeout. Modules compile one at a time per Runtime,
// so a slow one delays the others but never runs beside them. The
// structural limits keep compile times of accepted modules well under the
// default (see RATIONALE.md). Default: 1 minute.
func (c Config) WithCompileTimeout(d time.Duration) Config { c.compileTimeout = d; return c }

// WithLogger sets the logger that receives plugins' log lines (the log
// import, standard output and standard error), each with a "plugin"
// attribute. Default: nil, which discards them.
func (c Config) WithLogger(l *slog.Logger) Config { c.logger = l; return c }
