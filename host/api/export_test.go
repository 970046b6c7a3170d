package api

import (
	"maps"
	"slices"
)

// FirehoseOperations returns the names of the Firehose operations the
// Server answers, sorted, for tests that must cover every one.
func FirehoseOperations() []string {
	return slices.Sorted(maps.Keys(firehoseOps()))
}
