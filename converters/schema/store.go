package schema

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wasmhose/wasmhose/converters/hive"
	"github.com/wasmhose/wasmhose/internal/atomicfile"
	"github.com/wasmhose/wasmhose/internal/filelock"
)

// DirName is the registry's folder inside the service's data dir.
const DirName = "catalog"

// DefaultAccountID is the catalog id used when Options.AccountID is empty;
// it matches the service's default account.
const DefaultAccountID = "000000000000"

// Options configure a Registry.
type Options struct {
	// AccountID is the default catalog id: requests without CatalogId use
	// it (default DefaultAccountID).
	AccountID string
	// Now returns the current time for CreateTime and UpdateTime
	// (default time.Now).
	Now func() time.Time
}

// Registry is the local Glue-style catalog: databases and versioned tables
// stored as JSON files under one folder. Every call reads the files it
// needs and every change is written atomically (a temporary file renamed
// into place) before the call returns, so the catalog survives restarts and
// two processes reading the same folder see each other's changes. Calls are
// safe for concurrent use within a process.
//
// Layout, with each name escaped to a portable file name:
//
//	<dir>/<catalog id>/<database>/database.json          the Database
//	<dir>/<catalog id>/<database>/tables/<table>.json    every version of the table, oldest first
//
// # Notes
//
// Writes are serialized across processes too (internal/filelock on
// <dir>/.lock), so `wasmhose schema` can change the catalog of a running
// server: two writers never lose each other's versions.
type Registry struct {
	dir     string
	account string
	now     func() time.Time
	mu      sync.RWMutex
}

// Open returns the registry kept in dir, creating the folder if needed.
func Open(dir string, o Options) (*Registry, error) {
	if o.AccountID == "" {
		o.AccountID = DefaultAccountID
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("schema: open registry: %w", err)
	}
	return &Registry{dir: dir, account: o.AccountID, now: o.Now}, nil
}

// lockWrites takes the registry's write lock, in this process and across
// processes, and returns its release.
func (r *Registry) lockWrites() (func(), error) {
	unlock, err := filelock.LockWith(&r.mu, filepath.Join(r.dir, ".lock"))
	if err != nil {
		return nil, fmt.Errorf("schema: %w", err)
	}
	return unlock, nil
}

// AccountID returns the default catalog id.
func (r *Registry) AccountID() string { return r.account }

// catalog returns the catalog id to use for an optional one.
func (r *Registry) catalog(id string) string {
	if id == "" {
		return r.account
	}
	return id
}

// tableFile is a table's file: all its versions, oldest first.
type tableFile struct {
	Versions []Table `json:"Versions"`
}

// databaseFile is a database's file.
type databaseFile struct {
	Database Database `json:"Database"`
}

// CreateDatabase implements Glue's CreateDatabase.
func (r *Registry) CreateDatabase(catalogID string, in DatabaseInput) error {
	var v violations
	validateDatabaseInput(&v, "databaseInput", &in)
	if err := v.err(); err != nil {
		return err
	}
	catalogID = r.catalog(catalogID)
	name := strings.ToLower(in.Name)
	unlock, err := r.lockWrites()
	if err != nil {
		return err
	}
	defer unlock()
	path := r.databasePath(catalogID, name)
	if _, err := os.Stat(path); err == nil {
		return newError(TypeAlreadyExists, "Database already exists.")
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("schema: create database %s: %w", name, err)
	}
	perms := in.CreateTableDefaultPermissions
	if len(perms) == 0 {
		perms = json.RawMessage(defaultPermissions)
	}
	db := Database{
		Name: name, Description: in.Description, LocationURI: in.LocationURI, Parameters: in.Parameters,
		CreateTime: NewTime(r.now()), CreateTableDefaultPermissions: perms, TargetDatabase: in.TargetDatabase,
		CatalogID: catalogID,
	}
	if err := writeJSON(path, databaseFile{Database: db}); err != nil {
		return fmt.Errorf("schema: create database %s: %w", name, err)
	}
	return nil
}

// GetDatabase implements Glue's GetDatabase.
func (r *Registry) GetDatabase(catalogID, name string) (*Database, error) {
	catalogID, name = r.catalog(catalogID), strings.ToLower(name)
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.readDatabase(catalogID, name)
}

func (r *Registry) readDatabase(catalogID, name string) (*Database, error) {
	var f databaseFile
	if err := readJSON(r.databasePath(catalogID, name), &f); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, notFound("Database %s not found.", name)
		}
		return nil, fmt.Errorf("schema: read database %s: %w", name, err)
	}
	return &f.Database, nil
}

// Databases returns every database of a catalog, sorted by name.
func (r *Registry) Databases(catalogID string) ([]Database, error) {
	catalogID = r.catalog(catalogID)
	r.mu.RLock()
	defer r.mu.RUnlock()
	entries, err := readDir(filepath.Join(r.dir, escapeName(catalogID)))
	if err != nil {
		return nil, fmt.Errorf("schema: list databases: %w", err)
	}
	out := make([]Database, 0, len(entries))
	for _, e := range entries {
		var f databaseFile
		if err := readJSON(filepath.Join(r.dir, escapeName(catalogID), e, "database.json"), &f); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return nil, fmt.Errorf("schema: list databases: %w", err)
		}
		out = append(out, f.Database)
	}
	slices.SortFunc(out, func(a, b Database) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// CreateTable implements Glue's CreateTable: the table's first version, "1".
func (r *Registry) CreateTable(catalogID, database string, in TableInput) error {
	if err := checkTableInput(&in); err != nil {
		return err
	}
	catalogID, database = r.catalog(catalogID), strings.ToLower(database)
	name := strings.ToLower(in.Name)
	unlock, err := r.lockWrites()
	if err != nil {
		return err
	}
	defer unlock()
	if _, err := r.readDatabase(catalogID, database); err != nil {
		return err
	}
	path := r.tablePath(catalogID, database, name)
	if _, err := os.Stat(path); err == nil {
		return newError(TypeAlreadyExists, "Table already exists.")
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("schema: create table %s.%s: %w", database, name, err)
	}
	now := NewTime(r.now())
	t := newVersion(&in, catalogID, database, now, now, 1)
	if err := writeJSON(path, tableFile{Versions: []Table{t}}); err != nil {
		return fmt.Errorf("schema: create table %s.%s: %w", database, name, err)
	}
	return nil
}

// UpdateOptions are UpdateTable's optional members.
type UpdateOptions struct {
	// VersionID, when set, must be the table's latest version, else the
	// update fails with ConcurrentModificationException.
	VersionID string
	// SkipArchive replaces the latest version instead of keeping it as an
	// older version; the new version still gets the next id.
	SkipArchive bool
}

// UpdateTable implements Glue's UpdateTable: the table named by in.Name gets
// a new version whose id is one more than the latest.
func (r *Registry) UpdateTable(catalogID, database string, in TableInput, o UpdateOptions) error {
	if err := checkTableInput(&in); err != nil {
		return err
	}
	catalogID, database = r.catalog(catalogID), strings.ToLower(database)
	name := strings.ToLower(in.Name)
	unlock, err := r.lockWrites()
	if err != nil {
		return err
	}
	defer unlock()
	f, err := r.readTable(catalogID, database, name)
	if err != nil {
		return err
	}
	latest := f.Versions[len(f.Versions)-1]
	if o.VersionID != "" && o.VersionID != latest.VersionID {
		return newError(TypeConcurrentModification, "Update table failed due to concurrent modifications: version %s is not the latest version (%s).", o.VersionID, latest.VersionID)
	}
	n, err := strconv.Atoi(latest.VersionID)
	if err != nil {
		return fmt.Errorf("schema: table %s.%s: corrupt version id %q", database, name, latest.VersionID)
	}
	t := newVersion(&in, catalogID, database, latest.CreateTime, NewTime(r.now()), n+1)
	if o.SkipArchive {
		f.Versions[len(f.Versions)-1] = t
	} else {
		f.Versions = append(f.Versions, t)
	}
	if err := writeJSON(r.tablePath(catalogID, database, name), f); err != nil {
		return fmt.Errorf("schema: update table %s.%s: %w", database, name, err)
	}
	return nil
}

// GetTable implements Glue's GetTable: the latest version.
func (r *Registry) GetTable(catalogID, database, name string) (*Table, error) {
	catalogID, database, name = r.catalog(catalogID), strings.ToLower(database), strings.ToLower(name)
	r.mu.RLock()
	defer r.mu.RUnlock()
	f, err := r.readTable(catalogID, database, name)
	if err != nil {
		return nil, err
	}
	return &f.Versions[len(f.Versions)-1], nil
}

// Tables returns the latest version of every table of a database, sorted by
// name.
func (r *Registry) Tables(catalogID, database string) ([]Table, error) {
	catalogID, database = r.catalog(catalogID), strings.ToLower(database)
	r.mu.RLock()
	defer r.mu.RUnlock()
	if _, err := r.readDatabase(catalogID, database); err != nil {
		return nil, err
	}
	dir := filepath.Join(r.dir, escapeName(catalogID), escapeName(database), "tables")
	entries, err := readDir(dir)
	if err != nil {
		return nil, fmt.Errorf("schema: list tables of %s: %w", database, err)
	}
	out := make([]Table, 0, len(entries))
	for _, e := range entries {
		if !strings.HasSuffix(e, ".json") {
			continue
		}
		var f tableFile
		if err := readJSON(filepath.Join(dir, e), &f); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return nil, fmt.Errorf("schema: list tables of %s: %w", database, err)
		}
		if len(f.Versions) > 0 {
			out = append(out, f.Versions[len(f.Versions)-1])
		}
	}
	slices.SortFunc(out, func(a, b Table) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// TableVersion implements Glue's GetTableVersion; an empty versionID means
// the latest version.
func (r *Registry) TableVersion(catalogID, database, name, versionID string) (*TableVersion, error) {
	catalogID, database, name = r.catalog(catalogID), strings.ToLower(database), strings.ToLower(name)
	r.mu.RLock()
	defer r.mu.RUnlock()
	f, err := r.readTable(catalogID, database, name)
	if err != nil {
		return nil, err
	}
	if versionID == "" {
		t := f.Versions[len(f.Versions)-1]
		return &TableVersion{Table: &t, VersionID: t.VersionID}, nil
	}
	if n, err := strconv.Atoi(versionID); err != nil || n < 1 {
		return nil, invalidInput("Version id %s is not a positive integer.", versionID)
	}
	for i := range f.Versions {
		if f.Versions[i].VersionID == versionID {
			t := f.Versions[i]
			return &TableVersion{Table: &t, VersionID: t.VersionID}, nil
		}
	}
	return nil, notFound("Version %s of table %s not found.", versionID, name)
}

// TableVersions implements Glue's GetTableVersions: every kept version,
// newest first.
func (r *Registry) TableVersions(catalogID, database, name string) ([]TableVersion, error) {
	catalogID, database, name = r.catalog(catalogID), strings.ToLower(database), strings.ToLower(name)
	r.mu.RLock()
	defer r.mu.RUnlock()
	f, err := r.readTable(catalogID, database, name)
	if err != nil {
		return nil, err
	}
	out := make([]TableVersion, 0, len(f.Versions))
	for i := len(f.Versions) - 1; i >= 0; i-- {
		t := f.Versions[i]
		out = append(out, TableVersion{Table: &t, VersionID: t.VersionID})
	}
	return out, nil
}

// DeleteTable implements Glue's DeleteTable: the table and all its
// versions.
func (r *Registry) DeleteTable(catalogID, database, name string) error {
	catalogID, database, name = r.catalog(catalogID), strings.ToLower(database), strings.ToLower(name)
	unlock, err := r.lockWrites()
	if err != nil {
		return err
	}
	defer unlock()
	if _, err := r.readTable(catalogID, database, name); err != nil {
		return err
	}
	path := r.tablePath(catalogID, database, name)
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("schema: delete table %s.%s: %w", database, name, err)
	}
	if err := atomicfile.SyncDir(filepath.Dir(path)); err != nil {
		return fmt.Errorf("schema: delete table %s.%s: %w", database, name, err)
	}
	return nil
}

// readTable reads a table's file; the database must exist.
func (r *Registry) readTable(catalogID, database, name string) (*tableFile, error) {
	if _, err := r.readDatabase(catalogID, database); err != nil {
		return nil, err
	}
	var f tableFile
	if err := readJSON(r.tablePath(catalogID, database, name), &f); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, notFound("Table %s not found.", name)
		}
		return nil, fmt.Errorf("schema: read table %s.%s: %w", database, name, err)
	}
	if len(f.Versions) == 0 {
		return nil, fmt.Errorf("schema: read table %s.%s: the file holds no version", database, name)
	}
	return &f, nil
}

func (r *Registry) databasePath(catalogID, name string) string {
	return filepath.Join(r.dir, escapeName(catalogID), escapeName(name), "database.json")
}

func (r *Registry) tablePath(catalogID, database, name string) string {
	return filepath.Join(r.dir, escapeName(catalogID), escapeName(database), "tables", escapeName(name)+".json")
}

// newVersion builds version n of a table from its input.
func newVersion(in *TableInput, catalogID, database string, created, updated *Time, n int) Table {
	keys := in.PartitionKeys
	if keys == nil {
		keys = []Column{}
	}
	return Table{
		Name: strings.ToLower(in.Name), DatabaseName: database, Description: in.Description, Owner: in.Owner,
		CreateTime: created, UpdateTime: updated, LastAccessTime: in.LastAccessTime, LastAnalyzedTime: in.LastAnalyzedTime,
		Retention: in.Retention, StorageDescriptor: in.StorageDescriptor, PartitionKeys: keys,
		ViewOriginalText: in.ViewOriginalText, ViewExpandedText: in.ViewExpandedText, TableType: in.TableType,
		Parameters: in.Parameters, TargetTable: in.TargetTable, CatalogID: catalogID, VersionID: strconv.Itoa(n),
	}
}

// checkTableInput checks a TableInput against the model's constraints, then
// its column types against Hive's grammar.
func checkTableInput(in *TableInput) error {
	var v violations
	validateTableInput(&v, "tableInput", in)
	if err := v.err(); err != nil {
		return err
	}
	if sd := in.StorageDescriptor; sd != nil {
		if err := checkColumns("StorageDescriptor.Columns", sd.Columns); err != nil {
			return err
		}
	}
	return checkColumns("PartitionKeys", in.PartitionKeys)
}

// checkColumns parses the column types; the error names the column and the
// type.
func checkColumns(where string, cols []Column) error {
	if len(cols) == 0 {
		return nil
	}
	hc := make([]hive.Column, len(cols))
	for i, c := range cols {
		if c.Type == "" {
			return invalidInput("%s: column %q has no type.", where, c.Name)
		}
		hc[i] = hive.Column{Name: c.Name, Type: c.Type}
	}
	if _, err := hive.ParseColumns(hc); err != nil {
		return invalidInput("%s: %v", where, err)
	}
	return nil
}

func validateDatabaseInput(v *violations, path string, in *DatabaseInput) {
	v.checkString(path+".name", in.Name, 1, maxNameLen, false)
	v.checkString(path+".description", in.Description, 0, maxDescriptionLen, true)
	if in.LocationURI != "" {
		v.checkString(path+".locationUri", in.LocationURI, 1, maxURILen, true)
	}
	v.checkParams(path+".parameters", in.Parameters)
}

func validateTableInput(v *violations, path string, in *TableInput) {
	v.checkString(path+".name", in.Name, 1, maxNameLen, false)
	v.checkString(path+".description", in.Description, 0, maxDescriptionLen, true)
	if in.Owner != "" {
		v.checkString(path+".owner", in.Owner, 1, maxNameLen, false)
	}
	if in.Retention < 0 {
		v.add(path+".retention", strconv.Itoa(in.Retention), "Member must have value greater than or equal to 0")
	}
	if len([]rune(in.TableType)) > maxTableTypeLen {
		v.add(path+".tableType", shorten(in.TableType), fmt.Sprintf("Member must have length less than or equal to %d", maxTableTypeLen))
	}
	v.checkParams(path+".parameters", in.Parameters)
	validateColumns(v, path+".partitionKeys", in.PartitionKeys)
	if sd := in.StorageDescriptor; sd != nil {
		p := path + ".storageDescriptor"
		validateColumns(v, p+".columns", sd.Columns)
		v.checkString(p+".location", sd.Location, 0, maxLocationLen, true)
		v.checkString(p+".inputFormat", sd.InputFormat, 0, maxFormatLen, false)
		v.checkString(p+".outputFormat", sd.OutputFormat, 0, maxFormatLen, false)
		v.checkParams(p+".parameters", sd.Parameters)
		for i, o := range sd.SortColumns {
			if o.SortOrder != 0 && o.SortOrder != 1 {
				v.add(fmt.Sprintf("%s.sortColumns.%d.member.sortOrder", p, i+1), strconv.Itoa(o.SortOrder), "Member must have value less than or equal to 1")
			}
		}
		if si := sd.SerdeInfo; si != nil {
			if si.Name != "" {
				v.checkString(p+".serdeInfo.name", si.Name, 1, maxNameLen, false)
			}
			if si.SerializationLibrary != "" {
				v.checkString(p+".serdeInfo.serializationLibrary", si.SerializationLibrary, 1, maxNameLen, false)
			}
			v.checkParams(p+".serdeInfo.parameters", si.Parameters)
		}
	}
}

func validateColumns(v *violations, path string, cols []Column) {
	for i, c := range cols {
		p := fmt.Sprintf("%s.%d.member", path, i+1)
		v.checkString(p+".name", c.Name, 1, maxNameLen, false)
		v.checkString(p+".type", c.Type, 0, maxTypeLen, false)
		v.checkString(p+".comment", c.Comment, 0, maxCommentLen, false)
		v.checkParams(p+".parameters", c.Parameters)
	}
}

// escapeName turns a catalog, database or table name into a portable file
// name: a-z, 0-9, '_' and '-' stay, every other byte becomes %XX (so no
// name can be "." or "..", or hold a separator). A name whose escaped form
// is longer than 200 bytes is stored under a hash of itself; the files
// carry the real names.
func escapeName(name string) string {
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	if b.Len() > 200 {
		sum := sha256.Sum256([]byte(name))
		return "~" + hex.EncodeToString(sum[:16])
	}
	return b.String()
}

// readDir lists a folder's entries, skipping temporary files; a missing
// folder is empty.
func readDir(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(entries))
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), ".") {
			out = append(out, e.Name())
		}
	}
	return out, nil
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// writeJSON writes v to path atomically (package atomicfile).
func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(path, append(b, '\n'), 0o600)
}
