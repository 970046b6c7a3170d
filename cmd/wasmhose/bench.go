package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/wasmhose/wasmhose/cmd/wasmhose/internal/loadgen"
)

// runBench is `wasmhose bench`: a flag parser over package loadgen. It
// returns 2 for bad flags; 1 when the run or the check failed, when no
// record was accepted, or when the check found records missing (unless
// objects it could not decode may hold them) or objects it could not read;
// and 0 otherwise. Failed records alone are a measurement, not a failure.
func runBench(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, "usage: wasmhose bench --stream NAME [flags]\n\n"+
			"Sends PutRecordBatch load to a Firehose-compatible endpoint and reports throughput,\n"+
			"latency and failures; with --check-dir, counts what a local Wasmhose delivered.\n"+
			"Credentials come from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN\n"+
			"when set, else dummy ones.\n\nflags:\n")
		fs.PrintDefaults()
	}
	endpoint := fs.String("endpoint", loadgen.DefaultEndpoint, "Firehose API endpoint")
	region := fs.String("region", loadgen.DefaultRegion, "region to sign requests for")
	stream := fs.String("stream", "", "delivery stream name (required)")
	create := fs.Bool("create", false, "create the stream first, with an ExtendedS3 destination, and wait until it is ACTIVE")
	bucket := fs.String("bucket", loadgen.DefaultBucket, "destination bucket, for --create and --check-dir")
	compression := fs.String("compression", loadgen.DefaultCompression, "CompressionFormat for --create: UNCOMPRESSED, GZIP, ZIP, Snappy or HADOOP_SNAPPY")
	bufferMB := fs.Int("buffer-mb", loadgen.DefaultBufferMB, "BufferingHints.SizeInMBs for --create")
	bufferSeconds := fs.Int("buffer-seconds", loadgen.DefaultBufferSeconds, "BufferingHints.IntervalInSeconds for --create; --check-dir also waits this long plus 5s for new objects before it gives up")
	batch := fs.Int("batch", loadgen.DefaultBatchSize, "records per PutRecordBatch call (1-500)")
	size := fs.Int("size", loadgen.DefaultRecordSize, "record size in bytes, newline included")
	concurrency := fs.Int("concurrency", loadgen.DefaultConcurrency, "concurrent workers, one call in flight each")
	duration := fs.Duration("duration", loadgen.DefaultDuration, "how long to send, unless --count is given")
	count := fs.Int64("count", 0, "total records to send; wins over --duration")
	rate := fs.Float64("rate", 0, "target records/s over all workers; 0 sends as fast as possible")
	checkDir := fs.String("check-dir", "", "Wasmhose data dir: after the run, count this run's records under <dir>/s3/<bucket>/")
	checkTimeout := fs.Duration("check-timeout", loadgen.DefaultCheckTimeout, "longest wait for delivery with --check-dir")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "wasmhose bench: unexpected arguments %q\n", fs.Args())
		return 2
	}
	if *stream == "" {
		fmt.Fprintln(stderr, "wasmhose bench: --stream is required")
		return 2
	}
	if *checkTimeout <= 0 {
		fmt.Fprintln(stderr, "wasmhose bench: --check-timeout must be positive")
		return 2
	}

	o := loadgen.Options{
		Endpoint:        *endpoint,
		Region:          *region,
		AccessKeyID:     os.Getenv("AWS_ACCESS_KEY_ID"),
		SecretAccessKey: os.Getenv("AWS_SECRET_ACCESS_KEY"),
		SessionToken:    os.Getenv("AWS_SESSION_TOKEN"),
		Stream:          *stream,
		BatchSize:       *batch,
		RecordSize:      *size,
		Concurrency:     *concurrency,
		Count:           *count,
		Rate:            *rate,
	}
	if *count == 0 {
		o.Duration = *duration
		if *duration <= 0 {
			fmt.Fprintln(stderr, "wasmhose bench: --duration must be positive")
			return 2
		}
	}
	if *create {
		o.Create = &loadgen.CreateOptions{
			Bucket:        *bucket,
			Compression:   *compression,
			BufferMB:      *bufferMB,
			BufferSeconds: *bufferSeconds,
		}
		if *bufferSeconds == 0 {
			o.Create.BufferSeconds = -1 // a zero field means the default; negative means 0
		}
	}
	// Zero flags would silently take loadgen's defaults; reject them instead.
	for _, f := range []struct {
		name string
		v    int
	}{{"batch", *batch}, {"size", *size}, {"concurrency", *concurrency}, {"buffer-mb", *bufferMB}} {
		if f.v <= 0 {
			fmt.Fprintf(stderr, "wasmhose bench: --%s must be positive\n", f.name)
			return 2
		}
	}
	if *bufferSeconds < 0 {
		fmt.Fprintln(stderr, "wasmhose bench: --buffer-seconds must not be negative")
		return 2
	}
	if err := o.Validate(); err != nil {
		fmt.Fprintln(stderr, "wasmhose bench:", err)
		return 2
	}
	if *checkDir != "" && *create {
		switch *compression {
		case "ZIP", "Snappy", "HADOOP_SNAPPY":
			fmt.Fprintf(stderr, "wasmhose bench: warning: %s objects are unsupported for check; --check-dir will not count them\n", *compression)
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, runErr := loadgen.Run(ctx, o, stderr)
	if runErr != nil && res.Requests == 0 {
		fmt.Fprintln(stderr, "wasmhose bench:", runErr)
		return 1
	}
	var checkErr error
	if runErr == nil && *checkDir != "" {
		d, err := loadgen.Check(ctx, *checkDir, *bucket, res.RunID, loadgen.CheckOptions{
			Want:     res.RecordsSent,
			Timeout:  *checkTimeout,
			Quiet:    time.Duration(*bufferSeconds)*time.Second + 5*time.Second,
			Since:    res.Started,
			Progress: stderr,
		})
		res.Delivery = &d
		checkErr = err
	}

	var outErr error
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		outErr = enc.Encode(res)
	} else {
		outErr = res.WriteText(stdout)
	}
	code := 0
	for _, err := range []error{runErr, checkErr, outErr} {
		if err != nil {
			fmt.Fprintln(stderr, "wasmhose bench:", err)
			code = 1
		}
	}
	if res.RecordsSent == 0 && res.RecordsFailed > 0 {
		fmt.Fprintln(stderr, "wasmhose bench: no record was accepted")
		code = 1
	}
	if d := res.Delivery; d != nil {
		switch {
		case d.Unreadable > 0:
			fmt.Fprintf(stderr, "wasmhose bench: %d delivered objects could not be read\n", d.Unreadable)
			code = 1
		case d.Missing > 0 && d.Unsupported > 0:
			fmt.Fprintf(stderr, "wasmhose bench: warning: %d records not found, but %d objects are unsupported for check\n", d.Missing, d.Unsupported)
		case d.Missing > 0:
			fmt.Fprintf(stderr, "wasmhose bench: %d records accepted but not delivered\n", d.Missing)
			code = 1
		}
	}
	return code
}
