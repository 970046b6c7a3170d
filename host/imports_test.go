package host

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// importRules are the import-direction rules of DESIGN.md ("Packages and
// the direction of imports"). Paths are relative to the module; "x/..." is
// x and everything under it. A package in from must not depend on a
// package in forbid, directly or through others, except the ones listed in
// except and the packages under from's own folder. Rules about packages
// that do not exist yet pass. Only non-test imports are checked.
var importRules = []struct {
	from, forbid string
	except       []string
}{
	// internal/ holds leaves shared across the boundaries: they import
	// nothing of ours.
	{"internal/...", "host/...", nil},
	{"internal/...", "converters/...", nil},
	{"internal/...", "runtime/...", nil},
	{"internal/...", "cmd/...", nil},
	// Nothing outside the host imports the host.
	{"runtime/...", "host/...", nil},
	{"converters/...", "host/...", nil},
	{"plugins/...", "host/...", nil},
	{"sdk/...", "host/...", nil},
	// The host never imports the command.
	{"host/...", "cmd/...", nil},
	// The API talks to a Backend interface, not to the pipeline's parts.
	{"host/api", "host/deliver/...", nil},
	{"host/api", "host/wal/...", nil},
	{"host/api", "host/objstore/...", nil},
	// Other JSON services (the Glue catalog) reach the API through its Target interface.
	{"host/api", "converters/...", nil},
	// The leaves of the host import no other host package.
	{"host/stream", "host/...", []string{"host/apierror", "host/prefix"}},
	{"host/prefix", "host/...", nil},
	{"host/compress", "host/...", nil},
	{"host/wal", "host/...", nil},
	{"host/buffer", "host/...", nil},
	{"host/objstore", "host/...", nil},
	{"host/apierror", "host/...", nil},
	{"host/metrics", "host/...", nil},
	{"host/console", "host/service/...", nil},
	{"host/pluginstore", "host/...", []string{"host/stream", "host/apierror", "host/prefix"}},
	{"host/tlsreload", "host/...", nil},
	{"host/auth", "host/...", []string{"host/apierror"}},
	// The public endpoint reaches streams through the service's Put only.
	{"host/public", "host/...", []string{"host/apierror", "host/config"}},
	// Fault injection is test machinery: no production package uses it.
	{"cmd/...", "host/fault/...", nil},
	{"host/service", "host/fault/...", nil},
	{"host/deliver", "host/fault/...", nil},
	{"host/api", "host/fault/...", nil},
	{"converters/...", "runtime/...", nil},
	{"plugins/...", "cmd/...", nil},
}

// listedPackage is the part of `go list -json` this test reads.
type listedPackage struct {
	ImportPath string
	Imports    []string
	Deps       []string
	Error      *struct{ Err string }
}

func TestImportDirection(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command: %v", err)
	}
	out, err := exec.Command(goBin, "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == "/dev/null" || gomod == "NUL" {
		t.Fatalf("not in a module (go env GOMOD = %q)", gomod)
	}
	list := exec.Command(goBin, "list", "-e", "-deps", "-json=ImportPath,Imports,Deps,Error", "./...")
	list.Dir = filepath.Dir(gomod)
	var stderr bytes.Buffer
	list.Stderr = &stderr
	out, err = list.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.Bytes())
	}

	modPath, err := modulePath(gomod)
	if err != nil {
		t.Fatal(err)
	}
	pkgs := map[string]*listedPackage{}
	var order []string
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listedPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("go list output: %v", err)
		}
		pkgs[p.ImportPath] = &p
		order = append(order, p.ImportPath)
	}
	if pkgs[modPath+"/host/api"] == nil {
		t.Fatalf("go list did not list %s/host/api", modPath)
	}
	for _, path := range order {
		if p := pkgs[path]; p.Error != nil && strings.HasPrefix(path, modPath+"/") {
			t.Logf("go list: %s: %s", path, p.Error.Err)
		}
	}
	problems, unmatched := checkImports(modPath, pkgs, order)
	for _, r := range unmatched {
		t.Logf("rule %s: no such package yet", r)
	}
	for _, p := range problems {
		t.Error(p)
	}
}

// checkImports applies importRules to the packages of module modPath
// (listed in order) and returns the violations and the rules that matched
// no package.
func checkImports(modPath string, pkgs map[string]*listedPackage, order []string) (problems, unmatched []string) {
	rel := func(importPath string) (string, bool) {
		return strings.CutPrefix(importPath, modPath+"/")
	}
	for _, rule := range importRules {
		root := strings.TrimSuffix(rule.from, "/...")
		matched := 0
		for _, path := range order {
			from, ok := rel(path)
			if !ok || !matchPattern(rule.from, from) {
				continue
			}
			matched++
			for _, dep := range pkgs[path].Deps {
				d, ok := rel(dep)
				if !ok || !matchPattern(rule.forbid, d) || slices.Contains(rule.except, d) || strings.HasPrefix(d, root+"/") {
					continue
				}
				problems = append(problems, fmt.Sprintf("%s must not import %s (rule %s ↛ %s): %s", from, d, rule.from, rule.forbid,
					strings.Join(importChain(pkgs, path, dep, rel), " → ")))
			}
		}
		if matched == 0 {
			unmatched = append(unmatched, rule.from+" ↛ "+rule.forbid)
		}
	}
	return problems, unmatched
}

// TestImportRulesCatch runs the rules over a made-up module whose packages
// break some of them, so a rule that can never fire is noticed.
func TestImportRulesCatch(t *testing.T) {
	const m = "example.com/m"
	graph := map[string][]string{ // package → its direct imports, module-relative (net/http is the standard library's)
		"cmd/x":                 {"host/api"},
		"cmd/y":                 {},
		"host/api":              {"host/service", "host/stream", "net/http"},
		"host/service":          {"host/deliver", "host/stream"},
		"host/deliver":          {"host/wal", "host/objstore"},
		"host/wal":              {"host/wal/internal/seg"},
		"host/wal/internal/seg": {},
		"host/objstore":         {},
		"host/stream":           {"host/apierror", "host/prefix", "host/buffer"},
		"host/prefix":           {},
		"host/apierror":         {},
		"host/buffer":           {"cmd/y"},
		"runtime/abi":           {},
		"runtime/pool":          {"runtime/abi", "converters/json"},
		"converters/json":       {"host/prefix"},
	}
	pkgs := map[string]*listedPackage{}
	var order []string
	abs := func(p string) string {
		if p == "net/http" {
			return p
		}
		return m + "/" + p
	}
	var deps func(p string, seen map[string]bool)
	deps = func(p string, seen map[string]bool) {
		for _, i := range graph[p] {
			if !seen[abs(i)] {
				seen[abs(i)] = true
				deps(i, seen)
			}
		}
	}
	for p, imps := range graph {
		lp := &listedPackage{ImportPath: abs(p)}
		for _, i := range imps {
			lp.Imports = append(lp.Imports, abs(i))
		}
		seen := map[string]bool{}
		deps(p, seen)
		for d := range seen {
			lp.Deps = append(lp.Deps, d)
		}
		slices.Sort(lp.Deps)
		pkgs[lp.ImportPath] = lp
		order = append(order, lp.ImportPath)
	}
	slices.Sort(order)
	problems, unmatched := checkImports(m, pkgs, order)
	want := []string{
		"converters/json must not import host/prefix (rule converters/... ↛ host/...): converters/json → host/prefix",
		"host/api must not import cmd/y (rule host/... ↛ cmd/...): host/api → host/stream → host/buffer → cmd/y",
		"host/api must not import host/deliver (rule host/api ↛ host/deliver/...): host/api → host/service → host/deliver",
		"host/api must not import host/objstore (rule host/api ↛ host/objstore/...): host/api → host/service → host/deliver → host/objstore",
		"host/api must not import host/wal (rule host/api ↛ host/wal/...): host/api → host/service → host/deliver → host/wal",
		"host/api must not import host/wal/internal/seg (rule host/api ↛ host/wal/...): host/api → host/service → host/deliver → host/wal → host/wal/internal/seg",
		"host/buffer must not import cmd/y (rule host/... ↛ cmd/...): host/buffer → cmd/y",
		"host/service must not import cmd/y (rule host/... ↛ cmd/...): host/service → host/stream → host/buffer → cmd/y",
		"host/stream must not import cmd/y (rule host/... ↛ cmd/...): host/stream → host/buffer → cmd/y",
		"host/stream must not import host/buffer (rule host/stream ↛ host/...): host/stream → host/buffer",
		"runtime/pool must not import host/prefix (rule runtime/... ↛ host/...): runtime/pool → converters/json → host/prefix",
	}
	slices.Sort(problems)
	if !slices.Equal(problems, want) {
		t.Errorf("violations:\n  %s\nwant:\n  %s", strings.Join(problems, "\n  "), strings.Join(want, "\n  "))
	}
	if want := []string{"internal/... ↛ host/...", "internal/... ↛ converters/...", "internal/... ↛ runtime/...", "internal/... ↛ cmd/...", "plugins/... ↛ host/...", "sdk/... ↛ host/...", "host/compress ↛ host/...", "host/metrics ↛ host/...",
		"host/console ↛ host/service/...", "host/pluginstore ↛ host/...", "host/tlsreload ↛ host/...", "host/auth ↛ host/...",
		"host/public ↛ host/...", "plugins/... ↛ cmd/..."}; !slices.Equal(unmatched, want) {
		t.Errorf("rules that matched nothing: %q, want %q", unmatched, want)
	}
}

// modulePath reads the module path from a go.mod file.
func modulePath(gomod string) (string, error) {
	b, err := os.ReadFile(gomod)
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "module"); ok && rest != "" && (rest[0] == ' ' || rest[0] == '\t') {
			return strings.Trim(strings.TrimSpace(rest), `"`), nil
		}
	}
	return "", errors.New(gomod + ": no module line")
}

// matchPattern reports whether the module-relative path p matches pattern
// ("x" or "x/...").
func matchPattern(pattern, p string) bool {
	if root, ok := strings.CutSuffix(pattern, "/..."); ok {
		return p == root || strings.HasPrefix(p, root+"/")
	}
	return p == pattern
}

// importChain returns a shortest chain of direct imports from one package
// to another, for messages.
func importChain(pkgs map[string]*listedPackage, from, to string, rel func(string) (string, bool)) []string {
	prev := map[string]string{from: ""}
	queue := []string{from}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		if cur == to {
			var chain []string
			for p := to; p != ""; p = prev[p] {
				r, ok := rel(p)
				if !ok {
					r = p
				}
				chain = append([]string{r}, chain...)
			}
			return chain
		}
		if p := pkgs[cur]; p != nil {
			for _, next := range p.Imports {
				if _, seen := prev[next]; !seen {
					prev[next] = cur
					queue = append(queue, next)
				}
			}
		}
	}
	return []string{from, "…", to}
}
