package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/wasmhose/wasmhose/cmd/wasmhose/internal/scaffold"
)

// scaffoldToolchain returns what is missing to build a scaffold of lang on
// this machine ("" when nothing is), and the make variables that select
// the tools found.
func scaffoldToolchain(lang string) (missing string, vars []string) {
	if _, err := exec.LookPath("make"); err != nil {
		return "make", nil
	}
	switch lang {
	case "go":
		goBin, err := exec.LookPath("go")
		if err != nil {
			return "go", nil
		}
		return "", []string{"GO=" + goBin}
	case "rust":
		const rustc = "/usr/bin/rustc"
		out, err := exec.Command(rustc, "--print", "target-libdir", "--target", "wasm32-wasi").Output()
		if err != nil {
			return rustc + " (apt-get install rustc)", nil
		}
		if libs, _ := filepath.Glob(filepath.Join(strings.TrimSpace(string(out)), "libstd-*.rlib")); len(libs) == 0 {
			return "the wasm32-wasi standard library of " + rustc + " (apt-get install libstd-rust-dev-wasm32)", nil
		}
		return "", []string{"RUSTC=" + rustc}
	case "c":
		clang, err := exec.LookPath("clang")
		if err != nil {
			return "clang", nil
		}
		out, err := exec.Command(clang, "--target=wasm32-wasi", "-print-file-name=crt1-reactor.o").Output()
		if err != nil || !filepath.IsAbs(strings.TrimSpace(string(out))) {
			return "wasi-libc for clang (apt-get install wasi-libc lld libclang-rt-dev-wasm32)", nil
		}
		return "", []string{"CLANG=" + clang}
	case "assemblyscript":
		npm, err := exec.LookPath("npm")
		if err != nil {
			return "npm", nil
		}
		return "", []string{"NPM=" + npm}
	}
	return "a toolchain for " + lang, nil
}

// TestPluginNew writes the scaffold of every language with `wasmhose plugin
// new`, builds it with its own Makefile and runs `wasmhose plugin test` with
// its cases on the module: every check passes. A language whose toolchain is
// missing here is skipped, naming what is missing (a failure instead when
// WASMHOSE_REQUIRE_TOOLCHAINS is set, as in CI).
func TestPluginNew(t *testing.T) {
	own := map[string][]string{
		"go":             {"go.mod", "main.go"},
		"rust":           {"src/lib.rs"},
		"c":              {"my-fn.c"},
		"assemblyscript": {"asconfig.json", "assembly/index.ts", "package.json"},
	}
	sdk := map[string][]string{
		"go":             {"abi.go", "doc.go", "exports_wasip1.go", "go.mod", "log_other.go", "wasmhose.go"},
		"rust":           {"src/lib.rs"},
		"c":              {"wasmhose.c", "wasmhose.h"},
		"assemblyscript": {"asconfig.json", "assembly/exports.ts", "assembly/index.ts", "package.json"},
	}
	for _, lang := range scaffold.Langs {
		t.Run(lang, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "my-fn")
			code, out, errOut := runCLI("plugin", "new", "--lang", lang, "--dir", dir, "my-fn")
			if code != 0 {
				t.Fatalf("plugin new: exit %d\n%s%s", code, out, errOut)
			}
			want := []string{"Makefile", "README.md", "cases.jsonl"}
			want = append(want, own[lang]...)
			for _, f := range sdk[lang] {
				want = append(want, scaffold.SDKDir+"/"+f)
			}
			slices.Sort(want)
			var got []string
			err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				rel, err := filepath.Rel(dir, p)
				got = append(got, filepath.ToSlash(rel))
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("files:\n got %v\nwant %v", got, want)
			}
			readme, err := os.ReadFile(filepath.Join(dir, "README.md"))
			if err != nil {
				t.Fatal(err)
			}
			for _, cmd := range []string{"wasmhose plugin new --lang " + lang + " my-fn", "cd my-fn && make", "wasmhose plugin test my-fn.wasm", "make test", "wasmhose plugin install --name my-fn my-fn.wasm", "function:my-fn"} {
				if !strings.Contains(string(readme), cmd) {
					t.Errorf("README.md lacks %q", cmd)
				}
			}

			missing, vars := scaffoldToolchain(lang)
			if missing != "" {
				skipOrRequire(t, "building the %s scaffold: %s not found", lang, missing)
			}
			mk := exec.Command("make", vars...)
			mk.Dir = dir
			b, err := mk.CombinedOutput()
			if err != nil {
				if lang == "assemblyscript" && registryUnreachable(string(b)) {
					skipOrRequire(t, "building the assemblyscript scaffold: npm install cannot reach the npm registry:\n%s", b)
				}
				t.Fatalf("make: %v\n%s", err, b)
			}
			code, out, errOut = runCLI("plugin", "test", "--cases", filepath.Join(dir, "cases.jsonl"), filepath.Join(dir, "my-fn.wasm"))
			if code != 0 || !strings.Contains(out, " 0 failed") {
				t.Fatalf("plugin test: exit %d\n%s\nstderr:\n%s", code, out, errOut)
			}
			for _, want := range []string{"PASS case/upper-cased\n", "PASS case/empty dropped\n"} {
				if !strings.Contains(out, want) {
					t.Errorf("plugin test output lacks %q", want)
				}
			}
		})
	}
}

// skipOrRequire skips the test with the message, or fails it when
// WASMHOSE_REQUIRE_TOOLCHAINS is set (CI, which installs every toolchain, so
// that a scaffold is never left untested there).
func skipOrRequire(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("WASMHOSE_REQUIRE_TOOLCHAINS") != "" {
		t.Fatalf("WASMHOSE_REQUIRE_TOOLCHAINS is set, cannot skip: "+format, args...)
	}
	t.Skipf("SKIPPED "+format, args...)
}

// registryUnreachable reports whether npm's output says it could not reach
// the registry.
func registryUnreachable(out string) bool {
	for _, code := range []string{"ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "ECONNREFUSED", "ECONNRESET", "ENETUNREACH"} {
		if strings.Contains(out, code) {
			return true
		}
	}
	return false
}

// TestPluginNewUsage covers the refusals of `wasmhose plugin new`: usage
// errors exit 2, an existing non-empty folder exits 1, and none writes.
func TestPluginNewUsage(t *testing.T) {
	full := t.TempDir()
	if err := os.WriteFile(filepath.Join(full, "main.go"), []byte("package main\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		args    []string
		code    int
		wantErr string
	}{
		{name: "no name", args: []string{"--lang", "go"}, code: 2, wantErr: "want exactly one NAME"},
		{name: "no lang", args: []string{"my-fn"}, code: 2, wantErr: "--lang is required"},
		{name: "unknown lang", args: []string{"--lang", "zig", "my-fn"}, code: 2, wantErr: `unknown language "zig"`},
		{name: "bad name", args: []string{"--lang", "c", "My.Fn"}, code: 2, wantErr: `invalid plugin name "My.Fn"`},
		{name: "non-empty dir", args: []string{"--lang", "rust", "--dir", full, "my-fn"}, code: 1, wantErr: "folder exists and is not empty"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Chdir(t.TempDir())
			code, _, errOut := runCLI(append([]string{"plugin", "new"}, tc.args...)...)
			if code != tc.code || !strings.Contains(errOut, tc.wantErr) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", code, errOut, tc.code, tc.wantErr)
			}
			if ents, _ := os.ReadDir("."); len(ents) != 0 {
				t.Errorf("wrote %d entries", len(ents))
			}
		})
	}
	ents, _ := os.ReadDir(full)
	if len(ents) != 1 {
		t.Errorf("the non-empty folder has %d entries, want 1", len(ents))
	}
}
