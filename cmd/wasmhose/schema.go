package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/glue"

	"github.com/wasmhose/wasmhose/converters/schema"
	"github.com/wasmhose/wasmhose/host/api"
	"github.com/wasmhose/wasmhose/host/auth"
	"github.com/wasmhose/wasmhose/host/config"
)

// glueAPI returns the Glue Data Catalog served on the API listener, over
// the registry of the data dir. With SigV4 on, Glue requests are checked
// with the same keys, scoped to the service "glue" as AWS clients sign them.
func glueAPI(cfg config.Config) (api.Service, *schema.Registry, error) {
	reg, err := schema.Open(filepath.Join(cfg.DataDir, schema.DirName), schema.Options{AccountID: cfg.AccountID})
	if err != nil {
		return api.Service{}, nil, err
	}
	svc := api.Service{Target: schema.NewService(reg, cfg.Region)}
	if cfg.Auth.Mode == config.AuthSigV4 {
		keys := make([]auth.Key, len(cfg.Auth.Keys))
		for i, k := range cfg.Auth.Keys {
			keys[i] = auth.Key{AccessKeyID: k.AccessKeyID, SecretAccessKey: k.SecretAccessKey}
		}
		v, err := auth.New(auth.Options{Keys: keys, Service: "glue", Region: cfg.Region, ClockSkew: cfg.Auth.ClockSkew})
		if err != nil {
			return api.Service{}, nil, fmt.Errorf("auth (glue): %w", err)
		}
		svc.Auth = v
	}
	return svc, reg, nil
}

// catalogSource is where format conversion reads table schemas: the local
// registry (read directly: it is cheap and always current), or, with
// catalog.source glue, AWS Glue through the SDK behind a cache.
func catalogSource(ctx context.Context, cfg config.Config, reg *schema.Registry) (schema.Source, error) {
	if cfg.Catalog.Source != config.CatalogGlue {
		return reg, nil
	}
	region := cfg.Catalog.Region
	if region == "" {
		region = cfg.Region
	}
	opts := []func(*awsconfig.LoadOptions) error{awsconfig.WithRegion(region)}
	if cfg.Catalog.AccessKeyID != "" {
		opts = append(opts, awsconfig.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(cfg.Catalog.AccessKeyID, cfg.Catalog.SecretAccessKey, "")))
	}
	ac, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("AWS configuration for Glue: %w", err)
	}
	client := glue.NewFromConfig(ac, func(o *glue.Options) {
		if cfg.Catalog.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Catalog.Endpoint)
		}
	})
	return schema.NewCached(schema.NewGlueSource(client), cfg.Catalog.CacheTTL, nil), nil
}

// schemaHelp is the help of `wasmhose schema`.
const schemaHelp = `usage: wasmhose schema <command> [flags]

Manages the table schemas of a data dir: the Glue-compatible catalog that
record format conversion reads (DataFormatConversionConfiguration's
SchemaConfiguration names a database and a table in it). A running service
answers the same catalog through the Glue API on its listener, e.g.

  aws glue get-table --endpoint-url http://127.0.0.1:4573 --database-name db --name t

The commands work on the data dir's files directly. While a service runs on
the same data dir, change its catalog through the API (aws glue, an SDK):
a write here and one through the service at the same instant are each
atomic, but one may overwrite the other.

commands:
  list            [--data-dir DIR] [--catalog-id ID] [--database DB] [--json]
                  list databases, or the tables of one
  show            [--data-dir DIR] [--catalog-id ID] [--version N] [--json] DB.TABLE
                  show a table's columns, or its full JSON (Glue's Table shape)
  create-database [--data-dir DIR] [--catalog-id ID] [--description TEXT] DB
                  create a database
  create          [--data-dir DIR] [--catalog-id ID] --database DB FILE.json
                  create a table from a Glue TableInput JSON file
  update          [--data-dir DIR] [--catalog-id ID] --database DB FILE.json
                  write a new version of a table from a TableInput JSON file
  delete          [--data-dir DIR] [--catalog-id ID] DB.TABLE
                  delete a table and all its versions

Column types are Hive type strings (boolean, int, bigint, double,
decimal(p,s), string, timestamp, array<T>, map<K,V>, struct<a:T,...>, ...);
a type that does not parse is refused, naming the column.

Exit status: 0 on success, 1 on failure, 2 on a usage error.
`

// runSchema is `wasmhose schema`: it dispatches to its subcommands.
func runSchema(args []string, stdout, stderr io.Writer) int {
	subs := []command{
		{"list", "list databases or tables", runSchemaList},
		{"show", "show a table", runSchemaShow},
		{"create-database", "create a database", runSchemaCreateDatabase},
		{"create", "create a table", func(a []string, o, e io.Writer) int { return runSchemaWrite("create", a, o, e) }},
		{"update", "write a new table version", func(a []string, o, e io.Writer) int { return runSchemaWrite("update", a, o, e) }},
		{"delete", "delete a table", runSchemaDelete},
	}
	return dispatch("schema", schemaHelp, subs, args, stdout, stderr)
}

// schemaCmd holds what every `wasmhose schema` subcommand parses.
type schemaCmd struct {
	prog    string
	fs      *flag.FlagSet
	dataDir *string
	catalog *string
	stderr  io.Writer
}

func newSchemaCmd(name, synopsis string, stderr io.Writer) *schemaCmd {
	fs := flag.NewFlagSet("schema "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: wasmhose schema %s\n\nflags:\n", synopsis)
		fs.PrintDefaults()
	}
	return &schemaCmd{
		prog:    "wasmhose schema " + name,
		fs:      fs,
		dataDir: fs.String("data-dir", config.DefaultDataDir, "data folder; the catalog lives in its "+schema.DirName+"/ folder"),
		catalog: fs.String("catalog-id", "", "catalog id (default: the service's account id, "+config.DefaultAccountID+")"),
		stderr:  stderr,
	}
}

func (c *schemaCmd) usageErr(msg string) int {
	fmt.Fprintf(c.stderr, "%s: %s\n", c.prog, msg)
	c.fs.Usage()
	return 2
}

// fail reports an error; a client error of the registry (a bad name, a bad
// column type, a missing table) is a failure, not a usage error.
func (c *schemaCmd) fail(err error) int {
	var se *schema.Error
	if errors.As(err, &se) {
		fmt.Fprintf(c.stderr, "%s: %s: %s\n", c.prog, se.Type, se.Message)
		return 1
	}
	fmt.Fprintf(c.stderr, "%s: %v\n", c.prog, err)
	return 1
}

func (c *schemaCmd) open() (*schema.Registry, error) {
	return schema.Open(filepath.Join(*c.dataDir, schema.DirName), schema.Options{AccountID: config.DefaultAccountID})
}

// splitTable splits DB.TABLE at its first dot.
func splitTable(s string) (db, table string, ok bool) {
	db, table, ok = strings.Cut(s, ".")
	return db, table, ok && db != "" && table != ""
}

func writeJSONTo(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func runSchemaList(args []string, stdout, stderr io.Writer) int {
	c := newSchemaCmd("list", "list [--data-dir DIR] [--catalog-id ID] [--database DB] [--json]", stderr)
	database := c.fs.String("database", "", "list the tables of this database")
	asJSON := c.fs.Bool("json", false, "print Glue's JSON shapes")
	pos, err := parseArgs(c.fs, args)
	if err != nil {
		return flagExit(err)
	}
	if len(pos) > 0 {
		return c.usageErr(fmt.Sprintf("unexpected arguments %q", pos))
	}
	reg, err := c.open()
	if err != nil {
		return c.fail(err)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	if *database == "" {
		dbs, err := reg.Databases(*c.catalog)
		if err != nil {
			return c.fail(err)
		}
		if *asJSON {
			if err := writeJSONTo(stdout, map[string]any{"DatabaseList": dbs}); err != nil {
				return c.fail(err)
			}
			return 0
		}
		fmt.Fprintln(tw, "DATABASE\tTABLES\tDESCRIPTION")
		for _, d := range dbs {
			tables, err := reg.Tables(*c.catalog, d.Name)
			if err != nil {
				return c.fail(err)
			}
			fmt.Fprintf(tw, "%s\t%d\t%s\n", d.Name, len(tables), d.Description)
		}
		if err := tw.Flush(); err != nil {
			return c.fail(err)
		}
		return 0
	}
	tables, err := reg.Tables(*c.catalog, *database)
	if err != nil {
		return c.fail(err)
	}
	if *asJSON {
		if err := writeJSONTo(stdout, map[string]any{"TableList": tables}); err != nil {
			return c.fail(err)
		}
		return 0
	}
	fmt.Fprintln(tw, "TABLE\tVERSION\tCOLUMNS\tUPDATED")
	for _, t := range tables {
		updated := ""
		if t.UpdateTime != nil {
			updated = t.UpdateTime.UTC().Format("2006-01-02T15:04:05Z")
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", t.Name, t.VersionID, len(t.Columns()), updated)
	}
	if err := tw.Flush(); err != nil {
		return c.fail(err)
	}
	return 0
}

func runSchemaShow(args []string, stdout, stderr io.Writer) int {
	c := newSchemaCmd("show", "show [--data-dir DIR] [--catalog-id ID] [--version N] [--json] DB.TABLE", stderr)
	version := c.fs.String("version", "", "a table version (default: the latest)")
	asJSON := c.fs.Bool("json", false, "print Glue's Table shape")
	pos, err := parseArgs(c.fs, args)
	if err != nil {
		return flagExit(err)
	}
	if len(pos) != 1 {
		return c.usageErr("one DB.TABLE expected")
	}
	db, table, ok := splitTable(pos[0])
	if !ok {
		return c.usageErr(fmt.Sprintf("%q is not DB.TABLE", pos[0]))
	}
	reg, err := c.open()
	if err != nil {
		return c.fail(err)
	}
	tv, err := reg.TableVersion(*c.catalog, db, table, *version)
	if err != nil {
		return c.fail(err)
	}
	if *asJSON {
		if err := writeJSONTo(stdout, tv.Table); err != nil {
			return c.fail(err)
		}
		return 0
	}
	t := tv.Table
	fmt.Fprintf(stdout, "%s.%s version %s (catalog %s)\n", t.DatabaseName, t.Name, t.VersionID, t.CatalogID)
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "COLUMN\tTYPE\tCOMMENT")
	for _, col := range t.Columns() {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", col.Name, col.Type, col.Comment)
	}
	for _, col := range t.PartitionKeys {
		fmt.Fprintf(tw, "%s\t%s\t(partition key) %s\n", col.Name, col.Type, col.Comment)
	}
	if err := tw.Flush(); err != nil {
		return c.fail(err)
	}
	return 0
}

func runSchemaCreateDatabase(args []string, stdout, stderr io.Writer) int {
	c := newSchemaCmd("create-database", "create-database [--data-dir DIR] [--catalog-id ID] [--description TEXT] DB", stderr)
	desc := c.fs.String("description", "", "the database's description")
	pos, err := parseArgs(c.fs, args)
	if err != nil {
		return flagExit(err)
	}
	if len(pos) != 1 {
		return c.usageErr("one database name expected")
	}
	reg, err := c.open()
	if err != nil {
		return c.fail(err)
	}
	if err := reg.CreateDatabase(*c.catalog, schema.DatabaseInput{Name: pos[0], Description: *desc}); err != nil {
		return c.fail(err)
	}
	fmt.Fprintf(stdout, "created database %s\n", strings.ToLower(pos[0]))
	return 0
}

// runSchemaWrite is `create` and `update`: a TableInput file in, a table
// version out.
func runSchemaWrite(name string, args []string, stdout, stderr io.Writer) int {
	c := newSchemaCmd(name, name+" [--data-dir DIR] [--catalog-id ID] --database DB FILE.json", stderr)
	database := c.fs.String("database", "", "the table's database (required)")
	pos, err := parseArgs(c.fs, args)
	if err != nil {
		return flagExit(err)
	}
	if *database == "" {
		return c.usageErr("--database is required")
	}
	if len(pos) != 1 {
		return c.usageErr("one TableInput JSON file expected")
	}
	b, err := os.ReadFile(pos[0])
	if err != nil {
		return c.fail(err)
	}
	in, err := schema.DecodeTableInput(b)
	if err != nil {
		return c.fail(fmt.Errorf("%s: %w", pos[0], err))
	}
	reg, err := c.open()
	if err != nil {
		return c.fail(err)
	}
	if name == "create" {
		err = reg.CreateTable(*c.catalog, *database, *in)
	} else {
		err = reg.UpdateTable(*c.catalog, *database, *in, schema.UpdateOptions{})
	}
	if err != nil {
		return c.fail(err)
	}
	t, err := reg.GetTable(*c.catalog, *database, in.Name)
	if err != nil {
		return c.fail(err)
	}
	fmt.Fprintf(stdout, "%s.%s version %s: %d columns\n", t.DatabaseName, t.Name, t.VersionID, len(t.Columns()))
	return 0
}

func runSchemaDelete(args []string, stdout, stderr io.Writer) int {
	c := newSchemaCmd("delete", "delete [--data-dir DIR] [--catalog-id ID] DB.TABLE", stderr)
	pos, err := parseArgs(c.fs, args)
	if err != nil {
		return flagExit(err)
	}
	if len(pos) != 1 {
		return c.usageErr("one DB.TABLE expected")
	}
	db, table, ok := splitTable(pos[0])
	if !ok {
		return c.usageErr(fmt.Sprintf("%q is not DB.TABLE", pos[0]))
	}
	reg, err := c.open()
	if err != nil {
		return c.fail(err)
	}
	if err := reg.DeleteTable(*c.catalog, db, table); err != nil {
		return c.fail(err)
	}
	fmt.Fprintf(stdout, "deleted %s.%s\n", strings.ToLower(db), strings.ToLower(table))
	return 0
}
