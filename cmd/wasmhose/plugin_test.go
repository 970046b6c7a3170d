package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/wasmhose/wasmhose/host/pluginstore"
	"github.com/wasmhose/wasmhose/plugins"
	wasmrt "github.com/wasmhose/wasmhose/runtime"
)

// wat returns the path of a committed WAT fixture module of the runtime.
func wat(name string) string {
	return filepath.Join("..", "..", "runtime", "testdata", "wat", name+".wasm")
}

// TestPluginCommand runs `wasmhose plugin …` in-process, step by step on one
// data dir: each step sees what the steps before it installed.
func TestPluginCommand(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(t.TempDir(), "garbage.wasm")
	if err := os.WriteFile(garbage, []byte("not wasm"), 0o644); err != nil {
		t.Fatal(err)
	}
	dd := "--data-dir=" + dir
	for _, tt := range []struct {
		name    string
		args    []string
		expCode int
		expOut  []string                           // regexps stdout must match
		expErr  []string                           // regexps stderr must match
		check   func(t *testing.T, dataDir string) // instead of running args
	}{
		{name: "no command", args: []string{"plugin"}, expCode: 2, expErr: []string{`usage: wasmhose plugin`}},
		{name: "unknown command", args: []string{"plugin", "bogus"}, expCode: 2, expErr: []string{`unknown command bogus`}},
		{name: "help", args: []string{"plugin", "--help"}, expOut: []string{`install \[--data-dir DIR\] --name NAME`, `next CreateDeliveryStream or\s+UpdateDestination`}},
		{name: "install help", args: []string{"plugin", "install", "-h"}, expErr: []string{`--from`, `next CreateDeliveryStream or\s+UpdateDestination`}},
		{name: "in the command list", args: []string{"help"}, expErr: []string{`plugin\s+install, list, inspect and remove`}},

		// install: usage errors
		{name: "install without name", args: []string{"plugin", "install", dd, wat("identity")}, expCode: 2, expErr: []string{`--name is required`}},
		{name: "install without module", args: []string{"plugin", "install", dd, "--name", "x"}, expCode: 2, expErr: []string{`give a module file or --from`}},
		{name: "install file and --from", args: []string{"plugin", "install", dd, "--name", "x", "--from", "process-record", wat("identity")}, expCode: 2, expErr: []string{`not both`}},
		{name: "install two files", args: []string{"plugin", "install", dd, "--name", "x", wat("identity"), wat("trap")}, expCode: 2, expErr: []string{`one module file expected`}},
		{name: "install bad name", args: []string{"plugin", "install", dd, "--name", "bad.name", wat("identity")}, expCode: 2, expErr: []string{`invalid function name "bad.name"`}},
		{name: "install bad config", args: []string{"plugin", "install", dd, "--name", "x", "--config", "{", wat("identity")}, expCode: 2, expErr: []string{`--config is not valid JSON`}},
		{name: "install unknown flag", args: []string{"plugin", "install", dd, "--nme", "x"}, expCode: 2, expErr: []string{`flag provided but not defined: -nme`}},
		{name: "install --from config not an object", args: []string{"plugin", "install", dd, "--name", "x", "--from", "process-record", "--config", "[1]"}, expCode: 2, expErr: []string{`invalid plugin configuration`}},

		// install: refused
		{name: "install missing file", args: []string{"plugin", "install", dd, "--name", "x", "missing.wasm"}, expCode: 1, expErr: []string{`missing.wasm: no such file`}},
		{name: "install forbidden import", args: []string{"plugin", "install", dd, "--name", "sock", wat("sock")}, expCode: 1, expErr: []string{`forbidden import wasi_snapshot_preview1\.sock_accept`}},
		{name: "install unknown import module", args: []string{"plugin", "install", dd, "--name", "unknown", wat("unknown")}, expCode: 1, expErr: []string{`forbidden import env\.now`}},
		{name: "install no marker", args: []string{"plugin", "install", dd, "--name", "noabi", wat("noabi")}, expCode: 1, expErr: []string{`not a wasmhose plugin`}},
		{name: "install init failure", args: []string{"plugin", "install", dd, "--name", "initfail", wat("initfail")}, expCode: 1, expErr: []string{`plugin initialisation failed.*bad config`}},
		{name: "install not wasm", args: []string{"plugin", "install", dd, "--name", "garbage", garbage}, expCode: 1, expErr: []string{`invalid WebAssembly module`}},
		{name: "install over the size limit", args: []string{"plugin", "install", dd, "--name", "big", "--max-module-bytes", "100", wat("classify")}, expCode: 1, expErr: []string{`module exceeds a limit: module size in bytes: 744, limit 100 \(--max-module-bytes\)`}},
		{name: "install bad --timeout", args: []string{"plugin", "install", dd, "--name", "x", "--timeout", "0s", wat("identity")}, expCode: 2, expErr: []string{`--timeout 0s must be positive`}},
		{name: "install module limit", args: []string{"plugin", "install", dd, "--name", "tables", wat("tablebomb")}, expCode: 1, expErr: []string{`module exceeds a limit: table elements`}},
		{name: "install unknown built-in", args: []string{"plugin", "install", dd, "--name", "x", "--from", "nope"}, expCode: 1, expErr: []string{`no built-in plugin "nope"`}},
		{name: "nothing installed", args: []string{"plugin", "list", dd}, expOut: []string{`(?m)^process-record\s+\$LATEST\s+builtin:process-record\s+[0-9a-f]{12}\s+[0-9.]+ MiB\s+built-in$`}},

		// install: accepted
		{name: "install file", args: []string{"plugin", "install", dd, "--name", "ident", wat("identity")},
			expOut: []string{`installed ident version 1 \(sha256 [0-9a-f]{12}, 427 B, from identity\.wasm\)`, `function:ident:1 \(this version\)`}},
		{name: "install new version, flags after the file", args: []string{"plugin", "install", wat("identity"), "--name", "ident", dd, "--config", `{"a": 1}`},
			expOut: []string{`installed ident version 2 `}},
		{name: "install from built-in with config", args: []string{"plugin", "install", dd, "--name", "lines", "--from", "process-record", "--config", `{"newline":true}`},
			expOut: []string{`installed lines version 1 .*from builtin:process-record\)`}},
		{name: "install shadowing a built-in", args: []string{"plugin", "install", dd, "--name", "process-record", "--from", "process-record", "--config", `{"newline":true}`},
			expOut: []string{`installed process-record version 1`, `built-in plugin process-record is shadowed`}},

		// list
		{name: "list", args: []string{"plugin", "list", dd}, expOut: []string{
			`(?m)^NAME\s+VERSION\s+SOURCE\s+SHA256\s+SIZE\s+STATUS$`,
			`(?m)^lines\s+1\s+builtin:process-record\s+[0-9a-f]{12}\s+[0-9.]+ MiB\s+installed$`,
			`(?m)^apachelog-to-json\s+\$LATEST\s+builtin:apachelog-to-json\s+[0-9a-f]{12}\s+[0-9.]+ MiB\s+built-in$`,
			`(?m)^ident\s+2 \(of 2\)\s+identity\.wasm\s+[0-9a-f]{12}\s+427 B\s+installed$`,
			`(?m)^process-record\s+1\s+builtin:process-record\s+.*installed \(shadows built-in\)$`,
			`(?m)^process-record\s+\$LATEST\s+.*built-in \(shadowed\)$`,
			`(?m)^cloudwatch-logs-processor\s`, `(?m)^syslog-to-csv\s`,
		}},
		{name: "list json", args: []string{"plugin", "list", "--json", dd}, expOut: []string{
			`"name": "ident",\s+"kind": "installed",\s+"versions": \[`, `"config": \{\s+"a": 1\s+\}`, `"shadowed": true`, `"shadowsBuiltin": true`,
		}},
		{name: "list extra argument", args: []string{"plugin", "list", dd, "x"}, expCode: 2, expErr: []string{`unexpected arguments`}},

		// inspect
		{name: "inspect forbidden import", args: []string{"plugin", "inspect", wat("sock")}, expOut: []string{
			`abi version: 1`, `(?m)^  wasi_snapshot_preview1\.sock_accept  FORBIDDEN$`,
			`status:\s+refused: forbidden import wasi_snapshot_preview1\.sock_accept \(func\)`,
			`(?m)^  wasmhose_v1_transform$`, `size:\s+174 bytes`, `sha256:\s+[0-9a-f]{64}`,
		}},
		{name: "inspect unknown module json", args: []string{"plugin", "inspect", "--json", wat("unknown")}, expOut: []string{
			`"forbidden": \[\s+"env\.now"\s+\]`, `"abiVersions": \[\s+1\s+\]`, `"imports": \[\s+"env\.now"\s+\]`,
		}},
		{name: "inspect no marker", args: []string{"plugin", "inspect", wat("noabi")}, expOut: []string{`abi version:\s+none`, `not a wasmhose plugin: no wasmhose_abi_v<N> export`}},
		{name: "inspect command", args: []string{"plugin", "inspect", wat("command")}, expOut: []string{`a WASI command`}},
		{name: "inspect ok", args: []string{"plugin", "inspect", wat("identity")}, expOut: []string{`status:\s+loadable`, `imports \(1\):\s+wasmhose_v1\.log\n`}},
		{name: "inspect function", args: []string{"plugin", "inspect", dd, "ident"}, expOut: []string{`function:\s+ident version 2 \(installed, from identity\.wasm\)`, `config:\s+\{"a":1\}`, `status:\s+loadable`}},
		{name: "inspect function version", args: []string{"plugin", "inspect", dd, "ident:1"}, expOut: []string{`function:\s+ident version 1 `}},
		{name: "inspect function version json", args: []string{"plugin", "inspect", dd, "--json", "ident:$LATEST"}, expOut: []string{`"function": "ident"`, `"version": 2`, `"size": 427`}},
		{name: "inspect built-in", args: []string{"plugin", "inspect", dd, "syslog-to-json"}, expOut: []string{
			`function:\s+syslog-to-json \(built-in, from builtin:syslog-to-json\)`, `config:\s+\{"blueprint":"syslog-to-json"\}`, `status:\s+loadable`,
		}},
		{name: "inspect shadowing function", args: []string{"plugin", "inspect", dd, "process-record"}, expOut: []string{`process-record version 1 \(installed`, `"newline":true`}},
		{name: "inspect missing version", args: []string{"plugin", "inspect", dd, "ident:9"}, expCode: 1, expErr: []string{`function ident has no version 9`}},
		{name: "inspect unknown function", args: []string{"plugin", "inspect", dd, "nope"}, expCode: 1, expErr: []string{`function not found`}},
		{name: "inspect not wasm", args: []string{"plugin", "inspect", garbage}, expCode: 1, expErr: []string{`invalid WebAssembly module`}},
		{name: "inspect missing file", args: []string{"plugin", "inspect", "missing.wasm"}, expCode: 1, expErr: []string{`no such file`}},
		{name: "inspect nothing", args: []string{"plugin", "inspect"}, expCode: 2, expErr: []string{`give one function name or module file`}},

		// remove
		{name: "remove", args: []string{"plugin", "remove", dd, "ident"}, expOut: []string{`removed ident \(2 versions\)`}},
		{name: "remove again", args: []string{"plugin", "remove", dd, "ident"}, expCode: 1, expErr: []string{`function not found: no installed function or built-in plugin named ident`}},
		{name: "remove built-in", args: []string{"plugin", "remove", dd, "apachelog-to-json"}, expCode: 1, expErr: []string{`built-in plugins cannot be removed`}},
		{name: "remove shadowing function", args: []string{"plugin", "remove", "process-record", dd}, expOut: []string{`removed process-record \(1 version\)`, `built-in plugin process-record is visible again`}},
		{name: "remove bad name", args: []string{"plugin", "remove", dd, "../x"}, expCode: 2, expErr: []string{`invalid function name`}},
		{name: "remove nothing", args: []string{"plugin", "remove", dd}, expCode: 2, expErr: []string{`give one function name`}},
		{name: "list after remove", args: []string{"plugin", "list", dd}, expOut: []string{`(?m)^process-record\s+\$LATEST\s+.*built-in$`, `(?s)^((?!ident).)*$`}},
		{name: "a service resolves the installed function", check: checkResolves},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if tt.check != nil {
				tt.check(t, dir)
				return
			}
			var out, errOut bytes.Buffer
			code := run(tt.args, &out, &errOut)
			if code != tt.expCode {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.expCode, &out, &errOut)
			}
			for _, re := range tt.expOut {
				if !matches(t, re, out.String()) {
					t.Errorf("stdout does not match %s:\n%s", re, &out)
				}
			}
			for _, re := range tt.expErr {
				if !matches(t, re, errOut.String()) {
					t.Errorf("stderr does not match %s:\n%s", re, &errOut)
				}
			}
		})
	}
}

// matches reports whether s matches re; a pattern (?s)^((?!x).)*$ means
// "does not contain x" (Go's regexp has no lookahead).
func matches(t *testing.T, re, s string) bool {
	t.Helper()
	if inner, ok := strings.CutPrefix(re, `(?s)^((?!`); ok {
		return !strings.Contains(s, strings.TrimSuffix(inner, `).)*$`))
	}
	return regexp.MustCompile(re).MatchString(s)
}

// checkResolves checks that a service's store over the data dir resolves the
// function "lines" installed by the command: process-record's module bound
// to {"newline":true}, so records come out with a newline.
func checkResolves(t *testing.T, dataDir string) {
	ctx := context.Background()
	dir := filepath.Join(dataDir, pluginstore.DirName)
	rt, err := wasmrt.New(ctx, wasmrt.NewConfig().WithWorkers(1).WithCompilationCacheDir(pluginstore.CompilationCacheDir(dir)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rt.Close(ctx) })
	st, err := pluginstore.Open(dir, plugins.Catalogue(), rt, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := st.Close(ctx); err != nil {
			t.Error(err)
		}
	})
	for arn, exp := range map[string]string{
		"arn:aws:lambda:us-east-1:000000000000:function:lines:1":        "a record\n",
		"arn:aws:lambda:us-east-1:000000000000:function:lines":          "a record\n",
		"arn:aws:lambda:us-east-1:000000000000:function:process-record": "a record",
	} {
		tr, err := st.Resolve(ctx, arn)
		if err != nil {
			t.Fatal(err)
		}
		res, err := tr.Transform(ctx, []wasmrt.Record{{Data: []byte("a record")}})
		if err != nil {
			t.Fatal(err)
		}
		if len(res) != 1 || res[0].Status != wasmrt.StatusOk || string(res[0].Data) != exp {
			t.Errorf("%s: results %+v, want Ok %q", arn, res, exp)
		}
	}
}
