package stream

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/wasmhose/wasmhose/host/apierror"
	"github.com/wasmhose/wasmhose/host/prefix"
)

// Model constraints (botocore firehose/2015-08-04 shapes).
var (
	reStreamName   = regexp.MustCompile(`^[a-zA-Z0-9_.-]+$`)
	reRoleARN      = regexp.MustCompile(`^arn:.*:iam::\d{12}:role/[a-zA-Z_0-9+=,.@\-_/]+$`)
	reBucketARN    = regexp.MustCompile(`^arn:.*:s3:::[\w\.\-]{1,255}$`)
	reKMSKeyARN    = regexp.MustCompile(`^arn:.*:kms:[a-zA-Z0-9\-]+:\d{12}:(key|alias)/[a-zA-Z_0-9+=,.@\-_/]+$`)
	reAWSKMSKeyARN = regexp.MustCompile(`^arn:.*$`)
	reLogGroup     = regexp.MustCompile(`^[\.\-_/#A-Za-z0-9]*$`)
	reLogStream    = regexp.MustCompile(`^[^:*]*$`)
	reFileExt      = regexp.MustCompile(`^$|^\.[0-9a-z!\-_.*'()]+$`)
	reTimeZone     = regexp.MustCompile(`^$|^[a-zA-Z/_]+$`)
	reTagKey       = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:\/=+\-@%]*$`)
	reTagValue     = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:\/=+\-@%]*$`)
	reVersionID    = regexp.MustCompile(`^[0-9]+$`)
	reDestID       = regexp.MustCompile(`^[a-zA-Z0-9-]+$`)
	reNonBlank     = regexp.MustCompile(`\S`)
)

// Enumerations.
var (
	streamTypes        = []string{TypeDirectPut, TypeKinesisStreamAsSource, TypeMSKAsSource, TypeDatabaseAsSource}
	compressionFormats = []string{"UNCOMPRESSED", "GZIP", "ZIP", "Snappy", "HADOOP_SNAPPY"}
	backupModes        = []string{"Disabled", "Enabled"}
	keyTypes           = []string{"AWS_OWNED_CMK", "CUSTOMER_MANAGED_CMK"}
	processorTypes     = []string{"RecordDeAggregation", "Decompression", "CloudWatchLogProcessing", "Lambda", "MetadataExtraction", "AppendDelimiterToRecord"}
	parameterNames     = []string{"LambdaArn", "NumberOfRetries", "MetadataExtractionQuery", "JsonParsingEngine", "RoleArn", "BufferSizeInMBs", "BufferIntervalInSeconds", "SubRecordType", "Delimiter", "CompressionFormat", "DataMessageExtraction"}
)

// Limits of the service.
const (
	// MaxStreams is the number of delivery streams per account and region.
	MaxStreams = 50
	// MaxTags is the number of tags per stream and per call.
	MaxTags = 50
)

// checker collects ValidationException violations with lowerCamelCase paths.
type checker struct{ v apierror.Violations }

func (c *checker) length(path, val string, min, max int) {
	n := utf8.RuneCountInString(val)
	if n < min {
		c.v.Add(path, val, true, fmt.Sprintf("Member must have length greater than or equal to %d", min))
	}
	if n > max {
		c.v.Add(path, truncate(val), true, fmt.Sprintf("Member must have length less than or equal to %d", max))
	}
}

func (c *checker) pattern(path, val string, re *regexp.Regexp) {
	if !re.MatchString(val) {
		c.v.Add(path, truncate(val), true, "Member must satisfy regular expression pattern: "+strings.Trim(re.String(), "^$"))
	}
}

func (c *checker) str(path, val string, min, max int, re *regexp.Regexp) {
	c.length(path, val, min, max)
	if re != nil && utf8.RuneCountInString(val) >= min {
		c.pattern(path, val, re)
	}
}

func (c *checker) optStr(path string, val *string, min, max int, re *regexp.Regexp) {
	if val != nil {
		c.str(path, *val, min, max, re)
	}
}

func (c *checker) enum(path, val string, set []string) {
	if !slices.Contains(set, val) {
		c.v.Add(path, val, true, "Member must satisfy enum value set: ["+strings.Join(set, ", ")+"]")
	}
}

func (c *checker) optEnum(path string, val *string, set []string) {
	if val != nil {
		c.enum(path, *val, set)
	}
}

func (c *checker) rangeInt(path string, val *int, min, max int) {
	if val == nil {
		return
	}
	if *val < min {
		c.v.Add(path, fmt.Sprint(*val), true, fmt.Sprintf("Member must have value greater than or equal to %d", min))
	}
	if *val > max {
		c.v.Add(path, fmt.Sprint(*val), true, fmt.Sprintf("Member must have value less than or equal to %d", max))
	}
}

func (c *checker) required(path string, present bool) {
	if !present {
		c.v.Add(path, "", false, "Member must not be null")
	}
}

func truncate(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}

// CheckStreamName checks a DeliveryStreamName against the model and returns
// a ValidationException, or nil.
func CheckStreamName(name string) error {
	var c checker
	c.str("deliveryStreamName", name, 1, 64, reStreamName)
	return c.v.Err()
}

// CheckTags checks a tag list's model constraints.
func (c *checker) tags(path string, tags []Tag) {
	if len(tags) > MaxTags {
		c.v.Add(path, "", false, fmt.Sprintf("Member must have length less than or equal to %d", MaxTags))
	}
	for i, t := range tags {
		p := fmt.Sprintf("%s.%d.member", path, i+1)
		c.str(p+".key", t.Key, 1, 128, reTagKey)
		if strings.HasPrefix(t.Key, "aws:") {
			// The model's pattern is ^(?!aws:)[...]*$; Go's regexp has no lookahead.
			c.v.Add(p+".key", t.Key, true, `Member must satisfy regular expression pattern: ^(?!aws:)[\p{L}\p{Z}\p{N}_.:\/=+\-@%]*$`)
		}
		c.optStr(p+".value", t.Value, 0, 256, reTagValue)
	}
}

func (c *checker) hints(path string, h *BufferingHints) {
	if h == nil {
		return
	}
	c.rangeInt(path+".sizeInMBs", h.SizeInMBs, 1, 128)
	c.rangeInt(path+".intervalInSeconds", h.IntervalInSeconds, 0, 900)
}

func (c *checker) encryption(path string, e *EncryptionConfiguration) {
	if e == nil {
		return
	}
	if e.NoEncryptionConfig != "" {
		c.enum(path+".noEncryptionConfig", e.NoEncryptionConfig, []string{defaultNoEncryptionSetting})
	}
	if e.KMSEncryptionConfig != nil {
		c.str(path+".kMSEncryptionConfig.aWSKMSKeyARN", e.KMSEncryptionConfig.AWSKMSKeyARN, 1, 512, reAWSKMSKeyARN)
	}
}

func (c *checker) logging(path string, l *CloudWatchLoggingOptions) {
	if l == nil {
		return
	}
	c.optStr(path+".logGroupName", l.LogGroupName, 0, 512, reLogGroup)
	c.optStr(path+".logStreamName", l.LogStreamName, 0, 512, reLogStream)
}

func (c *checker) processing(path string, p *ProcessingConfiguration) {
	if p == nil {
		return
	}
	for i, pr := range p.Processors {
		pp := fmt.Sprintf("%s.processors.%d.member", path, i+1)
		c.enum(pp+".type", pr.Type, processorTypes)
		for j, par := range pr.Parameters {
			ppp := fmt.Sprintf("%s.parameters.%d.member", pp, j+1)
			c.enum(ppp+".parameterName", par.ParameterName, parameterNames)
			c.str(ppp+".parameterValue", par.ParameterValue, 1, 5120, reNonBlank)
		}
	}
}

func (c *checker) s3(path string, d *S3DestinationConfiguration) {
	c.str(path+".roleARN", d.RoleARN, 1, 512, reRoleARN)
	c.str(path+".bucketARN", d.BucketARN, 1, 2048, reBucketARN)
	c.optStr(path+".prefix", d.Prefix, 0, 1024, nil)
	c.optStr(path+".errorOutputPrefix", d.ErrorOutputPrefix, 0, 1024, nil)
	c.hints(path+".bufferingHints", d.BufferingHints)
	c.optEnum(path+".compressionFormat", d.CompressionFormat, compressionFormats)
	c.encryption(path+".encryptionConfiguration", d.EncryptionConfiguration)
	c.logging(path+".cloudWatchLoggingOptions", d.CloudWatchLoggingOptions)
}

func (c *checker) extended(path string, d *ExtendedS3DestinationConfiguration) {
	c.s3(path, &S3DestinationConfiguration{
		RoleARN: d.RoleARN, BucketARN: d.BucketARN, Prefix: d.Prefix, ErrorOutputPrefix: d.ErrorOutputPrefix,
		BufferingHints: d.BufferingHints, CompressionFormat: d.CompressionFormat,
		EncryptionConfiguration: d.EncryptionConfiguration, CloudWatchLoggingOptions: d.CloudWatchLoggingOptions,
	})
	c.processing(path+".processingConfiguration", d.ProcessingConfiguration)
	c.optEnum(path+".s3BackupMode", d.S3BackupMode, backupModes)
	if d.S3BackupConfiguration != nil {
		c.s3(path+".s3BackupConfiguration", d.S3BackupConfiguration)
	}
	c.optStr(path+".fileExtension", d.FileExtension, 0, 128, reFileExt)
	c.optStr(path+".customTimeZone", d.CustomTimeZone, 0, 50, reTimeZone)
	c.conversion(path+".dataFormatConversionConfiguration", d.DataFormatConversionConfiguration)
	if dp := d.DynamicPartitioningConfiguration; dp != nil && dp.RetryOptions != nil {
		c.rangeInt(path+".dynamicPartitioningConfiguration.retryOptions.durationInSeconds", dp.RetryOptions.DurationInSeconds, 0, 7200)
	}
}

// ValidateCreate checks a CreateDeliveryStream request: first every model
// constraint as one ValidationException, then the semantic rules as
// InvalidArgumentException, in the order Firehose applies them.
func ValidateCreate(in *CreateInput) error {
	var c checker
	c.str("deliveryStreamName", in.DeliveryStreamName, 1, 64, reStreamName)
	c.optEnum("deliveryStreamType", in.DeliveryStreamType, streamTypes)
	if in.DirectPutSourceConfiguration != nil {
		c.required("directPutSourceConfiguration.throughputHintInMBs", in.DirectPutSourceConfiguration.ThroughputHintInMBs != nil)
		c.rangeInt("directPutSourceConfiguration.throughputHintInMBs", in.DirectPutSourceConfiguration.ThroughputHintInMBs, 1, 100)
	}
	if e := in.DeliveryStreamEncryptionConfigurationInput; e != nil {
		c.enum("deliveryStreamEncryptionConfigurationInput.keyType", e.KeyType, keyTypes)
		c.optStr("deliveryStreamEncryptionConfigurationInput.keyARN", e.KeyARN, 1, 512, reAWSKMSKeyARN)
	}
	if in.Tags != nil {
		if len(in.Tags) == 0 {
			c.v.Add("tags", "", false, "Member must have length greater than or equal to 1")
		}
		c.tags("tags", in.Tags)
	}
	if in.S3DestinationConfiguration != nil {
		c.s3("s3DestinationConfiguration", in.S3DestinationConfiguration)
	}
	if in.ExtendedS3DestinationConfiguration != nil {
		c.extended("extendedS3DestinationConfiguration", in.ExtendedS3DestinationConfiguration)
	}
	if err := c.v.Err(); err != nil {
		return err
	}

	// Semantic rules.
	n := 0
	unsupported := ""
	for name, raw := range map[string][]byte{
		"RedshiftDestinationConfiguration":                   in.RedshiftDestinationConfiguration,
		"ElasticsearchDestinationConfiguration":              in.ElasticsearchDestinationConfiguration,
		"AmazonopensearchserviceDestinationConfiguration":    in.AmazonopensearchserviceDestinationConfiguration,
		"SplunkDestinationConfiguration":                     in.SplunkDestinationConfiguration,
		"HttpEndpointDestinationConfiguration":               in.HttpEndpointDestinationConfiguration,
		"AmazonOpenSearchServerlessDestinationConfiguration": in.AmazonOpenSearchServerlessDestinationConfiguration,
		"SnowflakeDestinationConfiguration":                  in.SnowflakeDestinationConfiguration,
		"IcebergDestinationConfiguration":                    in.IcebergDestinationConfiguration,
	} {
		if isSet(raw) {
			n++
			unsupported = name
		}
	}
	if in.S3DestinationConfiguration != nil {
		n++
	}
	if in.ExtendedS3DestinationConfiguration != nil {
		n++
	}
	if n != 1 {
		return apierror.InvalidArgument("Exactly one destination configuration is supported for a Firehose")
	}
	if unsupported != "" {
		return apierror.InvalidArgument("%s is not supported: wasmhose delivers to S3 destinations only (ExtendedS3DestinationConfiguration or S3DestinationConfiguration)", unsupported)
	}
	typ := deref(in.DeliveryStreamType, TypeDirectPut)
	if typ != TypeDirectPut {
		return apierror.InvalidArgument("DeliveryStreamType %s is not supported: wasmhose accepts DirectPut delivery streams only", typ)
	}
	if isSet(in.KinesisStreamSourceConfiguration) {
		return apierror.InvalidArgument("KinesisSourceStreamConfig is only applicable for KinesisStreamAsSource stream type")
	}
	if isSet(in.MSKSourceConfiguration) {
		return apierror.InvalidArgument("MSKSourceConfiguration is only applicable for MSKAsSource stream type")
	}
	if isSet(in.DatabaseSourceConfiguration) {
		return apierror.InvalidArgument("DatabaseSourceConfiguration is only applicable for DatabaseAsSource stream type")
	}
	if e := in.DeliveryStreamEncryptionConfigurationInput; e != nil && e.KeyType == "CUSTOMER_MANAGED_CMK" && e.KeyARN == nil {
		return apierror.InvalidArgument("KeyARN is required when KeyType is CUSTOMER_MANAGED_CMK")
	}
	var dest ExtendedS3DestinationConfiguration
	if in.ExtendedS3DestinationConfiguration != nil {
		dest = *in.ExtendedS3DestinationConfiguration
	} else {
		dest = FromS3(in.S3DestinationConfiguration)
	}
	if err := ValidateDestination(&dest, "ExtendedS3DestinationConfiguration"); err != nil {
		return err
	}
	return ValidateKeys(in.DeliveryStreamName, &dest, "ExtendedS3DestinationConfiguration")
}

// MaxDefaultExtension is the longest file extension the service gives
// objects by itself (.gz, .zip, .snappy, .parquet, .orc): ValidateKeys
// counts it for a destination without FileExtension.
const MaxDefaultExtension = ".parquet"

// ValidateKeys refuses a destination of the stream called name whose
// objects could never be stored: a Prefix or ErrorOutputPrefix that
// evaluates to more than 512 characters, or that with the object name
// makes keys longer than S3's 1024 bytes (see prefix.ValidateKeys). field
// names the configuration in messages.
func ValidateKeys(name string, d *ExtendedS3DestinationConfiguration, field string) error {
	ext := deref(d.FileExtension, "")
	if ext == "" {
		ext = MaxDefaultExtension
	}
	if err := prefix.ValidateKeys(deref(d.Prefix, ""), deref(d.ErrorOutputPrefix, ""), name, ext); err != nil {
		return apierror.InvalidArgument("%s: %v", field, err)
	}
	return nil
}

func isSet(raw []byte) bool {
	s := strings.TrimSpace(string(raw))
	return s != "" && s != "null"
}

// ValidateDestination applies the semantic (InvalidArgumentException) rules
// to a complete extended S3 destination: hint pairing, prefix rules,
// logging, format-conversion rules and the features this build supports.
// field names the configuration in messages.
func ValidateDestination(d *ExtendedS3DestinationConfiguration, field string) error {
	if h := d.BufferingHints; h != nil && (h.SizeInMBs == nil) != (h.IntervalInSeconds == nil) {
		return apierror.InvalidArgument("%s.BufferingHints: SizeInMBs and IntervalInSeconds must be specified together", field)
	}
	if err := prefix.Validate(deref(d.Prefix, ""), deref(d.ErrorOutputPrefix, ""), DynamicPartitioningEnabled(d)); err != nil {
		return apierror.InvalidArgument("%s: %v", field, err)
	}
	if l := d.CloudWatchLoggingOptions; l != nil && deref(l.Enabled, false) && (deref(l.LogGroupName, "") == "" || deref(l.LogStreamName, "") == "") {
		return apierror.InvalidArgument("%s.CloudWatchLoggingOptions: LogGroupName and LogStreamName are required when logging is enabled", field)
	}
	if e := d.EncryptionConfiguration; e != nil {
		if e.KMSEncryptionConfig != nil && e.NoEncryptionConfig != "" {
			return apierror.InvalidArgument("%s.EncryptionConfiguration: only one of NoEncryptionConfig and KMSEncryptionConfig may be specified", field)
		}
		if e.KMSEncryptionConfig != nil && !reKMSKeyARN.MatchString(e.KMSEncryptionConfig.AWSKMSKeyARN) {
			return apierror.InvalidArgument("%s.EncryptionConfiguration.KMSEncryptionConfig.AWSKMSKeyARN %q is not a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id> or alias/<name>)", field, e.KMSEncryptionConfig.AWSKMSKeyARN)
		}
	}
	if tz := deref(d.CustomTimeZone, ""); tz != "" {
		if _, err := LoadLocation(tz); err != nil {
			return apierror.InvalidArgument("%s.CustomTimeZone %q is not a known time zone", field, tz)
		}
	}
	if ConversionEnabled(d) {
		if err := validateConversion(d, field); err != nil {
			return err
		}
	}
	if DynamicPartitioningEnabled(d) {
		return apierror.InvalidArgument("%s.DynamicPartitioningConfiguration: dynamic partitioning is not available in this wasmhose build yet", field)
	}
	if deref(d.S3BackupMode, "Disabled") == "Enabled" {
		return apierror.InvalidArgument("%s.S3BackupMode Enabled is not available in this wasmhose build yet", field)
	}
	if ProcessingEnabled(d) {
		for i, p := range d.ProcessingConfiguration.Processors {
			params := map[string]string{}
			for _, par := range p.Parameters {
				params[par.ParameterName] = par.ParameterValue
			}
			switch p.Type {
			case "AppendDelimiterToRecord":
				for name := range params {
					if name != "Delimiter" {
						return apierror.InvalidArgument("%s.ProcessingConfiguration.Processors[%d]: parameter %s does not apply to AppendDelimiterToRecord", field, i, name)
					}
				}
			case "Lambda":
				for name := range params {
					switch name {
					case "LambdaArn", "NumberOfRetries", "RoleArn", "BufferSizeInMBs", "BufferIntervalInSeconds":
					default:
						return apierror.InvalidArgument("%s.ProcessingConfiguration.Processors[%d]: parameter %s does not apply to Lambda", field, i, name)
					}
				}
				if err := ValidateLambdaParameters(params); err != nil {
					return apierror.InvalidArgument("%s.ProcessingConfiguration.Processors[%d]: %v", field, i, err)
				}
			default:
				return apierror.InvalidArgument("%s.ProcessingConfiguration.Processors[%d]: processor type %s is not available in this wasmhose build yet (Lambda and AppendDelimiterToRecord are)", field, i, p.Type)
			}
		}
	}
	return nil
}

// LambdaFunctions returns the LambdaArn of every Lambda processor of an
// enabled processing configuration, in order.
func LambdaFunctions(d *ExtendedS3DestinationConfiguration) []string {
	if !ProcessingEnabled(d) {
		return nil
	}
	var arns []string
	for _, p := range d.ProcessingConfiguration.Processors {
		if p.Type != "Lambda" {
			continue
		}
		for _, par := range p.Parameters {
			if par.ParameterName == "LambdaArn" {
				arns = append(arns, par.ParameterValue)
			}
		}
	}
	return arns
}

// ValidateLambdaParameters checks a Lambda processor's parameters (without
// resolving the function): LambdaArn present and well formed,
// NumberOfRetries 0–300, BufferSizeInMBs 0.2–3, BufferIntervalInSeconds
// 0–900 (the Firehose developer guide, "Transform source data": the Lambda
// buffering interval hint "ranges between 0 and 900 seconds").
func ValidateLambdaParameters(params map[string]string) error {
	arn, ok := params["LambdaArn"]
	if !ok {
		return errors.New("a Lambda processor needs the LambdaArn parameter")
	}
	if _, _, err := ParseLambdaARN(arn); err != nil {
		return err
	}
	if v, ok := params["NumberOfRetries"]; ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 300 {
			return fmt.Errorf("NumberOfRetries %q must be a whole number from 0 to 300", v)
		}
	}
	if v, ok := params["BufferSizeInMBs"]; ok {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0.2 || f > 3 {
			return fmt.Errorf("BufferSizeInMBs %q must be a number from 0.2 to 3", v)
		}
	}
	if v, ok := params["BufferIntervalInSeconds"]; ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 900 {
			return fmt.Errorf("BufferIntervalInSeconds %q must be a whole number from 0 to 900", v)
		}
	}
	return nil
}

// ParseLambdaARN splits arn:<partition>:lambda:<region>:<account>:function:<name>[:<qualifier>].
func ParseLambdaARN(arn string) (name, qualifier string, err error) {
	parts := strings.Split(arn, ":")
	if len(parts) < 7 || len(parts) > 8 || parts[0] != "arn" || parts[2] != "lambda" || parts[5] != "function" || parts[6] == "" {
		return "", "", fmt.Errorf("LambdaArn %q is not a Lambda function ARN (arn:aws:lambda:<region>:<account>:function:<name>[:<version>])", arn)
	}
	if len(parts) == 8 {
		if parts[7] == "" {
			return "", "", fmt.Errorf("LambdaArn %q has an empty qualifier", arn)
		}
		qualifier = parts[7]
	}
	return parts[6], qualifier, nil
}

// ValidateTagKeys checks UntagDeliveryStream's TagKeys list.
func ValidateTagKeys(keys []string) error {
	var c checker
	if len(keys) < 1 {
		c.v.Add("tagKeys", "", false, "Member must have length greater than or equal to 1")
	}
	if len(keys) > MaxTags {
		c.v.Add("tagKeys", "", false, fmt.Sprintf("Member must have length less than or equal to %d", MaxTags))
	}
	for i, k := range keys {
		c.str(fmt.Sprintf("tagKeys.%d.member", i+1), k, 1, 128, reTagKey)
	}
	return c.v.Err()
}

// ValidateTags checks TagDeliveryStream's Tags list (1–50 entries).
func ValidateTags(tags []Tag) error {
	var c checker
	if len(tags) < 1 {
		c.v.Add("tags", "", false, "Member must have length greater than or equal to 1")
	}
	c.tags("tags", tags)
	return c.v.Err()
}

// ValidateUpdateIDs checks the model constraints of UpdateDestination's
// identifying members.
func ValidateUpdateIDs(in *UpdateInput) error {
	var c checker
	c.str("deliveryStreamName", in.DeliveryStreamName, 1, 64, reStreamName)
	c.str("currentDeliveryStreamVersionId", in.CurrentDeliveryStreamVersionId, 1, 50, reVersionID)
	c.str("destinationId", in.DestinationId, 1, 100, reDestID)
	if u := in.ExtendedS3DestinationUpdate; u != nil {
		p := "extendedS3DestinationUpdate"
		c.s3Update(p, u.s3Update())
		c.processing(p+".processingConfiguration", u.ProcessingConfiguration)
		c.optEnum(p+".s3BackupMode", u.S3BackupMode, backupModes)
		c.optStr(p+".fileExtension", u.FileExtension, 0, 128, reFileExt)
		c.optStr(p+".customTimeZone", u.CustomTimeZone, 0, 50, reTimeZone)
		c.conversion(p+".dataFormatConversionConfiguration", u.DataFormatConversionConfiguration)
	}
	if u := in.S3DestinationUpdate; u != nil {
		c.s3Update("s3DestinationUpdate", u)
	}
	return c.v.Err()
}

// s3Update checks the members an extended and a plain S3 update share.
func (c *checker) s3Update(p string, u *S3DestinationUpdate) {
	c.optStr(p+".roleARN", u.RoleARN, 1, 512, reRoleARN)
	c.optStr(p+".bucketARN", u.BucketARN, 1, 2048, reBucketARN)
	c.optStr(p+".prefix", u.Prefix, 0, 1024, nil)
	c.optStr(p+".errorOutputPrefix", u.ErrorOutputPrefix, 0, 1024, nil)
	c.hints(p+".bufferingHints", u.BufferingHints)
	c.optEnum(p+".compressionFormat", u.CompressionFormat, compressionFormats)
	c.encryption(p+".encryptionConfiguration", u.EncryptionConfiguration)
	c.logging(p+".cloudWatchLoggingOptions", u.CloudWatchLoggingOptions)
}

// s3Update is the plain-S3 part of an extended update.
func (u *ExtendedS3DestinationUpdate) s3Update() *S3DestinationUpdate {
	return &S3DestinationUpdate{RoleARN: u.RoleARN, BucketARN: u.BucketARN, Prefix: u.Prefix, ErrorOutputPrefix: u.ErrorOutputPrefix,
		BufferingHints: u.BufferingHints, CompressionFormat: u.CompressionFormat, EncryptionConfiguration: u.EncryptionConfiguration,
		CloudWatchLoggingOptions: u.CloudWatchLoggingOptions}
}

// Merge applies an UpdateDestination to the current destination, with
// Firehose's merge semantics: members given replace the current ones (a
// ProcessingConfiguration, a DataFormatConversionConfiguration and
// BufferingHints as whole blocks), omitted members keep their values. It
// enforces the one-way rules: S3 backup goes Disabled → Enabled only and
// dynamic partitioning cannot change.
func Merge(cur ExtendedS3DestinationConfiguration, in *UpdateInput) (ExtendedS3DestinationConfiguration, error) {
	others := [][]byte{in.RedshiftDestinationUpdate, in.ElasticsearchDestinationUpdate, in.AmazonopensearchserviceDestinationUpdate,
		in.SplunkDestinationUpdate, in.HttpEndpointDestinationUpdate, in.AmazonOpenSearchServerlessDestinationUpdate,
		in.SnowflakeDestinationUpdate, in.IcebergDestinationUpdate}
	n := 0
	for _, o := range others {
		if isSet(o) {
			return cur, apierror.InvalidArgument("Changing the destination type is not supported: wasmhose delivers to S3 destinations only")
		}
	}
	if in.ExtendedS3DestinationUpdate != nil {
		n++
	}
	if in.S3DestinationUpdate != nil {
		n++
	}
	if n != 1 {
		return cur, apierror.InvalidArgument("Exactly one destination update is supported for a Firehose")
	}
	u := in.ExtendedS3DestinationUpdate
	if u == nil {
		s := in.S3DestinationUpdate
		u = &ExtendedS3DestinationUpdate{RoleARN: s.RoleARN, BucketARN: s.BucketARN, Prefix: s.Prefix, ErrorOutputPrefix: s.ErrorOutputPrefix,
			BufferingHints: s.BufferingHints, CompressionFormat: s.CompressionFormat, EncryptionConfiguration: s.EncryptionConfiguration,
			CloudWatchLoggingOptions: s.CloudWatchLoggingOptions}
	}
	next := cur
	set := func(dst **string, src *string) {
		if src != nil {
			*dst = src
		}
	}
	if u.RoleARN != nil {
		next.RoleARN = *u.RoleARN
	}
	if u.BucketARN != nil {
		next.BucketARN = *u.BucketARN
	}
	set(&next.Prefix, u.Prefix)
	set(&next.ErrorOutputPrefix, u.ErrorOutputPrefix)
	set(&next.CompressionFormat, u.CompressionFormat)
	set(&next.FileExtension, u.FileExtension)
	set(&next.CustomTimeZone, u.CustomTimeZone)
	if u.BufferingHints != nil {
		next.BufferingHints = u.BufferingHints
	}
	if u.EncryptionConfiguration != nil {
		next.EncryptionConfiguration = u.EncryptionConfiguration
	}
	if u.CloudWatchLoggingOptions != nil {
		next.CloudWatchLoggingOptions = u.CloudWatchLoggingOptions
	}
	if u.ProcessingConfiguration != nil {
		next.ProcessingConfiguration = u.ProcessingConfiguration
	}
	if u.DataFormatConversionConfiguration != nil {
		next.DataFormatConversionConfiguration = u.DataFormatConversionConfiguration
	}
	if u.S3BackupMode != nil {
		if deref(cur.S3BackupMode, "Disabled") == "Enabled" && *u.S3BackupMode == "Disabled" {
			return cur, apierror.InvalidArgument("S3BackupMode cannot be changed from Enabled to Disabled")
		}
		next.S3BackupMode = u.S3BackupMode
	}
	if u.DynamicPartitioningConfiguration != nil {
		if deref(u.DynamicPartitioningConfiguration.Enabled, false) != DynamicPartitioningEnabled(&cur) {
			return cur, apierror.InvalidArgument("DynamicPartitioningConfiguration.Enabled can be set only when the delivery stream is created")
		}
		next.DynamicPartitioningConfiguration = u.DynamicPartitioningConfiguration
	}
	if err := ValidateDestination(&next, "ExtendedS3DestinationUpdate"); err != nil {
		return cur, err
	}
	if err := ValidateKeys(in.DeliveryStreamName, &next, "ExtendedS3DestinationUpdate"); err != nil {
		return cur, err
	}
	return WithDefaults(next), nil
}
