package api

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func TestDecodeBatchFast(t *testing.T) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	tests := []struct {
		name string
		body string
		exp  bool // fast path taken
	}{
		{"typical", `{"DeliveryStreamName":"s","Records":[{"Data":"` + b64("a") + `"},{"Data":"` + b64("bc\n") + `"}]}`, true},
		{"members reversed, spaces", " { \"Records\" : [ { \"Data\" : \"" + b64("x") + "\" } ] , \"DeliveryStreamName\" : \"s\" }\n", true},
		{"empty data", `{"DeliveryStreamName":"s","Records":[{"Data":""}]}`, true},
		{"empty records", `{"DeliveryStreamName":"s","Records":[]}`, true},
		{"no records member", `{"DeliveryStreamName":"s"}`, true},
		{"empty object", `{}`, true},
		{"escaped name", `{"DeliveryStreamName":"s\u0041","Records":[]}`, false},
		{"other member", `{"DeliveryStreamName":"s","Records":[],"X":1}`, false},
		{"lower-case key", `{"deliveryStreamName":"s","Records":[]}`, false},
		{"duplicate key", `{"DeliveryStreamName":"s","DeliveryStreamName":"t"}`, false},
		{"null data", `{"DeliveryStreamName":"s","Records":[{"Data":null}]}`, false},
		{"record without data", `{"DeliveryStreamName":"s","Records":[{}]}`, false},
		{"bad base64", `{"DeliveryStreamName":"s","Records":[{"Data":"!!"}]}`, false},
		{"trailing garbage", `{"DeliveryStreamName":"s"}x`, false},
		{"truncated", `{"DeliveryStreamName":"s","Records":[{"Data":"YQ=="}`, false},
		{"empty body", ``, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := decodeBatchFast([]byte(tt.body))
			if ok != tt.exp {
				t.Fatalf("fast path taken = %v, want %v", ok, tt.exp)
			}
			if ok {
				checkSame(t, []byte(tt.body), got)
			}
		})
	}
}

// checkSame asserts the fast decoder's result equals encoding/json's.
func checkSame(t *testing.T, body []byte, got putRecordBatchInput) {
	t.Helper()
	var want putRecordBatchInput
	if err := json.Unmarshal(body, &want); err != nil {
		t.Fatalf("fast path accepted what encoding/json rejects (%v): %q", err, body)
	}
	if (got.DeliveryStreamName == nil) != (want.DeliveryStreamName == nil) ||
		got.DeliveryStreamName != nil && *got.DeliveryStreamName != *want.DeliveryStreamName || len(got.Records) != len(want.Records) || (got.Records == nil) != (want.Records == nil) {
		t.Fatalf("fast %+v, json %+v", got, want)
	}
	for i := range want.Records {
		if !bytes.Equal(got.Records[i].Data, want.Records[i].Data) || (got.Records[i].Data == nil) != (want.Records[i].Data == nil) {
			t.Fatalf("record %d: fast %q, json %q", i, got.Records[i].Data, want.Records[i].Data)
		}
	}
}

func FuzzDecodeBatchFast(f *testing.F) {
	f.Add([]byte(`{"DeliveryStreamName":"s","Records":[{"Data":"YQ=="},{"Data":"YmM="}]}`))
	f.Add([]byte(` {"Records":[ {"Data":""} ],"DeliveryStreamName":"x"} `))
	f.Add([]byte(`{"DeliveryStreamName":"s","Records":[]}`))
	f.Add([]byte(`{"DeliveryStreamName":"s","Records":[{"Data":"YQ"}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		got, ok := decodeBatchFast(body)
		if ok {
			checkSame(t, body, got)
		}
	})
}

func BenchmarkDecodeBatch(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`{"DeliveryStreamName":"bench","Records":[`)
	for i := range 500 {
		if i > 0 {
			sb.WriteByte(',')
		}
		rec := fmt.Sprintf(`{"id":%d,"pad":"%s"}`+"\n", i, strings.Repeat("x", 180))
		sb.WriteString(`{"Data":"` + base64.StdEncoding.EncodeToString([]byte(rec)) + `"}`)
	}
	sb.WriteString(`]}`)
	body := []byte(sb.String())
	b.Run("fast", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			if _, ok := decodeBatchFast(body); !ok {
				b.Fatal("fast path refused")
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			var in putRecordBatchInput
			if err := json.Unmarshal(body, &in); err != nil {
				b.Fatal(err)
			}
		}
	})
}
