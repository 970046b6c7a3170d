package plugins

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// blueprintsWasm is the module of every built-in plugin: plugins/guest,
// built by `make plugins-wasm` and committed (go test never rebuilds it).
//
//go:embed blueprints.wasm
var blueprintsWasm []byte

// Plugin is a built-in plugin: a Wasm module and the configuration bound to it.
//
// A Plugin returned by a Registry shares its Wasm bytes with the Registry
// (they are large and immutable): treat them as read-only. Config and
// Options are copies.
type Plugin struct {
	Name    string          // the function name, e.g. "apachelog-to-json"
	Summary string          // one line
	Wasm    []byte          // the module (all blueprints share one embedded module)
	Config  json.RawMessage // the bound configuration, e.g. {"blueprint":"apachelog-to-json"}
	Options []Option        // the configuration a user may add (documented)
}

// Option documents one configuration member a user may add to a plugin's
// bound configuration (the members are merged into its JSON object): its
// Name, its JSON Type ("boolean", "string"), its Default as a JSON literal
// (false, "fail") and a one-paragraph Description.
type Option struct{ Name, Type, Default, Description string }

// Errors of Registry.Add. Each is wrapped with detail; test with errors.Is.
var (
	// ErrDuplicate: the registry already holds a plugin of that name.
	ErrDuplicate = errors.New("duplicate plugin")
	// ErrInvalid: the plugin's name breaks Lambda's rule for function names
	// (1 to 64 of a-z, A-Z, 0-9, '-' and '_'), it has no Wasm module, or its
	// Config is neither empty nor a JSON object.
	ErrInvalid = errors.New("invalid plugin")
)

var reName = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)

// Registry is a set of plugins by name. The zero value is not usable: call
// NewEmptyRegistry or Catalogue. Its methods are safe for concurrent use.
type Registry struct {
	mu      sync.RWMutex
	plugins map[string]Plugin
}

// NewEmptyRegistry returns a registry with no plugins (for tests, or a
// service that offers no built-ins).
func NewEmptyRegistry() *Registry {
	return &Registry{plugins: map[string]Plugin{}}
}

// Catalogue returns a new registry holding the built-in plugins, one per
// Firehose Lambda blueprint, built from the explicit list in this file. Each
// call returns a separate registry; they share the embedded module.
func Catalogue() *Registry {
	r := NewEmptyRegistry()
	for _, p := range builtins() {
		if err := r.Add(p); err != nil {
			panic(fmt.Sprintf("plugins: the built-in list is broken: %v", err)) // a programming error, caught by the tests
		}
	}
	return r
}

// Add adds p. A name already present, or an invalid plugin (see
// ErrInvalid), is an error. The registry keeps copies of p's Config and
// Options, and p's Wasm bytes as they are.
func (r *Registry) Add(p Plugin) error {
	if !reName.MatchString(p.Name) {
		return fmt.Errorf("add plugin: %w: name %q: use 1 to 64 letters, digits, '-' or '_'", ErrInvalid, p.Name)
	}
	if len(p.Wasm) == 0 {
		return fmt.Errorf("add plugin %s: %w: no Wasm module", p.Name, ErrInvalid)
	}
	if cfg := strings.TrimSpace(string(p.Config)); cfg != "" {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(p.Config, &obj); err != nil || obj == nil {
			return fmt.Errorf("add plugin %s: %w: Config is not a JSON object", p.Name, ErrInvalid)
		}
	}
	p = clonePlugin(p)
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.plugins[p.Name]; ok {
		return fmt.Errorf("add plugin %s: %w", p.Name, ErrDuplicate)
	}
	r.plugins[p.Name] = p
	return nil
}

// Get returns the plugin called name.
func (r *Registry) Get(name string) (Plugin, bool) {
	r.mu.RLock()
	p, ok := r.plugins[name]
	r.mu.RUnlock()
	if !ok {
		return Plugin{}, false
	}
	return clonePlugin(p), true
}

// List returns every plugin, sorted by name.
func (r *Registry) List() []Plugin {
	r.mu.RLock()
	out := make([]Plugin, 0, len(r.plugins))
	for _, p := range r.plugins {
		out = append(out, clonePlugin(p))
	}
	r.mu.RUnlock()
	slices.SortFunc(out, func(a, b Plugin) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// clonePlugin copies p's Config and Options (not its Wasm bytes).
func clonePlugin(p Plugin) Plugin {
	p.Config = slices.Clone(p.Config)
	p.Options = slices.Clone(p.Options)
	return p
}

// builtin returns the catalogue entry of a blueprint.
func builtin(name, summary string, options ...Option) Plugin {
	return Plugin{
		Name:    name,
		Summary: summary,
		Wasm:    blueprintsWasm,
		Config:  json.RawMessage(`{"blueprint":"` + name + `"}`),
		Options: options,
	}
}

// newline is the option every built-in plugin takes.
var newline = Option{
	Name: "newline", Type: "boolean", Default: "false",
	Description: `End every non-empty output record with "\n", unless it already ends with one. ` +
		"Firehose concatenates records with no delimiter; with this option objects are newline-delimited " +
		"(JSON Lines), which Athena and most tools need.",
}

// builtins is the catalogue: one entry per Firehose Lambda blueprint, in
// the order of the blueprint documentation.
func builtins() []Plugin {
	return []Plugin{
		builtin("process-record",
			"Returns every record unchanged: Firehose's general processing blueprint, a starting point.",
			newline),
		builtin("apachelog-to-json",
			"Converts Apache access log lines (common and combined format) to JSON objects.",
			newline,
			Option{
				Name: "combined", Type: "boolean", Default: "true",
				Description: `Add the combined format's "referer" and "agent" members when the line has them ` +
					"(the Firehose blueprint ignores them; false reproduces its output exactly).",
			}),
		builtin("apachelog-to-csv",
			"Converts Apache access log lines with a time zone to CSV lines.",
			newline,
			Option{
				Name: "combined", Type: "boolean", Default: "false",
				Description: "Add two columns, referer and agent, from combined-format lines (empty for common-format lines), " +
					"quoted as RFC 4180 requires. Off by default to keep the blueprint's seven columns.",
			}),
		builtin("syslog-to-json",
			"Converts syslog lines (RFC 3164 as the blueprint does, and RFC 5424) to JSON objects.",
			newline),
		builtin("syslog-to-csv",
			"Converts syslog lines (RFC 3164 as the blueprint does, and RFC 5424) to CSV lines.",
			newline),
		builtin("cloudwatch-logs-processor",
			"Unpacks gzipped CloudWatch Logs subscription payloads into their log messages, one per line.",
			newline,
			Option{
				Name: "controlMessages", Type: "string", Default: `"fail"`,
				Description: `What to do with a CONTROL_MESSAGE record (CloudWatch Logs' health check): "fail" sends it ` +
					`to the error output as the blueprint does, "drop" returns it Dropped (counted as success, not delivered).`,
			}),
	}
}
