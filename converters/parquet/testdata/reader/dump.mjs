// dump.mjs FILE.parquet: prints a Parquet file as canonical JSON lines,
// read by DuckDB (a reader independent of the Go writer). Line 1 gives the
// row group count, the codecs and the Parquet leaf columns with their
// physical and logical types, line 2 the
// columns as DuckDB types them; then one line per row with DuckDB's JSON
// rendering of every value (timestamps and decimals as strings, maps as
// key/value lists), in file order.
import { DuckDBInstance } from '@duckdb/node-api';

const file = process.argv[2];
if (!file) {
  console.error('usage: node dump.mjs FILE.parquet');
  process.exit(2);
}
const lit = `'${file.replaceAll("'", "''")}'`;
const instance = await DuckDBInstance.create(':memory:');
const conn = await instance.connect();

const schema = await conn.runAndReadAll(
  `SELECT name, type, converted_type, logical_type, repetition_type FROM parquet_schema(${lit}) WHERE num_children IS NULL OR num_children = 0`);
const leaves = schema.getRowObjectsJson().map((r) => {
  const out = { name: r.name, physical: r.type, repetition: r.repetition_type };
  if (r.converted_type) out.converted = r.converted_type;
  // DuckDB renders IntType's bit width as a raw byte; the converted type says it.
  if (r.logical_type && !r.logical_type.startsWith('IntType')) out.logical = r.logical_type;
  return out;
});
const meta = await conn.runAndReadAll(
  `SELECT count(DISTINCT row_group_id)::INTEGER AS row_groups, list(DISTINCT compression ORDER BY compression) AS compression FROM parquet_metadata(${lit})`);
const m = meta.getRowObjectsJson()[0];
console.log(JSON.stringify({ row_groups: m.row_groups, compression: m.compression, parquet: leaves }));

const rows = await conn.runAndReadAll(`SELECT * FROM read_parquet(${lit})`);
const names = rows.columnNames();
const types = rows.columnTypes().map((t) => t.toString());
console.log(JSON.stringify({ columns: names.map((n, i) => ({ name: n, type: types[i] })) }));
for (const row of rows.getRowObjectsJson()) {
  console.log(JSON.stringify(row));
}
