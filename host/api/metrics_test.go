package api_test

import (
	"bufio"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/wasmhose/wasmhose/host/api"
	"github.com/wasmhose/wasmhose/host/metrics"
)

// TestMetricsMissingStreams sends puts to 500 random stream names that do
// not exist: /metrics must keep a bounded number of series (it kept one
// per name before), while puts to a stream that exists are labelled with
// its name.
func TestMetricsMissingStreams(t *testing.T) {
	fake := newFakeBackend()
	m := metrics.New(func() []metrics.Stream { return nil })
	srv := api.New(fake, api.Options{Logger: slog.New(&panicLog{}), Observer: m})
	srv.Echo().GET("/metrics", func(c echo.Context) error { m.Handler().ServeHTTP(c.Response(), c.Request()); return nil })
	h := &harness{fake: fake, srv: srv, panics: &panicLog{}}
	h.createStream(t, "clicks")
	rnd := rand.New(rand.NewPCG(1, 2))
	for i := range 500 {
		name := fmt.Sprintf("missing-%d-%x", i, rnd.Uint64())
		rec := h.post("PutRecord", []byte(`{"DeliveryStreamName":"`+name+`","Record":{"Data":"aGk="}}`))
		if rec.Code != http.StatusBadRequest {
			t.Fatalf("put to %s: %d %s", name, rec.Code, rec.Body)
		}
		h.post("PutRecordBatch", []byte(`{"DeliveryStreamName":"`+name+`","Records":[{"Data":"aGk="}]}`))
	}
	h.post("PutRecord", []byte(`{"DeliveryStreamName":"clicks","Record":{"Data":"aGk="}}`))

	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	body := rec.Body.String()
	series := map[string]int{}
	var streams []string
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "wasmhose_") {
			name, _, _ := strings.Cut(line, "{")
			series[name]++
			if _, rest, ok := strings.Cut(line, `stream="`); ok {
				s, _, _ := strings.Cut(rest, `"`)
				streams = append(streams, s)
			}
		}
	}
	if n := series["wasmhose_api_requests_total"]; n == 0 || n > 4 {
		t.Errorf("wasmhose_api_requests_total has %d series after puts to 500 missing streams, want 1 to 4", n)
	}
	for _, s := range streams {
		if s != "clicks" && s != api.UnknownStream {
			t.Errorf("a series is labelled with stream %q", s)
		}
	}
	if !strings.Contains(body, `wasmhose_api_requests_total{code="200",operation="PutRecord",stream="clicks"} 1`) {
		t.Errorf("the existing stream's put is not counted under its name:\n%s", body)
	}
}
