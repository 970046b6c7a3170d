package schema

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/glue"
	"github.com/aws/aws-sdk-go-v2/service/glue/types"
	"github.com/aws/smithy-go"
)

// serveJSON11 serves a Service over HTTP with the AWS JSON 1.1 framing the
// host's API applies (X-Amz-Target in, JSON or {"__type","message"} out),
// so the stock Glue client can talk to it inside this package's tests. The
// service on the real listener is tested in cmd/wasmhose.
func serveJSON11(t *testing.T, s *Service, calls *atomic.Int64) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls != nil {
			calls.Add(1)
		}
		op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), s.TargetPrefix())
		body, err := io.ReadAll(r.Body)
		if !ok || err != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		out, err := s.Call(r.Context(), op, body)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Errorf("%s: internal error: %v", op, err)
				w.WriteHeader(http.StatusInternalServerError)
				return
			}
			typ, status := e.ErrorShape()
			w.Header().Set("X-Amzn-ErrorType", typ)
			w.WriteHeader(status)
			_ = json.NewEncoder(w).Encode(map[string]string{"__type": typ, "message": e.ErrorMessage()})
			return
		}
		_ = json.NewEncoder(w).Encode(out)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func glueClient(url string) *glue.Client {
	return glue.New(glue.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(url),
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		HTTPClient:   &http.Client{Timeout: 10 * time.Second},
	})
}

func sdkColumns(pairs ...string) []types.Column {
	var cols []types.Column
	for i := 0; i+1 < len(pairs); i += 2 {
		cols = append(cols, types.Column{Name: aws.String(pairs[i]), Type: aws.String(pairs[i+1])})
	}
	return cols
}

// errCode returns the API error code of an SDK error.
func errCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func TestServiceWithGlueClient(t *testing.T) {
	r := openTest(t, t.TempDir())
	srv := serveJSON11(t, NewService(r, "eu-west-1"), nil)
	c := glueClient(srv.URL)
	ctx := context.Background()

	if _, err := c.CreateDatabase(ctx, &glue.CreateDatabaseInput{DatabaseInput: &types.DatabaseInput{
		Name: aws.String("Analytics"), Description: aws.String("clicks"), Parameters: map[string]string{"k": "v"},
	}}); err != nil {
		t.Fatal(err)
	}
	db, err := c.GetDatabase(ctx, &glue.GetDatabaseInput{Name: aws.String("ANALYTICS")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(db.Database.Name) != "analytics" || aws.ToString(db.Database.CatalogId) != "123456789012" ||
		db.Database.CreateTime == nil || db.Database.Parameters["k"] != "v" || len(db.Database.CreateTableDefaultPermissions) != 1 {
		t.Errorf("database = %+v", db.Database)
	}

	lastAccess := time.Date(2026, 1, 2, 3, 4, 5, 678e6, time.UTC)
	in := &types.TableInput{
		Name:           aws.String("Clicks"),
		Description:    aws.String("click events"),
		TableType:      aws.String("EXTERNAL_TABLE"),
		LastAccessTime: &lastAccess,
		Parameters:     map[string]string{"classification": "parquet"},
		PartitionKeys:  sdkColumns("dt", "string"),
		StorageDescriptor: &types.StorageDescriptor{
			Columns:         append(sdkColumns("id", "string", "ts", "timestamp"), types.Column{Name: aws.String("price"), Type: aws.String("decimal(10,2)"), Comment: aws.String("EUR")}),
			Location:        aws.String("s3://bucket/clicks/"),
			InputFormat:     aws.String("org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"),
			OutputFormat:    aws.String("org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"),
			NumberOfBuckets: -1,
			SerdeInfo:       &types.SerDeInfo{SerializationLibrary: aws.String("org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe")},
			SortColumns:     []types.Order{{Column: aws.String("id"), SortOrder: 1}},
		},
	}
	if _, err := c.CreateTable(ctx, &glue.CreateTableInput{DatabaseName: aws.String("analytics"), TableInput: in}); err != nil {
		t.Fatal(err)
	}
	got, err := c.GetTable(ctx, &glue.GetTableInput{DatabaseName: aws.String("analytics"), Name: aws.String("clicks")})
	if err != nil {
		t.Fatal(err)
	}
	tb := got.Table
	if aws.ToString(tb.Name) != "clicks" || aws.ToString(tb.DatabaseName) != "analytics" || aws.ToString(tb.VersionId) != "1" ||
		aws.ToString(tb.CatalogId) != "123456789012" || aws.ToString(tb.Description) != "click events" || aws.ToString(tb.TableType) != "EXTERNAL_TABLE" {
		t.Errorf("table = %+v", tb)
	}
	if tb.LastAccessTime == nil || !tb.LastAccessTime.Equal(lastAccess) {
		t.Errorf("LastAccessTime = %v, want %v (milliseconds survive the epoch-seconds encoding)", tb.LastAccessTime, lastAccess)
	}
	sd := tb.StorageDescriptor
	if sd == nil || len(sd.Columns) != 3 || aws.ToString(sd.Columns[2].Comment) != "EUR" || sd.NumberOfBuckets != -1 ||
		aws.ToString(sd.SerdeInfo.SerializationLibrary) != "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe" ||
		len(sd.SortColumns) != 1 || sd.SortColumns[0].SortOrder != 1 || len(tb.PartitionKeys) != 1 {
		t.Errorf("storage descriptor = %+v, partition keys %+v", sd, tb.PartitionKeys)
	}

	// UpdateTable: a new version, and GetTableVersion(s) see both.
	in.StorageDescriptor.Columns = sdkColumns("id", "string", "n", "bigint")
	if _, err := c.UpdateTable(ctx, &glue.UpdateTableInput{DatabaseName: aws.String("analytics"), TableInput: in, VersionId: aws.String("1")}); err != nil {
		t.Fatal(err)
	}
	vs, err := c.GetTableVersions(ctx, &glue.GetTableVersionsInput{DatabaseName: aws.String("analytics"), TableName: aws.String("clicks")})
	if err != nil {
		t.Fatal(err)
	}
	if len(vs.TableVersions) != 2 || aws.ToString(vs.TableVersions[0].VersionId) != "2" || len(vs.TableVersions[1].Table.StorageDescriptor.Columns) != 3 {
		t.Errorf("versions = %+v", vs.TableVersions)
	}
	v1, err := c.GetTableVersion(ctx, &glue.GetTableVersionInput{DatabaseName: aws.String("analytics"), TableName: aws.String("clicks"), VersionId: aws.String("1")})
	if err != nil || aws.ToString(v1.TableVersion.VersionId) != "1" || aws.ToString(v1.TableVersion.Table.StorageDescriptor.Columns[2].Type) != "decimal(10,2)" {
		t.Errorf("version 1 = %+v, %v", v1, err)
	}

	// Errors arrive as the SDK's typed errors.
	_, err = c.GetTable(ctx, &glue.GetTableInput{DatabaseName: aws.String("analytics"), Name: aws.String("nope")})
	var nf *types.EntityNotFoundException
	if !errors.As(err, &nf) || nf.ErrorMessage() != "Table nope not found." {
		t.Errorf("missing table: %v", err)
	}
	_, err = c.CreateTable(ctx, &glue.CreateTableInput{DatabaseName: aws.String("analytics"), TableInput: in})
	var ae *types.AlreadyExistsException
	if !errors.As(err, &ae) {
		t.Errorf("duplicate table: %v", err)
	}
	bad := &types.TableInput{Name: aws.String("bad"), StorageDescriptor: &types.StorageDescriptor{Columns: sdkColumns("id", "string", "price", "decimal(50,2)")}}
	_, err = c.CreateTable(ctx, &glue.CreateTableInput{DatabaseName: aws.String("analytics"), TableInput: bad})
	var ii *types.InvalidInputException
	if !errors.As(err, &ii) || !strings.Contains(ii.ErrorMessage(), `"price"`) || !strings.Contains(ii.ErrorMessage(), `"decimal(50,2)"`) {
		t.Errorf("bad type: %v", err)
	}
	_, err = c.UpdateTable(ctx, &glue.UpdateTableInput{DatabaseName: aws.String("analytics"), TableInput: in, VersionId: aws.String("1")})
	var cm *types.ConcurrentModificationException
	if !errors.As(err, &cm) {
		t.Errorf("stale update: %v", err)
	}
	_, err = c.GetTables(ctx, &glue.GetTablesInput{DatabaseName: aws.String("analytics"), MaxResults: aws.Int32(101)})
	if errCode(err) != TypeValidation {
		t.Errorf("MaxResults 101: %v", err)
	}

	if _, err := c.DeleteTable(ctx, &glue.DeleteTableInput{DatabaseName: aws.String("analytics"), Name: aws.String("CLICKS")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetTableVersions(ctx, &glue.GetTableVersionsInput{DatabaseName: aws.String("analytics"), TableName: aws.String("clicks")}); !errors.As(err, &nf) {
		t.Errorf("versions after delete: %v", err)
	}
}

func TestServicePaging(t *testing.T) {
	r := openTest(t, t.TempDir())
	srv := serveJSON11(t, NewService(r, ""), nil)
	c := glueClient(srv.URL)
	ctx := context.Background()
	var wantDBs, wantTables []string
	for _, n := range []string{"d3", "d1", "d2", "d5", "d4"} {
		if _, err := c.CreateDatabase(ctx, &glue.CreateDatabaseInput{DatabaseInput: &types.DatabaseInput{Name: aws.String(n)}}); err != nil {
			t.Fatal(err)
		}
		wantDBs = append(wantDBs, n)
	}
	for _, n := range []string{"t_b", "t_a", "x_c", "t_d", "t_e", "t_f", "t_g"} {
		if _, err := c.CreateTable(ctx, &glue.CreateTableInput{DatabaseName: aws.String("d1"),
			TableInput: &types.TableInput{Name: aws.String(n), StorageDescriptor: &types.StorageDescriptor{Columns: sdkColumns("a", "int")}}}); err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(n, "t_") {
			wantTables = append(wantTables, n)
		}
	}
	slices.Sort(wantDBs)
	slices.Sort(wantTables)

	var dbs []string
	pages := 0
	for p := glue.NewGetDatabasesPaginator(c, &glue.GetDatabasesInput{MaxResults: aws.Int32(2)}); p.HasMorePages(); pages++ {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range out.DatabaseList {
			dbs = append(dbs, aws.ToString(d.Name))
		}
	}
	if !slices.Equal(dbs, wantDBs) || pages != 3 {
		t.Errorf("databases %v in %d pages, want %v in 3", dbs, pages, wantDBs)
	}

	var tables []string
	pages = 0
	for p := glue.NewGetTablesPaginator(c, &glue.GetTablesInput{DatabaseName: aws.String("d1"), Expression: aws.String("T_*"), MaxResults: aws.Int32(4)}); p.HasMorePages(); pages++ {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, tb := range out.TableList {
			tables = append(tables, aws.ToString(tb.Name))
		}
	}
	if !slices.Equal(tables, wantTables) || pages != 2 {
		t.Errorf("tables %v in %d pages, want %v in 2", tables, pages, wantTables)
	}

	in := &types.TableInput{Name: aws.String("t_a"), StorageDescriptor: &types.StorageDescriptor{Columns: sdkColumns("a", "int")}}
	for range 4 {
		if _, err := c.UpdateTable(ctx, &glue.UpdateTableInput{DatabaseName: aws.String("d1"), TableInput: in}); err != nil {
			t.Fatal(err)
		}
	}
	var versions []string
	for p := glue.NewGetTableVersionsPaginator(c, &glue.GetTableVersionsInput{DatabaseName: aws.String("d1"), TableName: aws.String("t_a"), MaxResults: aws.Int32(2)}); p.HasMorePages(); {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range out.TableVersions {
			versions = append(versions, aws.ToString(v.VersionId))
		}
	}
	if strings.Join(versions, ",") != "5,4,3,2,1" {
		t.Errorf("versions %v, want 5,4,3,2,1", versions)
	}

	_, err := c.GetDatabases(ctx, &glue.GetDatabasesInput{NextToken: aws.String("!!not base64")})
	var ii *types.InvalidInputException
	if !errors.As(err, &ii) {
		t.Errorf("bad NextToken: %v", err)
	}
	_, err = c.GetTables(ctx, &glue.GetTablesInput{DatabaseName: aws.String("d1"), Expression: aws.String("(")})
	if !errors.As(err, &ii) {
		t.Errorf("bad Expression: %v", err)
	}
}

func TestGlueSourceAndCache(t *testing.T) {
	r := openTest(t, t.TempDir())
	var calls atomic.Int64
	srv := serveJSON11(t, NewService(r, ""), &calls)
	c := glueClient(srv.URL)
	ctx := context.Background()
	mustCreateDB(t, r, "db")
	if err := r.CreateTable("", "db", clickInput("t")); err != nil {
		t.Fatal(err)
	}
	src := NewGlueSource(c)
	// The same answers through the Glue client as from the registry itself.
	for _, ref := range []Ref{{Database: "db", Table: "t"}, {Database: "DB", Table: "T", VersionID: "1", Region: "eu-central-1"}, {CatalogID: "123456789012", Database: "db", Table: "t", VersionID: "LATEST"}} {
		remote, err := src.Resolve(ctx, ref)
		if err != nil {
			t.Fatalf("%v: %v", ref, err)
		}
		local, err := r.Resolve(ctx, ref)
		if err != nil {
			t.Fatal(err)
		}
		if remote.VersionID != local.VersionID || remote.Database != local.Database || remote.Table != local.Table ||
			remote.CatalogID != local.CatalogID || !remote.Schema.Equal(local.Schema) || !slices.Equal(remote.Columns, local.Columns) {
			t.Errorf("%v: glue client resolved %+v, registry %+v", ref, remote, local)
		}
	}
	if _, err := src.Resolve(ctx, Ref{Database: "db", Table: "nope"}); !errors.Is(err, ErrEntityNotFound) {
		t.Errorf("missing table through the client: %v, want EntityNotFound", err)
	}
	if _, err := src.Resolve(ctx, Ref{Database: "db", Table: "t", VersionID: "x"}); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("bad version through the client: %v, want InvalidInput", err)
	}

	// The cache answers from memory until the TTL passes, then sees the
	// new version.
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cached := NewCached(src, time.Minute, func() time.Time { return now })
	first, err := cached.Resolve(ctx, Ref{Database: "db", Table: "t"})
	if err != nil {
		t.Fatal(err)
	}
	before := calls.Load()
	if err := r.UpdateTable("", "db", clickInput("t", Column{Name: "n", Type: "int"}), UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	again, err := cached.Resolve(ctx, Ref{Database: "DB", Table: "t", VersionID: "LATEST"})
	if err != nil {
		t.Fatal(err)
	}
	if again != first || calls.Load() != before {
		t.Errorf("within the TTL: version %s after %d calls, want the cached version %s and no call", again.VersionID, calls.Load()-before, first.VersionID)
	}
	now = now.Add(time.Minute)
	fresh, err := cached.Resolve(ctx, Ref{Database: "db", Table: "t"})
	if err != nil {
		t.Fatal(err)
	}
	if fresh.VersionID != "2" || calls.Load() != before+1 {
		t.Errorf("after the TTL: version %s after %d calls, want version 2 after one call", fresh.VersionID, calls.Load()-before)
	}
	if _, err := cached.Resolve(ctx, Ref{Database: "db", Table: "nope"}); !errors.Is(err, ErrEntityNotFound) {
		t.Errorf("cached source, missing table: %v", err)
	}
}

func TestServiceAction(t *testing.T) {
	s := NewService(openTest(t, t.TempDir()), "eu-west-1")
	const arn = "arn:aws:glue:eu-west-1:123456789012:"
	tests := []struct {
		op, body  string
		expAction string
		exp       []string
	}{
		{"CreateDatabase", `{"DatabaseInput":{"Name":"DB"}}`, "glue:CreateDatabase", []string{arn + "catalog", arn + "database/db"}},
		{"GetDatabase", `{"Name":"db","CatalogId":"999999999999"}`, "glue:GetDatabase", []string{"arn:aws:glue:eu-west-1:999999999999:catalog", "arn:aws:glue:eu-west-1:999999999999:database/db"}},
		{"GetDatabases", `{}`, "glue:GetDatabases", []string{arn + "catalog", arn + "database/*"}},
		{"CreateTable", `{"DatabaseName":"db","TableInput":{"Name":"T"}}`, "glue:CreateTable", []string{arn + "catalog", arn + "database/db", arn + "table/db/t"}},
		{"UpdateTable", `{"DatabaseName":"db","TableInput":{"Name":"t"}}`, "glue:UpdateTable", []string{arn + "catalog", arn + "database/db", arn + "table/db/t"}},
		{"GetTable", `{"DatabaseName":"db","Name":"t"}`, "glue:GetTable", []string{arn + "catalog", arn + "database/db", arn + "table/db/t"}},
		{"GetTables", `{"DatabaseName":"db"}`, "glue:GetTables", []string{arn + "catalog", arn + "database/db", arn + "table/db/*"}},
		{"GetTableVersion", `{"DatabaseName":"db","TableName":"t"}`, "glue:GetTableVersion", []string{arn + "catalog", arn + "database/db", arn + "table/db/t"}},
		{"GetTableVersions", `{"DatabaseName":"db","TableName":"t"}`, "glue:GetTableVersions", []string{arn + "catalog", arn + "database/db", arn + "table/db/t"}},
		{"DeleteTable", `{"DatabaseName":"db","Name":"t"}`, "glue:DeleteTable", []string{arn + "catalog", arn + "database/db", arn + "table/db/t"}},
		{"GetTable", `not json`, "glue:GetTable", []string{arn + "catalog"}},
	}
	for _, tc := range tests {
		action, res := s.Action(tc.op, []byte(tc.body))
		if action != tc.expAction || !slices.Equal(res, tc.exp) {
			t.Errorf("%s %s: %s %q, want %s %q", tc.op, tc.body, action, res, tc.expAction, tc.exp)
		}
	}
	for _, op := range Operations() {
		if a, _ := s.Action(op, nil); a != "glue:"+op {
			t.Errorf("Action(%s) = %s", op, a)
		}
	}
}

func TestServiceRequestDecoding(t *testing.T) {
	r := openTest(t, t.TempDir())
	mustCreateDB(t, r, "db")
	s := NewService(r, "")
	ctx := context.Background()
	tests := []struct {
		name, op, body string
		expType        string // "" = success
		expMsg         string
	}{
		{"member names are case-sensitive", "GetDatabase", `{"name":"db"}`, TypeValidation, "Value null at 'name' failed to satisfy constraint: Member must not be null"},
		{"unknown members are ignored", "GetDatabase", `{"Name":"db","Surprise":{"a":[1,2]}}`, "", ""},
		{"nested names are case-sensitive", "CreateTable", `{"DatabaseName":"db","TableInput":{"name":"t"}}`, TypeValidation, "at 'tableInput.name'"},
		{"not JSON", "GetDatabase", `{"Name":`, TypeSerialization, "malformed JSON"},
		{"not an object", "GetDatabase", `[1]`, TypeSerialization, "must be a JSON object"},
		{"two values", "GetDatabase", `{} {}`, TypeSerialization, "data after"},
		{"wrong member type", "GetDatabase", `{"Name":7}`, TypeSerialization, "member Name: expected a string, got JSON number"},
		{"timestamp as a string", "CreateTable", `{"DatabaseName":"db","TableInput":{"Name":"t","LastAccessTime":"2026-01-01"}}`, TypeSerialization, "seconds since the epoch"},
		{"empty body", "GetDatabases", ``, "", ""},
		{"unknown operation", "GetPartitions", `{}`, TypeUnknownOperation, "AWSGlue.GetPartitions"},
		{"Iceberg is refused", "CreateTable", `{"DatabaseName":"db","TableInput":{"Name":"t"},"OpenTableFormatInput":{"IcebergInput":{}}}`, TypeInvalidInput, "OpenTableFormatInput"},
		{"UpdateTable Name must match", "UpdateTable", `{"DatabaseName":"db","Name":"a","TableInput":{"Name":"b"}}`, TypeInvalidInput, "name different tables"},
		{"missing TableInput", "CreateTable", `{"DatabaseName":"db"}`, TypeValidation, "Value null at 'tableInput'"},
		{"MaxResults 0", "GetTableVersions", `{"DatabaseName":"db","TableName":"t","MaxResults":0}`, TypeValidation, "greater than or equal to 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Call(ctx, tc.op, []byte(tc.body))
			if tc.expType == "" {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || e.Type != tc.expType || !strings.Contains(e.Message, tc.expMsg) {
				t.Errorf("err = %v, want %s containing %q", err, tc.expType, tc.expMsg)
			}
		})
	}
}
