package schema

import (
	"context"
	"encoding/base64"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// TargetPrefix is the X-Amz-Target prefix of Glue's operations.
const TargetPrefix = "AWSGlue."

// DefaultRegion is the region of resource ARNs when none is configured.
const DefaultRegion = "us-east-1"

// Operations returns the names of the Glue operations Service answers,
// sorted.
func Operations() []string {
	return slices.Sorted(maps.Keys(operations))
}

// Service answers Glue's AWS JSON 1.1 operations over a Registry. It does
// not speak HTTP itself: the API layer reads X-Amz-Target and the body,
// calls Call, and writes the answer or the error (an *Error carries its
// shape; any other error is an internal failure).
type Service struct {
	reg    *Registry
	region string
}

// NewService returns the Glue API over reg. region goes into the resource
// ARNs that Action returns (DefaultRegion when empty).
func NewService(reg *Registry, region string) *Service {
	if region == "" {
		region = DefaultRegion
	}
	return &Service{reg: reg, region: region}
}

// TargetPrefix returns TargetPrefix, for the API layer's dispatcher.
func (s *Service) TargetPrefix() string { return TargetPrefix }

// scope is what a request acts on: the catalog, database and table names
// its handler hands to the Registry ("*" for all the names a listing
// covers, "" for a level the operation does not reach). Action authorizes
// exactly these names, and the handlers read their names from it too, so
// the resource authorized and the resource acted on cannot differ.
type scope struct {
	catalogID, database, table string
	// reach is how deep the operation goes: the catalog alone, a
	// database, or a table of it.
	reach reach
}

// reach is the level of the Glue resource hierarchy an operation acts on.
type reach int

const (
	catalogReach reach = iota
	databaseReach
	tableReach
)

// request is the decoded body of one operation.
type request interface {
	// scope returns what the request acts on.
	scope() scope
}

// operation is one Glue operation: how to make its request value, and its
// handler.
type operation struct {
	newRequest func() request
	run        func(s *Service, r request) (any, error)
}

// op builds the operation whose request type is R and handler run.
func op[R any, P interface {
	*R
	request
}](run func(*Service, P) (any, error)) operation {
	return operation{
		newRequest: func() request { return P(new(R)) },
		run:        func(s *Service, r request) (any, error) { return run(s, r.(P)) },
	}
}

// operations are the operations Service answers, by name.
var operations = map[string]operation{
	"CreateDatabase":   op((*Service).createDatabase),
	"GetDatabase":      op((*Service).getDatabase),
	"GetDatabases":     op((*Service).getDatabases),
	"CreateTable":      op((*Service).createTable),
	"UpdateTable":      op((*Service).updateTable),
	"GetTable":         op((*Service).getTable),
	"GetTables":        op((*Service).getTables),
	"GetTableVersion":  op((*Service).getTableVersion),
	"GetTableVersions": op((*Service).getTableVersions),
	"DeleteTable":      op((*Service).deleteTable),
}

// Call runs operation op (the X-Amz-Target after TargetPrefix) on a JSON
// request body and returns the value to answer as JSON.
func (s *Service) Call(_ context.Context, op string, body []byte) (any, error) {
	o, ok := operations[op]
	if !ok {
		return nil, newError(TypeUnknownOperation, "Unknown operation %s%s", TargetPrefix, op)
	}
	r := o.newRequest()
	if err := decodeRequest(body, r); err != nil {
		return nil, err
	}
	return o.run(s, r)
}

// Action returns the IAM action of a request (glue:<Operation>) and the
// resources it touches, the ARNs an identity policy is matched against, as
// AWS documents them for Glue: the catalog, the database and the table,
//
//	arn:aws:glue:<region>:<catalog id>:catalog
//	arn:aws:glue:<region>:<catalog id>:database/<database>
//	arn:aws:glue:<region>:<catalog id>:table/<database>/<table>
//
// with "*" for the names a listing covers. The body is decoded into the
// operation's own request type, and the names are those its handler acts
// on (see scope). A body that does not decode, or an unknown operation,
// yields the catalog alone; Call will refuse it.
func (s *Service) Action(op string, body []byte) (action string, resources []string) {
	var sc scope
	if o, ok := operations[op]; ok {
		r := o.newRequest()
		if decodeRequest(body, r) == nil {
			sc = r.scope()
		}
	}
	arn := "arn:aws:glue:" + s.region + ":" + s.reg.catalog(sc.catalogID) + ":"
	resources = []string{arn + "catalog"}
	db, table := strings.ToLower(sc.database), strings.ToLower(sc.table)
	if sc.reach >= databaseReach {
		resources = append(resources, arn+"database/"+db)
	}
	if sc.reach >= tableReach {
		resources = append(resources, arn+"table/"+db+"/"+table)
	}
	return "glue:" + op, resources
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// Request shapes. Members this registry does not model are absent and so
// ignored, as in any AWS JSON protocol.

type createDatabaseRequest struct {
	CatalogID     *string           `json:"CatalogId"`
	DatabaseInput *DatabaseInput    `json:"DatabaseInput"`
	Tags          map[string]string `json:"Tags"`
}

func (r *createDatabaseRequest) scope() scope {
	sc := scope{catalogID: deref(r.CatalogID), reach: databaseReach}
	if r.DatabaseInput != nil {
		sc.database = r.DatabaseInput.Name
	}
	return sc
}

func (s *Service) createDatabase(in *createDatabaseRequest) (any, error) {
	var v violations
	v.checkOptName("catalogId", in.CatalogID)
	if in.DatabaseInput == nil {
		v.addNull("databaseInput")
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	return struct{}{}, s.reg.CreateDatabase(in.scope().catalogID, *in.DatabaseInput)
}

type getDatabaseRequest struct {
	CatalogID *string `json:"CatalogId"`
	Name      *string `json:"Name"`
}

func (r *getDatabaseRequest) scope() scope {
	return scope{catalogID: deref(r.CatalogID), database: deref(r.Name), reach: databaseReach}
}

type getDatabaseResponse struct {
	Database *Database `json:"Database"`
}

func (s *Service) getDatabase(in *getDatabaseRequest) (any, error) {
	var v violations
	v.checkOptName("catalogId", in.CatalogID)
	v.checkName("name", in.Name)
	if err := v.err(); err != nil {
		return nil, err
	}
	sc := in.scope()
	db, err := s.reg.GetDatabase(sc.catalogID, sc.database)
	if err != nil {
		return nil, err
	}
	return getDatabaseResponse{Database: db}, nil
}

type getDatabasesRequest struct {
	CatalogID  *string `json:"CatalogId"`
	NextToken  *string `json:"NextToken"`
	MaxResults *int    `json:"MaxResults"`
}

func (r *getDatabasesRequest) scope() scope {
	return scope{catalogID: deref(r.CatalogID), database: "*", reach: databaseReach}
}

type getDatabasesResponse struct {
	DatabaseList []Database `json:"DatabaseList"`
	NextToken    string     `json:"NextToken,omitempty"`
}

func (s *Service) getDatabases(in *getDatabasesRequest) (any, error) {
	var v violations
	v.checkOptName("catalogId", in.CatalogID)
	v.checkPageSize("maxResults", in.MaxResults)
	if err := v.err(); err != nil {
		return nil, err
	}
	after, err := readToken(in.NextToken)
	if err != nil {
		return nil, err
	}
	all, err := s.reg.Databases(in.scope().catalogID)
	if err != nil {
		return nil, err
	}
	page, next := pageByName(all, after, in.MaxResults, func(d Database) string { return d.Name })
	return getDatabasesResponse{DatabaseList: page, NextToken: next}, nil
}

type createTableRequest struct {
	CatalogID            *string     `json:"CatalogId"`
	DatabaseName         *string     `json:"DatabaseName"`
	Name                 *string     `json:"Name"`
	TableInput           *TableInput `json:"TableInput"`
	OpenTableFormatInput *struct{}   `json:"OpenTableFormatInput"`
}

// The table created or updated is TableInput.Name; a Name member that
// names another table is refused by the handler.
func (r *createTableRequest) scope() scope {
	return tableInputScope(r.CatalogID, r.DatabaseName, r.Name, r.TableInput)
}

func tableInputScope(catalogID, database, name *string, in *TableInput) scope {
	sc := scope{catalogID: deref(catalogID), database: deref(database), table: deref(name), reach: tableReach}
	if in != nil {
		sc.table = in.Name
	}
	return sc
}

// checkSameTable refuses a request whose Name member and TableInput.Name
// name different tables: which one would be acted on is ambiguous.
func checkSameTable(name *string, in *TableInput) error {
	if name != nil && !strings.EqualFold(*name, in.Name) {
		return invalidInput("Name %s and TableInput.Name %s name different tables.", *name, in.Name)
	}
	return nil
}
func (s *Service) createTable(in *createTableRequest) (any, error) {
	var v violations
	v.checkOptName("catalogId", in.CatalogID)
	v.checkName("databaseName", in.DatabaseName)
	if in.TableInput == nil {
		v.addNull("tableInput")
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	if in.OpenTableFormatInput != nil {
		return nil, invalidInput("OpenTableFormatInput (Iceberg tables) is not supported by this registry.")
	}
	if err := checkSameTable(in.Name, in.TableInput); err != nil {
		return nil, err
	}
	sc := in.scope()
	return struct{}{}, s.reg.CreateTable(sc.catalogID, sc.database, *in.TableInput)
}

type updateTableRequest struct {
	CatalogID    *string     `json:"CatalogId"`
	DatabaseName *string     `json:"DatabaseName"`
	Name         *string     `json:"Name"`
	TableInput   *TableInput `json:"TableInput"`
	SkipArchive  *bool       `json:"SkipArchive"`
	VersionID    *string     `json:"VersionId"`
}

func (r *updateTableRequest) scope() scope {
	return tableInputScope(r.CatalogID, r.DatabaseName, r.Name, r.TableInput)
}

func (s *Service) updateTable(in *updateTableRequest) (any, error) {
	var v violations
	v.checkOptName("catalogId", in.CatalogID)
	v.checkName("databaseName", in.DatabaseName)
	v.checkOptName("versionId", in.VersionID)
	if in.TableInput == nil {
		v.addNull("tableInput")
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := checkSameTable(in.Name, in.TableInput); err != nil {
		return nil, err
	}
	o := UpdateOptions{VersionID: deref(in.VersionID), SkipArchive: in.SkipArchive != nil && *in.SkipArchive}
	sc := in.scope()
	return struct{}{}, s.reg.UpdateTable(sc.catalogID, sc.database, *in.TableInput, o)
}

// tableRequest is the request of GetTable and DeleteTable: the table is
// Name (Glue has no TableName member in them).
type tableRequest struct {
	CatalogID    *string `json:"CatalogId"`
	DatabaseName *string `json:"DatabaseName"`
	Name         *string `json:"Name"`
}

func (r *tableRequest) scope() scope {
	return scope{catalogID: deref(r.CatalogID), database: deref(r.DatabaseName), table: deref(r.Name), reach: tableReach}
}

type getTableResponse struct {
	Table *Table `json:"Table"`
}

func (s *Service) getTable(in *tableRequest) (any, error) {
	var v violations
	v.checkOptName("catalogId", in.CatalogID)
	v.checkName("databaseName", in.DatabaseName)
	v.checkName("name", in.Name)
	if err := v.err(); err != nil {
		return nil, err
	}
	sc := in.scope()
	t, err := s.reg.GetTable(sc.catalogID, sc.database, sc.table)
	if err != nil {
		return nil, err
	}
	return getTableResponse{Table: t}, nil
}

func (s *Service) deleteTable(in *tableRequest) (any, error) {
	var v violations
	v.checkOptName("catalogId", in.CatalogID)
	v.checkName("databaseName", in.DatabaseName)
	v.checkName("name", in.Name)
	if err := v.err(); err != nil {
		return nil, err
	}
	sc := in.scope()
	return struct{}{}, s.reg.DeleteTable(sc.catalogID, sc.database, sc.table)
}

type getTablesRequest struct {
	CatalogID    *string `json:"CatalogId"`
	DatabaseName *string `json:"DatabaseName"`
	Expression   *string `json:"Expression"`
	NextToken    *string `json:"NextToken"`
	MaxResults   *int    `json:"MaxResults"`
}

func (r *getTablesRequest) scope() scope {
	return scope{catalogID: deref(r.CatalogID), database: deref(r.DatabaseName), table: "*", reach: tableReach}
}

type getTablesResponse struct {
	TableList []Table `json:"TableList"`
	NextToken string  `json:"NextToken,omitempty"`
}

func (s *Service) getTables(in *getTablesRequest) (any, error) {
	var v violations
	v.checkOptName("catalogId", in.CatalogID)
	v.checkName("databaseName", in.DatabaseName)
	v.checkPageSize("maxResults", in.MaxResults)
	if in.Expression != nil {
		v.checkString("expression", *in.Expression, 0, 2048, false)
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	after, err := readToken(in.NextToken)
	if err != nil {
		return nil, err
	}
	var match *regexp.Regexp
	if in.Expression != nil && *in.Expression != "" {
		if match, err = tablePattern(*in.Expression); err != nil {
			return nil, err
		}
	}
	sc := in.scope()
	all, err := s.reg.Tables(sc.catalogID, sc.database)
	if err != nil {
		return nil, err
	}
	if match != nil {
		all = slices.DeleteFunc(all, func(t Table) bool { return !match.MatchString(t.Name) })
	}
	page, next := pageByName(all, after, in.MaxResults, func(t Table) string { return t.Name })
	return getTablesResponse{TableList: page, NextToken: next}, nil
}

// tablePattern compiles GetTables' Expression the way the Hive metastore
// reads a table pattern: alternatives separated by '|', '*' matching any
// run of characters, the rest a regular expression; matched against the
// whole name, ignoring case.
func tablePattern(expr string) (*regexp.Regexp, error) {
	parts := strings.Split(expr, "|")
	for i, p := range parts {
		p = strings.ReplaceAll(p, ".*", "*")
		parts[i] = strings.ReplaceAll(p, "*", ".*")
	}
	re, err := regexp.Compile("(?i)^(?:" + strings.Join(parts, "|") + ")$")
	if err != nil {
		return nil, invalidInput("Expression %q is not a valid pattern: %v", expr, err)
	}
	return re, nil
}

type getTableVersionRequest struct {
	CatalogID    *string `json:"CatalogId"`
	DatabaseName *string `json:"DatabaseName"`
	TableName    *string `json:"TableName"`
	VersionID    *string `json:"VersionId"`
}

// The table of GetTableVersion and GetTableVersions is TableName.
func (r *getTableVersionRequest) scope() scope {
	return scope{catalogID: deref(r.CatalogID), database: deref(r.DatabaseName), table: deref(r.TableName), reach: tableReach}
}

type getTableVersionResponse struct {
	TableVersion *TableVersion `json:"TableVersion"`
}

func (s *Service) getTableVersion(in *getTableVersionRequest) (any, error) {
	var v violations
	v.checkOptName("catalogId", in.CatalogID)
	v.checkName("databaseName", in.DatabaseName)
	v.checkName("tableName", in.TableName)
	v.checkOptName("versionId", in.VersionID)
	if err := v.err(); err != nil {
		return nil, err
	}
	sc := in.scope()
	tv, err := s.reg.TableVersion(sc.catalogID, sc.database, sc.table, deref(in.VersionID))
	if err != nil {
		return nil, err
	}
	return getTableVersionResponse{TableVersion: tv}, nil
}

type getTableVersionsRequest struct {
	CatalogID    *string `json:"CatalogId"`
	DatabaseName *string `json:"DatabaseName"`
	TableName    *string `json:"TableName"`
	NextToken    *string `json:"NextToken"`
	MaxResults   *int    `json:"MaxResults"`
}

func (r *getTableVersionsRequest) scope() scope {
	return scope{catalogID: deref(r.CatalogID), database: deref(r.DatabaseName), table: deref(r.TableName), reach: tableReach}
}

type getTableVersionsResponse struct {
	TableVersions []TableVersion `json:"TableVersions"`
	NextToken     string         `json:"NextToken,omitempty"`
}

func (s *Service) getTableVersions(in *getTableVersionsRequest) (any, error) {
	var v violations
	v.checkOptName("catalogId", in.CatalogID)
	v.checkName("databaseName", in.DatabaseName)
	v.checkName("tableName", in.TableName)
	v.checkPageSize("maxResults", in.MaxResults)
	if err := v.err(); err != nil {
		return nil, err
	}
	after, err := readToken(in.NextToken)
	if err != nil {
		return nil, err
	}
	sc := in.scope()
	all, err := s.reg.TableVersions(sc.catalogID, sc.database, sc.table)
	if err != nil {
		return nil, err
	}
	// Newest first: a page starts after the version the token names.
	if after != "" {
		n, err := strconv.Atoi(after)
		if err != nil {
			return nil, invalidInput("Invalid NextToken.")
		}
		i := slices.IndexFunc(all, func(tv TableVersion) bool { id, _ := strconv.Atoi(tv.VersionID); return id < n })
		if i < 0 {
			i = len(all)
		}
		all = all[i:]
	}
	limit := maxPageSize
	if in.MaxResults != nil {
		limit = *in.MaxResults
	}
	out := getTableVersionsResponse{TableVersions: all}
	if len(all) > limit {
		out.TableVersions = all[:limit]
		out.NextToken = makeToken(all[limit-1].VersionID)
	}
	return out, nil
}

// pageByName returns the items (sorted by key) after the key after, at
// most limit of them (maxPageSize when nil), and the token of the next
// page, empty on the last one.
func pageByName[T any](all []T, after string, limit *int, key func(T) string) ([]T, string) {
	if after != "" {
		i, _ := slices.BinarySearchFunc(all, after, func(t T, k string) int { return strings.Compare(key(t), k) })
		for i < len(all) && key(all[i]) <= after {
			i++
		}
		all = all[i:]
	}
	n := maxPageSize
	if limit != nil {
		n = *limit
	}
	if len(all) <= n {
		return all, ""
	}
	return all[:n], makeToken(key(all[n-1]))
}

// A NextToken is the last key of the previous page, base64url-encoded: it
// stays valid whatever is created or deleted between pages.
func makeToken(lastKey string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(lastKey))
}

func readToken(tok *string) (string, error) {
	if tok == nil || *tok == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(*tok)
	if err != nil || len(b) == 0 {
		return "", invalidInput("Invalid NextToken.")
	}
	return string(b), nil
}
