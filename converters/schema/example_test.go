package schema_test

import (
	"context"
	"fmt"
	"os"

	"github.com/wasmhose/wasmhose/converters/schema"
)

// A table created in the registry resolves to the Arrow schema a converter
// writes; LATEST follows UpdateTable.
func ExampleRegistry_Resolve() {
	dir, err := os.MkdirTemp("", "catalog")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	reg, err := schema.Open(dir, schema.Options{})
	if err != nil {
		panic(err)
	}
	if err := reg.CreateDatabase("", schema.DatabaseInput{Name: "Analytics"}); err != nil {
		panic(err)
	}
	err = reg.CreateTable("", "analytics", schema.TableInput{Name: "Clicks", StorageDescriptor: &schema.StorageDescriptor{
		Columns: []schema.Column{{Name: "id", Type: "string"}, {Name: "price", Type: "decimal(10,2)"}, {Name: "tags", Type: "array<string>"}},
	}})
	if err != nil {
		panic(err)
	}
	res, err := reg.Resolve(context.Background(), schema.Ref{Database: "analytics", Table: "clicks", VersionID: schema.Latest})
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Database, res.Table, "version", res.VersionID)
	for _, f := range res.Schema.Fields() {
		fmt.Println(f.Name, f.Type)
	}
	// Output:
	// analytics clicks version 1
	// id utf8
	// price decimal(10, 2)
	// tags list<element: utf8, nullable>
}
