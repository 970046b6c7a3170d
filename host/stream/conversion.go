package stream

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/wasmhose/wasmhose/host/apierror"
)

// Model constraints of DataFormatConversionConfiguration (botocore's
// firehose 2015-08-04 model) and Firehose's defaults for it.
const (
	// MinParquetBlockSizeBytes is ParquetSerDe.BlockSizeBytes' minimum (64 MiB).
	MinParquetBlockSizeBytes = 64 << 20
	// MinParquetPageSizeBytes is ParquetSerDe.PageSizeBytes' minimum (64 KiB).
	MinParquetPageSizeBytes = 64 << 10
	// MinOrcStripeSizeBytes is OrcSerDe.StripeSizeBytes' minimum (8 MiB).
	MinOrcStripeSizeBytes = 8 << 20
	// MinOrcBlockSizeBytes is OrcSerDe.BlockSizeBytes' minimum (64 MiB).
	MinOrcBlockSizeBytes = 64 << 20
	// MinOrcRowIndexStride is OrcSerDe.RowIndexStride's minimum.
	MinOrcRowIndexStride = 1000
	// MinConversionBufferSizeMB is the smallest SizeInMBs allowed with conversion on.
	MinConversionBufferSizeMB = 64
	// LatestVersion is the SchemaConfiguration.VersionId that follows new table versions.
	LatestVersion = "LATEST"
)

var (
	reNoWhitespace     = regexp.MustCompile(`^\S+$`)
	parquetCompression = []string{"UNCOMPRESSED", "GZIP", "SNAPPY"}
	parquetWriters     = []string{"V1", "V2"}
	orcCompression     = []string{"NONE", "ZLIB", "SNAPPY"}
	orcFormatVersions  = []string{"V0_11", "V0_12"}
)

func (c *checker) rangeInt64(path string, val *int64, min int64) {
	if val != nil && *val < min {
		c.v.Add(path, fmt.Sprint(*val), true, fmt.Sprintf("Member must have value greater than or equal to %d", min))
	}
}

func (c *checker) proportion(path string, val *float64) {
	if val == nil {
		return
	}
	if *val < 0 {
		c.v.Add(path, fmt.Sprint(*val), true, "Member must have value greater than or equal to 0")
	}
	if *val > 1 {
		c.v.Add(path, fmt.Sprint(*val), true, "Member must have value less than or equal to 1")
	}
}

// conversion checks DataFormatConversionConfiguration's model constraints.
func (c *checker) conversion(path string, d *DataFormatConversionConfiguration) {
	if d == nil {
		return
	}
	if s := d.SchemaConfiguration; s != nil {
		p := path + ".schemaConfiguration"
		c.optStr(p+".roleARN", s.RoleARN, 1, 512, reRoleARN)
		for name, v := range map[string]*string{"catalogId": s.CatalogId, "databaseName": s.DatabaseName, "tableName": s.TableName, "region": s.Region, "versionId": s.VersionId} {
			c.optStr(p+"."+name, v, 1, 1024, reNoWhitespace)
		}
	}
	if in := d.InputFormatConfiguration; in != nil && in.Deserializer != nil {
		p := path + ".inputFormatConfiguration.deserializer"
		if o := in.Deserializer.OpenXJsonSerDe; o != nil {
			for k, v := range o.ColumnToJsonKeyMappings {
				c.str(p+".openXJsonSerDe.columnToJsonKeyMappings.key", k, 1, 1024, reNoWhitespace)
				c.str(p+".openXJsonSerDe.columnToJsonKeyMappings.value", v, 1, 1024, reNonBlank)
			}
		}
		if h := in.Deserializer.HiveJsonSerDe; h != nil {
			for i, f := range h.TimestampFormats {
				c.str(fmt.Sprintf("%s.hiveJsonSerDe.timestampFormats.%d.member", p, i+1), f, 1, 1024, reNonBlank)
			}
		}
	}
	if out := d.OutputFormatConfiguration; out != nil && out.Serializer != nil {
		p := path + ".outputFormatConfiguration.serializer"
		if q := out.Serializer.ParquetSerDe; q != nil {
			pp := p + ".parquetSerDe"
			c.rangeInt64(pp+".blockSizeBytes", q.BlockSizeBytes, MinParquetBlockSizeBytes)
			c.rangeInt64(pp+".pageSizeBytes", q.PageSizeBytes, MinParquetPageSizeBytes)
			c.rangeInt64(pp+".maxPaddingBytes", q.MaxPaddingBytes, 0)
			c.optEnum(pp+".compression", q.Compression, parquetCompression)
			c.optEnum(pp+".writerVersion", q.WriterVersion, parquetWriters)
		}
		if o := out.Serializer.OrcSerDe; o != nil {
			op := p + ".orcSerDe"
			c.rangeInt64(op+".stripeSizeBytes", o.StripeSizeBytes, MinOrcStripeSizeBytes)
			c.rangeInt64(op+".blockSizeBytes", o.BlockSizeBytes, MinOrcBlockSizeBytes)
			c.rangeInt64(op+".rowIndexStride", o.RowIndexStride, MinOrcRowIndexStride)
			c.proportion(op+".paddingTolerance", o.PaddingTolerance)
			c.proportion(op+".bloomFilterFalsePositiveProbability", o.BloomFilterFalsePositiveProbability)
			c.proportion(op+".dictionaryKeyThreshold", o.DictionaryKeyThreshold)
			c.optEnum(op+".compression", o.Compression, orcCompression)
			c.optEnum(op+".formatVersion", o.FormatVersion, orcFormatVersions)
			for i, col := range o.BloomFilterColumns {
				c.str(fmt.Sprintf("%s.bloomFilterColumns.%d.member", op, i+1), col, 1, 1024, reNoWhitespace)
			}
		}
	}
}

// validateConversion applies Firehose's semantic rules to an enabled
// DataFormatConversionConfiguration, in the order the real service checks
// them (firehose-reference.md §4): the compression format, the buffer size,
// the presence of schema, input and output, then their members.
func validateConversion(d *ExtendedS3DestinationConfiguration, field string) error {
	if f := deref(d.CompressionFormat, "UNCOMPRESSED"); f != "UNCOMPRESSED" {
		return apierror.InvalidArgument("%s.CompressionFormat must be UNCOMPRESSED when DataFormatConversionConfiguration is enabled, got %s: the serializer compresses (ParquetSerDe.Compression, OrcSerDe.Compression)", field, f)
	}
	if h := d.BufferingHints; h != nil && h.SizeInMBs != nil && *h.SizeInMBs < MinConversionBufferSizeMB {
		return apierror.InvalidArgument("%s.BufferingHints.SizeInMBs must be at least %d when DataFormatConversionConfiguration is enabled, got %d", field, MinConversionBufferSizeMB, *h.SizeInMBs)
	}
	c := d.DataFormatConversionConfiguration
	p := field + ".DataFormatConversionConfiguration"
	if c.SchemaConfiguration == nil || c.InputFormatConfiguration == nil || c.OutputFormatConfiguration == nil {
		return apierror.InvalidArgument("%s: SchemaConfiguration, InputFormatConfiguration and OutputFormatConfiguration are all required when format conversion is enabled", p)
	}
	s := c.SchemaConfiguration
	if deref(s.DatabaseName, "") == "" || deref(s.TableName, "") == "" {
		return apierror.InvalidArgument("%s.SchemaConfiguration: DatabaseName and TableName are required", p)
	}
	if deref(s.RoleARN, "") == "" {
		return apierror.InvalidArgument("%s.SchemaConfiguration: RoleARN is required", p)
	}
	ds := c.InputFormatConfiguration.Deserializer
	if ds == nil || (ds.OpenXJsonSerDe == nil) == (ds.HiveJsonSerDe == nil) {
		return apierror.InvalidArgument("%s.InputFormatConfiguration.Deserializer: exactly one of OpenXJsonSerDe and HiveJsonSerDe must be specified", p)
	}
	sr := c.OutputFormatConfiguration.Serializer
	if sr == nil || (sr.ParquetSerDe == nil) == (sr.OrcSerDe == nil) {
		return apierror.InvalidArgument("%s.OutputFormatConfiguration.Serializer: exactly one of ParquetSerDe and OrcSerDe must be specified", p)
	}
	return nil
}

// conversionDefaults fills the members Firehose defaults in a
// SchemaConfiguration: CatalogId (the account), Region and VersionId
// (LATEST). The account and region come from the stream's ARN. (Enabled is
// defaulted with the rest of the destination, by WithDefaults.)
func conversionDefaults(c *DataFormatConversionConfiguration, account, region string) {
	if c == nil {
		return
	}
	s := c.SchemaConfiguration
	if s == nil {
		return
	}
	cp := *s
	if cp.CatalogId == nil && account != "" {
		cp.CatalogId = String(account)
	}
	if cp.Region == nil && region != "" {
		cp.Region = String(region)
	}
	if cp.VersionId == nil {
		cp.VersionId = String(LatestVersion)
	}
	c.SchemaConfiguration = &cp
}

// ConversionSchema returns the stream's SchemaConfiguration with Firehose's
// defaults filled in (CatalogId: the stream's account, Region: the stream's
// region, VersionId: LATEST), or nil when conversion is off.
func (s *Stream) ConversionSchema() *SchemaConfiguration {
	if !ConversionEnabled(&s.Destination) || s.Destination.DataFormatConversionConfiguration.SchemaConfiguration == nil {
		return nil
	}
	c := *s.Destination.DataFormatConversionConfiguration
	region, account := arnRegionAccount(s.ARN)
	conversionDefaults(&c, account, region)
	return c.SchemaConfiguration
}

// arnRegionAccount returns the region and account fields of an ARN
// (arn:partition:service:region:account:resource).
func arnRegionAccount(arn string) (region, account string) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return "", ""
	}
	return parts[3], parts[4]
}
