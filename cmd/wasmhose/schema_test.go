package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/glue"
	gluetypes "github.com/aws/aws-sdk-go-v2/service/glue/types"
	"github.com/aws/smithy-go"

	"github.com/wasmhose/wasmhose/converters/schema"
	"github.com/wasmhose/wasmhose/host/config"
)

// glueClient is the stock aws-sdk-go-v2 Glue client pointed at the server.
func (ts *testServer) glueClient(id, secret string) *glue.Client {
	return glue.New(glue.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String("http://" + ts.addr),
		Credentials:  credentials.NewStaticCredentialsProvider(id, secret, ""),
		HTTPClient:   &http.Client{Timeout: 30 * time.Second},
		Retryer:      aws.NopRetryer{},
	})
}

func glueCols(pairs ...string) []gluetypes.Column {
	var cols []gluetypes.Column
	for i := 0; i+1 < len(pairs); i += 2 {
		cols = append(cols, gluetypes.Column{Name: aws.String(pairs[i]), Type: aws.String(pairs[i+1])})
	}
	return cols
}

func clickTableInput(cols ...gluetypes.Column) *gluetypes.TableInput {
	return &gluetypes.TableInput{
		Name:      aws.String("Clicks"),
		TableType: aws.String("EXTERNAL_TABLE"),
		StorageDescriptor: &gluetypes.StorageDescriptor{
			Columns:   cols,
			Location:  aws.String("s3://analytics/clicks/"),
			SerdeInfo: &gluetypes.SerDeInfo{SerializationLibrary: aws.String("org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe")},
		},
		PartitionKeys: glueCols("dt", "string"),
	}
}

// TestGlueAPI drives the Glue Data Catalog on the Firehose listener with
// the stock Glue client: tables and versions, every error, LATEST through
// the pipeline's Source (the same Glue client), and a restart.
func TestGlueAPI(t *testing.T) {
	dataDir := t.TempDir()
	ts := startServer(t, dataDir, nil)
	c := ts.glueClient("test", "test")
	ctx := context.Background()

	if _, err := c.CreateDatabase(ctx, &glue.CreateDatabaseInput{DatabaseInput: &gluetypes.DatabaseInput{Name: aws.String("Analytics")}}); err != nil {
		t.Fatal(err)
	}
	v1cols := glueCols("id", "string", "ts", "timestamp", "price", "decimal(10,2)", "tags", "array<string>", "attrs", "map<string,int>", "geo", "struct<lat:double,lon:double>")
	if _, err := c.CreateTable(ctx, &glue.CreateTableInput{DatabaseName: aws.String("ANALYTICS"), TableInput: clickTableInput(v1cols...)}); err != nil {
		t.Fatal(err)
	}
	got, err := c.GetTable(ctx, &glue.GetTableInput{DatabaseName: aws.String("analytics"), Name: aws.String("clicks")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(got.Table.Name) != "clicks" || aws.ToString(got.Table.VersionId) != "1" || aws.ToString(got.Table.CatalogId) != config.DefaultAccountID ||
		len(got.Table.StorageDescriptor.Columns) != 6 || got.Table.CreateTime == nil {
		t.Fatalf("table = %+v", got.Table)
	}

	// The pipeline's view, through the same Glue client: LATEST follows.
	src := schema.NewGlueSource(c)
	res, err := src.Resolve(ctx, schema.Ref{Database: "analytics", Table: "clicks", Region: "us-east-1", VersionID: "LATEST"})
	if err != nil {
		t.Fatal(err)
	}
	if res.VersionID != "1" || res.Schema.NumFields() != 6 || res.Schema.Field(2).Type.String() != "decimal(10, 2)" {
		t.Errorf("resolved %s: %v", res.VersionID, res.Schema)
	}
	if _, err := c.UpdateTable(ctx, &glue.UpdateTableInput{DatabaseName: aws.String("analytics"),
		TableInput: clickTableInput(glueCols("id", "string", "n", "bigint")...)}); err != nil {
		t.Fatal(err)
	}
	res, err = src.Resolve(ctx, schema.Ref{Database: "analytics", Table: "clicks"})
	if err != nil {
		t.Fatal(err)
	}
	if res.VersionID != "2" || res.Schema.NumFields() != 2 {
		t.Errorf("LATEST after UpdateTable: version %s with %d fields, want 2 with 2", res.VersionID, res.Schema.NumFields())
	}
	pinned, err := src.Resolve(ctx, schema.Ref{Database: "analytics", Table: "clicks", VersionID: "1"})
	if err != nil || pinned.Schema.NumFields() != 6 {
		t.Errorf("version 1: %v, %v", pinned, err)
	}
	vs, err := c.GetTableVersions(ctx, &glue.GetTableVersionsInput{DatabaseName: aws.String("analytics"), TableName: aws.String("clicks")})
	if err != nil || len(vs.TableVersions) != 2 || aws.ToString(vs.TableVersions[0].VersionId) != "2" {
		t.Fatalf("versions: %+v, %v", vs, err)
	}

	tests := []struct {
		name    string
		call    func() error
		expCode string
		expMsg  string
	}{
		{"missing database", func() error {
			_, err := c.GetDatabase(ctx, &glue.GetDatabaseInput{Name: aws.String("nope")})
			return err
		}, "EntityNotFoundException", "Database nope not found."},
		{"missing table", func() error {
			_, err := c.GetTable(ctx, &glue.GetTableInput{DatabaseName: aws.String("analytics"), Name: aws.String("nope")})
			return err
		}, "EntityNotFoundException", "Table nope not found."},
		{"missing version", func() error {
			_, err := c.GetTableVersion(ctx, &glue.GetTableVersionInput{DatabaseName: aws.String("analytics"), TableName: aws.String("clicks"), VersionId: aws.String("9")})
			return err
		}, "EntityNotFoundException", "Version 9 of table clicks not found."},
		{"database exists", func() error {
			_, err := c.CreateDatabase(ctx, &glue.CreateDatabaseInput{DatabaseInput: &gluetypes.DatabaseInput{Name: aws.String("analytics")}})
			return err
		}, "AlreadyExistsException", "Database already exists."},
		{"table exists", func() error {
			_, err := c.CreateTable(ctx, &glue.CreateTableInput{DatabaseName: aws.String("analytics"), TableInput: clickTableInput(v1cols...)})
			return err
		}, "AlreadyExistsException", "Table already exists."},
		{"bad type names the column", func() error {
			in := clickTableInput(glueCols("id", "string", "amount", "decimal(50,2)")...)
			in.Name = aws.String("bad")
			_, err := c.CreateTable(ctx, &glue.CreateTableInput{DatabaseName: aws.String("analytics"), TableInput: in})
			return err
		}, "InvalidInputException", `column "amount" has an invalid type "decimal(50,2)"`},
		{"stale version", func() error {
			_, err := c.UpdateTable(ctx, &glue.UpdateTableInput{DatabaseName: aws.String("analytics"), VersionId: aws.String("1"),
				TableInput: clickTableInput(glueCols("id", "string")...)})
			return err
		}, "ConcurrentModificationException", "version 1 is not the latest version (2)"},
		{"page size", func() error {
			_, err := c.GetDatabases(ctx, &glue.GetDatabasesInput{MaxResults: aws.Int32(0)})
			return err
		}, "ValidationException", "Member must have value greater than or equal to 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			var ae smithy.APIError
			if !errors.As(err, &ae) || ae.ErrorCode() != tc.expCode || !strings.Contains(ae.ErrorMessage(), tc.expMsg) {
				t.Fatalf("err = %v, want %s %q", err, tc.expCode, tc.expMsg)
			}
			var re interface{ HTTPStatusCode() int }
			if !errors.As(err, &re) || re.HTTPStatusCode() != http.StatusBadRequest {
				t.Fatalf("status: %v, want 400", err)
			}
		})
	}

	// The Firehose API still answers on the same listener.
	if _, err := ts.client().ListDeliveryStreams(ctx, &firehose.ListDeliveryStreamsInput{}); err != nil {
		t.Fatalf("Firehose API next to Glue: %v", err)
	}

	// A restart keeps the catalog.
	ts.stop(t)
	ts = startServer(t, dataDir, nil)
	c = ts.glueClient("test", "test")
	got, err = c.GetTable(ctx, &glue.GetTableInput{DatabaseName: aws.String("analytics"), Name: aws.String("clicks")})
	if err != nil || aws.ToString(got.Table.VersionId) != "2" {
		t.Fatalf("after restart: %+v, %v", got, err)
	}
	if _, err := c.DeleteTable(ctx, &glue.DeleteTableInput{DatabaseName: aws.String("analytics"), Name: aws.String("clicks")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetTable(ctx, &glue.GetTableInput{DatabaseName: aws.String("analytics"), Name: aws.String("clicks")})
	var nf *gluetypes.EntityNotFoundException
	if !errors.As(err, &nf) {
		t.Fatalf("after delete: %v", err)
	}
}

// TestGlueAPISigV4: with signing on, Glue requests are verified too, scoped
// to the service "glue" as the SDK signs them.
func TestGlueAPISigV4(t *testing.T) {
	ts := startServer(t, t.TempDir(), func(c *config.Config) {
		c.Auth.Mode = config.AuthSigV4
		c.Auth.Keys = []config.AuthKey{{AccessKeyID: "AKIDCATALOG", SecretAccessKey: "catalog-secret"}}
	})
	ctx := context.Background()
	if _, err := ts.glueClient("AKIDCATALOG", "catalog-secret").CreateDatabase(ctx, &glue.CreateDatabaseInput{
		DatabaseInput: &gluetypes.DatabaseInput{Name: aws.String("signed")}}); err != nil {
		t.Fatalf("signed CreateDatabase: %v", err)
	}
	_, err := ts.glueClient("AKIDCATALOG", "wrong").GetDatabase(ctx, &glue.GetDatabaseInput{Name: aws.String("signed")})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "InvalidSignatureException" {
		t.Fatalf("wrong secret: %v, want InvalidSignatureException", err)
	}
	if _, err := ts.clientWith("AKIDCATALOG", "catalog-secret").ListDeliveryStreams(ctx, &firehose.ListDeliveryStreamsInput{}); err != nil {
		t.Fatalf("Firehose with the same key: %v", err)
	}
}

// TestSchemaCLI creates a catalog with `wasmhose schema` and reads it back
// through the CLI and through the service.
func TestSchemaCLI(t *testing.T) {
	dataDir := t.TempDir()
	runOK := func(args ...string) string {
		t.Helper()
		var out, errb bytes.Buffer
		if code := run(append([]string{"schema"}, args...), &out, &errb); code != 0 {
			t.Fatalf("wasmhose schema %s: exit %d\n%s", strings.Join(args, " "), code, errb.String())
		}
		return out.String()
	}
	runFail := func(wantCode int, args ...string) string {
		t.Helper()
		var out, errb bytes.Buffer
		if code := run(append([]string{"schema"}, args...), &out, &errb); code != wantCode {
			t.Fatalf("wasmhose schema %s: exit %d, want %d\n%s", strings.Join(args, " "), code, wantCode, errb.String())
		}
		return errb.String()
	}
	dd := "--data-dir=" + dataDir
	runOK("create-database", dd, "--description", "click events", "Analytics")

	// A TableInput file, and a whole CreateTable request as --cli-input-json takes.
	v1 := filepath.Join(t.TempDir(), "v1.json")
	if err := os.WriteFile(v1, []byte(`{"Name":"Clicks","StorageDescriptor":{"Columns":[{"Name":"id","Type":"string"},{"Name":"price","Type":"decimal(10,2)","Comment":"EUR"}]},"PartitionKeys":[{"Name":"dt","Type":"string"}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	v2 := filepath.Join(t.TempDir(), "v2.json")
	if err := os.WriteFile(v2, []byte(`{"DatabaseName":"analytics","TableInput":{"Name":"clicks","StorageDescriptor":{"Columns":[{"Name":"id","Type":"string"}]}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(bad, []byte(`{"Name":"bad","StorageDescriptor":{"Columns":[{"Name":"amount","Type":"decimal(50,2)"}]}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if out := runOK("create", dd, "--database", "analytics", v1); !strings.Contains(out, "analytics.clicks version 1: 2 columns") {
		t.Errorf("create: %q", out)
	}
	if out := runOK("update", dd, "--database", "analytics", v2); !strings.Contains(out, "analytics.clicks version 2: 1 columns") {
		t.Errorf("update: %q", out)
	}
	if msg := runFail(1, "create", dd, "--database", "analytics", bad); !strings.Contains(msg, `InvalidInputException`) || !strings.Contains(msg, `column "amount" has an invalid type "decimal(50,2)"`) {
		t.Errorf("bad type: %q", msg)
	}
	if msg := runFail(1, "show", dd, "analytics.nope"); !strings.Contains(msg, "EntityNotFoundException: Table nope not found.") {
		t.Errorf("show missing: %q", msg)
	}
	runFail(2, "show", dd, "no-dot")
	runFail(2, "create", dd, v1)
	runFail(2, "frobnicate")

	if out := runOK("list", dd); !strings.Contains(out, "analytics") || !strings.Contains(out, "click events") {
		t.Errorf("list: %q", out)
	}
	if out := runOK("list", dd, "--database", "analytics"); !strings.Contains(out, "clicks") {
		t.Errorf("list tables: %q", out)
	}
	out := runOK("show", dd, "--version", "1", "analytics.clicks")
	for _, want := range []string{"analytics.clicks version 1", "price", "decimal(10,2)", "EUR", "dt", "(partition key)"} {
		if !strings.Contains(out, want) {
			t.Errorf("show --version 1: %q lacks %q", out, want)
		}
	}
	var tbl schema.Table
	if err := json.Unmarshal([]byte(runOK("show", dd, "--json", "analytics.clicks")), &tbl); err != nil || tbl.VersionID != "2" {
		t.Errorf("show --json: %+v, %v", tbl, err)
	}

	// The service serves what the CLI wrote.
	ts := startServer(t, dataDir, nil)
	got, err := ts.glueClient("test", "test").GetTable(context.Background(), &glue.GetTableInput{DatabaseName: aws.String("analytics"), Name: aws.String("clicks")})
	if err != nil || aws.ToString(got.Table.VersionId) != "2" {
		t.Fatalf("service reads the CLI's table: %+v, %v", got, err)
	}
	ts.stop(t)

	runOK("delete", dd, "analytics.clicks")
	runFail(1, "delete", dd, "analytics.clicks")
}
