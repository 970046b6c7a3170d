package jsonserde

import (
	"bytes"
	"errors"
	"math/bits"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/wasmhose/wasmhose/converters/hive"
)

func schemaOf(t testing.TB, cols ...string) *arrow.Schema {
	t.Helper()
	var hc []hive.Column
	for _, c := range cols {
		name, typ, _ := strings.Cut(c, " ")
		hc = append(hc, hive.Column{Name: name, Type: typ})
	}
	s, err := hive.ArrowSchema(hc)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// rowsJSON renders a batch with Arrow's own JSON writer (an Arrow view of
// the values, independent of the decoder's code).
func rowsJSON(t testing.TB, rec arrow.RecordBatch) string {
	t.Helper()
	var b bytes.Buffer
	if err := array.RecordToJSON(rec, &b); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(b.String())
}

func decodeAll(t testing.TB, d *Decoder, recs ...string) (string, []error) {
	t.Helper()
	var errs []error
	for _, r := range recs {
		errs = append(errs, d.Append([]byte(r)))
	}
	rec, err := d.NewBatch()
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	for i, col := range rec.Columns() {
		if err := array.ValidateFull(col); err != nil {
			t.Fatalf("column %d is not valid Arrow: %v", i, err)
		}
	}
	return rowsJSON(t, rec), errs
}

func TestOpenXValues(t *testing.T) {
	tests := []struct {
		name   string
		cols   []string
		record string
		exp    string
		expErr string // code, then a piece of the message
	}{
		{"int", []string{"a int"}, `{"a":42}`, `{"a":42}`, ""},
		{"int from string", []string{"a int"}, `{"a":"42"}`, `{"a":42}`, ""},
		{"int from hex string", []string{"a int"}, `{"a":"0xff"}`, `{"a":255}`, ""},
		{"int overflow", []string{"a int"}, `{"a":2147483648}`, "", "MalformedData: column a (int): \"2147483648\" is out of range"},
		{"tinyint overflow", []string{"a tinyint"}, `{"a":-129}`, "", "out of range"},
		{"bigint min", []string{"a bigint"}, `{"a":-9223372036854775808}`, `{"a":-9223372036854775808}`, ""},
		{"bigint overflow", []string{"a bigint"}, `{"a":9223372036854775808}`, "", "out of range"},
		{"int fraction", []string{"a int"}, `{"a":1.0}`, "", "not an integer"},
		{"double", []string{"a double"}, `{"a":-1.5e2}`, `{"a":-150}`, ""},
		{"float from string", []string{"a float"}, `{"a":" 2.5 "}`, `{"a":2.5}`, ""},
		{"bool from string", []string{"a boolean"}, `{"a":"TRUE"}`, `{"a":true}`, ""},
		{"bool from number", []string{"a boolean"}, `{"a":1}`, "", "cannot hold the number"},
		{"string from number", []string{"a string"}, `{"a":-1.50}`, `{"a":"-1.50"}`, ""},
		{"string from object", []string{"a string"}, `{"a":{ "b" : [1, "x y"] }}`, `{"a":"{\"b\":[1,\"x y\"]}"}`, ""},
		{"decimal exact", []string{"a decimal(38,2)"}, `{"a":12345678901234567890123456789012345.67}`, `{"a":"12345678901234567890123456789012345.67"}`, ""},
		{"decimal rounds half up", []string{"a decimal(4,1)"}, `{"a":-2.45}`, `{"a":"-2.5"}`, ""},
		{"decimal exponent", []string{"a decimal(6,2)"}, `{"a":1.5e3}`, `{"a":"1500"}`, ""},
		{"decimal too big", []string{"a decimal(4,1)"}, `{"a":1000}`, "", "does not fit decimal(4,1)"},
		{"decimal rounding carries out", []string{"a decimal(3,1)"}, `{"a":99.96}`, "", "does not fit"},
		{"decimal garbage", []string{"a decimal(3,1)"}, `{"a":"1.2.3"}`, "", "not a decimal number"},
		{"date", []string{"a date"}, `{"a":"2000-1-2"}`, `{"a":"2000-01-02"}`, ""},
		{"date bad", []string{"a date"}, `{"a":"2000-01-02x"}`, "", "a date is yyyy-MM-dd"},
		{"binary", []string{"a binary"}, `{"a":"aGk"}`, `{"a":"aGk="}`, ""},
		{"escapes", []string{"a string"}, `{"a":"\t\u00e9\ud83d\ude00\/"}`, `{"a":"\té😀/"}`, ""},
		{"lone surrogate", []string{"a string"}, `{"a":"\ud800x"}`, `{"a":"�x"}`, ""},
		{"invalid utf8", []string{"a string"}, "{\"a\":\"\xff\"}", `{"a":"�"}`, ""},
		{"invalid utf8 in an object for a string", []string{"a string"}, "{\"a\":{\"\xd0\":[\"x\xff\xfey\", \"é\"]}}", `{"a":"{\"�\":[\"x��y\",\"é\"]}"}`, ""},
		{"case insensitive", []string{"abc int"}, `{"ABC":1}`, `{"abc":1}`, ""},
		{"unknown keys dropped", []string{"a int"}, `{"x":{"y":[1,{"z":null}]},"a":1,"q":"r"}`, `{"a":1}`, ""},
		{"missing is null", []string{"a int", "b string"}, `{"b":"x"}`, `{"a":null,"b":"x"}`, ""},
		{"duplicate key", []string{"a int"}, `{"a":1,"A":2}`, "", "appears twice"},
		{"struct from array", []string{"a struct<b:int>"}, `{"a":[1]}`, "", "cannot hold a JSON array"},
		{"nested struct field type", []string{"a struct<b:struct<c:int>>"}, `{"a":{"b":{"c":"x"}}}`, "", "column a.b.c (int)"},
		{"list element type", []string{"a array<int>"}, `{"a":[1,"x"]}`, "", "column a[] (int)"},
		{"map key type", []string{"a map<bigint,string>"}, `{"a":{"1":"x","y":"z"}}`, "", "column a.key (bigint)"},
		{"map int keys", []string{"a map<smallint,boolean>"}, `{"a":{"-7":true,"8":null}}`, `{"a":[{"key":-7,"value":true},{"key":8,"value":null}]}`, ""},
		{"not json", []string{"a int"}, `hello`, "", "ParseError: the record is not a JSON object"},
		{"empty", []string{"a int"}, ` `, "", "ParseError: the record holds no JSON object"},
		{"array", []string{"a int"}, `[{"a":1}]`, "", "ParseError: a JSON array"},
		{"trailing", []string{"a int"}, `{"a":1}x`, "", "ParseError: trailing data"},
		{"unterminated", []string{"a string"}, `{"a":"x`, "", "ParseError: unterminated string"},
		{"bad number", []string{"a int"}, `{"a":01}`, "", "ParseError"},
		{"syntax beats schema", []string{"a int"}, `{"a":"x"}{`, "", "ParseError"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := NewOpenX(schemaOf(t, tt.cols...), OpenXOptions{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Release()
			got, errs := decodeAll(t, d, tt.record)
			if tt.expErr != "" {
				var re *RecordError
				if !errors.As(errs[0], &re) {
					t.Fatalf("got error %v, want a RecordError containing %q", errs[0], tt.expErr)
				}
				if !strings.Contains(re.Error(), tt.expErr) {
					t.Fatalf("got %q, want it to contain %q", re.Error(), tt.expErr)
				}
				if got != "" {
					t.Fatalf("a failed record left rows behind: %s", got)
				}
				return
			}
			if errs[0] != nil {
				t.Fatalf("unexpected error: %v", errs[0])
			}
			if got != tt.exp {
				t.Fatalf("got  %s\nwant %s", got, tt.exp)
			}
		})
	}
}

func TestOpenXTimestamps(t *testing.T) {
	tests := []struct{ in, exp string }{
		{`"2024-03-10T12:34:56Z"`, "2024-03-10T12:34:56"},
		{`"2024-03-10T12:34:56.000000001Z"`, "2024-03-10T12:34:56.000000001"},
		{`"2024-3-9 1:02:03.5"`, "2024-03-09T01:02:03.5"},
		{`1710074096`, "2024-03-10T12:34:56"},
		{`999999999999`, "33658-09-27T01:46:39"}, // 12 digits: still seconds, as OpenX reads it
		{`1710074096789`, "2024-03-10T12:34:56.789"},
		{`"1710074096789"`, "2024-03-10T12:34:56.789"},
		{`1710074096.7891`, "2024-03-10T12:34:56.789"},
		{`-1`, "1969-12-31T23:59:59"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			d, err := NewOpenX(schemaOf(t, "ts timestamp"), OpenXOptions{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Release()
			err = d.Append([]byte(`{"ts":` + tt.in + `}`))
			rec, berr := d.NewBatch()
			if berr != nil {
				t.Fatal(berr)
			}
			defer rec.Release()
			if tt.exp == "33658-09-27T01:46:39" {
				// Beyond int64 nanoseconds: refused rather than wrapped.
				if err == nil {
					t.Fatalf("accepted a timestamp beyond year 2262: %s", rowsJSON(t, rec))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			ts := rec.Column(0).(*array.Timestamp).Value(0)
			got := ts.ToTime(arrow.Nanosecond).UTC().Format("2006-01-02T15:04:05.999999999")
			if got != tt.exp {
				t.Fatalf("got %s, want %s", got, tt.exp)
			}
		})
	}
}

func TestOpenXOptions(t *testing.T) {
	f := false
	s := schemaOf(t, "user_id string", "ts bigint")
	d, err := NewOpenX(s, OpenXOptions{CaseInsensitive: &f, ConvertDotsInJsonKeysToUnderscores: true, ColumnToJsonKeyMappings: map[string]string{"ts": "time"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Release()
	got, errs := decodeAll(t, d, `{"user.id":"a","time":1,"ts":2}`, `{"User_Id":"b","Time":3}`)
	if errors.Join(errs...) != nil {
		t.Fatal(errs)
	}
	want := `{"ts":1,"user_id":"a"}` + "\n" + `{"ts":null,"user_id":null}`
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	if _, err := NewOpenX(s, OpenXOptions{ColumnToJsonKeyMappings: map[string]string{"nope": "x"}}, nil); err == nil {
		t.Fatal("a mapping of an unknown column was accepted")
	}
}

func TestHive(t *testing.T) {
	s := schemaOf(t, "i int", "f double", "b boolean", "ts timestamp", "s string")
	d, err := NewHive(s, HiveOptions{TimestampFormats: []string{"dd.MM.yy HH:mm", "EEE, d MMMM yyyy HH:mm:ss.SSS z", "yyyyMMddHHmmss", "millis"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Release()
	recs := []string{
		`{"i":1,"ts":"05.06.49 07:08"}`,
		`{"i":2,"ts":"Fri, 7 June 2024 01:02:03.456 UTC"}`,
		`{"i":3,"ts":"20240607010203"}`,
		`{"i":4,"ts":1717722123456}`,
		`{"i":5,"ts":"2024-06-07 01:02:03.000000789"}`,
		`{"i":6,"s":12,"b":false}`,
		`{"i":"7"}`,
		`{"f":"1.5"}`,
		`{"b":"true"}`,
		`{"s":[1]}`,
		`{"ts":"2024-06-07T01:02:03Z"}`,
	}
	got, errs := decodeAll(t, d, recs...)
	for i, e := range errs {
		if (i < 6) != (e == nil) {
			t.Errorf("record %s: error %v", recs[i], e)
		}
	}
	want := strings.Join([]string{
		`{"b":null,"f":null,"i":1,"s":null,"ts":"2049-06-05T07:08:00"}`,
		`{"b":null,"f":null,"i":2,"s":null,"ts":"2024-06-07T01:02:03.456"}`,
		`{"b":null,"f":null,"i":3,"s":null,"ts":"2024-06-07T01:02:03"}`,
		`{"b":null,"f":null,"i":4,"s":null,"ts":"2024-06-07T01:02:03.456"}`,
		`{"b":null,"f":null,"i":5,"s":null,"ts":"2024-06-07T01:02:03.000000789"}`,
		`{"b":false,"f":null,"i":6,"s":"12","ts":null}`,
	}, "\n")
	if normalise(got) != normalise(want) {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	if _, err := NewHive(schemaOf(t, "`a.b` int"), HiveOptions{}, nil); err == nil {
		t.Fatal("a column with a period was accepted")
	}
	if _, err := NewHive(s, HiveOptions{TimestampFormats: []string{"yyyy-MM-dd G"}}, nil); err == nil {
		t.Fatal("an unsupported pattern letter was accepted")
	}
}

// normalise sorts each line's keys by re-rendering through Arrow's order.
func normalise(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		parts := strings.Split(strings.Trim(l, "{}"), ",\"")
		for j := range parts {
			parts[j] = strings.TrimPrefix(parts[j], "\"")
		}
		sortStrings(parts)
		lines[i] = strings.Join(parts, ",")
	}
	return strings.Join(lines, "\n")
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// TestConcatenatedAndRollback checks that a record's objects all become
// rows, and that a failing record leaves every column, nested ones
// included, exactly as before it.
func TestConcatenatedAndRollback(t *testing.T) {
	s := schemaOf(t, "id int", "tags array<string>", "m map<string,struct<x:array<int>>>", "b binary", "ok boolean")
	good := []string{`{"id":1,"tags":["a"],"m":{"k":{"x":[1,2]}},"b":"AQ==","ok":true}{"id":2}`, `{"id":3,"tags":[],"m":{}}`}
	bad := []string{
		`{"id":9,"tags":["z","y"],"m":{"k":{"x":[1,"no"]}}}`,
		`{"id":9,"tags":["z"],"ok":false}{"id":10,"tags":["q"],"b":"!!"}`,
		`{"id":9,"tags":["z"]}[1]`,
		`{"id":9,"m":{"k":{"x":[3]}},"tags":["z"]`,
	}
	clean, err := NewOpenX(s, OpenXOptions{}, memory.NewGoAllocator())
	if err != nil {
		t.Fatal(err)
	}
	defer clean.Release()
	want, _ := decodeAll(t, clean, good...)

	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	d, err := NewOpenX(s, OpenXOptions{}, mem)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Release()
	var recs []string
	recs = append(recs, good[0])
	recs = append(recs, bad...)
	recs = append(recs, good[1])
	got, errs := decodeAll(t, d, recs...)
	for i, e := range errs {
		if (i == 0 || i == len(errs)-1) != (e == nil) {
			t.Errorf("record %d: error %v", i, e)
		}
	}
	if got != want {
		t.Fatalf("after failed records:\n%s\nwant\n%s", got, want)
	}
	if d.Rows() != 0 {
		t.Fatalf("Rows after NewBatch = %d", d.Rows())
	}
}

// TestBatches checks that NewBatch empties the decoder and later batches
// are independent of earlier ones (which stay valid).
func TestBatches(t *testing.T) {
	d, err := NewOpenX(schemaOf(t, "s string", "l array<bigint>"), OpenXOptions{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Release()
	var batches []arrow.RecordBatch
	for i := 0; i < 3; i++ {
		for j := 0; j < 1000; j++ {
			if err := d.Append([]byte(`{"s":"value","l":[1,2,3]}`)); err != nil {
				t.Fatal(err)
			}
		}
		if d.Bytes() == 0 || d.Rows() != 1000 {
			t.Fatalf("Bytes %d Rows %d", d.Bytes(), d.Rows())
		}
		b, err := d.NewBatch()
		if err != nil {
			t.Fatal(err)
		}
		batches = append(batches, b)
	}
	for _, b := range batches {
		if b.NumRows() != 1000 {
			t.Fatalf("rows %d", b.NumRows())
		}
		if got := b.Column(1).(*array.List).ListValues().Len(); got != 3000 {
			t.Fatalf("list values %d", got)
		}
		if v := b.Column(0).(*array.String).Value(999); v != "value" {
			t.Fatalf("value %q", v)
		}
		b.Release()
	}
}

func TestDecodeAllocations(t *testing.T) {
	d, err := NewOpenX(schemaOf(t, "a string", "b int", "ts timestamp", "d decimal(10,2)", "s struct<x:double>", "l array<string>", "m map<string,int>"), OpenXOptions{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Release()
	rec := []byte(`{"A":"x","b":1,"ts":"2024-01-01T00:00:00.5Z","d":1.25,"s":{"x":1.5},"l":["p","q"],"m":{"k":1},"extra":[1,{"y":2}]}`)
	for i := 0; i < 1000; i++ { // grow the buffers first
		if err := d.Append(rec); err != nil {
			t.Fatal(err)
		}
	}
	d.rows = 0
	d.root.reset()
	allocs := testing.AllocsPerRun(500, func() {
		if err := d.Append(rec); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per record, want 0", allocs)
	}
}

// TestStrEndMask checks that the mask is zero exactly when no byte ends
// the fast path, and that its lowest bit marks the first byte that does.
func TestStrEndMask(t *testing.T) {
	special := func(b byte) bool { return b == '"' || b == '\\' || b < 0x20 || b >= 0x80 }
	var w [8]byte
	check := func() {
		first := 8
		for i := len(w) - 1; i >= 0; i-- {
			if special(w[i]) {
				first = i
			}
		}
		v := uint64(0)
		for i := 7; i >= 0; i-- {
			v = v<<8 | uint64(w[i])
		}
		m := strEndMask(v)
		got := 8
		if m != 0 {
			got = bits.TrailingZeros64(m) >> 3
		}
		if got != first {
			t.Fatalf("strEndMask(% x) = %#x: first special byte %d, want %d", w, m, got, first)
		}
	}
	for pos := 0; pos < 8; pos++ {
		for b := 0; b < 256; b++ {
			for i := range w {
				w[i] = 'a'
			}
			w[pos] = byte(b)
			check()
			w[(pos+3)%8] = byte(255 - b)
			check()
		}
	}
}

func TestMapDuplicateKeys(t *testing.T) {
	d, err := NewOpenX(schemaOf(t, "s map<string,int>", "i map<int,string>", "b map<boolean,int>"), OpenXOptions{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Release()
	recs := []string{`{"s":{"a":1,"b":2},"i":{"1":"x","2":"y"},"b":{"true":1,"false":0}}`, `{"s":{"a":1,"a":2}}`, `{"i":{"1":"x","01":"y"}}`, `{"b":{"true":1,"TRUE":2}}`}
	_, errs := decodeAll(t, d, recs...)
	for i, e := range errs {
		if (i == 0) != (e == nil) {
			t.Errorf("record %s: error %v", recs[i], e)
		}
	}
}
