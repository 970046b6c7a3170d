// Command gendocs renders plugins/README.md from the catalogue: each
// built-in plugin's summary, bound configuration and options (package
// plugins), a description of its output (docs/<name>.md) and examples whose
// output is computed by running the native blueprint, so the README cannot
// show an output the plugin does not give. Run it with `go generate
// ./plugins`; its test fails when README.md differs from what it renders.
package main

import (
	"bytes"
	"compress/gzip"
	"embed"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/wasmhose/wasmhose/plugins"
	"github.com/wasmhose/wasmhose/plugins/blueprint"
	"github.com/wasmhose/wasmhose/plugins/internal/golden"
)

func main() {
	out := flag.String("o", "README.md", "the file to write")
	flag.Parse()
	doc, err := render()
	if err != nil {
		fmt.Fprintln(os.Stderr, "gendocs:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(*out, doc, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "gendocs:", err)
		os.Exit(1)
	}
}

// docFiles holds the README's introduction (docs/header.md) and, per
// plugin, the description of its output (docs/<name>.md).
//
//go:embed docs/*.md
var docFiles embed.FS

// example is one documented use of a plugin.
type example struct {
	title   string
	options string   // JSON object merged into the bound configuration, or ""
	inputs  []string // records, with the golden files' escapes
	gzip    bool     // gzip each record (CloudWatch Logs payloads)
}

const (
	blueprintApache = `127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326`
	cwlControl      = `{"messageType":"CONTROL_MESSAGE","owner":"CloudwatchLogs","logGroup":"","logStream":"","subscriptionFilters":[],"logEvents":[{"id":"","timestamp":1432826855000,"message":"CWL CONTROL MESSAGE: Checking health of destination Firehose."}]}`
)

// examples are the documented uses of each plugin.
var examples = map[string][]example{
	"process-record": {
		{"A JSON record, made newline-delimited", `{"newline":true}`,
			[]string{`{"ticker_symbol":"QXZ","sector":"HEALTHCARE","change":-0.05,"price":84.51}`}, false},
	},
	"apachelog-to-json": {
		{"The blueprint's own example", "", []string{blueprintApache}, false},
		{"A combined-format line, newline-delimited", `{"newline":true}`, []string{
			`66.249.66.1 - - [04/Mar/2024:08:15:42 +0000] "GET /robots.txt HTTP/1.1" 200 68 "-" "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"`}, false},
		{"Lines the blueprint cannot parse", "", []string{
			`127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 304 -`, `not a log line`}, false},
	},
	"apachelog-to-csv": {
		{"The blueprint's own example", "", []string{blueprintApache}, false},
		{"With the combined columns", `{"combined":true}`, []string{
			`66.249.66.1 - - [04/Mar/2024:08:15:42 +0000] "GET / HTTP/1.1" 200 68 "-" "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0 Safari/537.36"`,
			blueprintApache}, false},
	},
	"syslog-to-json": {
		{"RFC 3164, with and without a pid", "", []string{
			`Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8`,
			`Mar  1 06:25:43 server1 sshd[4123]: Accepted publickey for ubuntu from 203.0.113.9 port 52514 ssh2\n`}, false},
		{"RFC 5424 with structured data", "", []string{
			`<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"] An application event log entry...`}, false},
	},
	"syslog-to-csv": {
		{"RFC 3164 and RFC 5424", "", []string{
			`Mar  1 06:25:43 server1 sshd[4123]: Accepted publickey for ubuntu from 203.0.113.9 port 52514 ssh2`,
			`<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nothing.`}, false},
	},
	"cloudwatch-logs-processor": {
		{"A data message and a control message (records gzipped)", "", []string{
			`{"messageType":"DATA_MESSAGE","owner":"123456789012","logGroup":"log_group_name","logStream":"log_stream_name","subscriptionFilters":["subscription_filter_name"],"logEvents":[{"id":"01234567890123456789012345678901234567890123456789012345","timestamp":1510109208016,"message":"log message 1"},{"id":"01234567890123456789012345678901234567890123456789012345","timestamp":1510109208017,"message":"log message 2"}]}`,
			cwlControl}, true},
		{"Control messages dropped", `{"controlMessages":"drop"}`, []string{cwlControl}, true},
	},
}

// render returns the README.
func render() ([]byte, error) {
	var b bytes.Buffer
	header, err := docFiles.ReadFile("docs/header.md")
	if err != nil {
		return nil, err
	}
	b.Write(header)
	list := plugins.Catalogue().List()
	b.WriteString("| Plugin | Summary | Options |\n|---|---|---|\n")
	for _, p := range list {
		var names []string
		for _, o := range p.Options {
			names = append(names, "`"+o.Name+"`")
		}
		fmt.Fprintf(&b, "| [%s](#%s) | %s | %s |\n", p.Name, p.Name, p.Summary, strings.Join(names, ", "))
	}
	for _, p := range list {
		details, err := docFiles.ReadFile("docs/" + p.Name + ".md")
		if err != nil || len(examples[p.Name]) == 0 {
			return nil, fmt.Errorf("plugin %s has no docs/%s.md or no examples in gendocs", p.Name, p.Name)
		}
		fmt.Fprintf(&b, "\n## %s\n\n%s\n\n%s\nBound configuration: `%s`\n\n", p.Name, p.Summary, details, p.Config)
		b.WriteString("| Option | Type | Default | Description |\n|---|---|---|---|\n")
		for _, o := range p.Options {
			fmt.Fprintf(&b, "| `%s` | %s | `%s` | %s |\n", o.Name, o.Type, o.Default, o.Description)
		}
		for _, ex := range examples[p.Name] {
			out, err := runExample(p, ex)
			if err != nil {
				return nil, fmt.Errorf("plugin %s, example %q: %w", p.Name, ex.title, err)
			}
			fmt.Fprintf(&b, "\n**%s**", ex.title)
			if ex.options != "" {
				fmt.Fprintf(&b, ", options `%s`", ex.options)
			}
			b.WriteString(":\n\n```text\n")
			b.WriteString(out)
			b.WriteString("```\n")
		}
	}
	return b.Bytes(), nil
}

// runExample runs the example's records through the native blueprint,
// configured as the plugin would be, and returns the input and output
// lines.
func runExample(p plugins.Plugin, ex example) (string, error) {
	cfg := map[string]json.RawMessage{}
	if err := json.Unmarshal(p.Config, &cfg); err != nil {
		return "", fmt.Errorf("bound configuration: %w", err)
	}
	if ex.options != "" {
		var opts map[string]json.RawMessage
		if err := json.Unmarshal([]byte(ex.options), &opts); err != nil {
			return "", fmt.Errorf("options: %w", err)
		}
		for k, v := range opts {
			cfg[k] = v
		}
	}
	merged, err := json.Marshal(cfg)
	if err != nil {
		return "", fmt.Errorf("configuration: %w", err)
	}
	bp, err := blueprint.NewFromConfig(merged)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, in := range ex.inputs {
		rec, err := golden.Unescape(in)
		if err != nil {
			return "", fmt.Errorf("input: %w", err)
		}
		note := ""
		if ex.gzip {
			var z bytes.Buffer
			zw := gzip.NewWriter(&z)
			if _, err := zw.Write(rec); err != nil {
				return "", fmt.Errorf("gzip: %w", err)
			}
			if err := zw.Close(); err != nil {
				return "", fmt.Errorf("gzip: %w", err)
			}
			rec, note = z.Bytes(), " (gzipped)"
		}
		r := bp.Transform(rec)
		fmt.Fprintf(&b, "input%s: %s\n", note, in)
		fmt.Fprintf(&b, "output: %s\n", golden.Result(r.Status.String(), r.Data, r.Error))
	}
	return b.String(), nil
}
