package schema

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/glue"
	gluetypes "github.com/aws/aws-sdk-go-v2/service/glue/types"

	"github.com/wasmhose/wasmhose/converters/hive"
)

// Latest is the VersionId that follows a table's newest version, as in
// Firehose's SchemaConfiguration; an empty VersionId means the same.
const Latest = "LATEST"

// Ref names a table schema the way Firehose's SchemaConfiguration does.
type Ref struct {
	// CatalogID is the catalog (account id); empty means the default.
	CatalogID string
	// Database is the database name.
	Database string
	// Table is the table name.
	Table string
	// Region is the catalog's region; empty means the source's own.
	Region string
	// VersionID is a table version; "" or Latest follows new versions.
	VersionID string
}

// latest reports whether the ref follows the newest version.
func (r Ref) latest() bool { return r.VersionID == "" || strings.EqualFold(r.VersionID, Latest) }

// String names the ref for messages: catalog:database.table@version.
func (r Ref) String() string {
	v := r.VersionID
	if r.latest() {
		v = Latest
	}
	s := r.Database + "." + r.Table + "@" + v
	if r.CatalogID != "" {
		s = r.CatalogID + ":" + s
	}
	if r.Region != "" {
		s += " (" + r.Region + ")"
	}
	return s
}

// Resolved is a table schema ready for a converter.
type Resolved struct {
	// CatalogID, Database and Table name the table as stored (lower-case).
	CatalogID, Database, Table string
	// VersionID is the version read: the newest one for a Latest ref.
	VersionID string
	// Columns are the table's data columns (StorageDescriptor.Columns), in
	// order; partition keys are not part of the records and are left out.
	Columns []hive.Column
	// Schema is the Arrow schema of Columns (hive.ArrowSchema).
	Schema *arrow.Schema
}

// Source resolves the table a stream's format conversion names.
//
// Resolve returns an error matching ErrEntityNotFound when the database,
// table or version does not exist, and one matching ErrInvalidInput when
// the table has no columns or a column type that does not parse; other
// errors (the network, the disk) are worth retrying.
type Source interface {
	// Resolve reads the table version ref names and returns its schema.
	Resolve(ctx context.Context, ref Ref) (*Resolved, error)
}

// Resolve implements Source over the local catalog. Region is not checked:
// the local catalog serves every region.
func (r *Registry) Resolve(_ context.Context, ref Ref) (*Resolved, error) {
	version := ref.VersionID
	if ref.latest() {
		version = ""
	}
	tv, err := r.TableVersion(ref.CatalogID, ref.Database, ref.Table, version)
	if err != nil {
		return nil, fmt.Errorf("schema: resolve %s: %w", ref, err)
	}
	return resolved(tv.Table)
}

// resolved builds a Resolved from a table version.
func resolved(t *Table) (*Resolved, error) {
	cols := t.Columns()
	if len(cols) == 0 {
		return nil, fmt.Errorf("schema: table %s.%s version %s: %w", t.DatabaseName, t.Name, t.VersionID,
			invalidInput("The table has no columns (StorageDescriptor.Columns) to convert records to."))
	}
	hc := make([]hive.Column, len(cols))
	for i, c := range cols {
		hc[i] = hive.Column{Name: c.Name, Type: c.Type}
	}
	s, err := hive.ArrowSchema(hc)
	if err != nil {
		return nil, fmt.Errorf("schema: table %s.%s version %s: %w", t.DatabaseName, t.Name, t.VersionID, invalidInput("%v", err))
	}
	return &Resolved{CatalogID: t.CatalogID, Database: t.DatabaseName, Table: t.Name, VersionID: t.VersionID, Columns: hc, Schema: s}, nil
}

// GlueSource resolves tables through an AWS Glue API client (aws-sdk-go-v2):
// the real AWS Glue, or this service's own Glue endpoint. A Ref's Region,
// when set, overrides the client's region for that call.
type GlueSource struct {
	client *glue.Client
}

// NewGlueSource returns a Source reading tables with c.
func NewGlueSource(c *glue.Client) *GlueSource { return &GlueSource{client: c} }

// Resolve implements Source with GetTable (Latest) or GetTableVersion.
func (g *GlueSource) Resolve(ctx context.Context, ref Ref) (*Resolved, error) {
	var opts []func(*glue.Options)
	if ref.Region != "" {
		opts = append(opts, func(o *glue.Options) { o.Region = ref.Region })
	}
	var catalog *string
	if ref.CatalogID != "" {
		catalog = aws.String(ref.CatalogID)
	}
	var t *gluetypes.Table
	if ref.latest() {
		out, err := g.client.GetTable(ctx, &glue.GetTableInput{CatalogId: catalog, DatabaseName: aws.String(ref.Database), Name: aws.String(ref.Table)}, opts...)
		if err != nil {
			return nil, fmt.Errorf("schema: resolve %s: %w", ref, fromGlueError(err))
		}
		t = out.Table
	} else {
		out, err := g.client.GetTableVersion(ctx, &glue.GetTableVersionInput{CatalogId: catalog, DatabaseName: aws.String(ref.Database),
			TableName: aws.String(ref.Table), VersionId: aws.String(ref.VersionID)}, opts...)
		if err != nil {
			return nil, fmt.Errorf("schema: resolve %s: %w", ref, fromGlueError(err))
		}
		if out.TableVersion == nil {
			return nil, fmt.Errorf("schema: resolve %s: the answer holds no table version", ref)
		}
		t = out.TableVersion.Table
	}
	if t == nil {
		return nil, fmt.Errorf("schema: resolve %s: the answer holds no table", ref)
	}
	tbl := &Table{Name: aws.ToString(t.Name), DatabaseName: aws.ToString(t.DatabaseName), CatalogID: aws.ToString(t.CatalogId), VersionID: aws.ToString(t.VersionId)}
	if tbl.VersionID == "" && !ref.latest() {
		tbl.VersionID = ref.VersionID
	}
	if sd := t.StorageDescriptor; sd != nil {
		tbl.StorageDescriptor = &StorageDescriptor{}
		for _, c := range sd.Columns {
			tbl.StorageDescriptor.Columns = append(tbl.StorageDescriptor.Columns, Column{Name: aws.ToString(c.Name), Type: aws.ToString(c.Type)})
		}
	}
	return resolved(tbl)
}

// fromGlueError maps the Glue client's typed errors to this package's, so
// errors.Is(err, ErrEntityNotFound) holds whichever Source answered.
func fromGlueError(err error) error {
	var nf *gluetypes.EntityNotFoundException
	if errors.As(err, &nf) {
		return &clientError{shape: notFound("%s", nf.ErrorMessage()), err: err}
	}
	var ii *gluetypes.InvalidInputException
	if errors.As(err, &ii) {
		return &clientError{shape: invalidInput("%s", ii.ErrorMessage()), err: err}
	}
	return err
}

// clientError is a Glue client's error that also matches this package's
// error of the same shape.
type clientError struct {
	shape *Error
	err   error
}

func (e *clientError) Error() string   { return e.err.Error() }
func (e *clientError) Unwrap() []error { return []error{e.shape, e.err} }

// Cached is a Source that remembers each answer for a while, so a stream
// does not call the catalog for every batch: an UpdateTable reaches a
// Latest ref within TTL. Errors are not remembered. Use it in front of a
// GlueSource; the local Registry is cheap enough to read every time.
type Cached struct {
	src Source
	ttl time.Duration
	now func() time.Time

	mu      sync.Mutex
	entries map[Ref]cacheEntry
}

type cacheEntry struct {
	res     *Resolved
	expires time.Time
}

// DefaultCacheTTL is how long Cached keeps an answer when given no TTL.
const DefaultCacheTTL = 30 * time.Second

// NewCached returns src behind a cache of answers kept for ttl
// (DefaultCacheTTL when ttl ≤ 0). now is the clock (time.Now when nil).
func NewCached(src Source, ttl time.Duration, now func() time.Time) *Cached {
	if ttl <= 0 {
		ttl = DefaultCacheTTL
	}
	if now == nil {
		now = time.Now
	}
	return &Cached{src: src, ttl: ttl, now: now, entries: map[Ref]cacheEntry{}}
}

// Resolve implements Source.
func (c *Cached) Resolve(ctx context.Context, ref Ref) (*Resolved, error) {
	key := Ref{CatalogID: ref.CatalogID, Database: strings.ToLower(ref.Database), Table: strings.ToLower(ref.Table), Region: ref.Region, VersionID: ref.VersionID}
	if ref.latest() {
		key.VersionID = Latest
	}
	now := c.now()
	c.mu.Lock()
	e, ok := c.entries[key]
	c.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.res, nil
	}
	res, err := c.src.Resolve(ctx, ref)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	for k, e := range c.entries { // drop what has expired, so the map stays as small as the set of live refs
		if !now.Before(e.expires) {
			delete(c.entries, k)
		}
	}
	c.entries[key] = cacheEntry{res: res, expires: now.Add(c.ttl)}
	c.mu.Unlock()
	return res, nil
}
