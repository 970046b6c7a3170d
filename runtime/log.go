package wasmrt

import (
	"bytes"
	"context"
	"io"
	"log/slog"

	"github.com/tetratelabs/wazero/api"
)

const (
	// maxLogLine is the longest log line kept; longer ones are truncated.
	maxLogLine = 4096
	// maxLogLinesPerCall bounds the lines a guest may log per batch.
	maxLogLinesPerCall = 100
)

// logSink forwards an instance's log lines to the plugin's logger, with a
// budget per call. It is used only by the goroutine running the instance.
type logSink struct {
	logger  *slog.Logger
	budget  int
	dropped int
}

func newLogSink(l *slog.Logger) *logSink { return &logSink{logger: l, budget: maxLogLinesPerCall} }

func (s *logSink) emit(ctx context.Context, level slog.Level, msg []byte, source string) {
	if s.budget <= 0 {
		s.dropped++
		return
	}
	s.budget--
	if len(msg) > maxLogLine {
		msg = msg[:maxLogLine]
	}
	s.logger.Log(ctx, level, string(msg), "source", source)
}

// reset restores the budget and reports lines dropped in the last call.
func (s *logSink) reset(ctx context.Context) {
	if s.dropped > 0 {
		s.logger.Log(ctx, slog.LevelWarn, "plugin log lines dropped", "dropped", s.dropped, "limit", maxLogLinesPerCall)
	}
	s.budget, s.dropped = maxLogLinesPerCall, 0
}

// writer returns an io.Writer that logs each line written at level.
func (s *logSink) writer(level slog.Level) io.Writer {
	src := "stdout"
	if level >= slog.LevelWarn {
		src = "stderr"
	}
	return &lineWriter{s: s, level: level, source: src}
}

type lineWriter struct {
	s      *logSink
	level  slog.Level
	source string
	buf    []byte
}

func (w *lineWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			room := maxLogLine - len(w.buf)
			w.buf = append(w.buf, p[:min(room, len(p))]...)
			break
		}
		w.buf = append(w.buf, p[:min(i, maxLogLine-len(w.buf))]...)
		w.s.emit(context.Background(), w.level, w.buf, w.source)
		w.buf = w.buf[:0]
		p = p[i+1:]
	}
	return n, nil
}

type instanceKey struct{}

// hostLog implements wasmhose_v1.log(level, ptr, len). A pointer outside
// memory or a call outside a batch is ignored; it never traps the guest.
func hostLog(ctx context.Context, mod api.Module, stack []uint64) {
	inst, _ := ctx.Value(instanceKey{}).(*instance)
	if inst == nil {
		return
	}
	level, ptr, n := int32(stack[0]), uint32(stack[1]), uint32(stack[2])
	if n > maxLogLine {
		n = maxLogLine
	}
	msg, ok := mod.Memory().Read(ptr, n)
	if !ok {
		return
	}
	inst.log.emit(ctx, slog.Level(level), msg, "log")
}
