package convbench

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"runtime/metrics"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/wasmhose/wasmhose/converters"
	"github.com/wasmhose/wasmhose/converters/hive"
	"github.com/wasmhose/wasmhose/converters/jsonserde"
	"github.com/wasmhose/wasmhose/converters/orc"
	"github.com/wasmhose/wasmhose/converters/parquet"
)

// Config is one conversion run.
type Config struct {
	// BatchBytes cuts a record batch when the decoder holds this many
	// bytes of Arrow data; 0 means 8 MiB.
	BatchBytes int
	// Parquet are the writer's settings (Firehose's defaults when zero).
	Parquet parquet.Options
	// ORC, when not nil, writes ORC with these settings instead of Parquet.
	ORC *orc.Options
	// SampleHeap samples the Go heap every few milliseconds to report its
	// peak.
	SampleHeap bool
}

// Result is what a run measured.
type Result struct {
	Records     int
	Failed      int
	InputBytes  int64
	OutputBytes int64
	Elapsed     time.Duration
	// CPU is the process's CPU time (all goroutines, GC included) during
	// the run; on a shared machine it is steadier than Elapsed.
	CPU time.Duration
	// PeakHeapBytes is the largest live Go heap seen (objects, including
	// garbage not yet collected), when sampled.
	PeakHeapBytes uint64
}

// RecordsPerSec is the conversion rate.
func (r Result) RecordsPerSec() float64 { return float64(r.Records) / r.Elapsed.Seconds() }

// MBPerSec is the rate in MB (10^6 bytes) of JSON in.
func (r Result) MBPerSec() float64 { return float64(r.InputBytes) / 1e6 / r.Elapsed.Seconds() }

// String formats the figures on one line.
func (r Result) String() string {
	return fmt.Sprintf("%d records (%d failed), %.1f MB JSON -> %.1f MB out in %v (CPU %v): %.0f records/s, %.1f MB/s, %.0f records per CPU second, peak heap %.1f MiB",
		r.Records, r.Failed, float64(r.InputBytes)/1e6, float64(r.OutputBytes)/1e6, r.Elapsed.Round(time.Millisecond), r.CPU.Round(time.Millisecond),
		r.RecordsPerSec(), r.MBPerSec(), float64(r.Records)/r.CPU.Seconds(), float64(r.PeakHeapBytes)/(1<<20))
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// Convert reads newline-delimited click events from in, one Firehose
// record a line, and writes them to out as one Parquet file (or ORC, with
// Config.ORC) through the OpenX decoder and the writer, as the delivery
// pipeline does.
func Convert(in io.Reader, out io.Writer, cfg Config) (Result, error) {
	if cfg.BatchBytes == 0 {
		cfg.BatchBytes = 8 << 20
	}
	schema, err := hive.ArrowSchema(Columns())
	if err != nil {
		return Result{}, fmt.Errorf("convbench: %w", err)
	}
	var res Result
	stop := func() {}
	if cfg.SampleHeap {
		stop = sampleHeap(&res.PeakHeapBytes)
	}
	start, cpu0 := time.Now(), processCPU()
	err = convert(in, out, schema, cfg, &res)
	res.Elapsed, res.CPU = time.Since(start), processCPU()-cpu0
	stop()
	return res, err
}

func convert(in io.Reader, out io.Writer, schema *arrow.Schema, cfg Config, res *Result) error {
	mem := memory.NewGoAllocator()
	dec, err := jsonserde.NewOpenX(schema, jsonserde.OpenXOptions{}, mem)
	if err != nil {
		return err
	}
	defer dec.Release()
	cw := &countingWriter{w: out}
	var w converters.BatchWriter
	if cfg.ORC != nil {
		w, err = orc.NewWriter(cw, schema, *cfg.ORC)
	} else {
		opts := cfg.Parquet
		opts.Allocator = mem
		w, err = parquet.NewWriter(cw, schema, opts)
	}
	if err != nil {
		return err
	}
	// Ends the writer's goroutine on the error paths; Close is idempotent.
	defer w.Close()
	flush := func() error {
		b, err := dec.NewBatch()
		if err != nil {
			return err
		}
		defer b.Release()
		return w.Write(b)
	}
	br := bufio.NewReaderSize(in, 1<<20)
	for {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			return errors.New("convbench: a record is longer than 1 MiB")
		}
		res.InputBytes += int64(len(line))
		if rec := bytes.TrimRight(line, "\r\n"); len(rec) > 0 {
			if aerr := dec.Append(rec); aerr != nil {
				res.Failed++
			} else {
				res.Records++
			}
			if dec.Bytes() >= cfg.BatchBytes {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("convbench: read: %w", err)
		}
	}
	if err := flush(); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	res.OutputBytes = cw.n
	return nil
}

// sampleHeap records the peak of the live heap until the returned stop
// function is called.
func sampleHeap(peak *uint64) func() {
	samples := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	done := make(chan struct{})
	var wg sync.WaitGroup
	var max uint64
	read := func() {
		metrics.Read(samples)
		if v := samples[0].Value.Uint64(); v > max {
			max = v
		}
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				read()
				return
			case <-t.C:
				read()
			}
		}
	}()
	return func() {
		close(done)
		wg.Wait()
		*peak = max
	}
}
