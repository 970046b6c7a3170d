package service_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wasmhose/wasmhose/host/apierror"
	"github.com/wasmhose/wasmhose/host/crypt"
	"github.com/wasmhose/wasmhose/host/service"
	"github.com/wasmhose/wasmhose/host/stream"
)

// checkField fails unless err is an InvalidArgumentException about
// config's field: "config.field ..." or "config: field ...".
func checkField(t *testing.T, err error, config, field string) {
	t.Helper()
	checkErr(t, err, apierror.TypeInvalidArgument, config)
	var ae *apierror.Error
	errors.As(err, &ae)
	if !strings.HasPrefix(ae.Message, config+"."+field+" ") && !strings.HasPrefix(ae.Message, config+": "+field+" ") {
		t.Fatalf("message %q does not name %s.%s", ae.Message, config, field)
	}
}

// TestDestinationsTheStoreCanNeverWrite: a bucket, Prefix,
// ErrorOutputPrefix or FileExtension whose objects the store can never
// write is refused at CreateDeliveryStream and at UpdateDestination with
// an InvalidArgumentException naming the field, instead of being
// acknowledged and retried for 24 hours. The local store's rules apply only
// when it is the store (a store without objstore.Validator, here the
// test's wrapper, takes any key S3 would); S3's key length applies to all.
func TestDestinationsTheStoreCanNeverWrite(t *testing.T) {
	long := strings.Repeat("a", 1000)
	tests := []struct {
		name      string
		local     bool // the service's store is the local store itself
		streamLen int  // stream name length (default "s")
		mutate    func(d *stream.ExtendedS3DestinationConfiguration)
		expField  string // "" when accepted
	}{
		{name: "ordinary", local: true, mutate: func(d *stream.ExtendedS3DestinationConfiguration) {
			d.Prefix = stream.String("logs/!{timestamp:yyyy/MM}/")
			d.ErrorOutputPrefix = stream.String("errors/!{firehose:error-output-type}/")
		}},
		{name: "dot segments that are not . or ..", local: true, mutate: func(d *stream.ExtendedS3DestinationConfiguration) {
			d.Prefix = stream.String(".logs/...x/")
		}},
		{name: "parent", local: true, mutate: func(d *stream.ExtendedS3DestinationConfiguration) { d.Prefix = stream.String("../") }, expField: "Prefix"},
		{name: "parent inside", local: true, mutate: func(d *stream.ExtendedS3DestinationConfiguration) { d.Prefix = stream.String("a/../../b/") }, expField: "Prefix"},
		{name: "current", local: true, mutate: func(d *stream.ExtendedS3DestinationConfiguration) { d.Prefix = stream.String("./") }, expField: "Prefix"},
		{name: "absolute", local: true, mutate: func(d *stream.ExtendedS3DestinationConfiguration) { d.Prefix = stream.String("/etc/") }, expField: "Prefix"},
		{name: "empty segment", local: true, mutate: func(d *stream.ExtendedS3DestinationConfiguration) { d.Prefix = stream.String("a//b/") }, expField: "Prefix"},
		{name: "NUL", local: true, mutate: func(d *stream.ExtendedS3DestinationConfiguration) { d.Prefix = stream.String("a\x00b/") }, expField: "Prefix"},
		{name: "backslash", local: true, mutate: func(d *stream.ExtendedS3DestinationConfiguration) { d.Prefix = stream.String(`a\b/`) }, expField: "Prefix"},
		{name: "segment over 255 bytes", local: true, mutate: func(d *stream.ExtendedS3DestinationConfiguration) {
			d.Prefix = stream.String(strings.Repeat("s", 256) + "/")
		}, expField: "Prefix"},
		{name: "segment of 255 bytes", local: true, mutate: func(d *stream.ExtendedS3DestinationConfiguration) {
			d.Prefix = stream.String(strings.Repeat("s", 255) + "/")
		}},
		{name: "dot-dot from a timestamp pattern", local: true, mutate: func(d *stream.ExtendedS3DestinationConfiguration) {
			d.Prefix = stream.String("!{timestamp:'..'}/")
			d.ErrorOutputPrefix = stream.String("e/")
		}, expField: "Prefix"},
		{name: "error prefix parent", local: true, mutate: func(d *stream.ExtendedS3DestinationConfiguration) {
			d.ErrorOutputPrefix = stream.String("../!{firehose:error-output-type}/")
		}, expField: "ErrorOutputPrefix"},
		{name: "error prefix empty segment", local: true, mutate: func(d *stream.ExtendedS3DestinationConfiguration) {
			d.ErrorOutputPrefix = stream.String("e//")
		}, expField: "ErrorOutputPrefix"},
		{name: "bucket ..", local: true, mutate: func(d *stream.ExtendedS3DestinationConfiguration) { d.BucketARN = "arn:aws:s3:::.." }, expField: "BucketARN"},
		{name: "bucket .", local: true, mutate: func(d *stream.ExtendedS3DestinationConfiguration) { d.BucketARN = "arn:aws:s3:::." }, expField: "BucketARN"},
		{name: "object name over 255 bytes", local: true, streamLen: 64, mutate: func(d *stream.ExtendedS3DestinationConfiguration) {
			d.FileExtension = stream.String("." + strings.Repeat("x", 127))
		}, expField: "FileExtension"},
		{name: "parent through another store", mutate: func(d *stream.ExtendedS3DestinationConfiguration) { d.Prefix = stream.String("../") }},
		{name: "1000-character prefix", local: true, mutate: func(d *stream.ExtendedS3DestinationConfiguration) { d.Prefix = stream.String(long) }, expField: "Prefix"},
		{name: "1000-character prefix through another store", mutate: func(d *stream.ExtendedS3DestinationConfiguration) { d.Prefix = stream.String(long) }, expField: "Prefix"},
		{name: "1000-character error prefix", mutate: func(d *stream.ExtendedS3DestinationConfiguration) {
			d.ErrorOutputPrefix = stream.String(long)
		}, expField: "ErrorOutputPrefix"},
		{name: "keys over 1024 bytes", mutate: func(d *stream.ExtendedS3DestinationConfiguration) {
			d.Prefix = stream.String(strings.Repeat("€", 400))
			d.ErrorOutputPrefix = stream.String("e/")
		}, expField: "Prefix"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			svc := e.open(t, func(o *service.Options) {
				if tt.local {
					// As serve wires it: the local store behind the
					// encryption wrapper.
					keys, err := crypt.OpenKeyring(filepath.Join(e.dir, crypt.DirName))
					if err != nil {
						t.Fatal(err)
					}
					o.Store = crypt.NewStore(e.local, keys)
				}
			})
			name := "s"
			if tt.streamLen > 0 {
				name = strings.Repeat("n", tt.streamLen)
			}
			_, err := svc.Create(context.Background(), input(name, tt.mutate))
			if tt.expField == "" {
				if err != nil {
					t.Fatalf("Create: %v", err)
				}
				return
			}
			checkField(t, err, "ExtendedS3DestinationConfiguration", tt.expField)

			// The same change through UpdateDestination.
			create(t, svc, input("u", nil))
			var d stream.ExtendedS3DestinationConfiguration
			tt.mutate(&d)
			up := &stream.ExtendedS3DestinationUpdate{Prefix: d.Prefix, ErrorOutputPrefix: d.ErrorOutputPrefix, FileExtension: d.FileExtension}
			if d.BucketARN != "" {
				up.BucketARN = &d.BucketARN
			}
			in := &stream.UpdateInput{DeliveryStreamName: "u", CurrentDeliveryStreamVersionId: "1", DestinationId: stream.DefaultDestinationID,
				ExtendedS3DestinationUpdate: up}
			if tt.streamLen > 0 {
				return // the name is part of the problem; "u" is short
			}
			err = svc.Update(context.Background(), in)
			checkField(t, err, "ExtendedS3DestinationUpdate", tt.expField)
			if desc, err := svc.Describe(context.Background(), "u"); err != nil || desc.VersionId != "1" {
				t.Fatalf("after a refused update: version %q, %v", desc.VersionId, err)
			}
		})
	}
}
