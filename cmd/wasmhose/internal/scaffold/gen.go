//go:build ignore

// gen copies the SDK sources a scaffold needs from the repository's sdk/
// folder into files/ (run by `go generate` in this folder).
package main

import (
	"fmt"
	"io/fs"
	"log"
	"os"
	"path"
	"path/filepath"

	"github.com/wasmhose/wasmhose/cmd/wasmhose/internal/scaffold"
)

func main() {
	const sdk = "../../../../sdk"
	if err := os.RemoveAll("files"); err != nil {
		log.Fatal(err)
	}
	for _, lang := range scaffold.Langs {
		root := filepath.Join(sdk, lang)
		n := 0
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, err := filepath.Rel(root, p)
			if err != nil {
				return err
			}
			rel = filepath.ToSlash(rel)
			if !matches(lang, rel) {
				return nil
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			dst := filepath.Join("files", lang, filepath.FromSlash(scaffold.StoredName(rel)))
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				return err
			}
			n++
			return os.WriteFile(dst, b, 0o644)
		})
		if err != nil {
			log.Fatalf("copy the %s sdk: %v", lang, err)
		}
		if n == 0 {
			log.Fatalf("copy the %s sdk: no file matches %v", lang, scaffold.SDKSources[lang])
		}
		fmt.Printf("files/%s: %d files\n", lang, n)
	}
}

// matches reports whether the SDK file rel of lang is copied.
func matches(lang, rel string) bool {
	if scaffold.Excluded(rel) {
		return false
	}
	for _, pat := range scaffold.SDKSources[lang] {
		if ok, _ := path.Match(pat, rel); ok {
			return true
		}
	}
	return false
}
