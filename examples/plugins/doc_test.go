// Package plugins_test checks the reference plugin ("json-to-csv") of every
// language under examples/plugins: each committed module passes the
// conformance kit (runtime/transformtest), answers the shared cases of
// testdata/cases.jsonl, and gives byte-identical results to the others.
package plugins_test
