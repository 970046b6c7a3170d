// Package schema is the table schema registry of record format conversion: a
// store of databases and versioned tables in the AWS Glue Data Catalog's
// shapes, the part of Glue's API that Firehose needs, and the lookup the
// delivery pipeline uses to turn a SchemaConfiguration into an Arrow schema.
//
// # Pieces
//
//   - Registry is the local catalog: databases and tables as JSON files under
//     a folder of the data dir, every table keeping all its versions, written
//     atomically. It survives restarts and is safe for concurrent use.
//   - Service answers Glue's AWS JSON 1.1 operations (X-Amz-Target
//     AWSGlue.<Operation>) over a Registry: CreateDatabase, GetDatabase,
//     GetDatabases, CreateTable, UpdateTable, GetTable, GetTables,
//     GetTableVersion, GetTableVersions and DeleteTable, with Glue's request
//     and response shapes and its errors. host/api serves it on the Firehose
//     listener, so `aws glue … --endpoint-url` and aws-sdk-go-v2's glue client
//     work unchanged.
//   - Source is what the pipeline reads: Resolve turns a Ref (CatalogId,
//     DatabaseName, TableName, Region, VersionId) into the table's columns
//     and Arrow schema. Registry implements it, and so does GlueSource, a
//     client of AWS Glue (or of this service) through aws-sdk-go-v2; Cached
//     puts a short-lived cache in front of either.
//
// # Glue's rules kept here
//
// Database and table names are lower-cased when stored and looked up, as Glue
// does. A missing CatalogId means the service's account id. UpdateTable
// writes a new table version ("1", "2", …) and keeps the previous ones unless
// SkipArchive is set; VersionId in an UpdateTable request is an optimistic
// check against the latest version. Column types are Hive type strings and
// are checked with package hive: a type that does not parse is an
// InvalidInputException naming the column and the type (real Glue accepts
// any string; a converter cannot). Members of a request that this registry
// does not model are ignored, as Glue's JSON protocol ignores unknown ones;
// every member it models is stored and returned.
//
// # Notes
//
// This package never imports the host; host/api reaches the Service through
// a small interface of its own, and host/deliver through Source.
package schema
