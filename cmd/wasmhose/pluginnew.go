package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/wasmhose/wasmhose/cmd/wasmhose/internal/scaffold"
)

func runPluginNew(args []string, stdout, stderr io.Writer) int {
	const prog = "wasmhose plugin new"
	fs := flag.NewFlagSet("plugin new", flag.ContinueOnError)
	fs.SetOutput(stderr)
	about := "Writes a plugin project NAME into --dir (default ./NAME, which must not exist or be\n" +
		"empty): a sample transform that upper-cases records and drops empty ones, a copy of\n" +
		"the language's SDK (nothing is fetched for it), a Makefile with the build flags the\n" +
		"service needs, cases.jsonl for `wasmhose plugin test`, and a README. Then:\n\n" +
		"  cd NAME && make       # builds NAME.wasm\n" +
		"  make test             # wasmhose plugin test NAME.wasm --cases cases.jsonl\n" +
		"  wasmhose plugin install --name NAME NAME.wasm\n\n" +
		"NAME: a lower-case letter, then up to 63 lower-case letters, digits, '-' or '_'.\n"
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: wasmhose plugin new --lang %s [--dir DIR] NAME\n\n%s\nflags:\n", strings.Join(scaffold.Langs, "|"), about)
		fs.PrintDefaults()
	}
	lang := fs.String("lang", "", "the language: "+strings.Join(scaffold.Langs, ", "))
	dir := fs.String("dir", "", "the project folder (default ./NAME)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return flagExit(err)
	}
	usageErr := func(msg string) int { return usageExit(stderr, prog, fs, msg) }
	switch {
	case len(pos) != 1:
		return usageErr("want exactly one NAME")
	case *lang == "":
		return usageErr("--lang is required")
	}
	name := pos[0]
	if *dir == "" {
		*dir = name
	}
	files, err := scaffold.Write(*dir, *lang, name)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", prog, err)
		if errors.Is(err, scaffold.ErrInvalidName) || errors.Is(err, scaffold.ErrUnknownLang) {
			return 2
		}
		return 1
	}
	fmt.Fprintf(stdout, "wrote %d files into %s:\n", len(files), *dir)
	for _, f := range files {
		if !strings.HasPrefix(f, scaffold.SDKDir+"/") {
			fmt.Fprintf(stdout, "  %s\n", f)
		}
	}
	fmt.Fprintf(stdout, "  %s/ (the SDK)\n\nnext:\n  cd %s\n  make && make test\n  wasmhose plugin install --name %s %s.wasm\n",
		scaffold.SDKDir, filepath.Clean(*dir), name, name)
	return 0
}
