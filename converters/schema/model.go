package schema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
)

// Time is a Glue timestamp. In AWS JSON 1.1 it travels as a number of
// seconds since the Unix epoch, with a fraction for milliseconds.
type Time struct {
	time.Time
}

// NewTime returns t truncated to milliseconds, in UTC.
func NewTime(t time.Time) *Time {
	return &Time{t.UTC().Truncate(time.Millisecond)}
}

// MarshalJSON implements json.Marshaler: epoch seconds, never in exponent
// notation.
func (t Time) MarshalJSON() ([]byte, error) {
	ms := t.UnixMilli()
	var b []byte
	if ms < 0 {
		b, ms = append(b, '-'), -ms
	}
	b = strconv.AppendInt(b, ms/1000, 10)
	if frac := ms % 1000; frac != 0 {
		b = fmt.Appendf(b, ".%03d", frac)
	}
	return b, nil
}

// UnmarshalJSON implements json.Unmarshaler: a JSON number of epoch seconds.
func (t *Time) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || !(b[0] == '-' || (b[0] >= '0' && b[0] <= '9')) {
		return errors.New("a timestamp must be a number of seconds since the epoch")
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsInf(f, 0) || math.Abs(f) > 1e11 {
		return fmt.Errorf("timestamp %s is out of range", b)
	}
	sec, frac := math.Modf(f)
	t.Time = time.Unix(int64(sec), int64(math.Round(frac*1000))*int64(time.Millisecond)).UTC()
	return nil
}

// Column is a Glue Column: a name and a Hive type string.
type Column struct {
	// Name is the column name.
	Name string `json:"Name"`
	// Type is the Hive type string (see package hive).
	Type string `json:"Type,omitempty"`
	// Comment is free text.
	Comment string `json:"Comment,omitempty"`
	// Parameters are free key-value properties.
	Parameters map[string]string `json:"Parameters,omitempty"`
}

// SerDeInfo is a Glue SerDeInfo: the serialization library of a table and
// its parameters.
type SerDeInfo struct {
	// Name is the SerDe's name.
	Name string `json:"Name,omitempty"`
	// SerializationLibrary is the SerDe class, such as
	// org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe.
	SerializationLibrary string `json:"SerializationLibrary,omitempty"`
	// Parameters are the SerDe's properties.
	Parameters map[string]string `json:"Parameters,omitempty"`
}

// Order is a Glue Order: a sort column and its direction (1 ascending, 0
// descending).
type Order struct {
	// Column is the column name.
	Column string `json:"Column"`
	// SortOrder is 1 for ascending, 0 for descending.
	SortOrder int `json:"SortOrder"`
}

// SkewedInfo is a Glue SkewedInfo: columns with skewed values.
type SkewedInfo struct {
	// SkewedColumnNames are the skewed columns.
	SkewedColumnNames []string `json:"SkewedColumnNames,omitempty"`
	// SkewedColumnValues are their skewed values.
	SkewedColumnValues []string `json:"SkewedColumnValues,omitempty"`
	// SkewedColumnValueLocationMaps maps skewed values to locations.
	SkewedColumnValueLocationMaps map[string]string `json:"SkewedColumnValueLocationMaps,omitempty"`
}

// StorageDescriptor is a Glue StorageDescriptor: where a table's data is and
// how it is laid out. Columns is what format conversion reads.
type StorageDescriptor struct {
	// Columns are the table's data columns, in order.
	Columns []Column `json:"Columns,omitempty"`
	// Location is the data's location, such as s3://bucket/prefix/.
	Location string `json:"Location,omitempty"`
	// AdditionalLocations are further data locations.
	AdditionalLocations []string `json:"AdditionalLocations,omitempty"`
	// InputFormat is the Hadoop input format class.
	InputFormat string `json:"InputFormat,omitempty"`
	// OutputFormat is the Hadoop output format class.
	OutputFormat string `json:"OutputFormat,omitempty"`
	// Compressed says whether the data is compressed.
	Compressed bool `json:"Compressed"`
	// NumberOfBuckets is the bucket count of a bucketed table.
	NumberOfBuckets int `json:"NumberOfBuckets"`
	// SerdeInfo is the serialization library.
	SerdeInfo *SerDeInfo `json:"SerdeInfo,omitempty"`
	// BucketColumns are the bucketing columns.
	BucketColumns []string `json:"BucketColumns,omitempty"`
	// SortColumns are the sort order of each bucket.
	SortColumns []Order `json:"SortColumns,omitempty"`
	// Parameters are free key-value properties.
	Parameters map[string]string `json:"Parameters,omitempty"`
	// SkewedInfo describes skewed columns.
	SkewedInfo *SkewedInfo `json:"SkewedInfo,omitempty"`
	// StoredAsSubDirectories says whether the data sits in subfolders.
	StoredAsSubDirectories bool `json:"StoredAsSubDirectories"`
	// SchemaReference points at a schema registry entry; stored and
	// returned as given, not interpreted.
	SchemaReference json.RawMessage `json:"SchemaReference,omitempty"`
}

// TableInput is a Glue TableInput: what CreateTable and UpdateTable carry.
type TableInput struct {
	// Name is the table name (required); it is stored lower-cased.
	Name string `json:"Name"`
	// Description is free text.
	Description string `json:"Description,omitempty"`
	// Owner is the table's owner.
	Owner string `json:"Owner,omitempty"`
	// LastAccessTime is when the table was last accessed.
	LastAccessTime *Time `json:"LastAccessTime,omitempty"`
	// LastAnalyzedTime is when column statistics were last computed.
	LastAnalyzedTime *Time `json:"LastAnalyzedTime,omitempty"`
	// Retention is the retention time.
	Retention int `json:"Retention,omitempty"`
	// StorageDescriptor holds the columns and the physical layout.
	StorageDescriptor *StorageDescriptor `json:"StorageDescriptor,omitempty"`
	// PartitionKeys are the partition columns, not part of the data.
	PartitionKeys []Column `json:"PartitionKeys,omitempty"`
	// ViewOriginalText is a view's original text.
	ViewOriginalText string `json:"ViewOriginalText,omitempty"`
	// ViewExpandedText is a view's expanded text.
	ViewExpandedText string `json:"ViewExpandedText,omitempty"`
	// TableType is EXTERNAL_TABLE, VIRTUAL_VIEW, …
	TableType string `json:"TableType,omitempty"`
	// Parameters are free key-value properties (classification, …).
	Parameters map[string]string `json:"Parameters,omitempty"`
	// TargetTable makes the table a resource link; stored and returned as
	// given, not interpreted.
	TargetTable json.RawMessage `json:"TargetTable,omitempty"`
}

// Table is a Glue Table: one version of a table as GetTable returns it.
type Table struct {
	// Name is the table name, lower-case.
	Name string `json:"Name"`
	// DatabaseName is the database's name, lower-case.
	DatabaseName string `json:"DatabaseName"`
	// Description is free text.
	Description string `json:"Description,omitempty"`
	// Owner is the table's owner.
	Owner string `json:"Owner,omitempty"`
	// CreateTime is when the table was created (the same in every version).
	CreateTime *Time `json:"CreateTime,omitempty"`
	// UpdateTime is when this version was written.
	UpdateTime *Time `json:"UpdateTime,omitempty"`
	// LastAccessTime is when the table was last accessed.
	LastAccessTime *Time `json:"LastAccessTime,omitempty"`
	// LastAnalyzedTime is when column statistics were last computed.
	LastAnalyzedTime *Time `json:"LastAnalyzedTime,omitempty"`
	// Retention is the retention time.
	Retention int `json:"Retention"`
	// StorageDescriptor holds the columns and the physical layout.
	StorageDescriptor *StorageDescriptor `json:"StorageDescriptor,omitempty"`
	// PartitionKeys are the partition columns (an empty list when none).
	PartitionKeys []Column `json:"PartitionKeys"`
	// ViewOriginalText is a view's original text.
	ViewOriginalText string `json:"ViewOriginalText,omitempty"`
	// ViewExpandedText is a view's expanded text.
	ViewExpandedText string `json:"ViewExpandedText,omitempty"`
	// TableType is EXTERNAL_TABLE, VIRTUAL_VIEW, …
	TableType string `json:"TableType,omitempty"`
	// Parameters are free key-value properties.
	Parameters map[string]string `json:"Parameters,omitempty"`
	// CreatedBy is who created the table; empty here.
	CreatedBy string `json:"CreatedBy,omitempty"`
	// IsRegisteredWithLakeFormation is always false here.
	IsRegisteredWithLakeFormation bool `json:"IsRegisteredWithLakeFormation"`
	// TargetTable is the resource link target, as given.
	TargetTable json.RawMessage `json:"TargetTable,omitempty"`
	// CatalogID is the catalog (account id) holding the table.
	CatalogID string `json:"CatalogId"`
	// VersionID is this version's id: "1", "2", …
	VersionID string `json:"VersionId"`
}

// Columns returns the table's data columns (StorageDescriptor.Columns),
// none when it has no storage descriptor.
func (t *Table) Columns() []Column {
	if t.StorageDescriptor == nil {
		return nil
	}
	return t.StorageDescriptor.Columns
}

// TableVersion is a Glue TableVersion.
type TableVersion struct {
	// Table is the table as it was in this version.
	Table *Table `json:"Table"`
	// VersionID is the version's id.
	VersionID string `json:"VersionId"`
}

// DatabaseInput is a Glue DatabaseInput: what CreateDatabase carries.
type DatabaseInput struct {
	// Name is the database name (required); it is stored lower-cased.
	Name string `json:"Name"`
	// Description is free text.
	Description string `json:"Description,omitempty"`
	// LocationURI is the database's location.
	LocationURI string `json:"LocationUri,omitempty"`
	// Parameters are free key-value properties.
	Parameters map[string]string `json:"Parameters,omitempty"`
	// CreateTableDefaultPermissions are Lake Formation's default grants;
	// stored and returned as given. Glue's default (IAM_ALLOWED_PRINCIPALS,
	// ALL) applies when absent.
	CreateTableDefaultPermissions json.RawMessage `json:"CreateTableDefaultPermissions,omitempty"`
	// TargetDatabase makes the database a resource link; stored as given.
	TargetDatabase json.RawMessage `json:"TargetDatabase,omitempty"`
}

// Database is a Glue Database.
type Database struct {
	// Name is the database name, lower-case.
	Name string `json:"Name"`
	// Description is free text.
	Description string `json:"Description,omitempty"`
	// LocationURI is the database's location.
	LocationURI string `json:"LocationUri,omitempty"`
	// Parameters are free key-value properties.
	Parameters map[string]string `json:"Parameters,omitempty"`
	// CreateTime is when the database was created.
	CreateTime *Time `json:"CreateTime,omitempty"`
	// CreateTableDefaultPermissions are Lake Formation's default grants.
	CreateTableDefaultPermissions json.RawMessage `json:"CreateTableDefaultPermissions,omitempty"`
	// TargetDatabase is the resource link target, as given.
	TargetDatabase json.RawMessage `json:"TargetDatabase,omitempty"`
	// CatalogID is the catalog (account id) holding the database.
	CatalogID string `json:"CatalogId"`
}

// defaultPermissions is what Glue answers for CreateTableDefaultPermissions
// when a database was created without them.
const defaultPermissions = `[{"Principal":{"DataLakePrincipalIdentifier":"IAM_ALLOWED_PRINCIPALS"},"Permissions":["ALL"]}]`
