package api

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestLoopbackOnly(t *testing.T) {
	srv := New(nil, Options{LoopbackOnly: true})
	tests := []struct {
		host   string
		status int
	}{
		{"127.0.0.1:4573", http.StatusOK},
		{"localhost:4573", http.StatusOK},
		{"[::1]:4573", http.StatusOK},
		{"127.0.0.2", http.StatusOK},
		{"evil.example:4573", http.StatusForbidden},
		{"10.0.0.1:4573", http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/healthz", nil)
			req.Host = tt.host
			rec := httptest.NewRecorder()
			srv.ServeHTTP(rec, req)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			if tt.status == http.StatusForbidden && !strings.Contains(rec.Body.String(), `"__type":"AccessDeniedException"`) {
				t.Fatalf("body %s", rec.Body)
			}
		})
	}
}
