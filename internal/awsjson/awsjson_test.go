package awsjson_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/wasmhose/wasmhose/internal/awsjson"
)

type inner struct {
	Name string `json:"Name"`
}

type Embedded struct {
	Extra string
}

type shape struct {
	Embedded
	DeliveryStreamName *string
	Items              []inner
	Fixed              [2]inner
	ByKey              map[string]inner
	Raw                json.RawMessage
	Skipped            string `json:"-"`
}

func TestPrune(t *testing.T) {
	tests := []struct {
		name, in, want string
		needs          bool
	}{
		{"exact members", `{"DeliveryStreamName":"s","Extra":"e"}`, `{"DeliveryStreamName":"s","Extra":"e"}`, false},
		{"case differs", `{"deliverystreamname":"s","DeliveryStreamName":"t"}`, `{"DeliveryStreamName":"t"}`, true},
		{"unknown member", `{"Other":1}`, `{}`, true},
		{"in a slice", `{"Items":[{"Name":"a","name":"b"}]}`, `{"Items":[{"Name":"a"}]}`, true},
		{"in an array", `{"Fixed":[{"NAME":"x"},{"Name":"y"}]}`, `{"Fixed":[{},{"Name":"y"}]}`, true},
		{"in map values", `{"ByKey":{"anyKey":{"Name":"a","x":1}}}`, `{"ByKey":{"anyKey":{"Name":"a"}}}`, true},
		{"map keys are data", `{"ByKey":{"whatever":{"Name":"a"}}}`, `{"ByKey":{"whatever":{"Name":"a"}}}`, false},
		{"self-decoding types are whole", `{"Raw":{"anything":[1,{"x":2}]}}`, `{"Raw":{"anything":[1,{"x":2}]}}`, false},
		{"json:\"-\" is no member", `{"Skipped":"x"}`, `{}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v any
			if err := json.Unmarshal([]byte(tt.in), &v); err != nil {
				t.Fatal(err)
			}
			typ := reflect.TypeFor[shape]()
			if got := awsjson.NeedsPrune(v, typ); got != tt.needs {
				t.Errorf("NeedsPrune = %v, want %v", got, tt.needs)
			}
			got, err := json.Marshal(awsjson.Prune(v, typ))
			if err != nil {
				t.Fatal(err)
			}
			var g, w any
			_ = json.Unmarshal(got, &g)
			_ = json.Unmarshal([]byte(tt.want), &w)
			if !reflect.DeepEqual(g, w) {
				t.Fatalf("Prune = %s, want %s", got, tt.want)
			}
		})
	}
}

func FuzzPrune(f *testing.F) {
	f.Add(`{"DeliveryStreamName":"s","Items":[{"Name":"a","name":"b"}],"ByKey":{"k":{"n":1}}}`)
	f.Fuzz(func(t *testing.T, in string) {
		var v any
		if json.Unmarshal([]byte(in), &v) != nil {
			return
		}
		typ := reflect.TypeFor[shape]()
		out := awsjson.Prune(v, typ)
		if awsjson.NeedsPrune(out, typ) {
			t.Fatalf("still needs pruning after Prune: %v", out)
		}
	})
}
