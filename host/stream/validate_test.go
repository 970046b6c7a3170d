package stream

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/wasmhose/wasmhose/host/apierror"
)

const (
	role   = "arn:aws:iam::000000000000:role/firehose"
	bucket = "arn:aws:s3:::my-bucket"
)

func createJSON(t *testing.T, s string) *CreateInput {
	t.Helper()
	var in CreateInput
	if err := json.Unmarshal([]byte(s), &in); err != nil {
		t.Fatalf("bad test input: %v", err)
	}
	return &in
}

func TestValidateCreate(t *testing.T) {
	dest := `"ExtendedS3DestinationConfiguration":{"RoleARN":"` + role + `","BucketARN":"` + bucket + `"`
	tests := []struct {
		name    string
		in      string
		expType string // "" = valid
		expMsg  string
	}{
		{"minimal", `{"DeliveryStreamName":"s",` + dest + `}}`, "", ""},
		{"deprecated S3 destination", `{"DeliveryStreamName":"s","S3DestinationConfiguration":{"RoleARN":"` + role + `","BucketARN":"` + bucket + `"}}`, "", ""},
		{"name too long", `{"DeliveryStreamName":"` + strings.Repeat("x", 65) + `",` + dest + `}}`, apierror.TypeValidation,
			"at 'deliveryStreamName' failed to satisfy constraint: Member must have length less than or equal to 64"},
		{"name bad chars", `{"DeliveryStreamName":"a b",` + dest + `}}`, apierror.TypeValidation, "Member must satisfy regular expression pattern"},
		{"empty name", `{` + dest + `}}`, apierror.TypeValidation, "Member must have length greater than or equal to 1"},
		{"no destination", `{"DeliveryStreamName":"s"}`, apierror.TypeInvalidArgument, "Exactly one destination configuration is supported for a Firehose"},
		{"two destinations", `{"DeliveryStreamName":"s","S3DestinationConfiguration":{"RoleARN":"` + role + `","BucketARN":"` + bucket + `"},` + dest + `}}`,
			apierror.TypeInvalidArgument, "Exactly one destination"},
		{"unsupported destination", `{"DeliveryStreamName":"s","SplunkDestinationConfiguration":{}}`, apierror.TypeInvalidArgument, "SplunkDestinationConfiguration is not supported"},
		{"bad role", `{"DeliveryStreamName":"s","ExtendedS3DestinationConfiguration":{"RoleARN":"role","BucketARN":"` + bucket + `"}}`,
			apierror.TypeValidation, "'extendedS3DestinationConfiguration.roleARN'"},
		{"bad bucket", `{"DeliveryStreamName":"s","ExtendedS3DestinationConfiguration":{"RoleARN":"` + role + `","BucketARN":"bucket"}}`,
			apierror.TypeValidation, "'extendedS3DestinationConfiguration.bucketARN'"},
		{"size too big", `{"DeliveryStreamName":"s",` + dest + `,"BufferingHints":{"SizeInMBs":129,"IntervalInSeconds":60}}}`,
			apierror.TypeValidation, "Value '129' at 'extendedS3DestinationConfiguration.bufferingHints.sizeInMBs' failed to satisfy constraint: Member must have value less than or equal to 128"},
		{"interval too long", `{"DeliveryStreamName":"s",` + dest + `,"BufferingHints":{"SizeInMBs":1,"IntervalInSeconds":901}}}`,
			apierror.TypeValidation, "intervalInSeconds"},
		{"interval zero ok", `{"DeliveryStreamName":"s",` + dest + `,"BufferingHints":{"SizeInMBs":1,"IntervalInSeconds":0}}}`, "", ""},
		{"hints unpaired", `{"DeliveryStreamName":"s",` + dest + `,"BufferingHints":{"SizeInMBs":1}}}`, apierror.TypeInvalidArgument, "SizeInMBs and IntervalInSeconds must be specified together"},
		{"two violations", `{"DeliveryStreamName":"s",` + dest + `,"BufferingHints":{"SizeInMBs":0,"IntervalInSeconds":-1}}}`,
			apierror.TypeValidation, "2 validation errors detected: "},
		{"compression case", `{"DeliveryStreamName":"s",` + dest + `,"CompressionFormat":"gzip"}}`, apierror.TypeValidation,
			"Member must satisfy enum value set: [UNCOMPRESSED, GZIP, ZIP, Snappy, HADOOP_SNAPPY]"},
		{"compression ok", `{"DeliveryStreamName":"s",` + dest + `,"CompressionFormat":"HADOOP_SNAPPY"}}`, "", ""},
		{"file extension", `{"DeliveryStreamName":"s",` + dest + `,"FileExtension":".JSON"}}`, apierror.TypeValidation, "fileExtension"},
		{"file extension ok", `{"DeliveryStreamName":"s",` + dest + `,"FileExtension":".json.gz"}}`, "", ""},
		{"time zone pattern", `{"DeliveryStreamName":"s",` + dest + `,"CustomTimeZone":"UTC+1"}}`, apierror.TypeValidation, "customTimeZone"},
		{"time zone unknown", `{"DeliveryStreamName":"s",` + dest + `,"CustomTimeZone":"Mars/Olympus"}}`, apierror.TypeInvalidArgument, "CustomTimeZone"},
		{"time zone ok", `{"DeliveryStreamName":"s",` + dest + `,"CustomTimeZone":"America/Los_Angeles"}}`, "", ""},
		{"prefix expression needs error prefix", `{"DeliveryStreamName":"s",` + dest + `,"Prefix":"y=!{timestamp:yyyy}/"}}`, apierror.TypeInvalidArgument, "ErrorOutputPrefix"},
		{"prefix expressions ok", `{"DeliveryStreamName":"s",` + dest + `,"Prefix":"y=!{timestamp:yyyy}/","ErrorOutputPrefix":"err/!{firehose:error-output-type}/"}}`, "", ""},
		{"logging needs names", `{"DeliveryStreamName":"s",` + dest + `,"CloudWatchLoggingOptions":{"Enabled":true}}}`, apierror.TypeInvalidArgument, "LogGroupName and LogStreamName"},
		{"kms key", `{"DeliveryStreamName":"s",` + dest + `,"EncryptionConfiguration":{"KMSEncryptionConfig":{"AWSKMSKeyARN":"arn:aws:kms:us-east-1:000000000000:key/abc"}}}}`, "", ""},
		{"kms key not kms", `{"DeliveryStreamName":"s",` + dest + `,"EncryptionConfiguration":{"KMSEncryptionConfig":{"AWSKMSKeyARN":"arn:aws:s3:::x"}}}}`, apierror.TypeInvalidArgument, "not a KMS key ARN"},
		{"conversion needs uncompressed", `{"DeliveryStreamName":"s",` + dest + `,"CompressionFormat":"GZIP","DataFormatConversionConfiguration":{"Enabled":true}}}`,
			apierror.TypeInvalidArgument, "CompressionFormat must be UNCOMPRESSED"},
		{"conversion small buffer", `{"DeliveryStreamName":"s",` + dest + `,"BufferingHints":{"SizeInMBs":8,"IntervalInSeconds":60},"DataFormatConversionConfiguration":{}}}`,
			apierror.TypeInvalidArgument, "SizeInMBs must be at least 64"},
		{"conversion needs all three", `{"DeliveryStreamName":"s",` + dest + `,"DataFormatConversionConfiguration":{"SchemaConfiguration":` + convSchema + `}}}`,
			apierror.TypeInvalidArgument, "SchemaConfiguration, InputFormatConfiguration and OutputFormatConfiguration are all required"},
		{"conversion disabled skips checks", `{"DeliveryStreamName":"s",` + dest + `,"CompressionFormat":"GZIP","DataFormatConversionConfiguration":{"Enabled":false}}}`, "", ""},
		{"conversion needs table", `{"DeliveryStreamName":"s",` + dest + `,"DataFormatConversionConfiguration":{"SchemaConfiguration":{"RoleARN":"` + role + `","DatabaseName":"db"},` + convIO + `}}}`,
			apierror.TypeInvalidArgument, "DatabaseName and TableName are required"},
		{"conversion two deserializers", `{"DeliveryStreamName":"s",` + dest + `,"DataFormatConversionConfiguration":{"SchemaConfiguration":` + convSchema +
			`,"InputFormatConfiguration":{"Deserializer":{"OpenXJsonSerDe":{},"HiveJsonSerDe":{}}},"OutputFormatConfiguration":{"Serializer":{"ParquetSerDe":{}}}}}}`,
			apierror.TypeInvalidArgument, "exactly one of OpenXJsonSerDe and HiveJsonSerDe"},
		{"conversion no serializer", `{"DeliveryStreamName":"s",` + dest + `,"DataFormatConversionConfiguration":{"SchemaConfiguration":` + convSchema +
			`,"InputFormatConfiguration":{"Deserializer":{"OpenXJsonSerDe":{}}},"OutputFormatConfiguration":{"Serializer":{}}}}}`,
			apierror.TypeInvalidArgument, "exactly one of ParquetSerDe and OrcSerDe"},
		{"conversion ok", `{"DeliveryStreamName":"s",` + dest + `,"DataFormatConversionConfiguration":{"SchemaConfiguration":` + convSchema + `,` + convIO + `}}}`, "", ""},
		{"parquet block size", `{"DeliveryStreamName":"s",` + dest + `,"DataFormatConversionConfiguration":{"SchemaConfiguration":` + convSchema +
			`,"InputFormatConfiguration":{"Deserializer":{"OpenXJsonSerDe":{}}},"OutputFormatConfiguration":{"Serializer":{"ParquetSerDe":{"BlockSizeBytes":1024,"Compression":"LZ4"}}}}}}`,
			apierror.TypeValidation, "2 validation errors detected: "},
		{"orc limits", `{"DeliveryStreamName":"s",` + dest + `,"DataFormatConversionConfiguration":{"SchemaConfiguration":` + convSchema +
			`,"InputFormatConfiguration":{"Deserializer":{"HiveJsonSerDe":{}}},"OutputFormatConfiguration":{"Serializer":{"OrcSerDe":{"RowIndexStride":10,"PaddingTolerance":2}}}}}}`,
			apierror.TypeValidation, "orcSerDe.rowIndexStride"},
		{"schema with blanks", `{"DeliveryStreamName":"s",` + dest + `,"DataFormatConversionConfiguration":{"SchemaConfiguration":{"RoleARN":"` + role + `","DatabaseName":"my db","TableName":"t"},` + convIO + `}}}`,
			apierror.TypeValidation, "schemaConfiguration.databaseName"},
		{"append delimiter ok", `{"DeliveryStreamName":"s",` + dest + `,"ProcessingConfiguration":{"Enabled":true,"Processors":[{"Type":"AppendDelimiterToRecord"}]}}}`, "", ""},
		{"processor type enum", `{"DeliveryStreamName":"s",` + dest + `,"ProcessingConfiguration":{"Enabled":true,"Processors":[{"Type":"Nope"}]}}}`,
			apierror.TypeValidation, "processingConfiguration.processors.1.member.type"},
		{"blank parameter", `{"DeliveryStreamName":"s",` + dest + `,"ProcessingConfiguration":{"Enabled":true,"Processors":[{"Type":"Lambda","Parameters":[{"ParameterName":"LambdaArn","ParameterValue":"  "}]}]}}}`,
			apierror.TypeValidation, "parameters.1.member.parameterValue"},
		{"kinesis source", `{"DeliveryStreamName":"s","DeliveryStreamType":"KinesisStreamAsSource",` + dest + `}}`, apierror.TypeInvalidArgument, "DirectPut delivery streams only"},
		{"source on direct put", `{"DeliveryStreamName":"s","KinesisStreamSourceConfiguration":{"KinesisStreamARN":"x"},` + dest + `}}`,
			apierror.TypeInvalidArgument, "KinesisSourceStreamConfig is only applicable for KinesisStreamAsSource stream type"},
		{"bad type", `{"DeliveryStreamName":"s","DeliveryStreamType":"Push",` + dest + `}}`, apierror.TypeValidation, "deliveryStreamType"},
		{"throughput hint", `{"DeliveryStreamName":"s","DirectPutSourceConfiguration":{"ThroughputHintInMBs":101},` + dest + `}}`, apierror.TypeValidation, "throughputHintInMBs"},
		{"tags reserved", `{"DeliveryStreamName":"s","Tags":[{"Key":"","Value":"v"}],` + dest + `}}`, apierror.TypeValidation, "tags.1.member.key"},
		{"aws: tag prefix", `{"DeliveryStreamName":"s","Tags":[{"Key":"aws:team","Value":"v"}],` + dest + `}}`, apierror.TypeValidation, "^(?!aws:)"},
		{"empty tag list", `{"DeliveryStreamName":"s","Tags":[],` + dest + `}}`, apierror.TypeValidation, "'tags'"},
		{"cmk needs arn", `{"DeliveryStreamName":"s","DeliveryStreamEncryptionConfigurationInput":{"KeyType":"CUSTOMER_MANAGED_CMK"},` + dest + `}}`,
			apierror.TypeInvalidArgument, "KeyARN is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateCreate(createJSON(t, tt.in))
			if tt.expType == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			var e *apierror.Error
			if !errors.As(err, &e) {
				t.Fatalf("want %s, got %v", tt.expType, err)
			}
			if e.Type != tt.expType || !strings.Contains(e.Message, tt.expMsg) {
				t.Fatalf("want %s containing %q, got %s: %s", tt.expType, tt.expMsg, e.Type, e.Message)
			}
		})
	}
}

const (
	convSchema = `{"RoleARN":"` + role + `","DatabaseName":"db","TableName":"t"}`
	convIO     = `"InputFormatConfiguration":{"Deserializer":{"OpenXJsonSerDe":{}}},"OutputFormatConfiguration":{"Serializer":{"ParquetSerDe":{}}}`
)

func TestConversionSchemaDefaults(t *testing.T) {
	s := &Stream{ARN: "arn:aws:firehose:eu-west-1:123456789012:deliverystream/s", Destination: ExtendedS3DestinationConfiguration{
		DataFormatConversionConfiguration: &DataFormatConversionConfiguration{SchemaConfiguration: &SchemaConfiguration{DatabaseName: String("db"), TableName: String("t")}},
	}}
	got := s.ConversionSchema()
	if *got.CatalogId != "123456789012" || *got.Region != "eu-west-1" || *got.VersionId != LatestVersion {
		t.Fatalf("defaults: %+v", got)
	}
	if s.Destination.DataFormatConversionConfiguration.SchemaConfiguration.VersionId != nil {
		t.Fatal("ConversionSchema changed the stored configuration")
	}
	desc := s.Describe()
	if v := desc.Destinations[0].ExtendedS3DestinationDescription.DataFormatConversionConfiguration.SchemaConfiguration.VersionId; v == nil || *v != LatestVersion {
		t.Fatalf("Describe does not show VersionId LATEST: %v", v)
	}
	off := &Stream{Destination: ExtendedS3DestinationConfiguration{DataFormatConversionConfiguration: &DataFormatConversionConfiguration{Enabled: Bool(false)}}}
	if off.ConversionSchema() != nil {
		t.Fatal("ConversionSchema of a disabled conversion is not nil")
	}
}

func TestWithDefaults(t *testing.T) {
	d := WithDefaults(ExtendedS3DestinationConfiguration{RoleARN: role, BucketARN: bucket})
	got, _ := json.Marshal(d)
	want := `{"RoleARN":"` + role + `","BucketARN":"` + bucket + `","Prefix":"","BufferingHints":{"SizeInMBs":5,"IntervalInSeconds":300},` +
		`"CompressionFormat":"UNCOMPRESSED","EncryptionConfiguration":{"NoEncryptionConfig":"NoEncryption"},"CloudWatchLoggingOptions":{"Enabled":false},"S3BackupMode":"Disabled"}`
	if string(got) != want {
		t.Fatalf("defaults:\n got %s\nwant %s", got, want)
	}
	conv := WithDefaults(ExtendedS3DestinationConfiguration{DataFormatConversionConfiguration: &DataFormatConversionConfiguration{}})
	if *conv.BufferingHints.SizeInMBs != 128 || !*conv.DataFormatConversionConfiguration.Enabled {
		t.Fatalf("conversion defaults: size %d enabled %v", *conv.BufferingHints.SizeInMBs, *conv.DataFormatConversionConfiguration.Enabled)
	}
}

func TestMerge(t *testing.T) {
	cur := WithDefaults(ExtendedS3DestinationConfiguration{RoleARN: role, BucketARN: bucket, Prefix: String("a/"), CompressionFormat: String("GZIP")})
	tests := []struct {
		name   string
		update string
		check  func(t *testing.T, d ExtendedS3DestinationConfiguration)
		expErr string
	}{
		{"prefix only keeps the rest", `{"ExtendedS3DestinationUpdate":{"Prefix":"b/"}}`, func(t *testing.T, d ExtendedS3DestinationConfiguration) {
			if *d.Prefix != "b/" || *d.CompressionFormat != "GZIP" || d.BucketARN != bucket {
				t.Fatalf("merge lost members: %+v", d)
			}
		}, ""},
		{"hints replaced", `{"ExtendedS3DestinationUpdate":{"BufferingHints":{"SizeInMBs":7,"IntervalInSeconds":0}}}`, func(t *testing.T, d ExtendedS3DestinationConfiguration) {
			if *d.BufferingHints.SizeInMBs != 7 || *d.BufferingHints.IntervalInSeconds != 0 {
				t.Fatalf("hints: %+v", d.BufferingHints)
			}
		}, ""},
		{"deprecated S3 update", `{"S3DestinationUpdate":{"CompressionFormat":"ZIP"}}`, func(t *testing.T, d ExtendedS3DestinationConfiguration) {
			if *d.CompressionFormat != "ZIP" {
				t.Fatalf("compression %s", *d.CompressionFormat)
			}
		}, ""},
		{"no update", `{}`, nil, "Exactly one destination update"},
		{"other destination", `{"SplunkDestinationUpdate":{}}`, nil, "Changing the destination type"},
		{"expressions need error prefix", `{"ExtendedS3DestinationUpdate":{"Prefix":"!{timestamp:yyyy}/"}}`, nil, "ErrorOutputPrefix"},
		{"dynamic partitioning is create-only", `{"ExtendedS3DestinationUpdate":{"DynamicPartitioningConfiguration":{"Enabled":true}}}`, nil, "only when the delivery stream is created"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var in UpdateInput
			if err := json.Unmarshal([]byte(tt.update), &in); err != nil {
				t.Fatal(err)
			}
			got, err := Merge(cur, &in)
			if tt.expErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.expErr) {
					t.Fatalf("want error %q, got %v", tt.expErr, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, got)
			if *cur.Prefix != "a/" {
				t.Fatal("Merge changed its input")
			}
		})
	}
}

func TestTimestampJSON(t *testing.T) {
	var ts Timestamp
	if err := json.Unmarshal([]byte("1514224146.811"), &ts); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(ts)
	if string(b) != "1514224146.811" {
		t.Fatalf("round trip: %s", b)
	}
}

func TestRegistryRoundTrip(t *testing.T) {
	r, err := NewFileRegistry(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s := &Stream{Name: "b", ARN: "arn", VersionID: 3, Destination: WithDefaults(ExtendedS3DestinationConfiguration{RoleARN: role, BucketARN: bucket}),
		Tags: []Tag{{Key: "k", Value: String("v")}}}
	if err := r.Save(s); err != nil {
		t.Fatal(err)
	}
	if err := r.Save(&Stream{Name: "a"}); err != nil {
		t.Fatal(err)
	}
	got, err := r.Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Name != "a" || got[1].VersionID != 3 || *got[1].Tags[0].Value != "v" || *got[1].Destination.BufferingHints.SizeInMBs != 5 {
		t.Fatalf("loaded %+v", got)
	}
	if err := r.Delete("a"); err != nil {
		t.Fatal(err)
	}
	if err := r.Delete("a"); err != nil {
		t.Fatalf("second delete: %v", err)
	}
	got, _ = r.Load()
	if len(got) != 1 {
		t.Fatalf("after delete: %d streams", len(got))
	}
}

func FuzzCreateInput(f *testing.F) {
	f.Add(`{"DeliveryStreamName":"s","ExtendedS3DestinationConfiguration":{"RoleARN":"` + role + `","BucketARN":"` + bucket + `","Prefix":"!{timestamp:yyyy}"}}`)
	f.Add(`{"DeliveryStreamName":"s","Tags":[{"Key":"a"}],"S3DestinationConfiguration":{}}`)
	f.Fuzz(func(t *testing.T, s string) {
		var in CreateInput
		if json.Unmarshal([]byte(s), &in) != nil {
			return
		}
		if err := ValidateCreate(&in); err != nil {
			var e *apierror.Error
			if !errors.As(err, &e) {
				t.Fatalf("validation error is not an API error: %v", err)
			}
		}
	})
}

func TestValidateLambdaParameters(t *testing.T) {
	const arn = "arn:aws:lambda:us-east-1:000000000000:function:f"
	tests := []struct {
		name   string
		params map[string]string
		expMsg string // "" = valid
	}{
		{"arn only", map[string]string{"LambdaArn": arn}, ""},
		{"no arn", map[string]string{"NumberOfRetries": "1"}, "needs the LambdaArn parameter"},
		{"not a function arn", map[string]string{"LambdaArn": "arn:aws:s3:::b"}, "is not a Lambda function ARN"},
		{"retries in range", map[string]string{"LambdaArn": arn, "NumberOfRetries": "300"}, ""},
		{"retries too many", map[string]string{"LambdaArn": arn, "NumberOfRetries": "301"}, "NumberOfRetries"},
		{"size smallest", map[string]string{"LambdaArn": arn, "BufferSizeInMBs": "0.2"}, ""},
		{"size too large", map[string]string{"LambdaArn": arn, "BufferSizeInMBs": "3.5"}, "BufferSizeInMBs"},
		{"interval zero", map[string]string{"LambdaArn": arn, "BufferIntervalInSeconds": "0"}, ""},
		{"interval largest", map[string]string{"LambdaArn": arn, "BufferIntervalInSeconds": "900"}, ""},
		{"interval too long", map[string]string{"LambdaArn": arn, "BufferIntervalInSeconds": "901"}, "from 0 to 900"},
		{"interval negative", map[string]string{"LambdaArn": arn, "BufferIntervalInSeconds": "-1"}, "from 0 to 900"},
		{"interval not a number", map[string]string{"LambdaArn": arn, "BufferIntervalInSeconds": "1m"}, "from 0 to 900"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateLambdaParameters(tc.params)
			if tc.expMsg == "" {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.expMsg) {
				t.Fatalf("err = %v, want one containing %q", err, tc.expMsg)
			}
		})
	}
}
