package schema

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"
)

// TestActionMatchesHandler checks, for every operation, that the resource
// Action authorizes is the resource the handler acts on. Both are derived
// from the same request bodies, which carry decoys (a TableName beside a
// Name, a Name beside a TableInput, duplicate members, other catalogs); the
// resource acted on is read from the registry's state (what a write
// changed) or from the answer (what a read returned), never from the code
// under test. Every operation must have a case, so a new one cannot drift.
func TestActionMatchesHandler(t *testing.T) {
	const (
		acct  = "123456789012"
		other = "999999999999"
		arn   = "arn:aws:glue:us-east-1:"
	)
	tests := []struct {
		op, body string
	}{
		{"CreateDatabase", `{"DatabaseInput":{"Name":"fresh"},"Name":"db","DatabaseName":"db"}`},
		{"CreateDatabase", `{"CatalogId":"` + other + `","DatabaseInput":{"Name":"fresh"}}`},
		{"GetDatabase", `{"Name":"db","DatabaseName":"db2","DatabaseInput":{"Name":"db2"}}`},
		{"GetDatabase", `{"Name":"db2","Name":"db"}`},
		{"GetDatabase", `{"CatalogId":"` + other + `","Name":"db"}`},
		{"GetDatabases", `{"Name":"db","DatabaseName":"db"}`},
		{"CreateTable", `{"DatabaseName":"db","Name":"fresh","TableName":"a","TableInput":{"Name":"fresh"}}`},
		{"CreateTable", `{"DatabaseName":"db","TableName":"a","TableInput":{"Name":"fresh"}}`},
		{"CreateTable", `{"DatabaseName":"db2","DatabaseName":"db","TableInput":{"Name":"fresh"}}`},
		{"UpdateTable", `{"DatabaseName":"db","TableName":"a","TableInput":{"Name":"b"}}`},
		{"UpdateTable", `{"DatabaseName":"db","Name":"b","TableInput":{"Name":"B","Name":"b"}}`},
		{"GetTable", `{"DatabaseName":"db","Name":"a","TableName":"b"}`},
		{"GetTable", `{"DatabaseName":"db","Name":"b","Name":"a","TableInput":{"Name":"b"}}`},
		{"GetTable", `{"CatalogId":"` + other + `","DatabaseName":"db","Name":"a"}`},
		{"GetTables", `{"DatabaseName":"db2","Name":"db","TableName":"a"}`},
		{"GetTableVersion", `{"DatabaseName":"db","TableName":"a","Name":"b"}`},
		{"GetTableVersions", `{"DatabaseName":"db","TableName":"a","Name":"b"}`},
		{"DeleteTable", `{"DatabaseName":"db","Name":"a","TableName":"b"}`},
		{"DeleteTable", `{"DatabaseName":"db","Name":"b","Name":"a","TableInput":{"Name":"b"}}`},
		{"DeleteTable", `{"CatalogId":"` + other + `","DatabaseName":"db","Name":"a"}`},
	}
	covered := map[string]bool{}
	for _, tc := range tests {
		covered[tc.op] = true
		t.Run(tc.op, func(t *testing.T) {
			r := openTest(t, t.TempDir())
			for _, cat := range []string{"", other} {
				for _, db := range []string{"db", "db2"} {
					if err := r.CreateDatabase(cat, DatabaseInput{Name: db}); err != nil {
						t.Fatal(err)
					}
					for _, tb := range []string{"a", "b"} {
						if err := r.CreateTable(cat, db, clickInput(tb)); err != nil {
							t.Fatal(err)
						}
					}
				}
			}
			s := NewService(r, "")
			_, resources := s.Action(tc.op, []byte(tc.body))
			before := registryState(t, r, acct, other)
			out, err := s.Call(context.Background(), tc.op, []byte(tc.body))
			if err != nil {
				t.Fatalf("%s %s: %v", tc.op, tc.body, err)
			}
			var acted []string
			for k, v := range registryState(t, r, acct, other) {
				if before[k] != v {
					acted = append(acted, arn+k)
				}
			}
			for k := range before {
				if _, ok := registryState(t, r, acct, other)[k]; !ok {
					acted = append(acted, arn+k)
				}
			}
			acted = append(acted, answered(t, out)...)
			if len(acted) != 1 {
				t.Fatalf("%s %s acted on %q, want exactly one resource", tc.op, tc.body, acted)
			}
			if got := resources[len(resources)-1]; got != acted[0] {
				t.Errorf("%s %s: Action authorizes %s, the handler acted on %s", tc.op, tc.body, got, acted[0])
			}
		})
	}
	for _, op := range Operations() {
		if !covered[op] {
			t.Errorf("operation %s has no case here: add one", op)
		}
	}
}

// registryState maps each database and table ARN suffix
// ("<catalog>:table/<db>/<t>") of the catalogs to a fingerprint of its
// content, so a write shows as a changed, new or missing entry.
func registryState(t *testing.T, r *Registry, catalogs ...string) map[string]string {
	t.Helper()
	st := map[string]string{}
	for _, cat := range catalogs {
		dbs, err := r.Databases(cat)
		if err != nil {
			t.Fatal(err)
		}
		for _, db := range dbs {
			st[cat+":database/"+db.Name] = "exists"
			tables, err := r.Tables(cat, db.Name)
			if err != nil {
				t.Fatal(err)
			}
			for _, tb := range tables {
				vs, err := r.TableVersions(cat, db.Name, tb.Name)
				if err != nil {
					t.Fatal(err)
				}
				b, err := json.Marshal(vs)
				if err != nil {
					t.Fatal(err)
				}
				st[cat+":table/"+db.Name+"/"+tb.Name] = string(b)
			}
		}
	}
	return st
}

// answered returns the ARNs of what a read's answer shows: the database or
// table returned, or the listing ("database/*", "table/<db>/*").
func answered(t *testing.T, out any) []string {
	t.Helper()
	b, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	type ref struct{ CatalogID, DatabaseName, Name string }
	var ans struct {
		Database      *struct{ CatalogID, Name string }
		DatabaseList  []struct{ CatalogID string }
		Table         *ref
		TableList     []ref
		TableVersion  *struct{ Table ref }
		TableVersions []struct{ Table ref }
	}
	if err := json.Unmarshal(b, &ans); err != nil {
		t.Fatal(err)
	}
	const arn = "arn:aws:glue:us-east-1:"
	set := map[string]bool{}
	table := func(r ref) string { return arn + r.CatalogID + ":table/" + r.DatabaseName + "/" + r.Name }
	if ans.Database != nil {
		set[arn+ans.Database.CatalogID+":database/"+ans.Database.Name] = true
	}
	for _, d := range ans.DatabaseList {
		set[arn+d.CatalogID+":database/*"] = true
	}
	if ans.Table != nil {
		set[table(*ans.Table)] = true
	}
	for _, tb := range ans.TableList {
		tb.Name = "*"
		set[table(tb)] = true
	}
	if ans.TableVersion != nil {
		set[table(ans.TableVersion.Table)] = true
	}
	for _, tv := range ans.TableVersions {
		set[table(tv.Table)] = true
	}
	return slices.Sorted(maps.Keys(set))
}

// TestServiceRefusesAmbiguousTable: CreateTable, like UpdateTable, refuses
// a Name member that names another table than TableInput.Name.
func TestServiceRefusesAmbiguousTable(t *testing.T) {
	r := openTest(t, t.TempDir())
	mustCreateDB(t, r, "db")
	s := NewService(r, "")
	_, err := s.Call(context.Background(), "CreateTable", []byte(`{"DatabaseName":"db","Name":"x","TableInput":{"Name":"y"}}`))
	if err == nil || !strings.Contains(err.Error(), "name different tables") {
		t.Fatalf("CreateTable with Name x and TableInput.Name y: %v", err)
	}
	if _, err := r.GetTable("", "db", "y"); err == nil {
		t.Error("the table was created anyway")
	}
}
