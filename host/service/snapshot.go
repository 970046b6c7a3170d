package service

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/wasmhose/wasmhose/host/deliver"
	"github.com/wasmhose/wasmhose/host/metrics"
	"github.com/wasmhose/wasmhose/host/objstore"
	"github.com/wasmhose/wasmhose/host/stream"
)

// namedPipeline is a stream's name and its open pipeline.
type namedPipeline struct {
	name string
	pipe *deliver.Pipeline
}

// openPipelines returns the streams with an open pipeline, by name. The
// pipelines are read under svc.mu (Close clears e.pipe); the caller uses
// them without it.
func (svc *Service) openPipelines() []namedPipeline {
	svc.mu.Lock()
	var es []namedPipeline
	for n, e := range svc.streams {
		if e.pipe != nil {
			es = append(es, namedPipeline{n, e.pipe})
		}
	}
	svc.mu.Unlock()
	sort.Slice(es, func(i, j int) bool { return es[i].name < es[j].name })
	return es
}

// Snapshot returns every ACTIVE stream's counters, sorted by name; it is the
// metrics.Source of the service.
func (svc *Service) Snapshot() []metrics.Stream {
	es := svc.openPipelines()
	out := make([]metrics.Stream, 0, len(es))
	for _, ne := range es {
		st := ne.pipe.Stats()
		out = append(out, metrics.Stream{
			Name:              ne.name,
			IncomingRecords:   st.IncomingRecords,
			IncomingBytes:     st.IncomingBytes,
			DeliveredRecords:  st.DeliveredRecords,
			DeliveredBytes:    st.DeliveredBytes,
			DeliveredObjects:  st.DeliveredObjects,
			FailedStoreCalls:  st.FailedStoreCalls,
			FailedBuilds:      st.FailedBuilds,
			BufferedRecords:   st.BufferedRecords,
			BufferedBytes:     st.BufferedBytes,
			LogBytes:          st.Log.Bytes,
			LogSegments:       st.Log.Segments,
			UnackedRecords:    st.Log.Unacked,
			OldestUndelivered: st.Log.OldestUnackedArrival,

			ProcessingCalls:         st.ProcessingCalls,
			ProcessingFailures:      st.ProcessingFailures,
			ProcessingSeconds:       float64(st.ProcessingNanos) / 1e9,
			ProcessedRecords:        st.ProcessedRecords,
			ProcessedBytes:          st.ProcessedBytes,
			DroppedRecords:          st.DroppedRecords,
			ProcessingFailedRecords: st.ProcessingFailedRecords,
			PluginFailures:          pluginFailures(st.PluginFailures),
			ConvertedRecords:        st.ConvertedRecords,
			ConvertedBytes:          st.ConvertedBytes,
			ConversionFailedRecords: st.ConversionFailedRecords,
			ConversionFailedBytes:   st.ConversionFailedBytes,
			ExpiredRecords:          st.ExpiredRecords,
			LogReadFailures:         st.LogReadFailures,
			LogDamagedRanges:        st.LogDamagedRanges,
			LogDamagedBytes:         st.LogDamagedBytes,
		})
	}
	return out
}

// Ready reports why the service cannot serve, or nil: it is closing, the
// write-ahead log folder is not writable, a stream's log could not be
// opened at start (its records are stuck), a stream's destination bucket
// is unreachable, or a stream's plugin cannot be loaded.
func (svc *Service) Ready(ctx context.Context) error {
	svc.mu.Lock()
	if svc.closing {
		svc.mu.Unlock()
		return errors.New("shutting down")
	}
	buckets := map[string]string{}
	functions := map[string]string{}
	var errs []error
	for n, e := range svc.streams {
		if e.openErr != nil && e.pipe == nil {
			errs = append(errs, fmt.Errorf("stream %s is %s: %w", n, e.s.Status, e.openErr))
		}
		if e.s.Status == "ACTIVE" {
			buckets[e.s.Destination.BucketARN] = n
			for _, arn := range stream.LambdaFunctions(&e.s.Destination) {
				functions[arn] = n
			}
		}
	}
	svc.mu.Unlock()
	if err := writable(filepath.Join(svc.opts.DataDir, "wal")); err != nil {
		errs = append(errs, fmt.Errorf("write-ahead log: %w", err))
	}
	for arn, name := range functions {
		if svc.opts.Transforms == nil {
			errs = append(errs, fmt.Errorf("stream %s: no plugin runtime for %s", name, arn))
			continue
		}
		if _, err := svc.opts.Transforms.Resolve(ctx, arn); err != nil {
			errs = append(errs, fmt.Errorf("stream %s: plugin: %w", name, err))
		}
	}
	for arn, stream := range buckets {
		b, err := objstore.BucketFromARN(arn)
		if err != nil {
			errs = append(errs, fmt.Errorf("stream %s: %w", stream, err))
			continue
		}
		if err := svc.opts.Store.Ping(ctx, b); err != nil {
			errs = append(errs, fmt.Errorf("stream %s: object store: %w", stream, err))
		}
	}
	return errors.Join(errs...)
}

// Degraded lists what the service serves despite, one line each, or
// nothing: damage its streams' write-ahead logs found at start (records
// lost, their bytes quarantined). Unlike Ready's failures these are past
// events: the streams accept and deliver records, but an operator must look.
func (svc *Service) Degraded() []string {
	es := svc.openPipelines()
	var out []string
	for _, ne := range es {
		for _, d := range ne.pipe.LogDamage() {
			out = append(out, fmt.Sprintf("stream %s: write-ahead log damaged: %s", ne.name, d))
		}
	}
	return out
}

// Readiness answers the readiness endpoint (/readyz): 503 and the reasons
// when Ready fails; else 200, "ready", and the Degraded lines after
// "ready, degraded:" when there are any. With strict a degraded service
// answers 503 too, for a load balancer that should drain a node whose log
// was damaged rather than keep it serving.
func (svc *Service) Readiness(ctx context.Context, strict bool) (status int, body string) {
	deg := svc.Degraded()
	var b strings.Builder
	if err := svc.Ready(ctx); err != nil {
		status = http.StatusServiceUnavailable
		b.WriteString("not ready: " + err.Error() + "\n")
	} else if len(deg) > 0 {
		status = http.StatusOK
		if strict {
			status = http.StatusServiceUnavailable
		}
		b.WriteString("ready, degraded:\n")
	} else {
		return http.StatusOK, "ready\n"
	}
	for _, d := range deg {
		b.WriteString("degraded: " + d + "\n")
	}
	return status, b.String()
}

// RecentErrors returns an ACTIVE stream's latest delivery errors, newest first.
func (svc *Service) RecentErrors(name string) ([]deliver.ErrorEvent, error) {
	p, _, err := svc.pipeline(name)
	if err != nil {
		return nil, err
	}
	return p.RecentErrors(), nil
}

// writable checks that a file can be created, written, synced and removed
// in dir.
func writable(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".ready-*")
	if err != nil {
		return err
	}
	name := f.Name()
	_, werr := f.Write([]byte("ok"))
	serr := f.Sync()
	cerr := f.Close()
	rerr := os.Remove(name)
	return errors.Join(werr, serr, cerr, rerr)
}

// pluginFailures names the per-kind failure counts, leaving out zeros.
func pluginFailures(counts [len(deliver.KindNames)]int64) map[string]int64 {
	out := map[string]int64{}
	for i, n := range counts {
		if n > 0 {
			out[deliver.KindNames[i]] = n
		}
	}
	return out
}
