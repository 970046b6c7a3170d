package loadgen

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Defaults for [CheckOptions]. A zero field takes its default.
const (
	DefaultCheckTimeout = 2 * time.Minute
	DefaultCheckQuiet   = 15 * time.Second
	DefaultCheckPoll    = 500 * time.Millisecond
)

// maxProblems bounds [Delivery.Problems].
const maxProblems = 10

// CheckOptions configures [Check].
type CheckOptions struct {
	// Want is the number of records the run sent ok ([Result.RecordsSent]).
	// Check stops as soon as it has found that many distinct records.
	Want int64
	// Timeout bounds the whole check. Default [DefaultCheckTimeout].
	Timeout time.Duration
	// Quiet stops the check when no new record of the run has appeared for
	// this long, counted from the start of the check or the last new
	// record. Set it above the stream's buffering interval. Default
	// [DefaultCheckQuiet].
	Quiet time.Duration
	// Poll is the pause between two scans. Default [DefaultCheckPoll].
	Poll time.Duration
	// Since, when not zero, skips objects last modified more than a second
	// before it, without reading them: pass [Result.Started] so that a
	// bucket full of earlier runs is not read again. Zero reads every
	// object.
	Since time.Time
	// Progress, when not nil, receives a line after each scan that found
	// new records.
	Progress io.Writer
}

// Delivery is what [Check] found. Durations are in nanoseconds when
// marshalled to JSON.
type Delivery struct {
	// Objects is the number of objects read.
	Objects int `json:"objects"`
	// Skipped is the number of objects not read because they are older
	// than [CheckOptions.Since].
	Skipped int `json:"skipped"`
	// Delivered is the number of lines holding a record of the run,
	// duplicates included.
	Delivered int64 `json:"delivered"`
	// Distinct is the number of different records of the run found.
	Distinct int64 `json:"distinct"`
	// Duplicates is the number of lines repeating a record already found.
	// Delivered = Distinct + Duplicates + Malformed.
	Duplicates int64 `json:"duplicates"`
	// Missing is Want − Distinct when positive: records the endpoint
	// accepted that were not found.
	Missing int64 `json:"missing"`
	// Extra is Distinct − Want when positive: records found beyond those
	// accepted, such as records of a call that timed out on the client but
	// succeeded on the server.
	Extra int64 `json:"extra"`
	// Malformed is the number of lines with the run's id prefix whose id
	// could not be parsed.
	Malformed int64 `json:"malformed"`
	// Unsupported is the number of objects Check cannot decode (ZIP,
	// Snappy, Parquet, ORC); their records are not counted.
	Unsupported int `json:"unsupported"`
	// Unreadable is the number of objects that failed to read or decode;
	// the records before the failure are counted.
	Unreadable int `json:"unreadable"`
	// Problems describes the first unsupported or unreadable objects.
	Problems []string `json:"problems,omitempty"`
	// Stopped says why the check ended: "complete" (Want reached),
	// "quiet" (nothing new for CheckOptions.Quiet), "timeout" or
	// "canceled".
	Stopped string `json:"stopped"`
	// Elapsed is the duration of the check.
	Elapsed time.Duration `json:"elapsed"`
}

// Check counts the records of run runID that a local store delivered under
// <dir>/s3/<bucket>/, where dir is a Wasmhose data folder. It scans the
// objects there, then keeps scanning new objects every o.Poll until it has
// found o.Want distinct records, nothing new has appeared for o.Quiet, o.Timeout
// has passed or ctx ends.
//
// Objects are decoded by extension: ".gz" with gzip (several members
// allowed), ".zip", ".snappy", ".hsnappy", ".parquet" and ".orc" are
// unsupported for check, anything else is read as is. Every line holding
// `{"id":"<runID>-` counts; other lines are ignored, so objects of other
// runs and streams can share the bucket. Files and folders whose names start
// with "." are skipped, as the local store does.
//
// With o.Since set, objects older than the run are skipped unread.
//
// Check returns an error when dir does not exist or the bucket folder
// cannot be walked; a missing bucket folder is just empty. An object that
// cannot be read is counted in [Delivery.Unreadable], not returned.
func Check(ctx context.Context, dir, bucket, runID string, o CheckOptions) (Delivery, error) {
	if err := o.validate(dir, bucket, runID); err != nil {
		return Delivery{}, err
	}
	o = o.withDefaults()
	if _, err := os.Stat(dir); err != nil {
		return Delivery{}, fmt.Errorf("loadgen: check: data dir: %w", err)
	}
	s := &scanner{
		root:   filepath.Join(dir, "s3", bucket),
		since:  o.Since,
		marker: idMarker(runID),
		seen:   map[string]bool{},
		ids:    map[int64][]uint64{},
	}
	start := time.Now()
	deadline := start.Add(o.Timeout)
	lastNew := start
	var d Delivery
	for {
		before := s.delivery.Distinct
		if err := s.scan(); err != nil {
			d = s.result(o.Want, "error", start)
			return d, fmt.Errorf("loadgen: check: %w", err)
		}
		now := time.Now()
		if s.delivery.Distinct > before {
			lastNew = now
			note(o.Progress, "check: %d of %d records found in %d objects\n", s.delivery.Distinct, o.Want, s.delivery.Objects)
		}
		stopped := ""
		switch {
		case s.delivery.Distinct >= o.Want:
			stopped = "complete"
		case ctx.Err() != nil:
			stopped = "canceled"
		case !now.Before(deadline):
			stopped = "timeout"
		case now.Sub(lastNew) >= o.Quiet:
			stopped = "quiet"
		}
		if stopped != "" {
			d = s.result(o.Want, stopped, start)
			if stopped == "canceled" {
				return d, fmt.Errorf("loadgen: check: %w", ctx.Err())
			}
			return d, nil
		}
		wait := min(o.Poll, time.Until(deadline), o.Quiet-now.Sub(lastNew))
		t := time.NewTimer(max(wait, 0))
		select {
		case <-ctx.Done():
		case <-t.C:
		}
		t.Stop()
	}
}

// withDefaults returns o with every zero field set to its default.
func (o CheckOptions) withDefaults() CheckOptions {
	if o.Timeout == 0 {
		o.Timeout = DefaultCheckTimeout
	}
	if o.Quiet == 0 {
		o.Quiet = DefaultCheckQuiet
	}
	if o.Poll == 0 {
		o.Poll = DefaultCheckPoll
	}
	return o
}

// validate reports every problem with Check's arguments.
func (o CheckOptions) validate(dir, bucket, runID string) error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: %s: %s", ErrInvalidOptions, field, fmt.Sprintf(format, args...)))
	}
	if dir == "" {
		bad("dir", "empty")
	}
	if bucket == "" || bucket == "." || bucket == ".." || strings.ContainsAny(bucket, `/\`) {
		bad("bucket", "%q is not a bucket name", bucket)
	}
	if !reRunID.MatchString(runID) {
		bad("runID", "%q must be 1 to 64 characters of [A-Za-z0-9_.]", runID)
	}
	if o.Want < 0 {
		bad("Want", "%d is negative", o.Want)
	}
	if o.Timeout < 0 || o.Quiet < 0 || o.Poll < 0 {
		bad("Timeout", "Timeout, Quiet and Poll must not be negative")
	}
	return errors.Join(errs...)
}

// scanner holds the state of a check across scans. Objects are immutable
// once visible (the local store renames them into place), so each is read
// once.
type scanner struct {
	root     string
	since    time.Time
	marker   []byte
	seen     map[string]bool    // objects already read, by path
	ids      map[int64][]uint64 // worker -> bitset of record numbers found
	delivery Delivery
	br       *bufio.Reader
}

// scan reads the objects not read yet.
func (s *scanner) scan() error {
	err := filepath.WalkDir(s.root, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			if path == s.root && errors.Is(err, fs.ErrNotExist) {
				return fs.SkipAll // no object delivered yet
			}
			return err
		}
		if path != s.root && strings.HasPrefix(e.Name(), ".") {
			if e.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if e.IsDir() || !e.Type().IsRegular() || s.seen[path] {
			return nil
		}
		s.seen[path] = true
		if !s.since.IsZero() {
			fi, err := e.Info()
			if err != nil {
				return err
			}
			if fi.ModTime().Before(s.since.Add(-time.Second)) {
				s.delivery.Skipped++
				return nil
			}
		}
		s.object(path)
		return nil
	})
	if err != nil {
		return fmt.Errorf("walk %s: %w", s.root, err)
	}
	return nil
}

// object reads one object and counts its records.
func (s *scanner) object(path string) {
	rel, _ := filepath.Rel(s.root, path)
	ext := strings.ToLower(filepath.Ext(path))
	switch ext {
	case ".zip", ".snappy", ".hsnappy", ".parquet", ".orc":
		s.delivery.Unsupported++
		s.problem("%s: %s unsupported for check", rel, ext)
		return
	}
	if err := s.read(path, ext == ".gz"); err != nil {
		s.delivery.Unreadable++
		s.problem("%s: %v", rel, err)
	}
	s.delivery.Objects++
}

// read counts the records in one file.
func (s *scanner) read(path string, gz bool) (err error) {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, f.Close()) }()
	var r io.Reader = f
	if gz {
		var zr *gzip.Reader
		if zr, err = gzip.NewReader(f); err != nil {
			return fmt.Errorf("decode: %w", err)
		}
		defer func() { err = errors.Join(err, zr.Close()) }()
		r = zr
	}
	if s.br == nil {
		s.br = bufio.NewReaderSize(r, 256<<10)
	} else {
		s.br.Reset(r)
	}
	return s.lines(s.br)
}

// lines counts the records in the lines of br. Only the first 256 KiB of a
// line are searched for the id; records start with it.
func (s *scanner) lines(br *bufio.Reader) error {
	head := true // at the start of a line
	for {
		line, err := br.ReadSlice('\n')
		if head && len(line) > 0 {
			s.line(line)
		}
		switch {
		case err == nil:
			head = true
		case errors.Is(err, bufio.ErrBufferFull):
			head = false
		case errors.Is(err, io.EOF):
			return nil
		default:
			return err
		}
	}
}

// line counts the record in line, if it holds one of the run's.
func (s *scanner) line(line []byte) {
	i := bytes.Index(line, s.marker)
	if i < 0 {
		return
	}
	s.delivery.Delivered++
	rest := line[i+len(s.marker):]
	end := bytes.IndexByte(rest, '"')
	if end < 0 {
		s.delivery.Malformed++
		return
	}
	w, n, ok := strings.Cut(string(rest[:end]), "-")
	worker, err1 := strconv.ParseInt(w, 10, 64)
	num, err2 := strconv.ParseInt(n, 10, 64)
	if !ok || err1 != nil || err2 != nil || worker < 0 || num < 0 || num >= 1<<36 {
		s.delivery.Malformed++
		return
	}
	set := s.ids[worker]
	word := int(num / 64)
	if word >= len(set) {
		set = append(set, make([]uint64, word+1-len(set))...)
		s.ids[worker] = set
	}
	bit := uint64(1) << (num % 64)
	if set[word]&bit != 0 {
		s.delivery.Duplicates++
		return
	}
	set[word] |= bit
	s.delivery.Distinct++
}

// problem records a problem, keeping the first maxProblems.
func (s *scanner) problem(format string, args ...any) {
	if len(s.delivery.Problems) < maxProblems {
		s.delivery.Problems = append(s.delivery.Problems, fmt.Sprintf(format, args...))
	}
}

// result returns the Delivery so far.
func (s *scanner) result(want int64, stopped string, start time.Time) Delivery {
	d := s.delivery
	d.Problems = append([]string(nil), d.Problems...)
	d.Missing = max(want-d.Distinct, 0)
	d.Extra = max(d.Distinct-want, 0)
	d.Stopped = stopped
	d.Elapsed = time.Since(start)
	return d
}
