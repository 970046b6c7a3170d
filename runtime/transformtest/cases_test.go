package transformtest_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	wasmrt "github.com/wasmhose/wasmhose/runtime"
	"github.com/wasmhose/wasmhose/runtime/transformtest"
)

func TestReadCases(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		exp    []transformtest.FileCase
		expErr string
	}{
		{"ok with keys and default name", `{"input":"a","status":"Ok","data":"A","keys":{"z":"1","b":"2"}}`, []transformtest.FileCase{{
			Line: 1, Name: "line 1", Record: wasmrt.Record{Data: []byte("a")},
			Result: wasmrt.Result{Status: wasmrt.StatusOk, Data: []byte("A"), PartitionKeys: []wasmrt.PartitionKey{{Name: "b", Value: "2"}, {Name: "z", Value: "1"}}},
		}}, ""},
		{"comments, blanks, base64, config", "# c\n\n  {\"name\":\"n\",\"config\":\"{\\\"d\\\":\\\";\\\"}\",\"input_base64\":\"AAE=\",\"status\":\"Dropped\"}\n", []transformtest.FileCase{{
			Line: 3, Name: "n", Config: []byte(`{"d":";"}`), HasConfig: true, Record: wasmrt.Record{Data: []byte{0, 1}},
			Result: wasmrt.Result{Status: wasmrt.StatusDropped},
		}}, ""},
		{"empty config and input", `{"config":"","input":"","status":"ProcessingFailed","error":"e"}`, []transformtest.FileCase{{
			Line: 1, Name: "line 1", Config: []byte{}, HasConfig: true, Record: wasmrt.Record{Data: []byte{}},
			Result: wasmrt.Result{Status: wasmrt.StatusProcessingFailed, Error: "e"},
		}}, ""},
		{"binary expected data", `{"input":"a","status":"Ok","data_base64":"/w=="}`, []transformtest.FileCase{{
			Line: 1, Name: "line 1", Record: wasmrt.Record{Data: []byte("a")}, Result: wasmrt.Result{Status: wasmrt.StatusOk, Data: []byte{0xff}},
		}}, ""},
		{"init error", `{"name":"bad","config":"[1]","init_error":"no"}`, []transformtest.FileCase{{
			Line: 1, Name: "bad", Config: []byte("[1]"), HasConfig: true, InitError: "no",
		}}, ""},
		{"unknown field", `{"input":"a","status":"Ok","dat":"A"}`, nil, `line 1: not a case object: json: unknown field "dat"`},
		{"config not a string", `{"config":{},"input":"a","status":"Ok"}`, nil, "not a case object"},
		{"bad status", `{"input":"a","status":"ok"}`, nil, `status "ok"`},
		{"no input", `{"status":"Ok"}`, nil, "input or input_base64 is required"},
		{"no status", `{"input":"a"}`, nil, "status is required"},
		{"both inputs", `{"input":"a","input_base64":"YQ==","status":"Ok"}`, nil, "not both"},
		{"bad base64", `{"input_base64":"!","status":"Ok"}`, nil, "input_base64"},
		{"data on dropped", `{"input":"a","status":"Dropped","data":"x"}`, nil, "data is for Ok"},
		{"keys on failed", `{"input":"a","status":"ProcessingFailed","keys":{}}`, nil, "keys is for Ok"},
		{"error on ok", `{"input":"a","status":"Ok","error":"x"}`, nil, "error is for ProcessingFailed"},
		{"init error without config", `{"init_error":"x"}`, nil, "needs a config"},
		{"empty init error", `{"config":"","init_error":""}`, nil, "init_error is empty"},
		{"init error with input", `{"config":"{}","init_error":"x","input":"a"}`, nil, "excludes input"},
		{"two values", `{"input":"a","status":"Ok"} {}`, nil, "more than one JSON value"},
		{"second line bad", "{\"input\":\"a\",\"status\":\"Ok\"}\n[", nil, "cases line 2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := transformtest.ReadCases(strings.NewReader(tc.in))
			if tc.expErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.expErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tc.expErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.exp) {
				t.Fatalf("got %d cases, want %d", len(got), len(tc.exp))
			}
			for i := range got {
				g, e := got[i], tc.exp[i]
				if g.Line != e.Line || g.Name != e.Name || !bytes.Equal(g.Config, e.Config) || g.HasConfig != e.HasConfig ||
					!bytes.Equal(g.Record.Data, e.Record.Data) || g.Record.ArrivalMillis != e.Record.ArrivalMillis ||
					g.InitError != e.InitError || g.Result.Status != e.Result.Status || !bytes.Equal(g.Result.Data, e.Result.Data) ||
					g.Result.Error != e.Result.Error || len(g.Result.PartitionKeys) != len(e.Result.PartitionKeys) {
					t.Fatalf("case %d = %+v, want %+v", i, g, e)
				}
				for j := range g.Result.PartitionKeys {
					if g.Result.PartitionKeys[j] != e.Result.PartitionKeys[j] {
						t.Fatalf("keys = %v, want %v", g.Result.PartitionKeys, e.Result.PartitionKeys)
					}
				}
			}
		})
	}
}

func TestReadCasesLineLimit(t *testing.T) {
	in := `{"input":"` + strings.Repeat("a", transformtest.MaxCaseLineBytes) + `","status":"Ok"}`
	if _, err := transformtest.ReadCases(strings.NewReader(in)); err == nil || !strings.Contains(err.Error(), "longer than") {
		t.Fatalf("err = %v, want the line limit", err)
	}
}

func FuzzReadCases(f *testing.F) {
	for _, s := range []string{
		`{"input":"a","status":"Ok","data":"A","keys":{"k":"v"}}`,
		"# comment\n{\"config\":\"{\\\"delimiter\\\":\\\"ab\\\"}\",\"init_error\":\"x\"}\n",
		`{"input_base64":"AAE=","status":"ProcessingFailed","error":"e","config":"s"}`,
		`{"name":"d","input":"a","status":"Dropped"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		cases, err := transformtest.ReadCases(bytes.NewReader(b))
		if err != nil {
			return
		}
		for _, c := range cases {
			if c.Name == "" || c.Line < 1 || (c.InitError != "" && !c.HasConfig) {
				t.Fatalf("inconsistent case %+v", c)
			}
			if c.InitError == "" && c.Result.Status > wasmrt.StatusProcessingFailed {
				t.Fatalf("bad status in %+v", c)
			}
		}
		_ = transformtest.AsCases(cases)
	})
}

// TestReportNamesEachCheck: Report gives one outcome per check, with the
// violations of the failing ones only.
func TestReportNamesEachCheck(t *testing.T) {
	lossy := wasmrt.TransformFunc(func(_ context.Context, recs []wasmrt.Record) ([]wasmrt.Result, error) {
		out := make([]wasmrt.Result, 0, len(recs))
		for _, r := range recs[:min(len(recs), 1)] {
			out = append(out, wasmrt.Result{Status: wasmrt.StatusOk, Data: r.Data})
		}
		return out, nil
	})
	got := map[string][]string{}
	var order []string
	transformtest.Report(transformtest.ReporterFunc(func(name string, v []string) {
		if _, dup := got[name]; dup {
			t.Errorf("check %s reported twice", name)
		}
		got[name] = v
		order = append(order, name)
	}), lossy, transformtest.Options{Cases: transformtest.AsCases([]transformtest.FileCase{
		{Name: "one", Record: wasmrt.Record{Data: []byte("x")}, Result: wasmrt.Result{Status: wasmrt.StatusOk, Data: []byte("x")}},
		{Name: "two", Record: wasmrt.Record{Data: []byte("y")}, Result: wasmrt.Result{Status: wasmrt.StatusOk, Data: []byte("y")}},
	})})
	for _, tc := range []struct {
		name string
		fail bool
	}{
		{"golden/empty-batch", false}, {"golden/one-record", false}, {"golden/two-records", true},
		{"limits/10000-small-records", true}, {"hostile/deep-nesting", true},
		{"case/one", false}, {"case/two", false}, {"case/all-in-one-batch", true},
	} {
		v, ok := got[tc.name]
		switch {
		case !ok:
			t.Errorf("no outcome for %s (got %v)", tc.name, order)
		case tc.fail && len(v) == 0:
			t.Errorf("%s passed, want a violation", tc.name)
		case !tc.fail && len(v) > 0:
			t.Errorf("%s failed: %v", tc.name, v)
		}
	}
	if v := got["case/all-in-one-batch"]; len(v) == 0 || !strings.Contains(v[0], "1 results for 2 records") {
		t.Errorf("all-in-one-batch violations = %q, want the count", v)
	}
}
