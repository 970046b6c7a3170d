package schema

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
)

// clock is a test clock that moves one second per reading.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Second)
	return c.t
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)} }

func openTest(t *testing.T, dir string) *Registry {
	t.Helper()
	r, err := Open(dir, Options{AccountID: "123456789012", Now: newClock().now})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func clickInput(name string, cols ...Column) TableInput {
	if len(cols) == 0 {
		cols = []Column{{Name: "id", Type: "string"}, {Name: "price", Type: "decimal(10,2)"}, {Name: "Tags", Type: "array<string>"}}
	}
	return TableInput{
		Name:      name,
		TableType: "EXTERNAL_TABLE",
		StorageDescriptor: &StorageDescriptor{
			Columns: cols, Location: "s3://bucket/clicks/",
			SerdeInfo: &SerDeInfo{SerializationLibrary: "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe", Parameters: map[string]string{"serialization.format": "1"}},
		},
		PartitionKeys: []Column{{Name: "dt", Type: "string"}},
		Parameters:    map[string]string{"classification": "parquet"},
	}
}

func mustCreateDB(t *testing.T, r *Registry, name string) {
	t.Helper()
	if err := r.CreateDatabase("", DatabaseInput{Name: name}); err != nil {
		t.Fatalf("create database %s: %v", name, err)
	}
}

func TestRegistryLifecycle(t *testing.T) {
	dir := t.TempDir()
	r := openTest(t, dir)
	mustCreateDB(t, r, "ClickDB")
	if err := r.CreateTable("", "CLICKDB", clickInput("Clicks")); err != nil {
		t.Fatal(err)
	}
	got, err := r.GetTable("", "clickdb", "CLICKS")
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "clicks" || got.DatabaseName != "clickdb" || got.CatalogID != "123456789012" || got.VersionID != "1" {
		t.Errorf("table = %s.%s catalog %s version %s, want clickdb.clicks catalog 123456789012 version 1", got.DatabaseName, got.Name, got.CatalogID, got.VersionID)
	}
	if got.Columns()[2].Name != "Tags" {
		t.Errorf("column names are kept as given, got %q", got.Columns()[2].Name)
	}
	if got.CreateTime == nil || got.UpdateTime == nil || !got.CreateTime.Equal(got.UpdateTime.Time) {
		t.Errorf("version 1: CreateTime %v UpdateTime %v, want equal", got.CreateTime, got.UpdateTime)
	}

	// UpdateTable adds version 2 and keeps 1; CreateTime stays.
	v2 := clickInput("clicks", Column{Name: "id", Type: "string"}, Column{Name: "n", Type: "bigint"})
	if err := r.UpdateTable("", "clickdb", v2, UpdateOptions{VersionID: "1"}); err != nil {
		t.Fatal(err)
	}
	latest, err := r.GetTable("", "clickdb", "clicks")
	if err != nil {
		t.Fatal(err)
	}
	if latest.VersionID != "2" || len(latest.Columns()) != 2 || !latest.CreateTime.Equal(got.CreateTime.Time) || !latest.UpdateTime.After(got.UpdateTime.Time) {
		t.Errorf("after update: version %s, %d columns, CreateTime %v (was %v), UpdateTime %v", latest.VersionID, len(latest.Columns()), latest.CreateTime, got.CreateTime, latest.UpdateTime)
	}
	vs, err := r.TableVersions("", "clickdb", "clicks")
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 2 || vs[0].VersionID != "2" || vs[1].VersionID != "1" || len(vs[1].Table.Columns()) != 3 {
		t.Errorf("versions = %+v, want 2 then 1 with its three columns", vs)
	}
	v1, err := r.TableVersion("", "clickdb", "clicks", "1")
	if err != nil || v1.Table.Columns()[1].Type != "decimal(10,2)" {
		t.Errorf("version 1 = %+v, %v", v1, err)
	}

	// A stale VersionId is a concurrent modification.
	err = r.UpdateTable("", "clickdb", v2, UpdateOptions{VersionID: "1"})
	if err == nil || !strings.Contains(err.Error(), TypeConcurrentModification) {
		t.Errorf("stale update: %v, want %s", err, TypeConcurrentModification)
	}
	// SkipArchive replaces the latest version: 3 replaces 2.
	if err := r.UpdateTable("", "clickdb", v2, UpdateOptions{SkipArchive: true}); err != nil {
		t.Fatal(err)
	}
	vs, _ = r.TableVersions("", "clickdb", "clicks")
	if ids := versionIDs(vs); ids != "3,1" {
		t.Errorf("after SkipArchive versions = %s, want 3,1", ids)
	}

	// The catalog survives reopening.
	r2 := openTest(t, dir)
	again, err := r2.GetTable("", "clickdb", "clicks")
	if err != nil || again.VersionID != "3" {
		t.Fatalf("after reopen: %+v, %v", again, err)
	}
	if err := r2.DeleteTable("", "clickdb", "clicks"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.GetTable("", "clickdb", "clicks"); !errors.Is(err, ErrEntityNotFound) {
		t.Errorf("get after delete: %v, want EntityNotFound", err)
	}
	if _, err := r.TableVersions("", "clickdb", "clicks"); !errors.Is(err, ErrEntityNotFound) {
		t.Errorf("versions after delete: %v, want EntityNotFound", err)
	}
}

func versionIDs(vs []TableVersion) string {
	ids := make([]string, len(vs))
	for i, v := range vs {
		ids[i] = v.VersionID
	}
	return strings.Join(ids, ",")
}

func TestRegistryErrors(t *testing.T) {
	r := openTest(t, t.TempDir())
	mustCreateDB(t, r, "db")
	if err := r.CreateTable("", "db", clickInput("t")); err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("x", 256)
	tests := []struct {
		name    string
		call    func() error
		expType string
		expMsg  string
	}{
		{"database exists", func() error { return r.CreateDatabase("", DatabaseInput{Name: "DB"}) }, TypeAlreadyExists, "Database already exists."},
		{"table exists", func() error { return r.CreateTable("", "db", clickInput("T")) }, TypeAlreadyExists, "Table already exists."},
		{"table in a missing database", func() error { return r.CreateTable("", "nodb", clickInput("t")) }, TypeEntityNotFound, "Database nodb not found."},
		{"missing table", func() error { _, err := r.GetTable("", "db", "nope"); return err }, TypeEntityNotFound, "Table nope not found."},
		{"missing database", func() error { _, err := r.GetDatabase("", "nope"); return err }, TypeEntityNotFound, "Database nope not found."},
		{"other catalog", func() error { _, err := r.GetDatabase("999999999999", "db"); return err }, TypeEntityNotFound, "Database db not found."},
		{"update a missing table", func() error { return r.UpdateTable("", "db", clickInput("nope"), UpdateOptions{}) }, TypeEntityNotFound, "Table nope not found."},
		{"delete a missing table", func() error { return r.DeleteTable("", "db", "nope") }, TypeEntityNotFound, "Table nope not found."},
		{"missing version", func() error { _, err := r.TableVersion("", "db", "t", "7"); return err }, TypeEntityNotFound, "Version 7 of table t not found."},
		{"version not a number", func() error { _, err := r.TableVersion("", "db", "t", "x"); return err }, TypeInvalidInput, "Version id x is not a positive integer."},
		{"bad decimal names the column", func() error {
			return r.CreateTable("", "db", clickInput("bad", Column{Name: "id", Type: "string"}, Column{Name: "price", Type: "decimal(50,2)"}))
		}, TypeInvalidInput, `StorageDescriptor.Columns: column "price" has an invalid type "decimal(50,2)"`},
		{"bad partition key type", func() error {
			in := clickInput("bad")
			in.PartitionKeys = []Column{{Name: "dt", Type: "datetime"}}
			return r.CreateTable("", "db", in)
		}, TypeInvalidInput, `PartitionKeys: column "dt" has an invalid type "datetime"`},
		{"column without a type", func() error { return r.CreateTable("", "db", clickInput("bad", Column{Name: "id"})) }, TypeInvalidInput, `column "id" has no type`},
		{"duplicate column", func() error {
			return r.CreateTable("", "db", clickInput("bad", Column{Name: "id", Type: "int"}, Column{Name: "ID", Type: "int"}))
		}, TypeInvalidInput, `duplicate column name "id"`},
		{"bad update keeps the table", func() error {
			return r.UpdateTable("", "db", clickInput("t", Column{Name: "m", Type: "map<string>"}), UpdateOptions{})
		}, TypeInvalidInput, `column "m" has an invalid type "map<string>"`},
		{"empty table name", func() error { return r.CreateTable("", "db", clickInput("")) }, TypeValidation,
			"1 validation error detected: Value '' at 'tableInput.name' failed to satisfy constraint: Member must have length greater than or equal to 1"},
		{"long database name", func() error { return r.CreateDatabase("", DatabaseInput{Name: long}) }, TypeValidation,
			"at 'databaseInput.name' failed to satisfy constraint: Member must have length less than or equal to 255"},
		{"control character in a name", func() error { return r.CreateTable("", "db", clickInput("a\nb")) }, TypeValidation,
			"at 'tableInput.name' failed to satisfy constraint: Member must satisfy regular expression pattern"},
		{"two violations", func() error {
			in := clickInput("x", Column{Name: "", Type: "int"})
			in.Retention = -1
			return r.CreateTable("", "db", in)
		}, TypeValidation, "2 validation errors detected: "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v, want an *Error %s", err, tc.expType)
			}
			if e.Type != tc.expType || !strings.Contains(e.Message, tc.expMsg) {
				t.Errorf("err = %s: %s\nwant %s containing %q", e.Type, e.Message, tc.expType, tc.expMsg)
			}
		})
	}
	// The failed update left version 1 alone.
	if got, err := r.GetTable("", "db", "t"); err != nil || got.VersionID != "1" {
		t.Errorf("after a refused update: %+v, %v", got, err)
	}
}

// TestRegistryConcurrentUpdates: updates through one registry, and through
// two registries on the same folder (as the server and `wasmhose schema`
// are: each its own in-process lock, so only the file lock keeps them
// apart), lose no version.
func TestRegistryConcurrentUpdates(t *testing.T) {
	for _, registries := range []int{1, 2} {
		t.Run(fmt.Sprintf("registries=%d", registries), func(t *testing.T) {
			dir := t.TempDir()
			rs := []*Registry{openTest(t, dir)}
			if registries == 2 {
				rs = append(rs, openTest(t, dir))
			}
			concurrentUpdates(t, rs)
		})
	}
}

func concurrentUpdates(t *testing.T, rs []*Registry) {
	r := rs[0]
	mustCreateDB(t, r, "db")
	if err := r.CreateTable("", "db", clickInput("t")); err != nil {
		t.Fatal(err)
	}
	const writers = 32
	var wg sync.WaitGroup
	errs := make(chan error, writers*2)
	for i := range writers {
		wg.Add(2)
		go func() {
			defer wg.Done()
			errs <- rs[i%len(rs)].UpdateTable("", "db", clickInput("t", Column{Name: fmt.Sprintf("c%d", i), Type: "int"}), UpdateOptions{})
		}()
		go func() {
			defer wg.Done()
			_, err := r.Resolve(context.Background(), Ref{Database: "db", Table: "t"})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	vs, err := r.TableVersions("", "db", "t")
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != writers+1 || vs[0].VersionID != fmt.Sprint(writers+1) {
		t.Errorf("got %d versions, newest %s; want %d, newest %d", len(vs), vs[0].VersionID, writers+1, writers+1)
	}
}

func TestResolve(t *testing.T) {
	r := openTest(t, t.TempDir())
	mustCreateDB(t, r, "db")
	if err := r.CreateTable("", "db", clickInput("t")); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	res, err := r.Resolve(ctx, Ref{CatalogID: "123456789012", Database: "DB", Table: "T", Region: "eu-west-1", VersionID: "LATEST"})
	if err != nil {
		t.Fatal(err)
	}
	if res.VersionID != "1" || res.Database != "db" || res.Table != "t" || len(res.Columns) != 3 {
		t.Errorf("resolved %+v", res)
	}
	want := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "price", Type: &arrow.Decimal128Type{Precision: 10, Scale: 2}, Nullable: true},
		{Name: "tags", Type: arrow.ListOfField(arrow.Field{Name: "element", Type: arrow.BinaryTypes.String, Nullable: true}), Nullable: true},
	}, nil)
	if !sameFields(res.Schema, want) {
		t.Errorf("schema\n%v\nwant\n%v", res.Schema, want)
	}

	// LATEST follows a new version; a pinned version does not.
	if err := r.UpdateTable("", "db", clickInput("t", Column{Name: "n", Type: "int"}), UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		version, expVersion string
		expCols             int
	}{{"", "2", 1}, {"LATEST", "2", 1}, {"latest", "2", 1}, {"1", "1", 3}, {"2", "2", 1}} {
		res, err := r.Resolve(ctx, Ref{Database: "db", Table: "t", VersionID: tc.version})
		if err != nil {
			t.Fatalf("version %q: %v", tc.version, err)
		}
		if res.VersionID != tc.expVersion || len(res.Columns) != tc.expCols {
			t.Errorf("version %q: resolved version %s with %d columns, want %s with %d", tc.version, res.VersionID, len(res.Columns), tc.expVersion, tc.expCols)
		}
	}
	if _, err := r.Resolve(ctx, Ref{Database: "db", Table: "nope"}); !errors.Is(err, ErrEntityNotFound) || !strings.Contains(err.Error(), "db.nope@LATEST") {
		t.Errorf("missing table: %v", err)
	}
	if _, err := r.Resolve(ctx, Ref{Database: "db", Table: "t", VersionID: "9"}); !errors.Is(err, ErrEntityNotFound) {
		t.Errorf("missing version: %v", err)
	}
	// A table without columns cannot drive a conversion.
	if err := r.CreateTable("", "db", TableInput{Name: "empty"}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Resolve(ctx, Ref{Database: "db", Table: "empty"}); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("table without columns: %v, want InvalidInput", err)
	}
}

// sameFields compares names, types and nullability (not metadata).
func sameFields(a, b *arrow.Schema) bool {
	if a.NumFields() != b.NumFields() {
		return false
	}
	for i := range a.NumFields() {
		fa, fb := a.Field(i), b.Field(i)
		if fa.Name != fb.Name || !arrow.TypeEqual(fa.Type, fb.Type) || fa.Nullable != fb.Nullable {
			return false
		}
	}
	return true
}

func TestEscapeName(t *testing.T) {
	tests := []struct{ in, exp string }{
		{"clicks", "clicks"},
		{"my_db-1", "my_db-1"},
		{"..", "%2E%2E"},
		{"a/b", "a%2Fb"},
		{"Upper", "%55pper"},
		{"é", "%C3%A9"},
		{"%41", "%2541"},
	}
	for _, tc := range tests {
		if got := escapeName(tc.in); got != tc.exp {
			t.Errorf("escapeName(%q) = %q, want %q", tc.in, got, tc.exp)
		}
	}
	long := strings.Repeat("é", 120)
	if got := escapeName(long); !strings.HasPrefix(got, "~") || len(got) != 33 {
		t.Errorf("escapeName(long) = %q, want a hash name", got)
	}
}

func TestRegistryOddNames(t *testing.T) {
	dir := t.TempDir()
	r := openTest(t, dir)
	names := []string{"..", "a/b", "dots.in.name", strings.Repeat("ü", 200), "tab\tname"}
	mustCreateDB(t, r, "odd")
	for _, n := range names {
		if err := r.CreateTable("", "odd", clickInput(n)); err != nil {
			t.Fatalf("create %q: %v", n, err)
		}
	}
	tables, err := r.Tables("", "odd")
	if err != nil {
		t.Fatal(err)
	}
	if len(tables) != len(names) {
		t.Fatalf("listed %d tables, want %d", len(tables), len(names))
	}
	for _, n := range names {
		if _, err := r.GetTable("", "odd", n); err != nil {
			t.Errorf("get %q: %v", n, err)
		}
	}
	// Everything stayed inside the catalog folder.
	err = filepath.Walk(filepath.Dir(dir), func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() && !strings.HasPrefix(p, dir) {
			t.Errorf("file outside the catalog: %s", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// BenchmarkResolve measures a Latest lookup in the local registry: a file
// read, a JSON decode and the Hive parse, what every batch would pay
// without a cache.
func BenchmarkResolve(b *testing.B) {
	r, err := Open(b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	if err := r.CreateDatabase("", DatabaseInput{Name: "db"}); err != nil {
		b.Fatal(err)
	}
	cols := []Column{{Name: "id", Type: "string"}, {Name: "ts", Type: "timestamp"}, {Name: "n", Type: "int"}, {Name: "big", Type: "bigint"},
		{Name: "price", Type: "decimal(10,2)"}, {Name: "ok", Type: "boolean"}, {Name: "score", Type: "double"}, {Name: "ref", Type: "string"},
		{Name: "geo", Type: "struct<lat:double,lon:double,city:string>"}, {Name: "tags", Type: "array<string>"}, {Name: "attrs", Type: "map<string,int>"},
		{Name: "ua", Type: "string"}, {Name: "ip", Type: "string"}, {Name: "page", Type: "string"}, {Name: "dur", Type: "int"}, {Name: "sess", Type: "string"}}
	if err := r.CreateTable("", "db", clickInput("t", cols...)); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Resolve(ctx, Ref{Database: "db", Table: "t"}); err != nil {
			b.Fatal(err)
		}
	}
}
