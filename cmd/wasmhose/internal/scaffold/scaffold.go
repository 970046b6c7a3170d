// Package scaffold writes the starter project of `wasmhose plugin new`: a
// sample transform in one of the SDK languages, a copy of that language's SDK
// (so the project builds without fetching the SDK from anywhere), a Makefile
// with the flags the service needs, a cases file for `wasmhose plugin test`
// and a README.
//
// The SDK copies under files/ are produced from the repository's sdk/ folder
// by `go generate` (gen.go); a test fails when they drift from it.
package scaffold

//go:generate go run gen.go

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"text/template"
)

// SDKDir is the folder of a project that holds its copy of the SDK.
const SDKDir = "wasmhose-sdk"

// Langs are the languages of the scaffolds, in the order help lists them.
var Langs = []string{"go", "rust", "c", "assemblyscript"}

// SDKSources are, per language, the patterns (path.Match, relative to
// sdk/<lang>) of the SDK files a project gets: the sources a build needs and
// nothing else.
var SDKSources = map[string][]string{
	"go":             {"go.mod", "*.go"},
	"rust":           {"src/lib.rs"},
	"c":              {"wasmhose.h", "wasmhose.c"},
	"assemblyscript": {"package.json", "asconfig.json", "assembly/*.ts"},
}

// Excluded reports whether an SDK file matching SDKSources is left out of
// the copy anyway: Go tests.
func Excluded(rel string) bool { return strings.HasSuffix(rel, "_test.go") }

// StoredName is the name under files/<lang>/ of the SDK file rel: Go files
// and go.mod get a ".txt" suffix, since a go.mod would make files/ another
// module (which go:embed refuses) and .go files would be compiled.
func StoredName(rel string) string {
	if strings.HasSuffix(rel, ".go") || path.Base(rel) == "go.mod" {
		return rel + ".txt"
	}
	return rel
}

//go:embed files templates
var content embed.FS

// ErrInvalidName is the error of a project name Write refuses.
var ErrInvalidName = errors.New("invalid plugin name")

// ErrUnknownLang is the error of a language without a scaffold.
var ErrUnknownLang = errors.New("unknown language")

// ErrNotEmpty is the error of a target folder that exists and is not empty.
var ErrNotEmpty = errors.New("folder exists and is not empty")

// reName is stricter than a function name (pluginstore): the name is also a
// Rust crate name (a letter first) and an npm package name (lower case).
var reName = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,63}$`)

// CheckName returns an error wrapping ErrInvalidName when name cannot name
// a project.
func CheckName(name string) error {
	if !reName.MatchString(name) {
		return fmt.Errorf("%w %q: use a lower-case letter, then up to 63 lower-case letters, digits, '-' or '_'", ErrInvalidName, name)
	}
	return nil
}

// data is what the templates see.
type data struct {
	Name  string // the project and function name, e.g. my-fn
	Crate string // Name as a Rust crate name, e.g. my_fn
	Lang  string
	GoVer string // the go line of the SDK's go.mod
}

// Write writes the project name in lang into dir, creating dir; dir must not
// exist or be empty. It returns the paths written, relative to dir and
// slash-separated, sorted.
func Write(dir, lang, name string) ([]string, error) {
	if !slices.Contains(Langs, lang) {
		return nil, fmt.Errorf("%w %q: use one of %s", ErrUnknownLang, lang, strings.Join(Langs, ", "))
	}
	if err := CheckName(name); err != nil {
		return nil, err
	}
	if ents, err := os.ReadDir(dir); err == nil && len(ents) > 0 {
		return nil, fmt.Errorf("%w: %s", ErrNotEmpty, dir)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read %s: %w", dir, err)
	}
	files, err := Files(lang, name)
	if err != nil {
		return nil, err
	}
	var written []string
	for rel, b := range files {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return nil, fmt.Errorf("create %s: %w", filepath.Dir(p), err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			return nil, fmt.Errorf("write %s: %w", p, err)
		}
		written = append(written, rel)
	}
	slices.Sort(written)
	return written, nil
}

// Files returns the files of the project name in lang, by slash-separated
// path relative to the project's folder.
func Files(lang, name string) (map[string][]byte, error) {
	out := map[string][]byte{}
	sdkRoot := "files/" + lang
	err := fs.WalkDir(content, sdkRoot, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := content.ReadFile(p)
		if err != nil {
			return err
		}
		rel := strings.TrimPrefix(p, sdkRoot+"/")
		if StoredName(strings.TrimSuffix(rel, ".txt")) == rel {
			rel = strings.TrimSuffix(rel, ".txt")
		}
		out[SDKDir+"/"+rel] = b
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read the %s sdk: %w", lang, err)
	}
	d := data{Name: name, Crate: strings.ReplaceAll(name, "-", "_"), Lang: lang, GoVer: goVersion(out[SDKDir+"/go.mod"])}
	for _, root := range []string{"templates/all", "templates/" + lang} {
		err := fs.WalkDir(content, root, func(p string, de fs.DirEntry, err error) error {
			if err != nil || de.IsDir() {
				return err
			}
			src, err := content.ReadFile(p)
			if err != nil {
				return err
			}
			t, err := template.New(p).Option("missingkey=error").Parse(string(src))
			if err != nil {
				return fmt.Errorf("parse %s: %w", p, err)
			}
			var buf bytes.Buffer
			if err := t.Execute(&buf, d); err != nil {
				return fmt.Errorf("render %s: %w", p, err)
			}
			rel := strings.TrimSuffix(strings.TrimPrefix(p, root+"/"), ".tmpl")
			out[strings.ReplaceAll(rel, "NAME", name)] = buf.Bytes()
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("render the %s templates: %w", lang, err)
		}
	}
	return out, nil
}

// goVersion returns the version of the go line of a go.mod, or "".
func goVersion(mod []byte) string {
	for _, l := range strings.Split(string(mod), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), "go "); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
