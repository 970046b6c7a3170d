package schema

import (
	"context"
	"encoding/base64"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// TargetPrefix is the X-Amz-Target prefix of Glue's operations.
const TargetPrefix = "AWSGlue."

// DefaultRegion is the region of resource ARNs when none is configured.
const DefaultRegion = "us-east-1"

// Operations returns the names of the Glue operations Service answers.
func Operations() []string {
	return []string{"CreateDatabase", "GetDatabase", "GetDatabases", "CreateTable", "UpdateTable",
		"GetTable", "GetTables", "GetTableVersion", "GetTableVersions", "DeleteTable"}
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

// Call runs operation op (the X-Amz-Target after TargetPrefix) on a JSON
// request body and returns the value to answer as JSON.
func (s *Service) Call(_ context.Context, op string, body []byte) (any, error) {
	switch op {
	case "CreateDatabase":
		return s.createDatabase(body)
	case "GetDatabase":
		return s.getDatabase(body)
	case "GetDatabases":
		return s.getDatabases(body)
	case "CreateTable":
		return s.createTable(body)
	case "UpdateTable":
		return s.updateTable(body)
	case "GetTable":
		return s.getTable(body)
	case "GetTables":
		return s.getTables(body)
	case "GetTableVersion":
		return s.getTableVersion(body)
	case "GetTableVersions":
		return s.getTableVersions(body)
	case "DeleteTable":
		return s.deleteTable(body)
	}
	return nil, newError(TypeUnknownOperation, "Unknown operation %s%s", TargetPrefix, op)
}

// Action returns the IAM action of a request (glue:<Operation>) and the
// resources it touches, the ARNs an identity policy is matched against, as
// AWS documents them for Glue: the catalog, the database and the table,
//
//	arn:aws:glue:<region>:<catalog id>:catalog
//	arn:aws:glue:<region>:<catalog id>:database/<database>
//	arn:aws:glue:<region>:<catalog id>:table/<database>/<table>
//
// with "*" for the names a listing covers. A body that does not decode
// yields the catalog alone; Call will refuse it.
func (s *Service) Action(op string, body []byte) (action string, resources []string) {
	var r struct {
		CatalogID     *string        `json:"CatalogId"`
		Name          *string        `json:"Name"`
		DatabaseName  *string        `json:"DatabaseName"`
		TableName     *string        `json:"TableName"`
		DatabaseInput *DatabaseInput `json:"DatabaseInput"`
		TableInput    *TableInput    `json:"TableInput"`
	}
	_ = decodeRequest(body, &r)
	catalog := s.reg.catalog(deref(r.CatalogID))
	arn := "arn:aws:glue:" + s.region + ":" + catalog + ":"
	resources = []string{arn + "catalog"}
	lower := func(p *string) string { return strings.ToLower(deref(p)) }
	switch op {
	case "CreateDatabase":
		if r.DatabaseInput != nil {
			resources = append(resources, arn+"database/"+strings.ToLower(r.DatabaseInput.Name))
		}
	case "GetDatabase":
		resources = append(resources, arn+"database/"+lower(r.Name))
	case "GetDatabases":
		resources = append(resources, arn+"database/*")
	case "GetTables":
		db := lower(r.DatabaseName)
		resources = append(resources, arn+"database/"+db, arn+"table/"+db+"/*")
	case "CreateTable", "UpdateTable", "GetTable", "DeleteTable", "GetTableVersion", "GetTableVersions":
		db := lower(r.DatabaseName)
		table := lower(r.Name)
		if r.TableName != nil {
			table = lower(r.TableName)
		}
		if r.TableInput != nil && (op == "CreateTable" || op == "UpdateTable") {
			table = strings.ToLower(r.TableInput.Name)
		}
		resources = append(resources, arn+"database/"+db, arn+"table/"+db+"/"+table)
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

func (s *Service) createDatabase(body []byte) (any, error) {
	var in createDatabaseRequest
	if err := decodeRequest(body, &in); err != nil {
		return nil, err
	}
	var v violations
	v.checkOptName("catalogId", in.CatalogID)
	if in.DatabaseInput == nil {
		v.addNull("databaseInput")
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	return struct{}{}, s.reg.CreateDatabase(deref(in.CatalogID), *in.DatabaseInput)
}

type getDatabaseRequest struct {
	CatalogID *string `json:"CatalogId"`
	Name      *string `json:"Name"`
}

type getDatabaseResponse struct {
	Database *Database `json:"Database"`
}

func (s *Service) getDatabase(body []byte) (any, error) {
	var in getDatabaseRequest
	if err := decodeRequest(body, &in); err != nil {
		return nil, err
	}
	var v violations
	v.checkOptName("catalogId", in.CatalogID)
	v.checkName("name", in.Name)
	if err := v.err(); err != nil {
		return nil, err
	}
	db, err := s.reg.GetDatabase(deref(in.CatalogID), *in.Name)
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

type getDatabasesResponse struct {
	DatabaseList []Database `json:"DatabaseList"`
	NextToken    string     `json:"NextToken,omitempty"`
}

func (s *Service) getDatabases(body []byte) (any, error) {
	var in getDatabasesRequest
	if err := decodeRequest(body, &in); err != nil {
		return nil, err
	}
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
	all, err := s.reg.Databases(deref(in.CatalogID))
	if err != nil {
		return nil, err
	}
	page, next := pageByName(all, after, in.MaxResults, func(d Database) string { return d.Name })
	return getDatabasesResponse{DatabaseList: page, NextToken: next}, nil
}

type createTableRequest struct {
	CatalogID            *string     `json:"CatalogId"`
	DatabaseName         *string     `json:"DatabaseName"`
	TableInput           *TableInput `json:"TableInput"`
	OpenTableFormatInput *struct{}   `json:"OpenTableFormatInput"`
}

func (s *Service) createTable(body []byte) (any, error) {
	var in createTableRequest
	if err := decodeRequest(body, &in); err != nil {
		return nil, err
	}
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
	return struct{}{}, s.reg.CreateTable(deref(in.CatalogID), *in.DatabaseName, *in.TableInput)
}

type updateTableRequest struct {
	CatalogID    *string     `json:"CatalogId"`
	DatabaseName *string     `json:"DatabaseName"`
	Name         *string     `json:"Name"`
	TableInput   *TableInput `json:"TableInput"`
	SkipArchive  *bool       `json:"SkipArchive"`
	VersionID    *string     `json:"VersionId"`
}

func (s *Service) updateTable(body []byte) (any, error) {
	var in updateTableRequest
	if err := decodeRequest(body, &in); err != nil {
		return nil, err
	}
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
	if in.Name != nil && !strings.EqualFold(*in.Name, in.TableInput.Name) {
		return nil, invalidInput("Name %s and TableInput.Name %s name different tables.", *in.Name, in.TableInput.Name)
	}
	o := UpdateOptions{VersionID: deref(in.VersionID), SkipArchive: in.SkipArchive != nil && *in.SkipArchive}
	return struct{}{}, s.reg.UpdateTable(deref(in.CatalogID), *in.DatabaseName, *in.TableInput, o)
}

type tableRequest struct {
	CatalogID    *string `json:"CatalogId"`
	DatabaseName *string `json:"DatabaseName"`
	Name         *string `json:"Name"`
}

type getTableResponse struct {
	Table *Table `json:"Table"`
}

func (s *Service) getTable(body []byte) (any, error) {
	var in tableRequest
	if err := decodeRequest(body, &in); err != nil {
		return nil, err
	}
	var v violations
	v.checkOptName("catalogId", in.CatalogID)
	v.checkName("databaseName", in.DatabaseName)
	v.checkName("name", in.Name)
	if err := v.err(); err != nil {
		return nil, err
	}
	t, err := s.reg.GetTable(deref(in.CatalogID), *in.DatabaseName, *in.Name)
	if err != nil {
		return nil, err
	}
	return getTableResponse{Table: t}, nil
}

func (s *Service) deleteTable(body []byte) (any, error) {
	var in tableRequest
	if err := decodeRequest(body, &in); err != nil {
		return nil, err
	}
	var v violations
	v.checkOptName("catalogId", in.CatalogID)
	v.checkName("databaseName", in.DatabaseName)
	v.checkName("name", in.Name)
	if err := v.err(); err != nil {
		return nil, err
	}
	return struct{}{}, s.reg.DeleteTable(deref(in.CatalogID), *in.DatabaseName, *in.Name)
}

type getTablesRequest struct {
	CatalogID    *string `json:"CatalogId"`
	DatabaseName *string `json:"DatabaseName"`
	Expression   *string `json:"Expression"`
	NextToken    *string `json:"NextToken"`
	MaxResults   *int    `json:"MaxResults"`
}

type getTablesResponse struct {
	TableList []Table `json:"TableList"`
	NextToken string  `json:"NextToken,omitempty"`
}

func (s *Service) getTables(body []byte) (any, error) {
	var in getTablesRequest
	if err := decodeRequest(body, &in); err != nil {
		return nil, err
	}
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
	all, err := s.reg.Tables(deref(in.CatalogID), *in.DatabaseName)
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

type getTableVersionResponse struct {
	TableVersion *TableVersion `json:"TableVersion"`
}

func (s *Service) getTableVersion(body []byte) (any, error) {
	var in getTableVersionRequest
	if err := decodeRequest(body, &in); err != nil {
		return nil, err
	}
	var v violations
	v.checkOptName("catalogId", in.CatalogID)
	v.checkName("databaseName", in.DatabaseName)
	v.checkName("tableName", in.TableName)
	v.checkOptName("versionId", in.VersionID)
	if err := v.err(); err != nil {
		return nil, err
	}
	tv, err := s.reg.TableVersion(deref(in.CatalogID), *in.DatabaseName, *in.TableName, deref(in.VersionID))
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

type getTableVersionsResponse struct {
	TableVersions []TableVersion `json:"TableVersions"`
	NextToken     string         `json:"NextToken,omitempty"`
}

func (s *Service) getTableVersions(body []byte) (any, error) {
	var in getTableVersionsRequest
	if err := decodeRequest(body, &in); err != nil {
		return nil, err
	}
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
	all, err := s.reg.TableVersions(deref(in.CatalogID), *in.DatabaseName, *in.TableName)
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
