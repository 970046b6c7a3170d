package loadgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/firehose/types"
)

// Errors [Run] returns before sending anything. Both are final for the
// given options: fix the stream or the options, do not retry as is.
var (
	// ErrStreamNotFound means the stream does not exist and
	// [Options.Create] is nil.
	ErrStreamNotFound = errors.New("delivery stream not found")
	// ErrStreamNotActive means the stream failed to become ACTIVE: its
	// creation failed, it is being deleted, or the wait timed out.
	ErrStreamNotActive = errors.New("delivery stream not active")
)

// prepareStream creates the stream when o.Create is set and waits until it
// is ACTIVE.
func prepareStream(ctx context.Context, c *firehose.Client, o Options, progress io.Writer) error {
	timeout := DefaultCreateTimeout
	if o.Create != nil {
		timeout = o.Create.Timeout
		err := createStream(ctx, c, o.Stream, *o.Create)
		var inUse *types.ResourceInUseException
		switch {
		case errors.As(err, &inUse):
			note(progress, "stream %s exists; using it as it is\n", o.Stream)
		case err != nil:
			return fmt.Errorf("loadgen: create stream %s: %w", o.Stream, err)
		default:
			note(progress, "created stream %s (bucket %s, %s, %d MB / %d s)\n",
				o.Stream, o.Create.Bucket, o.Create.Compression, o.Create.BufferMB, o.Create.BufferSeconds)
		}
	}
	if err := waitActive(ctx, c, o.Stream, timeout, o.Create != nil); err != nil {
		return fmt.Errorf("loadgen: stream %s: %w", o.Stream, err)
	}
	return nil
}

// createStream sends CreateDeliveryStream for a DirectPut stream with an
// ExtendedS3 destination.
func createStream(ctx context.Context, c *firehose.Client, name string, co CreateOptions) error {
	_, err := c.CreateDeliveryStream(ctx, &firehose.CreateDeliveryStreamInput{
		DeliveryStreamName: aws.String(name),
		DeliveryStreamType: types.DeliveryStreamTypeDirectPut,
		ExtendedS3DestinationConfiguration: &types.ExtendedS3DestinationConfiguration{
			BucketARN: aws.String("arn:aws:s3:::" + co.Bucket),
			RoleARN:   aws.String(co.RoleARN),
			BufferingHints: &types.BufferingHints{
				SizeInMBs:         aws.Int32(int32(co.BufferMB)),
				IntervalInSeconds: aws.Int32(int32(co.BufferSeconds)),
			},
			CompressionFormat: types.CompressionFormat(co.Compression),
		},
	})
	return err
}

// waitActive polls DescribeDeliveryStream until the stream is ACTIVE, with
// a backoff from 100ms to 2s, for at most timeout. A missing stream is an
// error at once unless created is true: a stream just created may not be
// visible yet.
func waitActive(ctx context.Context, c *firehose.Client, name string, timeout time.Duration, created bool) error {
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	wait := 100 * time.Millisecond
	var last string
	for {
		out, err := c.DescribeDeliveryStream(ctx, &firehose.DescribeDeliveryStreamInput{DeliveryStreamName: aws.String(name)})
		var notFound *types.ResourceNotFoundException
		switch {
		case errors.As(err, &notFound) && !created:
			return fmt.Errorf("%w (create it, or pass --create): %w", ErrStreamNotFound, err)
		case errors.As(err, &notFound):
			last = "not found yet"
		case err != nil && parent.Err() != nil:
			return fmt.Errorf("describe: %w", parent.Err())
		case err != nil && ctx.Err() != nil:
			return fmt.Errorf("%w after %v (last status %s): %w", ErrStreamNotActive, timeout, last, err)
		case err != nil:
			return fmt.Errorf("describe: %w", err)
		case out.DeliveryStreamDescription == nil:
			return fmt.Errorf("describe: response has no DeliveryStreamDescription")
		default:
			d := out.DeliveryStreamDescription
			last = string(d.DeliveryStreamStatus)
			switch d.DeliveryStreamStatus {
			case types.DeliveryStreamStatusActive:
				return nil
			case types.DeliveryStreamStatusCreating:
			default:
				msg := ""
				if f := d.FailureDescription; f != nil {
					msg = ": " + string(f.Type) + " " + aws.ToString(f.Details)
				}
				return fmt.Errorf("%w: status %s%s", ErrStreamNotActive, last, msg)
			}
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			if parent.Err() != nil {
				return parent.Err()
			}
			return fmt.Errorf("%w after %v (last status %s): %w", ErrStreamNotActive, timeout, last, ctx.Err())
		case <-t.C:
		}
		wait = min(2*wait, 2*time.Second)
	}
}

// note writes a formatted line to w when w is not nil.
func note(w io.Writer, format string, args ...any) {
	if w != nil {
		_, _ = fmt.Fprintf(w, format, args...)
	}
}
