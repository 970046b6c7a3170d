package convert_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"

	"github.com/wasmhose/wasmhose/converters/schema"
	"github.com/wasmhose/wasmhose/host/convert"
	"github.com/wasmhose/wasmhose/host/deliver"
	"github.com/wasmhose/wasmhose/host/stream"
)

func table(name string, cols ...string) schema.TableInput {
	in := schema.TableInput{Name: name, StorageDescriptor: &schema.StorageDescriptor{}}
	for i := 0; i+1 < len(cols); i += 2 {
		in.StorageDescriptor.Columns = append(in.StorageDescriptor.Columns, schema.Column{Name: cols[i], Type: cols[i+1]})
	}
	return in
}

func conversionStream(ser stream.Serializer) *stream.Stream {
	return &stream.Stream{Name: "s", ARN: "arn:aws:firehose:us-east-1:000000000000:deliverystream/s", Destination: stream.ExtendedS3DestinationConfiguration{
		DataFormatConversionConfiguration: &stream.DataFormatConversionConfiguration{
			SchemaConfiguration:       &stream.SchemaConfiguration{RoleARN: stream.String("r"), DatabaseName: stream.String("db"), TableName: stream.String("t")},
			InputFormatConfiguration:  &stream.InputFormatConfiguration{Deserializer: &stream.Deserializer{OpenXJsonSerDe: &stream.OpenXJsonSerDe{}}},
			OutputFormatConfiguration: &stream.OutputFormatConfiguration{Serializer: &ser},
		},
	}}
}

// parquetRows reads the number of rows of a Parquet file with arrow-go's
// low-level reader.
func parquetRows(t *testing.T, b []byte) int64 {
	t.Helper()
	r, err := file.NewParquetReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not a Parquet file: %v", err)
	}
	defer r.Close()
	return r.NumRows()
}

func TestConvert(t *testing.T) {
	ctx := context.Background()
	reg, err := schema.Open(t.TempDir(), schema.Options{})
	if err != nil {
		t.Fatal(err)
	}
	f := convert.New(convert.Options{Source: reg, Allocator: memory.NewGoAllocator(), BatchRows: 2})
	c, err := f.Converter(ctx, conversionStream(stream.Serializer{ParquetSerDe: &stream.ParquetSerDe{}}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Extension() != ".parquet" {
		t.Fatalf("extension %q", c.Extension())
	}
	records := [][]byte{[]byte(`{"a":1}`), []byte(`{"a":"x"}`), []byte(`nope`), []byte(`{"a":2}{"a":3}`), []byte(`{"a":4,"b":"new"}`)}

	// No table yet: the batch fails as a whole, to be retried.
	var out bytes.Buffer
	_, err = c.Convert(ctx, records, &out)
	var re *deliver.RetryableError
	if !errors.As(err, &re) || re.Code != convert.CodeEntityNotFound {
		t.Fatalf("Convert without a table = %v, want a RetryableError %s", err, convert.CodeEntityNotFound)
	}

	if err := reg.CreateDatabase("", schema.DatabaseInput{Name: "db"}); err != nil {
		t.Fatal(err)
	}
	if err := reg.CreateTable("", "db", table("t", "a", "int")); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	res, err := c.Convert(ctx, records, &out)
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows != 3 || len(res.Failed) != 2 || res.Failed[0].Index != 1 || res.Failed[1].Index != 2 ||
		res.Failed[0].Code != "DataFormatConversion.MalformedData" || res.Failed[1].Code != "DataFormatConversion.ParseError" {
		t.Fatalf("result %+v", res)
	}
	if res.Table != (deliver.CatalogTable{CatalogID: "000000000000", DatabaseName: "db", TableName: "t", Region: "us-east-1", VersionID: "1", CatalogARN: "arn:aws:glue:us-east-1:000000000000:catalog"}) {
		t.Fatalf("table %+v", res.Table)
	}
	if n := parquetRows(t, out.Bytes()); n != 4 { // the concatenated record holds two rows
		t.Fatalf("the file has %d rows, want 4", n)
	}

	// LATEST follows a new table version: column b now exists.
	if err := reg.UpdateTable("", "db", table("t", "a", "int", "b", "string"), schema.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if res, err = c.Convert(ctx, records, &out); err != nil || res.Table.VersionID != "2" {
		t.Fatalf("after UpdateTable: version %q, %v", res.Table.VersionID, err)
	}
}

func TestConvertORCAndErrors(t *testing.T) {
	ctx := context.Background()
	reg, err := schema.Open(t.TempDir(), schema.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := reg.CreateDatabase("", schema.DatabaseInput{Name: "db"}); err != nil {
		t.Fatal(err)
	}
	if err := reg.CreateTable("", "db", table("t", "a", "bigint")); err != nil {
		t.Fatal(err)
	}
	f := convert.New(convert.Options{Source: reg})
	c, err := f.Converter(ctx, conversionStream(stream.Serializer{OrcSerDe: &stream.OrcSerDe{Compression: stream.String("ZLIB"), DictionaryKeyThreshold: new(float64), BloomFilterColumns: []string{"A"}}}))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	res, err := c.Convert(ctx, [][]byte{[]byte(`{"a":1}`)}, &out)
	if err != nil || res.Rows != 1 || c.Extension() != ".orc" || !bytes.HasPrefix(out.Bytes(), []byte("ORC")) {
		t.Fatalf("ORC: %+v %v % x", res, err, out.Bytes()[:min(3, out.Len())])
	}

	// A serializer setting that cannot be served fails at Converter.
	bad := conversionStream(stream.Serializer{ParquetSerDe: &stream.ParquetSerDe{Compression: stream.String("LZO")}})
	if _, err := f.Converter(ctx, bad); err == nil {
		t.Fatal("Converter accepted Parquet compression LZO")
	}
	if _, err := convert.New(convert.Options{}).Converter(ctx, conversionStream(stream.Serializer{ParquetSerDe: &stream.ParquetSerDe{}})); err == nil {
		t.Fatal("Converter without a schema source succeeded")
	}
}
