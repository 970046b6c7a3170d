package prefix

import (
	"testing"
	"time"
)

// BenchmarkEval measures evaluating compiled prefixes, the per-object (and,
// with dynamic partitioning, per-record) cost on the delivery path.
func BenchmarkEval(b *testing.B) {
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		b.Fatal(err)
	}
	keys := map[string]string{"customer_id": "1234", "device": "mobile"}
	cases := []struct {
		name   string
		prefix string
		env    Env
	}{
		{name: "literal", prefix: "logs/app/", env: Env{Time: at}},
		{name: "default", prefix: "!{timestamp:yyyy/MM/dd/HH/}", env: Env{Time: at}},
		{name: "default_zone", prefix: "!{timestamp:yyyy/MM/dd/HH/}", env: Env{Time: at, Location: la}},
		{name: "documented", prefix: "myPrefix/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/", env: Env{Time: at}},
		{name: "partition_keys", prefix: "customer_id=!{partitionKeyFromQuery:customer_id}/device=!{partitionKeyFromQuery:device}/", env: Env{QueryKeys: keys}},
		{name: "keys_and_time", prefix: "customer_id=!{partitionKeyFromQuery:customer_id}/!{timestamp:yyyy/MM/dd/HH/}", env: Env{Time: at, QueryKeys: keys}},
		{name: "error_prefix", prefix: "errors/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd/HH/}", env: Env{Time: at, ErrorOutputType: "processing-failed"}},
		{name: "random_string", prefix: "r/!{firehose:random-string}/", env: Env{}},
	}
	for _, c := range cases {
		e := MustCompile(c.prefix)
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := e.Eval(c.env); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(c.name+"/append", func(b *testing.B) {
			b.ReportAllocs()
			buf := make([]byte, 0, 256)
			for b.Loop() {
				var err error
				if buf, err = e.AppendEval(buf[:0], c.env); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkCompile(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compile("myPrefix/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkObjectName(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = ObjectName("my-stream", "1", at, nil, "a9fa96af-e4e4-409f-bac3-1f804714faaa", ".gz")
	}
}
