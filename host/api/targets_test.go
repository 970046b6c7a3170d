package api_test

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/wasmhose/wasmhose/converters/schema"
	"github.com/wasmhose/wasmhose/host/api"
	"github.com/wasmhose/wasmhose/host/apierror"
)

// recordingAuth is an Authenticator that accepts every request and
// remembers the X-Amz-Target of each one it saw.
type recordingAuth struct {
	mu      sync.Mutex
	targets []string
}

func (a *recordingAuth) Verify(r *http.Request, _ []byte) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.targets = append(a.targets, r.Header.Get("X-Amz-Target"))
	return "AKID", nil
}

func (a *recordingAuth) seen() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.targets...)
}

// TestTargetService runs the Glue registry of converters/schema as a
// Target beside the Firehose operations: its answers and error shapes,
// internal failures kept opaque, its own authenticator, the observer.
func TestTargetService(t *testing.T) {
	catalog := filepath.Join(t.TempDir(), "catalog")
	reg, err := schema.Open(catalog, schema.Options{})
	if err != nil {
		t.Fatal(err)
	}
	firehoseAuth, glueAuth := &recordingAuth{}, &recordingAuth{}
	obs := &observer{}
	logs := &panicLog{}
	srv := api.New(newFakeBackend(), api.Options{
		Logger: slog.New(logs), Observer: obs, Auth: firehoseAuth,
		Services: []api.Service{{Target: schema.NewService(reg, "us-east-1"), Auth: glueAuth}},
	})
	post := func(target, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		req.Header.Set("X-Amz-Target", target)
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		return rec
	}

	rec := post("AWSGlue.CreateDatabase", `{"DatabaseInput":{"Name":"db"}}`)
	if rec.Code != http.StatusOK || rec.Body.String() != "{}" || rec.Header().Get("Content-Type") != "application/x-amz-json-1.1" || rec.Header().Get("X-Amzn-RequestId") == "" {
		t.Fatalf("CreateDatabase: %d %s %v", rec.Code, rec.Body, rec.Header())
	}
	rec = post("AWSGlue.GetDatabase", `{"Name":"DB"}`)
	var got struct{ Database schema.Database }
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || rec.Code != http.StatusOK || got.Database.Name != "db" {
		t.Fatalf("GetDatabase: %d %s", rec.Code, rec.Body)
	}

	tests := []struct {
		name, target, body string
		expStatus          int
		expType, expMsg    string
	}{
		{"entity not found", "AWSGlue.GetTable", `{"DatabaseName":"db","Name":"t"}`, 400, "EntityNotFoundException", "Table t not found."},
		{"already exists", "AWSGlue.CreateDatabase", `{"DatabaseInput":{"Name":"db"}}`, 400, "AlreadyExistsException", "Database already exists."},
		{"invalid input", "AWSGlue.CreateTable", `{"DatabaseName":"db","TableInput":{"Name":"t","StorageDescriptor":{"Columns":[{"Name":"c","Type":"decimal(50,2)"}]}}}`, 400, "InvalidInputException", `column "c" has an invalid type "decimal(50,2)"`},
		{"unknown Glue operation", "AWSGlue.GetPartitions", `{}`, 400, "UnknownOperationException", "Unknown operation AWSGlue.GetPartitions"},
		{"serialization", "AWSGlue.GetDatabase", `{`, 400, "SerializationException", "malformed JSON"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := post(tc.target, tc.body)
			var e struct {
				Type    string `json:"__type"`
				Message string `json:"message"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil {
				t.Fatal(err)
			}
			if rec.Code != tc.expStatus || e.Type != tc.expType || rec.Header().Get("X-Amzn-ErrorType") != tc.expType || !strings.Contains(e.Message, tc.expMsg) {
				t.Errorf("%s: %d %s (header %s), want %d %s %q", tc.target, rec.Code, rec.Body, rec.Header().Get("X-Amzn-ErrorType"), tc.expStatus, tc.expType, tc.expMsg)
			}
		})
	}

	// A failure of the store is an InternalFailure whose message does not
	// show the path; the log has it.
	if err := os.RemoveAll(catalog); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(catalog, []byte("not a folder"), 0o644); err != nil {
		t.Fatal(err)
	}
	rec = post("AWSGlue.GetDatabases", `{}`)
	if rec.Code != http.StatusInternalServerError || errorType(t, rec.Code, rec.Body.Bytes()) != apierror.TypeInternalFailure || strings.Contains(rec.Body.String(), catalog) {
		t.Errorf("store failure: %d %s", rec.Code, rec.Body)
	}

	// Firehose requests still reach the Firehose operations, checked by the
	// Firehose authenticator; Glue requests by the Glue one.
	if rec := post(api.TargetPrefix+"ListDeliveryStreams", `{}`); rec.Code != http.StatusOK {
		t.Errorf("ListDeliveryStreams: %d %s", rec.Code, rec.Body)
	}
	for _, target := range firehoseAuth.seen() {
		if !strings.HasPrefix(target, api.TargetPrefix) {
			t.Errorf("the Firehose authenticator saw %s", target)
		}
	}
	gs := glueAuth.seen()
	if len(gs) != len(tests)+3 {
		t.Errorf("the Glue authenticator saw %d requests, want %d", len(gs), len(tests)+3)
	}
	for _, target := range gs {
		if !strings.HasPrefix(target, schema.TargetPrefix) {
			t.Errorf("the Glue authenticator saw %s", target)
		}
	}
	obs.mu.Lock()
	defer obs.mu.Unlock()
	if len(obs.calls) == 0 || obs.calls[0].op != "AWSGlue.CreateDatabase" || obs.calls[0].status != http.StatusOK {
		t.Errorf("observer calls %+v", obs.calls)
	}
	for _, c := range obs.calls {
		if c.op == "AWSGlue.GetPartitions" {
			t.Errorf("an unknown operation was observed (unbounded metric labels): %+v", c)
		}
	}
}

// TestTargetServiceAbsent: without Services the Glue target is
// an unknown operation, as before.
func TestTargetServiceAbsent(t *testing.T) {
	h := newHarness()
	rec := h.do(http.MethodPost, "/", "AWSGlue.GetDatabases", []byte(`{}`))
	if typ := errorType(t, rec.Code, rec.Body.Bytes()); typ != apierror.TypeUnknownOperation {
		t.Errorf("AWSGlue target without a Glue service: %d %s", rec.Code, rec.Body)
	}
}
