package plugins_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/wasmhose/wasmhose/plugins"
	"github.com/wasmhose/wasmhose/plugins/blueprint"
	wasmrt "github.com/wasmhose/wasmhose/runtime"
)

// TestCatalogue checks the built-in list: one plugin per blueprint, each
// bound to its blueprint, with a summary and documented options, sharing
// one valid plugin module.
func TestCatalogue(t *testing.T) {
	list := plugins.Catalogue().List()
	var names []string
	for _, p := range list {
		names = append(names, p.Name)
	}
	if !slices.Equal(names, blueprint.Names()) {
		t.Fatalf("catalogue %v, want the blueprints %v", names, blueprint.Names())
	}
	// Every option name of any plugin, with a value of its type.
	allOptions := map[string]string{}
	for _, p := range list {
		for _, o := range p.Options {
			allOptions[o.Name] = o.Default
		}
	}
	for _, p := range list {
		t.Run(p.Name, func(t *testing.T) {
			// A plugin accepts exactly the options it documents.
			for name, value := range allOptions {
				documented := slices.ContainsFunc(p.Options, func(o plugins.Option) bool { return o.Name == name })
				_, err := blueprint.New(p.Name, []byte(`{"`+name+`":`+value+`}`))
				if documented != (err == nil) {
					t.Errorf("option %s: documented %v, accepted %v (%v)", name, documented, err == nil, err)
				}
			}
			if p.Summary == "" {
				t.Error("no summary")
			}
			var cfg struct{ Blueprint string }
			if err := json.Unmarshal(p.Config, &cfg); err != nil || cfg.Blueprint != p.Name {
				t.Errorf("config %s does not bind blueprint %s", p.Config, p.Name)
			}
			if &p.Wasm[0] != &list[0].Wasm[0] {
				t.Error("the plugins do not share one module")
			}
			info, err := wasmrt.Inspect(p.Wasm)
			if err != nil || len(info.Forbidden) > 0 || !slices.Contains(info.ABIVersions, 1) {
				t.Errorf("module: %v, forbidden %v, ABI %v", err, info.Forbidden, info.ABIVersions)
			}
			// Every documented option, set to a value of its type, is
			// accepted by the blueprint; an undocumented one is refused.
			opts := map[string]any{}
			for _, o := range p.Options {
				if o.Name == "" || o.Type == "" || o.Default == "" || o.Description == "" {
					t.Errorf("option %+v is not fully documented", o)
				}
				switch o.Type {
				case "boolean":
					opts[o.Name] = true
				case "string":
					var def string
					if err := json.Unmarshal([]byte(o.Default), &def); err != nil {
						t.Errorf("option %s: default %s is not a JSON string", o.Name, o.Default)
					}
					opts[o.Name] = def
				default:
					t.Errorf("option %s: type %q", o.Name, o.Type)
				}
			}
			b, _ := json.Marshal(opts)
			if _, err := blueprint.New(p.Name, b); err != nil {
				t.Errorf("documented options %s: %v", b, err)
			}
			if _, err := blueprint.New(p.Name, []byte(`{"undocumented":1}`)); err == nil {
				t.Error("an undocumented option was accepted")
			}
		})
	}
}

func TestCatalogueIsolated(t *testing.T) {
	a, b := plugins.Catalogue(), plugins.Catalogue()
	if err := a.Add(plugins.Plugin{Name: "extra", Wasm: []byte{0}}); err != nil {
		t.Fatal(err)
	}
	if _, ok := b.Get("extra"); ok {
		t.Error("a plugin added to one catalogue appears in another")
	}
	p, _ := a.Get("process-record")
	p.Config[0] = 'X'
	p.Options[0].Name = "changed"
	if q, _ := a.Get("process-record"); q.Config[0] != '{' || q.Options[0].Name != "newline" {
		t.Error("changing a returned Plugin changed the registry")
	}
}

func TestRegistryAdd(t *testing.T) {
	wasm := []byte("\x00asm")
	tests := []struct {
		name   string
		p      plugins.Plugin
		expErr error
	}{
		{"valid", plugins.Plugin{Name: "my_plugin-2", Wasm: wasm, Config: json.RawMessage(`{"a":1}`)}, nil},
		{"no config", plugins.Plugin{Name: "bare", Wasm: wasm}, nil},
		{"duplicate", plugins.Plugin{Name: "taken", Wasm: wasm}, plugins.ErrDuplicate},
		{"empty name", plugins.Plugin{Wasm: wasm}, plugins.ErrInvalid},
		{"colon in name", plugins.Plugin{Name: "fn:1", Wasm: wasm}, plugins.ErrInvalid},
		{"name too long", plugins.Plugin{Name: string(make([]byte, 65)), Wasm: wasm}, plugins.ErrInvalid},
		{"no module", plugins.Plugin{Name: "nowasm"}, plugins.ErrInvalid},
		{"config not an object", plugins.Plugin{Name: "arr", Wasm: wasm, Config: json.RawMessage(`[1]`)}, plugins.ErrInvalid},
		{"config not JSON", plugins.Plugin{Name: "bad", Wasm: wasm, Config: json.RawMessage(`{`)}, plugins.ErrInvalid},
	}
	r := plugins.NewEmptyRegistry()
	if err := r.Add(plugins.Plugin{Name: "taken", Wasm: wasm}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := r.Add(tc.p)
			if !errors.Is(err, tc.expErr) {
				t.Fatalf("error %v, want %v", err, tc.expErr)
			}
			if _, ok := r.Get(tc.p.Name); tc.expErr == nil && !ok {
				t.Error("added plugin not found")
			}
		})
	}
}

func TestRegistryConcurrent(t *testing.T) {
	r := plugins.NewEmptyRegistry()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 50 {
				name := fmt.Sprintf("p%d-%d", i, j)
				if err := r.Add(plugins.Plugin{Name: name, Wasm: []byte{1}}); err != nil {
					t.Error(err)
				}
				r.Get(name)
				r.List()
			}
		}()
	}
	wg.Wait()
	list := r.List()
	if len(list) != 400 || !slices.IsSortedFunc(list, func(a, b plugins.Plugin) int { return compare(a.Name, b.Name) }) {
		t.Errorf("%d plugins, sorted: %v", len(list), slices.IsSortedFunc(list, func(a, b plugins.Plugin) int { return compare(a.Name, b.Name) }))
	}
}

func compare(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
