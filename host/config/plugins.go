package config

import (
	"fmt"
	"time"
)

// DefaultPluginBatchTimeout is the default deadline of one plugin call.
const DefaultPluginBatchTimeout = 30 * time.Second

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
}

func (p *Plugins) validate() []error {
	if p.BatchTimeout <= 0 {
		return []error{fmt.Errorf("plugins.batchTimeout: %s must be positive", p.BatchTimeout)}
	}
	return nil
}
