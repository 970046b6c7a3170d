package plugins_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/wasmhose/wasmhose/plugins"
	wasmrt "github.com/wasmhose/wasmhose/runtime"
)

// List the built-in plugins and the options each takes.
func ExampleCatalogue() {
	for _, p := range plugins.Catalogue().List() {
		fmt.Print(p.Name, " ", string(p.Config))
		for _, o := range p.Options {
			fmt.Print(" ", o.Name)
		}
		fmt.Println()
	}
	// Output:
	// apachelog-to-csv {"blueprint":"apachelog-to-csv"} newline combined
	// apachelog-to-json {"blueprint":"apachelog-to-json"} newline combined
	// cloudwatch-logs-processor {"blueprint":"cloudwatch-logs-processor"} newline controlMessages
	// process-record {"blueprint":"process-record"} newline
	// syslog-to-csv {"blueprint":"syslog-to-csv"} newline
	// syslog-to-json {"blueprint":"syslog-to-json"} newline
}

// Run a built-in plugin on wasmrt, with an option added to its bound
// configuration. (The compilation cache spares a restarted service, or a
// second test run, the compilation of the 4 MB module.)
func ExampleRegistry_Get() {
	ctx := context.Background()
	cache := filepath.Join(os.TempDir(), "wasmhose-plugins-test-cache")
	r, err := wasmrt.New(ctx, wasmrt.NewConfig().WithWorkers(1).WithCompilationCacheDir(cache))
	if err != nil {
		panic(err)
	}
	defer r.Close(ctx)

	p, ok := plugins.Catalogue().Get("syslog-to-csv")
	if !ok {
		panic("no syslog-to-csv")
	}
	wp, err := r.Load(ctx, p.Name, p.Wasm, []byte(`{"blueprint":"syslog-to-csv","newline":true}`))
	if err != nil {
		panic(err)
	}
	defer wp.Close(ctx)
	res, err := wp.Transform(ctx, []wasmrt.Record{
		{Data: []byte("Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8")},
		{Data: []byte("not syslog")},
	})
	if err != nil {
		panic(err)
	}
	for _, r := range res {
		fmt.Printf("%v %q %q\n", r.Status, r.Data, r.Error)
	}
	// Output:
	// Ok "Oct 11 22:14:15,mymachine,su,,'su root' failed for lonvick on /dev/pts/8\n" ""
	// ProcessingFailed "" "syslog-to-csv: the record is not an RFC 3164 or RFC 5424 syslog line"
}

// A registry of one's own, for tests or a service with custom built-ins.
func ExampleNewEmptyRegistry() {
	r := plugins.NewEmptyRegistry()
	p, _ := plugins.Catalogue().Get("process-record")
	p.Name, p.Config = "lines", []byte(`{"blueprint":"process-record","newline":true}`)
	fmt.Println(r.Add(p))
	fmt.Println(r.Add(p))
	fmt.Println(r.Add(plugins.Plugin{Name: "bad:name", Wasm: p.Wasm}))
	// Output:
	// <nil>
	// add plugin lines: duplicate plugin
	// add plugin: invalid plugin: name "bad:name": use 1 to 64 letters, digits, '-' or '_'
}
