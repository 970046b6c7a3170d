package stream

import "encoding/json"

// The shapes below mirror the Firehose API model (botocore
// firehose/2015-08-04). Go field names equal the AWS member names, so the
// default encoding/json names are the wire names. Optional members are
// pointers or omitempty so that "absent" and "zero" stay distinct, which the
// merge semantics of UpdateDestination need.

// BufferingHints is the size/interval trigger of a destination buffer.
type BufferingHints struct {
	// SizeInMBs is the buffer size trigger, 1–128 (default 5; 128 with format conversion).
	SizeInMBs *int `json:",omitempty"`
	// IntervalInSeconds is the time trigger, 0–900 (default 300). 0 delivers as soon as possible.
	IntervalInSeconds *int `json:",omitempty"`
}

// KMSEncryptionConfig names the KMS key objects are encrypted with in S3.
type KMSEncryptionConfig struct {
	// AWSKMSKeyARN is the key's ARN.
	AWSKMSKeyARN string
}

// EncryptionConfiguration is the S3 server-side encryption of delivered objects.
type EncryptionConfiguration struct {
	// NoEncryptionConfig is "NoEncryption" when objects are not encrypted.
	NoEncryptionConfig string `json:",omitempty"`
	// KMSEncryptionConfig selects SSE-KMS.
	KMSEncryptionConfig *KMSEncryptionConfig `json:",omitempty"`
}

// CloudWatchLoggingOptions selects where delivery errors are logged.
type CloudWatchLoggingOptions struct {
	// Enabled turns error logging on.
	Enabled *bool `json:",omitempty"`
	// LogGroupName is the log group (required when Enabled).
	LogGroupName *string `json:",omitempty"`
	// LogStreamName is the log stream (required when Enabled).
	LogStreamName *string `json:",omitempty"`
}

// ProcessorParameter is one name/value parameter of a processor.
type ProcessorParameter struct {
	// ParameterName is one of the ProcessorParameterName enum values.
	ParameterName string
	// ParameterValue is the value, 1–5120 characters.
	ParameterValue string
}

// Processor is one step of the processing pipeline.
type Processor struct {
	// Type is one of the ProcessorType enum values.
	Type string
	// Parameters configure the processor.
	Parameters []ProcessorParameter `json:",omitempty"`
}

// ProcessingConfiguration is the record-processing pipeline.
type ProcessingConfiguration struct {
	// Enabled turns processing on.
	Enabled *bool `json:",omitempty"`
	// Processors run in order.
	Processors []Processor `json:",omitempty"`
}

// SchemaConfiguration names the Glue table used for format conversion.
type SchemaConfiguration struct {
	RoleARN      *string `json:",omitempty"` // RoleARN of the schema reader.
	CatalogId    *string `json:",omitempty"` // CatalogId defaults to the account id.
	DatabaseName *string `json:",omitempty"` // DatabaseName of the table.
	TableName    *string `json:",omitempty"` // TableName of the table.
	Region       *string `json:",omitempty"` // Region defaults to the service region.
	VersionId    *string `json:",omitempty"` // VersionId defaults to LATEST.
}

// OpenXJsonSerDe is the OpenX JSON deserializer's options.
type OpenXJsonSerDe struct {
	ConvertDotsInJsonKeysToUnderscores *bool             `json:",omitempty"` // ConvertDotsInJsonKeysToUnderscores defaults to false.
	CaseInsensitive                    *bool             `json:",omitempty"` // CaseInsensitive defaults to true.
	ColumnToJsonKeyMappings            map[string]string `json:",omitempty"` // ColumnToJsonKeyMappings maps column names to JSON keys.
}

// HiveJsonSerDe is the Hive JSON deserializer's options.
type HiveJsonSerDe struct {
	// TimestampFormats are Joda-Time patterns, or "millis".
	TimestampFormats []string `json:",omitempty"`
}

// Deserializer selects one JSON deserializer.
type Deserializer struct {
	OpenXJsonSerDe *OpenXJsonSerDe `json:",omitempty"` // OpenXJsonSerDe selects the OpenX SerDe.
	HiveJsonSerDe  *HiveJsonSerDe  `json:",omitempty"` // HiveJsonSerDe selects the Hive SerDe.
}

// InputFormatConfiguration is the input side of format conversion.
type InputFormatConfiguration struct {
	// Deserializer reads JSON records.
	Deserializer *Deserializer `json:",omitempty"`
}

// ParquetSerDe is the Parquet serializer's options.
type ParquetSerDe struct {
	BlockSizeBytes              *int64  `json:",omitempty"` // BlockSizeBytes ≥ 64 MiB, default 256 MiB.
	PageSizeBytes               *int64  `json:",omitempty"` // PageSizeBytes ≥ 64 KiB, default 1 MiB.
	Compression                 *string `json:",omitempty"` // Compression UNCOMPRESSED, GZIP or SNAPPY (default).
	EnableDictionaryCompression *bool   `json:",omitempty"` // EnableDictionaryCompression turns dictionaries on.
	MaxPaddingBytes             *int64  `json:",omitempty"` // MaxPaddingBytes ≥ 0, default 0.
	WriterVersion               *string `json:",omitempty"` // WriterVersion V1 (default) or V2.
}

// OrcSerDe is the ORC serializer's options.
type OrcSerDe struct {
	StripeSizeBytes                     *int64   `json:",omitempty"` // StripeSizeBytes ≥ 8 MiB, default 64 MiB.
	BlockSizeBytes                      *int64   `json:",omitempty"` // BlockSizeBytes ≥ 64 MiB, default 256 MiB.
	RowIndexStride                      *int64   `json:",omitempty"` // RowIndexStride ≥ 1000, default 10000.
	EnablePadding                       *bool    `json:",omitempty"` // EnablePadding defaults to false.
	PaddingTolerance                    *float64 `json:",omitempty"` // PaddingTolerance 0–1, default 0.05.
	Compression                         *string  `json:",omitempty"` // Compression NONE, ZLIB or SNAPPY (default).
	BloomFilterColumns                  []string `json:",omitempty"` // BloomFilterColumns lists columns with bloom filters.
	BloomFilterFalsePositiveProbability *float64 `json:",omitempty"` // BloomFilterFalsePositiveProbability 0–1, default 0.05.
	DictionaryKeyThreshold              *float64 `json:",omitempty"` // DictionaryKeyThreshold 0–1.
	FormatVersion                       *string  `json:",omitempty"` // FormatVersion V0_11 or V0_12 (default).
}

// Serializer selects one output format.
type Serializer struct {
	ParquetSerDe *ParquetSerDe `json:",omitempty"` // ParquetSerDe selects Parquet.
	OrcSerDe     *OrcSerDe     `json:",omitempty"` // OrcSerDe selects ORC.
}

// OutputFormatConfiguration is the output side of format conversion.
type OutputFormatConfiguration struct {
	// Serializer writes the columnar objects.
	Serializer *Serializer `json:",omitempty"`
}

// DataFormatConversionConfiguration converts JSON records to Parquet or ORC.
type DataFormatConversionConfiguration struct {
	SchemaConfiguration       *SchemaConfiguration       `json:",omitempty"` // SchemaConfiguration names the table.
	InputFormatConfiguration  *InputFormatConfiguration  `json:",omitempty"` // InputFormatConfiguration reads JSON.
	OutputFormatConfiguration *OutputFormatConfiguration `json:",omitempty"` // OutputFormatConfiguration writes columns.
	Enabled                   *bool                      `json:",omitempty"` // Enabled defaults to true.
}

// RetryOptions bounds retries of dynamically partitioned deliveries.
type RetryOptions struct {
	// DurationInSeconds is 0–7200.
	DurationInSeconds *int `json:",omitempty"`
}

// DynamicPartitioningConfiguration turns dynamic partitioning on (create only).
type DynamicPartitioningConfiguration struct {
	RetryOptions *RetryOptions `json:",omitempty"` // RetryOptions bounds retries.
	Enabled      *bool         `json:",omitempty"` // Enabled turns partitioning on.
}

// S3DestinationConfiguration is the plain S3 destination (also the backup destination).
type S3DestinationConfiguration struct {
	RoleARN                  string                    // RoleARN is required.
	BucketARN                string                    // BucketARN is required.
	Prefix                   *string                   `json:",omitempty"` // Prefix of object keys.
	ErrorOutputPrefix        *string                   `json:",omitempty"` // ErrorOutputPrefix of error objects.
	BufferingHints           *BufferingHints           `json:",omitempty"` // BufferingHints triggers delivery.
	CompressionFormat        *string                   `json:",omitempty"` // CompressionFormat of objects.
	EncryptionConfiguration  *EncryptionConfiguration  `json:",omitempty"` // EncryptionConfiguration in S3.
	CloudWatchLoggingOptions *CloudWatchLoggingOptions `json:",omitempty"` // CloudWatchLoggingOptions for errors.
}

// S3DestinationUpdate is an update of a plain S3 destination; every member is optional.
type S3DestinationUpdate struct {
	RoleARN                  *string                   `json:",omitempty"` // RoleARN replaces the role.
	BucketARN                *string                   `json:",omitempty"` // BucketARN replaces the bucket.
	Prefix                   *string                   `json:",omitempty"` // Prefix replaces the prefix.
	ErrorOutputPrefix        *string                   `json:",omitempty"` // ErrorOutputPrefix replaces the error prefix.
	BufferingHints           *BufferingHints           `json:",omitempty"` // BufferingHints replaces the hints.
	CompressionFormat        *string                   `json:",omitempty"` // CompressionFormat replaces the format.
	EncryptionConfiguration  *EncryptionConfiguration  `json:",omitempty"` // EncryptionConfiguration replaces it.
	CloudWatchLoggingOptions *CloudWatchLoggingOptions `json:",omitempty"` // CloudWatchLoggingOptions replaces them.
}

// ExtendedS3DestinationConfiguration is the extended S3 destination, the one
// wasmhose delivers to.
type ExtendedS3DestinationConfiguration struct {
	RoleARN                           string                             // RoleARN is required.
	BucketARN                         string                             // BucketARN is required.
	Prefix                            *string                            `json:",omitempty"` // Prefix of object keys.
	ErrorOutputPrefix                 *string                            `json:",omitempty"` // ErrorOutputPrefix of error objects.
	BufferingHints                    *BufferingHints                    `json:",omitempty"` // BufferingHints triggers delivery.
	CompressionFormat                 *string                            `json:",omitempty"` // CompressionFormat of objects.
	EncryptionConfiguration           *EncryptionConfiguration           `json:",omitempty"` // EncryptionConfiguration in S3.
	CloudWatchLoggingOptions          *CloudWatchLoggingOptions          `json:",omitempty"` // CloudWatchLoggingOptions for errors.
	ProcessingConfiguration           *ProcessingConfiguration           `json:",omitempty"` // ProcessingConfiguration of records.
	S3BackupMode                      *string                            `json:",omitempty"` // S3BackupMode Disabled or Enabled.
	S3BackupConfiguration             *S3DestinationConfiguration        `json:",omitempty"` // S3BackupConfiguration of source records.
	DataFormatConversionConfiguration *DataFormatConversionConfiguration `json:",omitempty"` // DataFormatConversionConfiguration to Parquet/ORC.
	DynamicPartitioningConfiguration  *DynamicPartitioningConfiguration  `json:",omitempty"` // DynamicPartitioningConfiguration (create only).
	FileExtension                     *string                            `json:",omitempty"` // FileExtension replaces the default extension.
	CustomTimeZone                    *string                            `json:",omitempty"` // CustomTimeZone of prefixes and names.
}

// ExtendedS3DestinationUpdate is an update of the extended S3 destination;
// every member is optional and omitted members keep their values.
type ExtendedS3DestinationUpdate struct {
	RoleARN                           *string                            `json:",omitempty"` // RoleARN replaces the role.
	BucketARN                         *string                            `json:",omitempty"` // BucketARN replaces the bucket.
	Prefix                            *string                            `json:",omitempty"` // Prefix replaces the prefix.
	ErrorOutputPrefix                 *string                            `json:",omitempty"` // ErrorOutputPrefix replaces it.
	BufferingHints                    *BufferingHints                    `json:",omitempty"` // BufferingHints replaces the hints.
	CompressionFormat                 *string                            `json:",omitempty"` // CompressionFormat replaces it.
	EncryptionConfiguration           *EncryptionConfiguration           `json:",omitempty"` // EncryptionConfiguration replaces it.
	CloudWatchLoggingOptions          *CloudWatchLoggingOptions          `json:",omitempty"` // CloudWatchLoggingOptions replaces them.
	ProcessingConfiguration           *ProcessingConfiguration           `json:",omitempty"` // ProcessingConfiguration replaces it whole.
	S3BackupMode                      *string                            `json:",omitempty"` // S3BackupMode may go Disabled → Enabled.
	S3BackupUpdate                    *S3DestinationUpdate               `json:",omitempty"` // S3BackupUpdate updates the backup.
	DataFormatConversionConfiguration *DataFormatConversionConfiguration `json:",omitempty"` // DataFormatConversionConfiguration replaces it.
	DynamicPartitioningConfiguration  *DynamicPartitioningConfiguration  `json:",omitempty"` // DynamicPartitioningConfiguration cannot change.
	FileExtension                     *string                            `json:",omitempty"` // FileExtension replaces it.
	CustomTimeZone                    *string                            `json:",omitempty"` // CustomTimeZone replaces it.
}

// Tag is a key/value tag of a stream.
type Tag struct {
	Key   string  // Key is 1–128 characters.
	Value *string `json:",omitempty"` // Value is 0–256 characters.
}

// DirectPutSourceConfiguration is informational for DirectPut streams.
type DirectPutSourceConfiguration struct {
	// ThroughputHintInMBs is 1–100.
	ThroughputHintInMBs *int `json:",omitempty"`
}

// EncryptionConfigurationInput is DeliveryStreamEncryptionConfigurationInput.
type EncryptionConfigurationInput struct {
	KeyARN  *string `json:",omitempty"` // KeyARN is required for CUSTOMER_MANAGED_CMK.
	KeyType string  // KeyType AWS_OWNED_CMK or CUSTOMER_MANAGED_CMK.
}

// CreateInput is CreateDeliveryStreamInput.
type CreateInput struct {
	DeliveryStreamName                         string                              // DeliveryStreamName is required.
	DeliveryStreamType                         *string                             `json:",omitempty"` // DeliveryStreamType defaults to DirectPut.
	DirectPutSourceConfiguration               *DirectPutSourceConfiguration       `json:",omitempty"` // DirectPutSourceConfiguration is informational.
	DeliveryStreamEncryptionConfigurationInput *EncryptionConfigurationInput       `json:",omitempty"` // DeliveryStreamEncryptionConfigurationInput turns SSE on.
	S3DestinationConfiguration                 *S3DestinationConfiguration         `json:",omitempty"` // S3DestinationConfiguration is deprecated.
	ExtendedS3DestinationConfiguration         *ExtendedS3DestinationConfiguration `json:",omitempty"` // ExtendedS3DestinationConfiguration is the destination.
	Tags                                       []Tag                               `json:",omitempty"` // Tags 1–50.

	// Unsupported collects destinations and sources wasmhose does not
	// deliver to; they are rejected by validation.
	KinesisStreamSourceConfiguration                   json.RawMessage `json:",omitempty"` // KinesisStreamSourceConfiguration is rejected.
	MSKSourceConfiguration                             json.RawMessage `json:",omitempty"` // MSKSourceConfiguration is rejected.
	DatabaseSourceConfiguration                        json.RawMessage `json:",omitempty"` // DatabaseSourceConfiguration is rejected.
	RedshiftDestinationConfiguration                   json.RawMessage `json:",omitempty"` // RedshiftDestinationConfiguration is rejected.
	ElasticsearchDestinationConfiguration              json.RawMessage `json:",omitempty"` // ElasticsearchDestinationConfiguration is rejected.
	AmazonopensearchserviceDestinationConfiguration    json.RawMessage `json:",omitempty"` // AmazonopensearchserviceDestinationConfiguration is rejected.
	SplunkDestinationConfiguration                     json.RawMessage `json:",omitempty"` // SplunkDestinationConfiguration is rejected.
	HttpEndpointDestinationConfiguration               json.RawMessage `json:",omitempty"` // HttpEndpointDestinationConfiguration is rejected.
	AmazonOpenSearchServerlessDestinationConfiguration json.RawMessage `json:",omitempty"` // AmazonOpenSearchServerlessDestinationConfiguration is rejected.
	SnowflakeDestinationConfiguration                  json.RawMessage `json:",omitempty"` // SnowflakeDestinationConfiguration is rejected.
	IcebergDestinationConfiguration                    json.RawMessage `json:",omitempty"` // IcebergDestinationConfiguration is rejected.
}

// UpdateInput is UpdateDestinationInput.
type UpdateInput struct {
	DeliveryStreamName             string                       // DeliveryStreamName is required.
	CurrentDeliveryStreamVersionId string                       // CurrentDeliveryStreamVersionId must match.
	DestinationId                  string                       // DestinationId names the destination.
	S3DestinationUpdate            *S3DestinationUpdate         `json:",omitempty"` // S3DestinationUpdate is deprecated.
	ExtendedS3DestinationUpdate    *ExtendedS3DestinationUpdate `json:",omitempty"` // ExtendedS3DestinationUpdate updates it.

	// Updates of destinations wasmhose does not deliver to; rejected.
	RedshiftDestinationUpdate                   json.RawMessage `json:",omitempty"` // RedshiftDestinationUpdate is rejected.
	ElasticsearchDestinationUpdate              json.RawMessage `json:",omitempty"` // ElasticsearchDestinationUpdate is rejected.
	AmazonopensearchserviceDestinationUpdate    json.RawMessage `json:",omitempty"` // AmazonopensearchserviceDestinationUpdate is rejected.
	SplunkDestinationUpdate                     json.RawMessage `json:",omitempty"` // SplunkDestinationUpdate is rejected.
	HttpEndpointDestinationUpdate               json.RawMessage `json:",omitempty"` // HttpEndpointDestinationUpdate is rejected.
	AmazonOpenSearchServerlessDestinationUpdate json.RawMessage `json:",omitempty"` // AmazonOpenSearchServerlessDestinationUpdate is rejected.
	SnowflakeDestinationUpdate                  json.RawMessage `json:",omitempty"` // SnowflakeDestinationUpdate is rejected.
	IcebergDestinationUpdate                    json.RawMessage `json:",omitempty"` // IcebergDestinationUpdate is rejected.
}
