// Command wasmhose is the Wasmhose delivery-stream service and its tools:
//
//	wasmhose serve   [--listen ADDR] [--data-dir DIR] [--config FILE] [--log-level LEVEL]
//	wasmhose bench   drive PutRecordBatch load against any Firehose endpoint
//	wasmhose bench-convert  measure JSON to Parquet/ORC conversion
//	wasmhose plugin  install, list, inspect and remove transform plugins
//	wasmhose schema  list, show, create and delete table schemas (Glue catalog)
//	wasmhose keys    list and rotate the keyring's keys (the local KMS)
//	wasmhose decrypt restore an object the local store encrypted
//	wasmhose version
//
// main is thin: run parses the arguments and returns the exit code, so the
// CLI is testable in-process.
package main

import (
	"fmt"
	"io"
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// version is set by the linker (-X main.version=...).
var version = "dev"

// command is one subcommand.
type command struct {
	name, summary string
	run           func(args []string, stdout, stderr io.Writer) int
}

// dispatch runs the subcommand of `wasmhose <group>` that args name, or
// prints help: usage errors exit 2, help asked for exits 0.
func dispatch(group, help string, subs []command, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		_, _ = io.WriteString(stderr, help)
		return 2
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		_, _ = io.WriteString(stdout, help)
		return 0
	}
	for _, c := range subs {
		if c.name == args[0] {
			return c.run(args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "wasmhose %s: unknown command %s\n\n%s", group, args[0], help)
	return 2
}

func commands() []command {
	return []command{
		{"serve", "run the delivery-stream service", runServe},
		{"bench", "drive PutRecordBatch load against a Firehose endpoint and check delivery", runBench},
		{"bench-convert", "measure JSON to Parquet/ORC conversion on generated click events", runBenchConvert},
		{"plugin", "install, list, inspect and remove transform plugins (Lambda functions)", runPlugin},
		{"schema", "list, show, create and delete table schemas (the Glue-compatible catalog)", runSchema},
		{"keys", "list and rotate the keyring's keys, the local stand-in for KMS", runKeys},
		{"decrypt", "restore the plaintext of an object the local store encrypted", runDecrypt},
		{"version", "print the version", func(_ []string, stdout, _ io.Writer) int {
			_, _ = io.WriteString(stdout, "wasmhose "+version+"\n")
			return 0
		}},
	}
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(args[1:], stdout, stderr)
		}
	}
	_, _ = io.WriteString(stderr, "wasmhose: unknown command "+args[0]+"\n")
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	_, _ = io.WriteString(w, "usage: wasmhose <command> [flags]\n\ncommands:\n")
	for _, c := range commands() {
		_, _ = io.WriteString(w, "  "+c.name+"\t"+c.summary+"\n")
	}
}
