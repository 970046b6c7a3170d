package main

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/firehose/types"
)

// TestLambdaProcessorWithBuiltinPlugin is issue #3's "done when": a stream
// created with the AWS SDK and a Lambda processor naming a built-in plugin
// turns Apache log lines into JSON objects in the store, and a bad line lands
// under the error prefix with Firehose's processing-failed record.
func TestLambdaProcessorWithBuiltinPlugin(t *testing.T) {
	ts := startServer(t, t.TempDir(), nil)
	c := ts.client()
	ctx := context.Background()
	lambda := func(fn string) *types.ProcessingConfiguration {
		return &types.ProcessingConfiguration{Enabled: aws.Bool(true), Processors: []types.Processor{
			{Type: types.ProcessorTypeLambda, Parameters: []types.ProcessorParameter{
				{ParameterName: types.ProcessorParameterNameLambdaArn, ParameterValue: aws.String("arn:aws:lambda:us-east-1:000000000000:function:" + fn)},
				// Transform at once (Firehose's default waits 60 s).
				{ParameterName: types.ProcessorParameterNameBufferIntervalInSeconds, ParameterValue: aws.String("0")}}},
			{Type: types.ProcessorTypeAppendDelimiterToRecord},
		}}
	}

	_, err := c.CreateDeliveryStream(ctx, &firehose.CreateDeliveryStreamInput{DeliveryStreamName: aws.String("nofn"),
		ExtendedS3DestinationConfiguration: &types.ExtendedS3DestinationConfiguration{RoleARN: aws.String(roleARN), BucketARN: aws.String("arn:aws:s3:::b"),
			ProcessingConfiguration: lambda("no-such-plugin")}})
	var ia *types.InvalidArgumentException
	if !errors.As(err, &ia) || !strings.Contains(err.Error(), "no-such-plugin") {
		t.Fatalf("unknown plugin: want InvalidArgumentException naming it, got %v", err)
	}

	createStream(t, c, "weblogs", &types.ExtendedS3DestinationConfiguration{
		Prefix:                  aws.String("logs/"),
		ErrorOutputPrefix:       aws.String("errors/!{firehose:error-output-type}/"),
		BufferingHints:          &types.BufferingHints{SizeInMBs: aws.Int32(1), IntervalInSeconds: aws.Int32(0)},
		ProcessingConfiguration: lambda("apachelog-to-json"),
	})
	good := `127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326`
	bad := "this is not an apache log line"
	if _, err := c.PutRecordBatch(ctx, &firehose.PutRecordBatchInput{DeliveryStreamName: aws.String("weblogs"),
		Records: []types.Record{{Data: []byte(good)}, {Data: []byte(bad)}}}); err != nil {
		t.Fatal(err)
	}
	var data, errs []byte
	waitFor(t, "the data and the error objects", func() bool {
		data, errs = nil, nil
		for k, b := range objects(t, ts.dataDir, "test-bucket") {
			switch {
			case strings.HasPrefix(k, "logs/"):
				data = append(data, b...)
			case strings.HasPrefix(k, "errors/processing-failed/"):
				errs = append(errs, b...)
			}
		}
		return len(data) > 0 && len(errs) > 0
	})
	var rec map[string]any
	if err := json.Unmarshal([]byte(strings.TrimSuffix(string(data), "\n")), &rec); err != nil {
		t.Fatalf("data object %q is not one JSON record: %v", data, err)
	}
	if rec["host"] != "127.0.0.1" || rec["authuser"] != "frank" || rec["response"] != float64(200) || rec["bytes"] != float64(2326) || rec["verb"] != "GET" {
		t.Fatalf("transformed record %v", rec)
	}
	var doc struct {
		AttemptsMade int    `json:"attemptsMade"`
		ErrorCode    string `json:"errorCode"`
		RawData      []byte `json:"rawData"`
		LambdaARN    string `json:"lambdaARN"`
	}
	if err := json.Unmarshal([]byte(strings.TrimSuffix(string(errs), "\n")), &doc); err != nil {
		t.Fatalf("error object %q: %v", errs, err)
	}
	if string(doc.RawData) != bad || doc.ErrorCode != "Lambda.ProcessingFailedStatus" || doc.AttemptsMade != 1 ||
		doc.LambdaARN != "arn:aws:lambda:us-east-1:000000000000:function:apachelog-to-json" {
		t.Fatalf("error record %+v", doc)
	}
	if got := scrape(t, ts.addr, `wasmhose_processing_failed_records_total{stream="weblogs"}`); got != 1 {
		t.Fatalf("processing-failed metric %v", got)
	}
	if live, created := scrape(t, ts.addr, `wasmhose_plugin_instances`), scrape(t, ts.addr, `wasmhose_plugin_instances_created_total`); live < 1 || created < live {
		t.Fatalf("plugin instance metrics: %v alive, %v created", live, created)
	}
}
