package stream

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"
)

// Status values of a delivery stream (DeliveryStreamStatus).
const (
	StatusCreating       = "CREATING"
	StatusCreatingFailed = "CREATING_FAILED"
	StatusDeleting       = "DELETING"
	StatusDeletingFailed = "DELETING_FAILED"
	StatusActive         = "ACTIVE"
)

// Delivery stream types (DeliveryStreamType).
const (
	TypeDirectPut              = "DirectPut"
	TypeKinesisStreamAsSource  = "KinesisStreamAsSource"
	TypeMSKAsSource            = "MSKAsSource"
	TypeDatabaseAsSource       = "DatabaseAsSource"
	DefaultDestinationID       = "destinationId-000000000001"
	defaultBufferSizeMB        = 5
	defaultBufferIntervalSecs  = 300
	conversionBufferSizeMB     = 128
	defaultNoEncryptionSetting = "NoEncryption"
)

// Stream is a delivery stream as the registry stores it. Destination holds
// the configuration with every default filled in (WithDefaults).
type Stream struct {
	// Name is the DeliveryStreamName.
	Name string
	// ARN is the DeliveryStreamARN.
	ARN string
	// Type is the DeliveryStreamType.
	Type string
	// Status is the DeliveryStreamStatus.
	Status string
	// VersionID starts at 1 and goes up with each UpdateDestination.
	VersionID int64
	// Created is the CreateTimestamp.
	Created time.Time
	// LastUpdate is the LastUpdateTimestamp (zero until the first update).
	LastUpdate time.Time `json:",omitzero"`
	// DirectPut is the informational DirectPut source configuration.
	DirectPut *DirectPutSourceConfiguration `json:",omitempty"`
	// Encryption is the server-side stream encryption's key; nil when
	// disabled.
	Encryption *EncryptionConfigurationInput `json:",omitempty"`
	// EncryptionStatus is ENABLING, ENABLED, ENABLING_FAILED, DISABLING
	// or DISABLING_FAILED while Encryption is set; empty when it is nil
	// (DISABLED). See EncryptionState.
	EncryptionStatus string `json:",omitempty"`
	// EncryptionFailure says why the last encryption change failed.
	EncryptionFailure *FailureDescription `json:",omitempty"`
	// DestinationID names the one destination.
	DestinationID string
	// Destination is the extended S3 destination with defaults applied.
	Destination ExtendedS3DestinationConfiguration
	// ID identifies this incarnation of the stream (a re-created stream of the same name gets a new one); it names the write-ahead log folder.
	ID string
	// Tags in the order they were first added.
	Tags []Tag `json:",omitempty"`
}

// Version is VersionID as the API writes it.
func (s *Stream) Version() string { return strconv.FormatInt(s.VersionID, 10) }

// Clone returns a deep copy, so readers never share mutable state with the
// registry.
func (s *Stream) Clone() *Stream {
	b, err := json.Marshal(s)
	if err != nil {
		panic(fmt.Sprintf("stream: clone: %v", err)) // a Stream always marshals
	}
	var c Stream
	if err := json.Unmarshal(b, &c); err != nil {
		panic(fmt.Sprintf("stream: clone: %v", err))
	}
	return &c
}

// Timestamp is an instant written as fractional epoch seconds, the AWS JSON
// timestamp form (e.g. 1514224146.811).
type Timestamp time.Time

// MarshalJSON writes epoch seconds with millisecond precision.
func (t Timestamp) MarshalJSON() ([]byte, error) {
	ms := time.Time(t).UnixMilli()
	return []byte(strconv.FormatFloat(float64(ms)/1000, 'f', -1, 64)), nil
}

// UnmarshalJSON reads fractional epoch seconds.
func (t *Timestamp) UnmarshalJSON(b []byte) error {
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return fmt.Errorf("timestamp %q: %w", b, err)
	}
	sec, frac := math.Modf(f)
	*t = Timestamp(time.Unix(int64(sec), int64(math.Round(frac*1e3))*1e6).UTC())
	return nil
}

// Bool returns a pointer to b.
func Bool(b bool) *bool { return &b }

// Int returns a pointer to i.
func Int(i int) *int { return &i }

// String returns a pointer to s.
func String(s string) *string { return &s }

// deref returns *p or def when p is nil.
func deref[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}

// WithDefaults returns a copy of c with the service defaults filled in, the
// way DescribeDeliveryStream reports them: buffering 5 MiB / 300 s (128 MiB
// with format conversion), UNCOMPRESSED, NoEncryption, logging disabled,
// empty prefix, S3 backup Disabled.
func WithDefaults(c ExtendedS3DestinationConfiguration) ExtendedS3DestinationConfiguration {
	size := defaultBufferSizeMB
	if ConversionEnabled(&c) {
		size = conversionBufferSizeMB
	}
	hints := BufferingHints{SizeInMBs: Int(size), IntervalInSeconds: Int(defaultBufferIntervalSecs)}
	if c.BufferingHints != nil {
		if c.BufferingHints.SizeInMBs != nil {
			hints.SizeInMBs = Int(*c.BufferingHints.SizeInMBs)
		}
		if c.BufferingHints.IntervalInSeconds != nil {
			hints.IntervalInSeconds = Int(*c.BufferingHints.IntervalInSeconds)
		}
	}
	c.BufferingHints = &hints
	if c.Prefix == nil {
		c.Prefix = String("")
	}
	if c.CompressionFormat == nil {
		c.CompressionFormat = String("UNCOMPRESSED")
	}
	if c.EncryptionConfiguration == nil || (c.EncryptionConfiguration.KMSEncryptionConfig == nil && c.EncryptionConfiguration.NoEncryptionConfig == "") {
		c.EncryptionConfiguration = &EncryptionConfiguration{NoEncryptionConfig: defaultNoEncryptionSetting}
	}
	if c.CloudWatchLoggingOptions == nil {
		c.CloudWatchLoggingOptions = &CloudWatchLoggingOptions{Enabled: Bool(false)}
	} else if c.CloudWatchLoggingOptions.Enabled == nil {
		c.CloudWatchLoggingOptions.Enabled = Bool(false)
	}
	if c.S3BackupMode == nil {
		c.S3BackupMode = String("Disabled")
	}
	if c.DataFormatConversionConfiguration != nil && c.DataFormatConversionConfiguration.Enabled == nil {
		c.DataFormatConversionConfiguration.Enabled = Bool(true)
	}
	return c
}

// ConversionEnabled reports whether format conversion is on (Enabled
// defaults to true when the block is present).
func ConversionEnabled(c *ExtendedS3DestinationConfiguration) bool {
	d := c.DataFormatConversionConfiguration
	return d != nil && deref(d.Enabled, true)
}

// DynamicPartitioningEnabled reports whether dynamic partitioning is on.
func DynamicPartitioningEnabled(c *ExtendedS3DestinationConfiguration) bool {
	d := c.DynamicPartitioningConfiguration
	return d != nil && deref(d.Enabled, false)
}

// ProcessingEnabled reports whether the processing configuration is on.
func ProcessingEnabled(c *ExtendedS3DestinationConfiguration) bool {
	p := c.ProcessingConfiguration
	return p != nil && deref(p.Enabled, false)
}

// FromS3 converts the deprecated S3DestinationConfiguration into the
// extended form, which is how the service stores every S3 destination.
func FromS3(c *S3DestinationConfiguration) ExtendedS3DestinationConfiguration {
	return ExtendedS3DestinationConfiguration{
		RoleARN:                  c.RoleARN,
		BucketARN:                c.BucketARN,
		Prefix:                   c.Prefix,
		ErrorOutputPrefix:        c.ErrorOutputPrefix,
		BufferingHints:           c.BufferingHints,
		CompressionFormat:        c.CompressionFormat,
		EncryptionConfiguration:  c.EncryptionConfiguration,
		CloudWatchLoggingOptions: c.CloudWatchLoggingOptions,
	}
}

// s3Description is the parallel plain-S3 view of an extended destination.
func s3Description(c *ExtendedS3DestinationConfiguration) *S3DestinationConfiguration {
	return &S3DestinationConfiguration{
		RoleARN:                  c.RoleARN,
		BucketARN:                c.BucketARN,
		Prefix:                   c.Prefix,
		ErrorOutputPrefix:        c.ErrorOutputPrefix,
		BufferingHints:           c.BufferingHints,
		CompressionFormat:        c.CompressionFormat,
		EncryptionConfiguration:  c.EncryptionConfiguration,
		CloudWatchLoggingOptions: c.CloudWatchLoggingOptions,
	}
}

// ExtendedS3DestinationDescription is the Describe view of the extended destination.
type ExtendedS3DestinationDescription struct {
	ExtendedS3DestinationConfiguration
	// S3BackupConfiguration is reported as S3BackupDescription.
	S3BackupConfiguration *S3DestinationConfiguration `json:"-"`
	// S3BackupDescription is the backup destination.
	S3BackupDescription *S3DestinationConfiguration `json:",omitempty"`
}

// DestinationDescription is one entry of Destinations.
type DestinationDescription struct {
	DestinationId                    string                            // DestinationId names it.
	S3DestinationDescription         *S3DestinationConfiguration       `json:",omitempty"` // S3DestinationDescription is the plain view.
	ExtendedS3DestinationDescription *ExtendedS3DestinationDescription `json:",omitempty"` // ExtendedS3DestinationDescription is the full view.
}

// EncryptionDescription is DeliveryStreamEncryptionConfiguration.
type EncryptionDescription struct {
	KeyARN             *string             `json:",omitempty"` // KeyARN of a customer managed key.
	KeyType            *string             `json:",omitempty"` // KeyType of the key.
	Status             string              // Status ENABLED, ENABLING, ENABLING_FAILED, DISABLED, DISABLING or DISABLING_FAILED.
	FailureDescription *FailureDescription `json:",omitempty"` // FailureDescription of a failed change.
}

// SourceDescription is the Source member of a description.
type SourceDescription struct {
	// DirectPutSourceDescription is set for DirectPut streams.
	DirectPutSourceDescription *DirectPutSourceConfiguration `json:",omitempty"`
}

// Description is DeliveryStreamDescription.
type Description struct {
	DeliveryStreamName                    string                   // DeliveryStreamName of the stream.
	DeliveryStreamARN                     string                   // DeliveryStreamARN of the stream.
	DeliveryStreamStatus                  string                   // DeliveryStreamStatus of the stream.
	DeliveryStreamEncryptionConfiguration *EncryptionDescription   `json:",omitempty"` // DeliveryStreamEncryptionConfiguration is SSE.
	DeliveryStreamType                    string                   // DeliveryStreamType of the stream.
	VersionId                             string                   // VersionId as a decimal string.
	CreateTimestamp                       Timestamp                // CreateTimestamp of the stream.
	LastUpdateTimestamp                   *Timestamp               `json:",omitempty"` // LastUpdateTimestamp of the last update.
	Source                                *SourceDescription       `json:",omitempty"` // Source of the records.
	Destinations                          []DestinationDescription // Destinations holds the one destination.
	HasMoreDestinations                   bool                     // HasMoreDestinations is always false.
}

// Describe builds the DeliveryStreamDescription of s.
func (s *Stream) Describe() Description {
	c := s.Clone()
	d := Description{
		DeliveryStreamName:   c.Name,
		DeliveryStreamARN:    c.ARN,
		DeliveryStreamStatus: c.Status,
		DeliveryStreamType:   c.Type,
		VersionId:            c.Version(),
		CreateTimestamp:      Timestamp(c.Created),
	}
	if !c.LastUpdate.IsZero() {
		t := Timestamp(c.LastUpdate)
		d.LastUpdateTimestamp = &t
	}
	d.DeliveryStreamEncryptionConfiguration = c.describeEncryption()
	if c.Type == TypeDirectPut {
		src := c.DirectPut
		if src == nil {
			src = &DirectPutSourceConfiguration{}
		}
		d.Source = &SourceDescription{DirectPutSourceDescription: src}
	}
	if c.Destination.DataFormatConversionConfiguration != nil {
		region, account := arnRegionAccount(c.ARN)
		conversionDefaults(c.Destination.DataFormatConversionConfiguration, account, region)
	}
	ext := &ExtendedS3DestinationDescription{ExtendedS3DestinationConfiguration: c.Destination}
	ext.S3BackupDescription = c.Destination.S3BackupConfiguration
	ext.ExtendedS3DestinationConfiguration.S3BackupConfiguration = nil
	d.Destinations = []DestinationDescription{{
		DestinationId:                    c.DestinationID,
		S3DestinationDescription:         s3Description(&c.Destination),
		ExtendedS3DestinationDescription: ext,
	}}
	return d
}
