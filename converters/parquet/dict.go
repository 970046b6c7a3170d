package parquet

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// Dictionary choice: a leaf column whose first sampleSize values (of the
// first batch) are more than maxDistinctRatio distinct is written without a
// dictionary.
const (
	sampleSize       = 4096
	maxDistinctRatio = 0.5
)

// noDictionaryPaths returns the Parquet column paths (as pqarrow names
// them: struct fields by name, list elements under "list.element", map
// entries under "key_value.key" and "key_value.value") of the leaves
// where a dictionary would not pay, judging by the batch's values.
func noDictionaryPaths(batch arrow.RecordBatch) []string {
	var out []string
	for i, f := range batch.Schema().Fields() {
		out = appendNoDict(out, f.Name, batch.Column(i))
	}
	return out
}

func appendNoDict(out []string, path string, a arrow.Array) []string {
	switch a := a.(type) {
	case *array.Struct:
		st := a.DataType().(*arrow.StructType)
		for i, f := range st.Fields() {
			out = appendNoDict(out, path+"."+f.Name, a.Field(i))
		}
		return out
	case *array.Map:
		out = appendNoDict(out, path+".key_value.key", a.Keys())
		return appendNoDict(out, path+".key_value.value", a.Items())
	case *array.List:
		return appendNoDict(out, path+".list.element", a.ListValues())
	case *array.Boolean:
		return out
	}
	if mostlyDistinct(a) {
		out = append(out, path)
	}
	return out
}

// mostlyDistinct samples the array's non-null values.
func mostlyDistinct(a arrow.Array) bool {
	seen := make(map[string]struct{}, sampleSize)
	n := 0
	for i := 0; i < a.Len() && n < sampleSize; i++ {
		if a.IsNull(i) {
			continue
		}
		n++
		seen[a.ValueStr(i)] = struct{}{}
	}
	if n == 0 {
		return false
	}
	return float64(len(seen)) > maxDistinctRatio*float64(n)
}
