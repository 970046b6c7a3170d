package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/wasmhose/wasmhose/host/config"
	"github.com/wasmhose/wasmhose/host/pluginstore"
	"github.com/wasmhose/wasmhose/plugins"
	wasmrt "github.com/wasmhose/wasmhose/runtime"
	"github.com/wasmhose/wasmhose/runtime/abi"
)

// pluginHelp is the help of `wasmhose plugin`.
const pluginHelp = `usage: wasmhose plugin <command> [flags]

Manages the transform plugins of a data dir. A processor of Type Lambda whose
LambdaArn is arn:aws:lambda:<region>:<account>:function:<name>[:<version>] runs
the plugin installed under <name> (region and account are not checked), or the
built-in plugin of that name. Installing an existing name adds a version;
":<version>" selects one, no qualifier or ":$LATEST" the newest.

The commands work on the data dir directly. A running service sees a new
installation at its next CreateDeliveryStream or UpdateDestination naming the
function, or when it restarts; streams already running keep the version they
resolved.

commands:
  install [--data-dir DIR] --name NAME [--config JSON] (FILE.wasm | --from BUILTIN)
          check a module (ABI, imports, init with the config) and install it
  list    [--data-dir DIR] [--json]
          list installed functions and built-in plugins
  inspect [--data-dir DIR] [--json] (NAME[:VERSION] | FILE.wasm)
          show a module's ABI version, imports, exports, size and SHA-256
  remove  [--data-dir DIR] NAME
          remove an installed function and all its versions
  test    [--config JSON] [--cases FILE] FILE.wasm
          run the conformance kit and the cases of FILE on a module; a line per check
  new     --lang go|rust|c|assemblyscript [--dir DIR] NAME
          write a plugin project: a sample transform, the SDK, a Makefile, test cases

Exit status: 0 on success, 1 on failure, 2 on a usage error.
`

// runPlugin is `wasmhose plugin`: it dispatches to its subcommands.
func runPlugin(args []string, stdout, stderr io.Writer) int {
	subs := []command{
		{"install", "install a plugin", runPluginInstall},
		{"list", "list plugins", runPluginList},
		{"inspect", "inspect a plugin", runPluginInspect},
		{"remove", "remove a plugin", runPluginRemove},
		{"test", "run the conformance kit on a plugin", runPluginTest},
		{"new", "write a plugin project", runPluginNew},
	}
	return dispatch("plugin", pluginHelp, subs, args, stdout, stderr)
}

// pluginFlags returns the flag set of `wasmhose plugin <name>`, with the
// --data-dir flag every subcommand has.
func pluginFlags(name, synopsis, about string, stderr io.Writer) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet("plugin "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: wasmhose plugin %s\n\n%s\nflags:\n", synopsis, about)
		fs.PrintDefaults()
	}
	dataDir := fs.String("data-dir", config.DefaultDataDir, "data folder; plugins live in its "+pluginstore.DirName+"/ folder")
	return fs, dataDir
}

// parseArgs parses flags placed before, between or after the positional
// arguments (flag.Parse stops at the first positional one) and returns the
// positional ones; "--" ends the flags.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return append(pos, rest...), nil
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
}

// flagExit is the exit status of a flag parsing error: 0 for -h, else 2.
func flagExit(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return 2
}

// usageExit prints msg and the command's usage and returns the exit status
// of a usage error, 2.
func usageExit(stderr io.Writer, prog string, fs *flag.FlagSet, msg string) int {
	fmt.Fprintf(stderr, "%s: %s\n", prog, msg)
	fs.Usage()
	return 2
}

// runtimeFlags are the plugin runtime settings that `plugin install` and
// `plugin test` share with the server's plugins.* configuration.
type runtimeFlags struct {
	timeout  *time.Duration
	maxBytes *int
}

// addRuntimeFlags defines --timeout (described as timeoutWhat) and
// --max-module-bytes on fs.
func addRuntimeFlags(fs *flag.FlagSet, timeoutWhat string) runtimeFlags {
	return runtimeFlags{
		timeout:  fs.Duration("timeout", config.DefaultPluginBatchTimeout, timeoutWhat+" (the server's plugins.batchTimeout)"),
		maxBytes: fs.Int("max-module-bytes", config.DefaultPluginMaxModuleBytes, "largest module accepted (the server's plugins.maxModuleBytes)"),
	}
}

// problem returns what is wrong with the flags' values, or "".
func (f runtimeFlags) problem() string {
	switch {
	case *f.timeout <= 0:
		return fmt.Sprintf("--timeout %s must be positive", *f.timeout)
	case *f.maxBytes < 8:
		return fmt.Sprintf("--max-module-bytes %d must be at least 8", *f.maxBytes)
	}
	return ""
}

// config is a one-worker runtime configuration with the flags' values.
func (f runtimeFlags) config(logger *slog.Logger) wasmrt.Config {
	return wasmrt.NewConfig().WithWorkers(1).WithLogger(logger).
		WithBatchTimeout(*f.timeout).WithMaxModuleBytes(*f.maxBytes)
}

// storeExit is the exit status of a store error: 2 for a usage error, else 1.
func storeExit(err error) int {
	if errors.Is(err, pluginstore.ErrInvalidName) || errors.Is(err, pluginstore.ErrInvalidConfig) {
		return 2
	}
	return 1
}

func runPluginInstall(args []string, stdout, stderr io.Writer) int {
	const prog = "wasmhose plugin install"
	fs, dataDir := pluginFlags("install", "install [--data-dir DIR] --name NAME [--config JSON] (FILE.wasm | --from BUILTIN)",
		"Checks a plugin module (ABI marker and exports, allowed imports, the module limits,\n"+
			"initialisation with the configuration) and installs it as the function NAME, or as its next version.\n"+
			"With --from, the module of a built-in plugin is bound to the built-in's configuration\n"+
			"with the keys of --config merged in, e.g.\n\n"+
			"  wasmhose plugin install --name apachelog-nl --from apachelog-to-json --config '{\"newline\":true}'\n\n"+
			"A running service sees the new version at its next CreateDeliveryStream or\n"+
			"UpdateDestination naming the function, or when it restarts.\n", stderr)
	name := fs.String("name", "", "function name, the <name> of the LambdaArn (required; 1-64 of a-z A-Z 0-9 - _)")
	cfg := fs.String("config", "", "configuration passed to the plugin's init (JSON); with --from, a JSON object merged into the built-in's")
	from := fs.String("from", "", "install the module of this built-in plugin instead of a file")
	rf := addRuntimeFlags(fs, "deadline of the plugin's initialisation")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return flagExit(err)
	}
	usageErr := func(msg string) int { return usageExit(stderr, prog, fs, msg) }
	switch {
	case *name == "":
		return usageErr("--name is required")
	case len(pos) > 1:
		return usageErr(fmt.Sprintf("one module file expected, got %q", pos))
	case len(pos) == 1 && *from != "":
		return usageErr("give a module file or --from, not both")
	case len(pos) == 0 && *from == "":
		return usageErr("give a module file or --from BUILTIN")
	case rf.problem() != "":
		return usageErr(rf.problem())
	}
	if err := pluginstore.CheckName(*name); err != nil {
		return usageErr(err.Error())
	}
	if *cfg != "" && !json.Valid([]byte(*cfg)) {
		return usageErr(fmt.Sprintf("--config is not valid JSON: %s", *cfg))
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var wasm []byte
	if len(pos) == 1 {
		// Refuse an oversized module before reading it into memory.
		if fi, err := os.Stat(pos[0]); err == nil && fi.Size() > int64(*rf.maxBytes) {
			fmt.Fprintf(stderr, "%s: %s: %v: module size in bytes: %d, limit %d (--max-module-bytes)\n", prog, pos[0], wasmrt.ErrModuleLimit, fi.Size(), *rf.maxBytes)
			return 1
		}
		if wasm, err = os.ReadFile(pos[0]); err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", prog, err)
			return 1
		}
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	dir := filepath.Join(*dataDir, pluginstore.DirName)
	rt, err := wasmrt.New(ctx, rf.config(logger).
		WithCompilationCacheDir(pluginstore.CompilationCacheDir(dir)))
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", prog, err)
		return 1
	}
	st, err := pluginstore.Open(dir, plugins.Catalogue(), rt, logger)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", prog, errors.Join(err, rt.Close(ctx)))
		return 1
	}
	var f pluginstore.Function
	if *from != "" {
		f, err = st.InstallFrom(ctx, *name, *from, json.RawMessage(*cfg))
	} else {
		f, err = st.Install(ctx, *name, wasm, json.RawMessage(*cfg), filepath.Base(pos[0]))
	}
	closeCtx := context.WithoutCancel(ctx)
	if cerr := errors.Join(st.Close(closeCtx), rt.Close(closeCtx)); cerr != nil && err == nil {
		fmt.Fprintf(stderr, "%s: %v\n", prog, cerr) // installed, but report it
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", prog, err)
		return storeExit(err)
	}
	v := f.Latest()
	fmt.Fprintf(stdout, "installed %s version %d (sha256 %s, %s, from %s)\n", f.Name, v.Version, shortSHA(v.SHA256), humanSize(v.Size), v.Source)
	if f.ShadowsBuiltin {
		fmt.Fprintf(stdout, "the built-in plugin %s is shadowed until this function is removed\n", f.Name)
	}
	lambda := "arn:aws:lambda:" + config.DefaultRegion + ":" + config.DefaultAccountID + ":function:" + f.Name
	fmt.Fprintf(stdout, "LambdaArn: %s (latest) or %s:%d (this version)\n", lambda, lambda, v.Version)
	return 0
}

func runPluginList(args []string, stdout, stderr io.Writer) int {
	const prog = "wasmhose plugin list"
	fs, dataDir := pluginFlags("list", "list [--data-dir DIR] [--json]",
		"Lists the installed functions (latest version; --json shows all) and the built-in\n"+
			"plugins. An installed function shadows the built-in plugin of the same name.\n", stderr)
	asJSON := fs.Bool("json", false, "print the functions as JSON, with every version")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return flagExit(err)
	}
	if len(pos) > 0 {
		fmt.Fprintf(stderr, "%s: unexpected arguments %q\n", prog, pos)
		return 2
	}
	st, err := pluginstore.Open(filepath.Join(*dataDir, pluginstore.DirName), plugins.Catalogue(), nil, nil)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", prog, err)
		return 1
	}
	fns, err := st.List()
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", prog, err)
		return 1
	}
	if *asJSON {
		if fns == nil {
			fns = []pluginstore.Function{}
		}
		return writeJSON(stdout, stderr, prog, fns)
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tVERSION\tSOURCE\tSHA256\tSIZE\tSTATUS")
	for _, f := range fns {
		v := f.Latest()
		version, status := fmt.Sprint(v.Version), string(f.Kind)
		switch {
		case f.Kind == pluginstore.KindBuiltin:
			version = pluginstore.Latest
			if f.Shadowed {
				status += " (shadowed)"
			}
		case f.ShadowsBuiltin:
			status += " (shadows built-in)"
		}
		if n := len(f.Versions); f.Kind == pluginstore.KindInstalled && n > 1 {
			version += fmt.Sprintf(" (of %d)", n)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", f.Name, version, v.Source, shortSHA(v.SHA256), humanSize(v.Size), status)
	}
	if err := tw.Flush(); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", prog, err)
		return 1
	}
	return 0
}

// inspection is the output of `wasmhose plugin inspect`.
type inspection struct {
	File        string          `json:"file,omitempty"`
	Function    string          `json:"function,omitempty"`
	Kind        string          `json:"kind,omitempty"`
	Version     *int            `json:"version,omitempty"`
	Source      string          `json:"source,omitempty"`
	Config      json.RawMessage `json:"config,omitempty"`
	SHA256      string          `json:"sha256"`
	Size        int             `json:"size"`
	ABIVersions []int           `json:"abiVersions"`
	Imports     []string        `json:"imports"`
	Exports     []string        `json:"exports"`
	Forbidden   []string        `json:"forbidden"`
	// Problems are the reasons the runtime would refuse the module, as far as
	// its imports and exports tell (types are checked at install).
	Problems []string `json:"problems"`
}

func runPluginInspect(args []string, stdout, stderr io.Writer) int {
	const prog = "wasmhose plugin inspect"
	fs, dataDir := pluginFlags("inspect", "inspect [--data-dir DIR] [--json] (NAME[:VERSION] | FILE.wasm)",
		"Shows a module's ABI version, imports (forbidden ones marked), exports, size and\n"+
			"SHA-256, and why it would be refused. An argument ending in .wasm or holding a\n"+
			"path separator is a file; otherwise it names an installed function (optionally\n"+
			"with :VERSION) or a built-in plugin. Exits 0 when the module could be read, even\n"+
			"if it would be refused.\n", stderr)
	asJSON := fs.Bool("json", false, "print as JSON")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return flagExit(err)
	}
	if len(pos) != 1 {
		fmt.Fprintf(stderr, "%s: give one function name or module file\n", prog)
		fs.Usage()
		return 2
	}
	arg := pos[0]
	var out inspection
	var wasm []byte
	if strings.HasSuffix(arg, ".wasm") || strings.ContainsRune(arg, '/') || strings.ContainsRune(arg, filepath.Separator) {
		if wasm, err = os.ReadFile(arg); err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", prog, err)
			return 1
		}
		out.File = arg
	} else {
		name, qualifier, _ := strings.Cut(arg, ":")
		if err := pluginstore.CheckName(name); err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", prog, err)
			return 2
		}
		st, err := pluginstore.Open(filepath.Join(*dataDir, pluginstore.DirName), plugins.Catalogue(), nil, nil)
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", prog, err)
			return 1
		}
		f, v, code, err := st.Module(name, qualifier)
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", prog, err)
			return 1
		}
		wasm = code
		out.Function, out.Kind, out.Source, out.Config = f.Name, string(f.Kind), v.Source, v.Config
		if f.Kind == pluginstore.KindInstalled {
			out.Version = &v.Version
		}
	}
	info, err := wasmrt.Inspect(wasm)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %s: %v\n", prog, arg, err)
		return 1
	}
	out.SHA256, out.Size, out.ABIVersions, out.Imports, out.Exports = info.SHA256, info.Size, info.ABIVersions, info.Imports, info.Exports
	out.Forbidden, out.Problems = []string{}, problems(info)
	for _, ie := range info.Forbidden {
		out.Forbidden = append(out.Forbidden, ie.Module+"."+ie.Name)
	}
	for _, s := range []*[]string{&out.Imports, &out.Exports} {
		if *s == nil {
			*s = []string{}
		}
	}
	if out.ABIVersions == nil {
		out.ABIVersions = []int{}
	}
	if *asJSON {
		return writeJSON(stdout, stderr, prog, out)
	}
	printInspection(stdout, out)
	return 0
}

// problems returns the reasons wasmrt would refuse the module that its
// imports and exports show.
func problems(info wasmrt.Info) []string {
	p := []string{}
	switch {
	case len(info.ABIVersions) == 0:
		p = append(p, fmt.Sprintf("not a wasmhose plugin: no %s<N> export", abi.MarkerPrefix))
	case !slices.Contains(info.ABIVersions, abi.Version):
		p = append(p, fmt.Sprintf("unsupported ABI version %v: this wasmhose implements version %d", info.ABIVersions, abi.Version))
	}
	if slices.Contains(info.Exports, abi.ExportStart) {
		p = append(p, "a WASI command (exports _start): build a reactor (Go: -buildmode=c-shared)")
	}
	for _, ie := range info.Forbidden {
		p = append(p, ie.Error())
	}
	if len(info.ABIVersions) > 0 {
		for _, ex := range []string{abi.ExportMemory, abi.ExportAlloc, abi.ExportTransform} {
			if !slices.Contains(info.Exports, ex) {
				p = append(p, "missing export "+ex)
			}
		}
	}
	return p
}

func printInspection(w io.Writer, in inspection) {
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', 0)
	if in.File != "" {
		fmt.Fprintf(tw, "file:\t%s\n", in.File)
	} else {
		fn := in.Function
		if in.Version != nil {
			fn += fmt.Sprintf(" version %d", *in.Version)
		}
		fmt.Fprintf(tw, "function:\t%s (%s, from %s)\n", fn, in.Kind, in.Source)
		if len(in.Config) > 0 {
			fmt.Fprintf(tw, "config:\t%s\n", in.Config)
		}
	}
	fmt.Fprintf(tw, "sha256:\t%s\n", in.SHA256)
	fmt.Fprintf(tw, "size:\t%d bytes (%s)\n", in.Size, humanSize(in.Size))
	abiText := "none"
	if len(in.ABIVersions) > 0 {
		var vs []string
		for _, v := range in.ABIVersions {
			vs = append(vs, fmt.Sprint(v))
		}
		abiText = strings.Join(vs, ", ")
	}
	fmt.Fprintf(tw, "abi version:\t%s\n", abiText)
	if len(in.Problems) == 0 {
		fmt.Fprintf(tw, "status:\tloadable (imports and exports follow ABI v%d)\n", abi.Version)
	} else {
		fmt.Fprintf(tw, "status:\trefused: %s\n", strings.Join(in.Problems, "; "))
	}
	_ = tw.Flush()
	fmt.Fprintf(w, "imports (%d):\n", len(in.Imports))
	for _, im := range in.Imports {
		mark := ""
		if slices.Contains(in.Forbidden, im) {
			mark = "  FORBIDDEN"
		}
		fmt.Fprintf(w, "  %s%s\n", im, mark)
	}
	fmt.Fprintf(w, "exports (%d):\n", len(in.Exports))
	for _, ex := range in.Exports {
		fmt.Fprintf(w, "  %s\n", ex)
	}
}

func runPluginRemove(args []string, stdout, stderr io.Writer) int {
	const prog = "wasmhose plugin remove"
	fs, dataDir := pluginFlags("remove", "remove [--data-dir DIR] NAME",
		"Removes the installed function NAME with all its versions, and the modules no other\n"+
			"function uses. Built-in plugins cannot be removed; removing a function that shadows\n"+
			"one makes the built-in visible again. Streams already running keep the plugin\n"+
			"they loaded until the service restarts.\n", stderr)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return flagExit(err)
	}
	if len(pos) != 1 {
		fmt.Fprintf(stderr, "%s: give one function name\n", prog)
		fs.Usage()
		return 2
	}
	st, err := pluginstore.Open(filepath.Join(*dataDir, pluginstore.DirName), plugins.Catalogue(), nil, nil)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", prog, err)
		return 1
	}
	f, err := st.Get(pos[0])
	if err == nil && f.Kind == pluginstore.KindBuiltin {
		err = fmt.Errorf("%w: %s is built in and not installed", pluginstore.ErrBuiltin, f.Name)
	}
	if err == nil {
		err = st.Remove(f.Name)
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", prog, err)
		return storeExit(err)
	}
	versions := "versions"
	if len(f.Versions) == 1 {
		versions = "version"
	}
	fmt.Fprintf(stdout, "removed %s (%d %s)\n", f.Name, len(f.Versions), versions)
	if f.ShadowsBuiltin {
		fmt.Fprintf(stdout, "the built-in plugin %s is visible again\n", f.Name)
	}
	return 0
}

func writeJSON(stdout, stderr io.Writer, prog string, v any) int {
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", prog, err)
		return 1
	}
	return 0
}

// shortSHA is the first 12 hex digits of a SHA-256, as `docker images`
// shows image ids.
func shortSHA(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}

// humanSize formats a byte count with a binary unit.
func humanSize(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
