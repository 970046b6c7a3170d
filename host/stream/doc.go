// Package stream is the delivery-stream model: the Firehose API shapes of a
// stream and its extended S3 destination, the defaults the service fills in,
// the validation rules applied at CreateDeliveryStream and UpdateDestination
// (model constraints as one ValidationException, then semantic rules as
// InvalidArgumentException, including prefixes whose keys could never fit
// S3's limits), the merge semantics of UpdateDestination, and the registry
// that persists streams across restarts, in files named by an encoding of
// the stream name (FileName) so that every valid name survives.
//
// Field names follow the AWS member names exactly, so the default
// encoding/json names are the wire names.
package stream
