// Package jsonserde decodes JSON records into Arrow record batches with the
// semantics of Firehose's two JSON deserializers, the OpenX JSON SerDe and
// the Hive JSON SerDe.
//
// A Decoder is built for one Arrow schema (the mapping of package
// converters/hive) and appends records to its own column buffers, straight
// from the JSON bytes: there is no intermediate map or token list per
// record, and a record costs no allocation in the steady state. A record
// may hold several concatenated JSON objects; each becomes a row. A record
// that fails (bad JSON, a JSON array, trailing bytes, a value that does not
// fit its column) is undone as a whole: every column buffer is moved back
// to its length before the record, so nothing of it reaches the batch.
//
// # Common rules
//
//   - Keys are matched to columns case-insensitively (OpenX: unless
//     CaseInsensitive is false; columns are lower-case, as Hive stores
//     them). Keys that are no column are dropped, at every level; columns
//     with no key, and JSON null, are null.
//   - A key twice in one object (after normalisation) is MalformedData:
//     the value the row would keep is ambiguous.
//   - Integers must be integer literals in the column's range; a fraction
//     or an overflow is MalformedData. Floats and doubles take any JSON
//     number (float rounds to the nearest float32).
//   - Decimals are parsed exactly from the token's text (never through a
//     float64), rounded half up to the column's scale as Hive does, and are
//     MalformedData when they need more digits than the precision. Strings
//     holding a decimal number are accepted by both SerDes.
//   - Dates are strings yyyy-M-d (four-digit year).
//   - Binary columns take a base64 string (standard alphabet, padding
//     optional), the default of Hive's JSON SerDe; a string that is not
//     base64 is MalformedData.
//   - Nested structs come from objects, arrays from arrays, maps from
//     objects whose keys are converted to the key type from their text. A
//     map key twice in one object (after conversion, so "1" and "01" for
//     an int key) is MalformedData: Hive would keep one silently, and
//     Trino, behind Athena, cannot read a Parquet map with duplicate keys.
//   - Timestamps are UTC nanoseconds (years 1677 to 2262).
//   - Invalid UTF-8 in strings becomes U+FFFD, as Java's decoder does.
//
// # OpenX JSON SerDe
//
// Numbers, booleans and timestamps may also come as strings ("42",
// "0x2A", "true", "1.5"); a string column takes a number or boolean as its
// text, and a nested object or array as its compact JSON text. Timestamps
// are read as OpenX reads them: a value with ':' is a date and time
// (yyyy-M-d H:mm:ss[.f…], or with 'T' between date and time and an
// optional trailing 'Z', up to 9 fraction digits); a value with '.' is
// fractional epoch seconds, kept to the millisecond; other integers are
// epoch milliseconds when they have 13 or more characters and epoch
// seconds otherwise. ConvertDotsInJsonKeysToUnderscores and
// ColumnToJsonKeyMappings (top-level columns) apply before matching.
//
// # Hive JSON SerDe
//
// Types are strict: a string for an integer, float, double or boolean
// column is MalformedData, as is an object or array for a string column.
// Timestamps are tried against TimestampFormats in order (Joda-Time
// patterns, see tsFormat; "millis" for epoch milliseconds), then against
// java.sql.Timestamp.valueOf's yyyy-M-d H:mm:ss[.f…]. Column names with a
// period are refused when the decoder is made.
package jsonserde
