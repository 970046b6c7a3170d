package pluginstore_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/wasmhose/wasmhose/host/pluginstore"
	"github.com/wasmhose/wasmhose/plugins"
	wasmrt "github.com/wasmhose/wasmhose/runtime"
)

// fixture reads a committed module of runtime/testdata, e.g.
// "wat/identity.wasm".
func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "runtime", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// newRuntime returns a runtime closed at the end of the test. Its
// compilation cache is shared by this package's tests, so that each Go
// fixture is compiled once per run.
func newRuntime(t testing.TB) *wasmrt.Runtime {
	t.Helper()
	ctx := context.Background()
	cache := filepath.Join(os.TempDir(), "wasmhose-pluginstore-test-cache")
	r, err := wasmrt.New(ctx, wasmrt.NewConfig().WithWorkers(2).WithCompilationCacheDir(cache))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := r.Close(ctx); err != nil {
			t.Error(err)
		}
	})
	return r
}

// catalogue returns a registry of built-ins for the tests: "echo" (the WAT
// identity, no config) and "kitchen" (the Go kitchen fixture, config
// {"prefix":"builtin:"}).
func catalogue(t testing.TB) *plugins.Registry {
	t.Helper()
	reg := plugins.NewEmptyRegistry()
	for _, p := range []plugins.Plugin{
		{Name: "echo", Summary: "returns every record unchanged", Wasm: fixture(t, "wat/identity.wasm")},
		{Name: "kitchen", Summary: "prefixes records", Wasm: fixture(t, "kitchen/kitchen.wasm"), Config: json.RawMessage(`{"prefix": "builtin:"}`)},
	} {
		if err := reg.Add(p); err != nil {
			t.Fatal(err)
		}
	}
	return reg
}

// open opens a store over dir, closed at the end of the test.
func open(t testing.TB, dir string, cat *plugins.Registry, rt *wasmrt.Runtime) *pluginstore.Store {
	t.Helper()
	s, err := pluginstore.Open(dir, cat, rt, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(context.Background()); err != nil {
			t.Error(err)
		}
	})
	return s
}

func arn(fn string) string { return "arn:aws:lambda:us-east-1:000000000000:function:" + fn }

// transform runs one record through t and returns its data.
func transform(t testing.TB, tr wasmrt.Transformer, data string) string {
	t.Helper()
	res, err := tr.Transform(context.Background(), []wasmrt.Record{{Data: []byte(data)}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || res[0].Status != wasmrt.StatusOk {
		t.Fatalf("results %+v", res)
	}
	return string(res[0].Data)
}

func resolve(t testing.TB, s *pluginstore.Store, lambdaARN string) wasmrt.Transformer {
	t.Helper()
	tr, err := s.Resolve(context.Background(), lambdaARN)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func TestStoreInstall(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir(), nil, newRuntime(t))
	for _, tt := range []struct {
		name    string
		fn      string
		wasm    []byte
		config  string
		expErr  error  // errors.Is
		expText string // in the error
	}{
		{name: "wat identity", fn: "ident", wasm: fixture(t, "wat/identity.wasm")},
		{name: "go identity with config", fn: "go-ident", wasm: fixture(t, "identity/identity.wasm"), config: ` {"a": 1} `},
		{name: "go plugin accepting its config", fn: "kitchen_1", wasm: fixture(t, "kitchen/kitchen.wasm"), config: `{"prefix":"x"}`},
		{name: "forbidden WASI import", fn: "sock", wasm: fixture(t, "wat/sock.wasm"), expText: "forbidden import wasi_snapshot_preview1.sock_accept (func)"},
		{name: "unknown import module", fn: "unknown", wasm: fixture(t, "wat/unknown.wasm"), expText: "forbidden import env.now"},
		{name: "no ABI marker", fn: "noabi", wasm: fixture(t, "wat/noabi.wasm"), expErr: wasmrt.ErrNotPlugin},
		{name: "ABI v2 only", fn: "abiv2", wasm: fixture(t, "wat/abiv2.wasm"), expErr: wasmrt.ErrUnsupportedABI},
		{name: "WASI command", fn: "command", wasm: fixture(t, "wat/command.wasm"), expErr: wasmrt.ErrNotPlugin},
		{name: "init rejects any config", fn: "initfail", wasm: fixture(t, "wat/initfail.wasm"), expErr: wasmrt.ErrInit, expText: "bad config"},
		{name: "go init rejects the config", fn: "kitchen-fail", wasm: fixture(t, "kitchen/kitchen.wasm"), config: `{"fail":true}`, expErr: wasmrt.ErrInit, expText: "config asked init to fail"},
		{name: "not wasm", fn: "garbage", wasm: []byte("hello"), expErr: wasmrt.ErrInvalidModule},
		{name: "config not JSON", fn: "badcfg", wasm: fixture(t, "wat/identity.wasm"), config: `{"a":`, expErr: pluginstore.ErrInvalidConfig},
		{name: "name with space", fn: "bad name", wasm: fixture(t, "wat/identity.wasm"), expErr: pluginstore.ErrInvalidName},
		{name: "name with dot", fn: "a.b", wasm: fixture(t, "wat/identity.wasm"), expErr: pluginstore.ErrInvalidName},
		{name: "empty name", fn: "", wasm: fixture(t, "wat/identity.wasm"), expErr: pluginstore.ErrInvalidName},
		{name: "name of 64", fn: strings.Repeat("a", 64), wasm: fixture(t, "wat/identity.wasm")},
		{name: "name of 65", fn: strings.Repeat("a", 65), wasm: fixture(t, "wat/identity.wasm"), expErr: pluginstore.ErrInvalidName},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f, err := s.Install(ctx, tt.fn, tt.wasm, json.RawMessage(tt.config), "file.wasm")
			if tt.expErr == nil && tt.expText == "" {
				if err != nil {
					t.Fatal(err)
				}
				if f.Name != tt.fn || f.Kind != pluginstore.KindInstalled || len(f.Versions) != 1 {
					t.Fatalf("function %+v", f)
				}
				v := f.Latest()
				if v.Version != 1 || v.Size != len(tt.wasm) || v.Source != "file.wasm" || v.Installed.IsZero() || len(v.SHA256) != 64 {
					t.Fatalf("version %+v", v)
				}
				if got, want := string(v.Config), strings.ReplaceAll(strings.TrimSpace(tt.config), " ", ""); got != want {
					t.Fatalf("config %q, want %q", got, want)
				}
				if _, err := os.Stat(filepath.Join(s.Dir(), "modules", v.SHA256+".wasm")); err != nil {
					t.Fatal(err)
				}
				got, err := s.Get(tt.fn)
				if err != nil {
					t.Fatal(err)
				}
				if g, w := got.Latest(), v; string(g.Config) != string(w.Config) || !g.Installed.Equal(w.Installed) || g.SHA256 != w.SHA256 {
					t.Fatalf("read back %+v, installed %+v", g, w)
				}
				return
			}
			if err == nil {
				t.Fatalf("installed %+v, want an error", f)
			}
			if tt.expErr != nil && !errors.Is(err, tt.expErr) {
				t.Fatalf("error %v, want %v", err, tt.expErr)
			}
			if !strings.Contains(err.Error(), tt.expText) {
				t.Fatalf("error %q, want it to contain %q", err, tt.expText)
			}
			if _, err := s.Get(tt.fn); err == nil {
				t.Fatalf("refused function %q is installed", tt.fn)
			}
		})
	}
	t.Run("import error is typed", func(t *testing.T) {
		_, err := s.Install(ctx, "sock", fixture(t, "wat/sock.wasm"), nil, "sock.wasm")
		var ie *wasmrt.ImportError
		if !errors.As(err, &ie) || ie.Module != "wasi_snapshot_preview1" || ie.Name != "sock_accept" {
			t.Fatalf("error %v, want an *wasmrt.ImportError naming sock_accept", err)
		}
	})
	t.Run("refused modules are not stored", func(t *testing.T) {
		ents, err := os.ReadDir(filepath.Join(s.Dir(), "modules"))
		if err != nil {
			t.Fatal(err)
		}
		if len(ents) != 3 { // wat identity (twice), go identity, kitchen
			t.Fatalf("modules %v, want 3", ents)
		}
		for _, dir := range []string{"modules", "functions"} {
			ents, _ := os.ReadDir(filepath.Join(s.Dir(), dir))
			for _, e := range ents {
				if strings.HasPrefix(e.Name(), ".") {
					t.Errorf("temporary file left: %s/%s", dir, e.Name())
				}
			}
		}
	})
}

func TestStoreVersions(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir(), nil, newRuntime(t))
	kitchen := fixture(t, "kitchen/kitchen.wasm")
	for i, prefix := range []string{"one:", "two:", "three:"} {
		f, err := s.Install(ctx, "k", kitchen, json.RawMessage(fmt.Sprintf(`{"prefix":%q}`, prefix)), "kitchen.wasm")
		if err != nil {
			t.Fatal(err)
		}
		if f.Latest().Version != i+1 || len(f.Versions) != i+1 {
			t.Fatalf("install %d: %+v", i+1, f)
		}
	}
	for _, tt := range []struct {
		name, qualifier string
		exp             string // the prefix of the version selected
		expErr          error
	}{
		{name: "no qualifier", exp: "three:"},
		{name: "latest", qualifier: ":$LATEST", exp: "three:"},
		{name: "version 1", qualifier: ":1", exp: "one:"},
		{name: "version 2", qualifier: ":2", exp: "two:"},
		{name: "version 3", qualifier: ":3", exp: "three:"},
		{name: "no version 4", qualifier: ":4", expErr: pluginstore.ErrNotFound},
		{name: "version 0", qualifier: ":0", expErr: pluginstore.ErrNotFound},
		{name: "leading zero", qualifier: ":01", expErr: pluginstore.ErrNotFound},
		{name: "alias", qualifier: ":prod", expErr: pluginstore.ErrNotFound},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tr, err := s.Resolve(ctx, arn("k"+tt.qualifier))
			if tt.expErr != nil {
				if !errors.Is(err, tt.expErr) {
					t.Fatalf("error %v, want %v", err, tt.expErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := transform(t, tr, "r"); got != tt.exp+"r" {
				t.Fatalf("got %q, want %q", got, tt.exp+"r")
			}
		})
	}
	if a, b := resolve(t, s, arn("k")), resolve(t, s, arn("k:3")); a != b {
		t.Error("the unqualified ARN and :3 resolve to different plugins")
	}
	ents, err := os.ReadDir(filepath.Join(s.Dir(), "modules"))
	if err != nil || len(ents) != 1 {
		t.Fatalf("modules %v (%v), want one module shared by three versions", ents, err)
	}
}

func TestStoreBuiltins(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir(), catalogue(t), newRuntime(t))

	builtin := resolve(t, s, arn("kitchen"))
	if got := transform(t, builtin, "r"); got != "builtin:r" {
		t.Fatalf("built-in: %q", got)
	}
	if _, err := s.Resolve(ctx, arn("kitchen:$LATEST")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Resolve(ctx, arn("kitchen:1")); !errors.Is(err, pluginstore.ErrNotFound) {
		t.Fatalf("a built-in with a version qualifier: %v, want ErrNotFound", err)
	}
	if err := s.Remove("kitchen"); !errors.Is(err, pluginstore.ErrBuiltin) {
		t.Fatalf("remove a built-in: %v, want ErrBuiltin", err)
	}

	// An installed function shadows the built-in of its name.
	if _, err := s.InstallFrom(ctx, "kitchen", "kitchen", json.RawMessage(`{"prefix":"mine:"}`)); err != nil {
		t.Fatal(err)
	}
	if got := transform(t, resolve(t, s, arn("kitchen")), "r"); got != "mine:r" {
		t.Fatalf("shadowing function: %q", got)
	}
	if got := transform(t, resolve(t, s, arn("kitchen:1")), "r"); got != "mine:r" {
		t.Fatalf("shadowing function version 1: %q", got)
	}
	fns, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range fns {
		got = append(got, fmt.Sprintf("%s %s shadowed=%v shadows=%v v%d", f.Name, f.Kind, f.Shadowed, f.ShadowsBuiltin, f.Latest().Version))
	}
	exp := []string{
		"echo built-in shadowed=false shadows=false v0",
		"kitchen installed shadowed=false shadows=true v1",
		"kitchen built-in shadowed=true shadows=false v0",
	}
	if strings.Join(got, "\n") != strings.Join(exp, "\n") {
		t.Fatalf("List:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(exp, "\n"))
	}
	if f, err := s.Get("kitchen"); err != nil || f.Kind != pluginstore.KindInstalled || !f.ShadowsBuiltin {
		t.Fatalf("Get: %+v, %v", f, err)
	}

	// Removing it makes the built-in visible again, and the plugin resolved
	// before is still loaded.
	if err := s.Remove("kitchen"); err != nil {
		t.Fatal(err)
	}
	if again := resolve(t, s, arn("kitchen")); again != builtin {
		t.Fatal("the built-in resolved after the removal is not the one cached before")
	}
	if f, err := s.Get("kitchen"); err != nil || f.Kind != pluginstore.KindBuiltin || f.Summary != "prefixes records" {
		t.Fatalf("Get after remove: %+v, %v", f, err)
	}
}

func TestStoreInstallFrom(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir(), catalogue(t), newRuntime(t))
	for _, tt := range []struct {
		name, fn, builtin, extra string
		expConfig                string
		expOut                   string // of the record "r"
		expErr                   error
		expText                  string
	}{
		{name: "extra key replaces the built-in's", fn: "k1", builtin: "kitchen", extra: `{"prefix": "nl:"}`, expConfig: `{"prefix":"nl:"}`, expOut: "nl:r"},
		{name: "new key merged", fn: "k2", builtin: "kitchen", extra: `{"newline":true}`, expConfig: `{"newline":true,"prefix":"builtin:"}`, expOut: "builtin:r"},
		{name: "no extra keeps the built-in's", fn: "k3", builtin: "kitchen", expConfig: `{"prefix":"builtin:"}`, expOut: "builtin:r"},
		{name: "extra into no config", fn: "e1", builtin: "echo", extra: `{"a":[1, 2]}`, expConfig: `{"a":[1,2]}`, expOut: "r"},
		{name: "extra that fails init", fn: "k4", builtin: "kitchen", extra: `{"fail":true}`, expErr: wasmrt.ErrInit, expText: "config asked init to fail"},
		{name: "extra not an object", fn: "k5", builtin: "kitchen", extra: `[1]`, expErr: pluginstore.ErrInvalidConfig},
		{name: "extra not JSON", fn: "k6", builtin: "kitchen", extra: `{`, expErr: pluginstore.ErrInvalidConfig},
		{name: "unknown built-in", fn: "k7", builtin: "nope", expErr: pluginstore.ErrNotFound},
		{name: "bad name", fn: "k/8", builtin: "kitchen", expErr: pluginstore.ErrInvalidName},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f, err := s.InstallFrom(ctx, tt.fn, tt.builtin, json.RawMessage(tt.extra))
			if tt.expErr != nil {
				if !errors.Is(err, tt.expErr) || !strings.Contains(fmt.Sprint(err), tt.expText) {
					t.Fatalf("error %v, want %v with %q", err, tt.expErr, tt.expText)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			v := f.Latest()
			if string(v.Config) != tt.expConfig || v.Source != "builtin:"+tt.builtin {
				t.Fatalf("version %+v, want config %s", v, tt.expConfig)
			}
			if got := transform(t, resolve(t, s, arn(tt.fn)), "r"); got != tt.expOut {
				t.Fatalf("output %q, want %q", got, tt.expOut)
			}
		})
	}
}

func TestStoreResolveCache(t *testing.T) {
	ctx := context.Background()
	var logs bytes.Buffer
	s, err := pluginstore.Open(t.TempDir(), catalogue(t), newRuntime(t), slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close(ctx) })
	if _, err := s.Install(ctx, "f", fixture(t, "wat/identity.wasm"), json.RawMessage(`{"x": [1, 2]}`), "identity.wasm"); err != nil {
		t.Fatal(err)
	}
	v1 := resolve(t, s, arn("f"))
	if n := strings.Count(logs.String(), "plugin loaded"); n != 0 {
		t.Fatalf("Resolve loaded the plugin Install had loaded (%d loads):\n%s", n, &logs)
	}
	for _, other := range []string{
		arn("f"), arn("f:1"), arn("f:$LATEST"),
		"arn:aws:lambda:eu-west-1:123456789012:function:f", // region and account are not checked
	} {
		if resolve(t, s, other) != v1 {
			t.Errorf("%s resolves to another plugin", other)
		}
	}
	// A new version is picked up by the next Resolve; the old plugin keeps
	// working for whoever holds it.
	if _, err := s.Install(ctx, "f", fixture(t, "kitchen/kitchen.wasm"), json.RawMessage(`{"prefix":"2:"}`), "kitchen.wasm"); err != nil {
		t.Fatal(err)
	}
	v2 := resolve(t, s, arn("f"))
	if v2 == v1 {
		t.Fatal("a new version resolves to the old plugin")
	}
	if got := transform(t, v2, "r"); got != "2:r" {
		t.Fatalf("version 2: %q", got)
	}
	if got := transform(t, v1, "r"); got != "r" {
		t.Fatalf("version 1 after version 2: %q", got)
	}
	if resolve(t, s, arn("f:1")) != v1 {
		t.Error("f:1 is not the plugin cached for version 1")
	}
	// Two functions with the same module and config are separate plugins.
	if _, err := s.Install(ctx, "g", fixture(t, "wat/identity.wasm"), nil, "identity.wasm"); err != nil {
		t.Fatal(err)
	}
	if resolve(t, s, arn("g")) == v1 {
		t.Error("functions f and g share a plugin")
	}
	resolve(t, s, arn("echo"))
	resolve(t, s, arn("echo"))
	if n := strings.Count(logs.String(), "plugin loaded"); n != 1 {
		t.Fatalf("%d loads, want 1 (the built-in echo, once):\n%s", n, &logs)
	}

	for _, tt := range []struct {
		name, arn string
		expErr    error
	}{
		{name: "unknown function", arn: arn("nope"), expErr: pluginstore.ErrNotFound},
		{name: "invalid name", arn: arn("a.b"), expErr: pluginstore.ErrInvalidName},
		{name: "not a Lambda ARN", arn: "arn:aws:s3:::bucket"},
		{name: "empty qualifier", arn: arn("f:")},
		{name: "not an ARN", arn: "f"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Resolve(ctx, tt.arn)
			if err == nil || (tt.expErr != nil && !errors.Is(err, tt.expErr)) {
				t.Fatalf("error %v, want %v", err, tt.expErr)
			}
		})
	}
}

func TestStoreRemove(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir(), nil, newRuntime(t))
	ident, kitchen := fixture(t, "wat/identity.wasm"), fixture(t, "kitchen/kitchen.wasm")
	for _, in := range []struct {
		fn   string
		wasm []byte
	}{{"a", ident}, {"a", kitchen}, {"b", ident}} {
		if _, err := s.Install(ctx, in.fn, in.wasm, nil, "x.wasm"); err != nil {
			t.Fatal(err)
		}
	}
	held := resolve(t, s, arn("a"))
	modules := func() int {
		ents, err := os.ReadDir(filepath.Join(s.Dir(), "modules"))
		if err != nil {
			t.Fatal(err)
		}
		return len(ents)
	}
	if n := modules(); n != 2 {
		t.Fatalf("%d modules, want 2", n)
	}
	if err := s.Remove("a"); err != nil {
		t.Fatal(err)
	}
	if n := modules(); n != 1 {
		t.Fatalf("%d modules after removing a, want 1 (b's identity)", n)
	}
	if _, err := s.Get("a"); !errors.Is(err, pluginstore.ErrNotFound) {
		t.Fatalf("Get after remove: %v", err)
	}
	if _, err := s.Resolve(ctx, arn("a")); !errors.Is(err, pluginstore.ErrNotFound) {
		t.Fatalf("Resolve after remove: %v", err)
	}
	if got := transform(t, held, "r"); got != "r" {
		t.Fatalf("a plugin resolved before the removal: %q", got)
	}
	for _, tt := range []struct {
		name, fn string
		expErr   error
	}{
		{name: "removed", fn: "a", expErr: pluginstore.ErrNotFound},
		{name: "never installed", fn: "zz", expErr: pluginstore.ErrNotFound},
		{name: "invalid name", fn: "../b", expErr: pluginstore.ErrInvalidName},
		{name: "remaining", fn: "b"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := s.Remove(tt.fn); !errors.Is(err, tt.expErr) {
				t.Fatalf("error %v, want %v", err, tt.expErr)
			}
		})
	}
	if n := modules(); n != 0 {
		t.Fatalf("%d modules after removing everything", n)
	}
	// A reinstalled name starts again at version 1.
	f, err := s.Install(ctx, "a", ident, nil, "x.wasm")
	if err != nil || f.Latest().Version != 1 {
		t.Fatalf("reinstall: %+v, %v", f, err)
	}
}

func TestStoreReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	rt := newRuntime(t)
	s1, err := pluginstore.Open(dir, nil, rt, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s1.Install(ctx, "f", fixture(t, "wat/identity.wasm"), nil, "identity.wasm"); err != nil {
		t.Fatal(err)
	}
	want, err := s1.Install(ctx, "f", fixture(t, "kitchen/kitchen.wasm"), json.RawMessage(`{"prefix":"p:"}`), "kitchen.wasm")
	if err != nil {
		t.Fatal(err)
	}
	if err := s1.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s1.Resolve(ctx, arn("f")); !errors.Is(err, pluginstore.ErrClosed) {
		t.Fatalf("Resolve after Close: %v", err)
	}

	s2 := open(t, dir, nil, newRuntime(t))
	got, err := s2.Get("f")
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(got)
	b, _ := json.Marshal(want)
	if string(a) != string(b) {
		t.Fatalf("reopened:\n%s\nwant\n%s", a, b)
	}
	if out := transform(t, resolve(t, s2, arn("f")), "r"); out != "p:r" {
		t.Fatalf("latest after reopen: %q", out)
	}
	if out := transform(t, resolve(t, s2, arn("f:1")), "r"); out != "r" {
		t.Fatalf("version 1 after reopen: %q", out)
	}
}

// A service's store sees what another Store (the wasmhose plugin command)
// installs in the same directory at its next Resolve.
func TestStoreSeesOtherWriters(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	service := open(t, dir, catalogue(t), newRuntime(t))
	cli := open(t, dir, catalogue(t), newRuntime(t))
	if _, err := service.Resolve(ctx, arn("f")); !errors.Is(err, pluginstore.ErrNotFound) {
		t.Fatalf("before install: %v", err)
	}
	if _, err := cli.InstallFrom(ctx, "f", "kitchen", json.RawMessage(`{"prefix":"1:"}`)); err != nil {
		t.Fatal(err)
	}
	if out := transform(t, resolve(t, service, arn("f")), "r"); out != "1:r" {
		t.Fatalf("after install: %q", out)
	}
	if _, err := cli.InstallFrom(ctx, "f", "kitchen", json.RawMessage(`{"prefix":"2:"}`)); err != nil {
		t.Fatal(err)
	}
	if out := transform(t, resolve(t, service, arn("f")), "r"); out != "2:r" {
		t.Fatalf("after a new version: %q", out)
	}
	if err := cli.Remove("f"); err != nil {
		t.Fatal(err)
	}
	if _, err := service.Resolve(ctx, arn("f")); !errors.Is(err, pluginstore.ErrNotFound) {
		t.Fatalf("after remove: %v", err)
	}
}

// TestStoreWritersInTwoProcessesDoNotCollide: two stores on one data dir
// (the server and `wasmhose plugin`, each with its own in-process lock)
// installing concurrently get distinct versions, and none is lost.
func TestStoreWritersInTwoProcessesDoNotCollide(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	stores := []*pluginstore.Store{open(t, dir, catalogue(t), newRuntime(t)), open(t, dir, catalogue(t), newRuntime(t))}
	const installs = 12
	var wg sync.WaitGroup
	versions := make(chan int, installs)
	for i := range installs {
		wg.Go(func() {
			f, err := stores[i%2].Install(ctx, "f", fixture(t, "wat/identity.wasm"), json.RawMessage(fmt.Sprint(i)), "identity.wasm")
			if err != nil {
				t.Error(err)
				return
			}
			versions <- f.Versions[len(f.Versions)-1].Version
		})
	}
	wg.Wait()
	close(versions)
	seen := map[int]bool{}
	for v := range versions {
		if seen[v] {
			t.Errorf("version %d given twice", v)
		}
		seen[v] = true
	}
	f, err := stores[0].Get("f")
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Versions) != installs {
		t.Fatalf("%d versions kept, want %d", len(f.Versions), installs)
	}
}

func TestStoreConcurrent(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir(), catalogue(t), newRuntime(t))
	if _, err := s.Install(ctx, "f", fixture(t, "wat/identity.wasm"), nil, "identity.wasm"); err != nil {
		t.Fatal(err)
	}
	const n = 16
	var wg sync.WaitGroup
	got := make([]wasmrt.Transformer, n)
	errs := make(chan error, 3*n)
	for i := range n {
		wg.Go(func() {
			tr, err := s.Resolve(ctx, arn("kitchen"))
			if err != nil {
				errs <- err
				return
			}
			got[i] = tr
			res, err := tr.Transform(ctx, []wasmrt.Record{{Data: []byte("r")}})
			if err != nil || string(res[0].Data) != "builtin:r" {
				errs <- fmt.Errorf("transform: %v, %+v", err, res)
			}
		})
		wg.Go(func() { // installs and resolves of another function meanwhile
			if _, err := s.Install(ctx, "f", fixture(t, "wat/identity.wasm"), json.RawMessage(fmt.Sprint(i)), "identity.wasm"); err != nil {
				errs <- err
			}
			if _, err := s.Resolve(ctx, arn("f")); err != nil {
				errs <- err
			}
		})
		wg.Go(func() {
			if _, err := s.List(); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for i := range got {
		if got[i] != got[0] {
			t.Fatalf("concurrent Resolve %d returned another plugin", i)
		}
	}
	f, err := s.Get("f")
	if err != nil || len(f.Versions) != n+1 {
		t.Fatalf("after %d concurrent installs: %d versions, %v", n, len(f.Versions), err)
	}
	for i, v := range f.Versions {
		if v.Version != i+1 {
			t.Fatalf("version %d numbered %d", i+1, v.Version)
		}
	}
}

func TestStoreCorruption(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := open(t, dir, nil, newRuntime(t))
	f, err := s.Install(ctx, "f", fixture(t, "wat/identity.wasm"), nil, "identity.wasm")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "modules", f.Latest().SHA256+".wasm"), fixture(t, "wat/trap.wasm"), 0o644); err != nil {
		t.Fatal(err)
	}
	fresh := open(t, dir, nil, newRuntime(t))
	if _, err := fresh.Resolve(ctx, arn("f")); !errors.Is(err, pluginstore.ErrCorrupt) {
		t.Fatalf("swapped module: %v, want ErrCorrupt", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "functions", "f.json"), []byte(`{"name":"g"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := fresh.List(); !errors.Is(err, pluginstore.ErrCorrupt) {
		t.Fatalf("bad manifest: %v, want ErrCorrupt", err)
	}
}

func TestStoreOpen(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := pluginstore.Open(file, nil, nil, nil); err == nil {
		t.Error("Open of a file succeeded")
	}
	if _, err := pluginstore.Open("", nil, nil, nil); err == nil {
		t.Error("Open of \"\" succeeded")
	}
	// Without a runtime: lists and removes, does not install or resolve, and
	// creates nothing.
	dir := filepath.Join(t.TempDir(), "plugins")
	s := open(t, dir, catalogue(t), nil)
	fns, err := s.List()
	if err != nil || len(fns) != 2 {
		t.Fatalf("List: %v, %v", fns, err)
	}
	if _, err := s.Install(ctx, "f", fixture(t, "wat/identity.wasm"), nil, "identity.wasm"); !errors.Is(err, pluginstore.ErrNoRuntime) {
		t.Fatalf("Install: %v", err)
	}
	if _, err := s.Resolve(ctx, arn("echo")); !errors.Is(err, pluginstore.ErrNoRuntime) {
		t.Fatalf("Resolve: %v", err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("the store created its directory: %v", err)
	}
}
