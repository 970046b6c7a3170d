package prefix_test

import (
	"fmt"
	"time"

	"github.com/wasmhose/wasmhose/host/prefix"
)

func ExampleCompile() {
	e, err := prefix.Compile("myPrefix/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/")
	if err != nil {
		panic(err)
	}
	s, err := e.Eval(prefix.Env{Time: time.Date(2018, 7, 6, 23, 4, 5, 0, time.UTC)})
	fmt.Println(s, err)
	// Output: myPrefix/year=2018/month=07/day=06/hour=23/ <nil>
}

func ExampleCompile_error() {
	_, err := prefix.Compile("logs/!{timestamp:yyyy-bb}/")
	fmt.Println(err)
	// Output: invalid expression "!{timestamp:yyyy-bb}" at position 5: timestamp pattern "yyyy-bb": unknown pattern letter 'b' at position 5
}

func ExampleExpr_Eval_partitionKeys() {
	e := prefix.MustCompile("customer_id=!{partitionKeyFromQuery:customer_id}/!{timestamp:yyyy}/")
	fmt.Println(e.PartitionKeyNames())
	s, _ := e.Eval(prefix.Env{
		Time:      time.Date(2018, 7, 6, 23, 4, 5, 0, time.UTC),
		QueryKeys: map[string]string{"customer_id": "1234"},
	})
	fmt.Println(s)
	_, err := e.Eval(prefix.Env{})
	fmt.Println(err)
	// Output:
	// [customer_id] []
	// customer_id=1234/2018/
	// evaluate prefix "customer_id=!{partitionKeyFromQuery:customer_id}/!{timestamp:yyyy}/": !{partitionKeyFromQuery:customer_id}: missing partition key
}

func ExampleDataPrefix() {
	e, _ := prefix.DataPrefix("legacy")
	s, _ := e.Eval(prefix.Env{Time: time.Date(2026, 7, 13, 14, 0, 0, 0, time.UTC)})
	fmt.Println(e, s)
	// Output: legacy!{timestamp:yyyy/MM/dd/HH/} legacy2026/07/13/14/
}

func ExampleErrorPrefix() {
	e, _ := prefix.ErrorPrefix("", "myFirehosePrefix/")
	s, _ := e.Eval(prefix.Env{
		Time:            time.Date(2018, 8, 27, 10, 0, 0, 0, time.UTC),
		ErrorOutputType: prefix.ErrorOutputProcessingFailed,
	})
	fmt.Println(s)
	// Output: myFirehosePrefix/processing-failed/2018/08/27/10/
}

func ExampleValidate() {
	fmt.Println(prefix.Validate("!{timestamp:yyyy}/", "", false))
	fmt.Println(prefix.Validate("!{partitionKeyFromQuery:c}/", "e/!{firehose:error-output-type}/", false))
	fmt.Println(prefix.Validate("!{partitionKeyFromQuery:c}/", "e/!{firehose:error-output-type}/", true))
	// Output:
	// Ths supplied prefix(es) do not satisfy the following constraint: ErrorOutputPrefix cannot be null or empty when Prefix contains expressions
	// Dynamic Partitioning Namespaces can only be part of a prefix expression when Dynamic Partitioning is enabled.
	// <nil>
}

func ExampleObjectName() {
	t := time.Date(2016, 2, 25, 13, 5, 9, 0, time.UTC)
	fmt.Println(prefix.ObjectName("my-stream", "1", t, nil, "a9fa96af-e4e4-409f-bac3-1f804714faaa", ""))
	// Output: my-stream-1-2016-02-25-13-05-09-a9fa96af-e4e4-409f-bac3-1f804714faaa
}
