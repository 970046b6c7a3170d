package config

import (
	"fmt"
	"time"
)

// Plugin runtime defaults.
const (
	// DefaultPluginBatchTimeout is the default deadline of one plugin call.
	DefaultPluginBatchTimeout = 30 * time.Second
	// DefaultPluginMaxModuleBytes is the default cap on a plugin module's
	// size.
	DefaultPluginMaxModuleBytes = 16 << 20
	// DefaultPluginCompileTimeout is the default deadline of one module's
	// compilation.
	DefaultPluginCompileTimeout = time.Minute
)

// Plugins configures the Wasm transform runtime.
type Plugins struct {
	// BatchTimeout is the deadline of one plugin call (a batch, or an
	// instance's initialisation); past it the call fails as a timeout and
	// the instance is recycled (default 30s).
	BatchTimeout time.Duration `yaml:"batchTimeout"`
	// CompilationCacheDir is where compiled plugins are cached across
	// restarts (default <dataDir>/plugins/cache). Several data dirs may
	// share one, as CI runs with fresh data dirs do: compiling a Go plugin
	// takes seconds.
	CompilationCacheDir string `yaml:"compilationCacheDir"`
	// MaxModuleBytes caps the size of a plugin module the runtime accepts
	// (default 16 MiB); compiling costs memory in proportion. The other
	// structural limits are fixed (sdk/ABI.md, "Limits and containment").
	MaxModuleBytes int `yaml:"maxModuleBytes"`
	// CompileTimeout bounds the compilation of one module (default 1m).
	// Modules compile one at a time, off the startup path.
	CompileTimeout time.Duration `yaml:"compileTimeout"`
}

func (p *Plugins) validate() []error {
	var errs []error
	if p.BatchTimeout <= 0 {
		errs = append(errs, fmt.Errorf("plugins.batchTimeout: %s must be positive", p.BatchTimeout))
	}
	if p.MaxModuleBytes < 8 {
		errs = append(errs, fmt.Errorf("plugins.maxModuleBytes: %d must be at least 8", p.MaxModuleBytes))
	}
	if p.CompileTimeout <= 0 {
		errs = append(errs, fmt.Errorf("plugins.compileTimeout: %s must be positive", p.CompileTimeout))
	}
	return errs
}
