// Command producer is the smallest Wasmhose client: it creates a delivery
// stream (GZIP, 1 MiB / 10 s buffering, newline-delimited records) with the
// stock aws-sdk-go-v2 Firehose client and sends a batch of JSON click
// events. Start the service with `make run`, then:
//
//	go run ./examples/producer --endpoint http://127.0.0.1:4573 --stream clicks
//
// Ten seconds later the objects are under wasmhose-data/s3/examples/clicks/.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/firehose/types"
)

func main() {
	endpoint := flag.String("endpoint", "http://127.0.0.1:4573", "Firehose endpoint")
	name := flag.String("stream", "clicks", "delivery stream name")
	n := flag.Int("records", 100, "records to send")
	flag.Parse()
	if err := run(context.Background(), *endpoint, *name, *n); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, endpoint, name string, n int) error {
	c := firehose.New(firehose.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("example", "example", ""),
	})
	_, err := c.CreateDeliveryStream(ctx, &firehose.CreateDeliveryStreamInput{
		DeliveryStreamName: aws.String(name),
		ExtendedS3DestinationConfiguration: &types.ExtendedS3DestinationConfiguration{
			RoleARN:           aws.String("arn:aws:iam::000000000000:role/firehose"),
			BucketARN:         aws.String("arn:aws:s3:::examples"),
			Prefix:            aws.String(name + "/"),
			CompressionFormat: types.CompressionFormatGzip,
			BufferingHints:    &types.BufferingHints{SizeInMBs: aws.Int32(1), IntervalInSeconds: aws.Int32(10)},
			ProcessingConfiguration: &types.ProcessingConfiguration{Enabled: aws.Bool(true),
				Processors: []types.Processor{{Type: types.ProcessorTypeAppendDelimiterToRecord}}},
		},
	})
	var inUse *types.ResourceInUseException
	if err != nil && !errors.As(err, &inUse) {
		return fmt.Errorf("create %s: %w", name, err)
	}
	for {
		d, err := c.DescribeDeliveryStream(ctx, &firehose.DescribeDeliveryStreamInput{DeliveryStreamName: aws.String(name)})
		if err != nil {
			return fmt.Errorf("describe %s: %w", name, err)
		}
		if d.DeliveryStreamDescription.DeliveryStreamStatus == types.DeliveryStreamStatusActive {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	var sent, failed int
	for start := 0; start < n; start += 500 {
		var recs []types.Record
		for i := start; i < min(n, start+500); i++ {
			recs = append(recs, types.Record{Data: fmt.Appendf(nil, `{"event":"click","page":"/p/%d","ts":%d}`, i%7, time.Now().UnixMilli())})
		}
		out, err := c.PutRecordBatch(ctx, &firehose.PutRecordBatchInput{DeliveryStreamName: aws.String(name), Records: recs})
		if err != nil {
			return fmt.Errorf("put: %w", err)
		}
		sent += len(recs) - int(*out.FailedPutCount)
		failed += int(*out.FailedPutCount) // a real producer resends these
	}
	fmt.Printf("sent %d records to %s (%d failed)\n", sent, name, failed)
	return nil
}
