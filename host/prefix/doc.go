// Package prefix implements the Firehose S3 prefix language and the names
// of delivered objects.
//
// An S3 key is <evaluated prefix><object name>. A prefix is literal text
// mixed with !{namespace:value} expressions:
//
//	!{timestamp:yyyy/MM/dd/HH/}      the arrival time of the object's oldest record
//	!{firehose:random-string}        11 random characters
//	!{firehose:error-output-type}    processing-failed, format-conversion-failed, ...
//	!{partitionKeyFromQuery:name}    dynamic partitioning key from the jq query
//	!{partitionKeyFromLambda:name}   dynamic partitioning key from the Lambda
//
// Compile parses a prefix once into an *Expr; Expr.Eval then evaluates it
// for each object, or for each record with dynamic partitioning, without
// reparsing. Timestamp patterns are java.time.DateTimeFormatter patterns,
// compiled into a list of operations (see DatePattern).
//
// Validate applies the rules CreateDeliveryStream and UpdateDestination
// apply to Prefix and ErrorOutputPrefix. ValidateKeys adds the limits every
// object must fit, whatever its time: an evaluated prefix of at most
// MaxEvaluatedLength characters and keys of at most MaxKeyLength bytes,
// bounded by Expr.MaxEval and MaxObjectNameLength. SampleKeys gives keys a
// stream's objects could have, for stores with rules of their own. DataPrefix and ErrorPrefix turn
// the configured fields into the expressions Firehose really evaluates,
// supplying its defaults, and ObjectName builds the fixed suffix
// <stream>-<version>-<yyyy>-<MM>-<dd>-<HH>-<mm>-<ss>-<uuid><ext>.
//
// Everything here is pure: no I/O, no global mutable state. A compiled
// *Expr or *DatePattern is immutable and safe for concurrent use.
package prefix
