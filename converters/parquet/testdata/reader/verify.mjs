// verify.mjs FILE.jsonl FILE.parquet COLUMNS_JSON: DuckDB reads the JSON
// itself (read_json with the table's columns) and compares it with the
// Parquet file row by row, in order, every column, and prints
// {"json":N,"parquet":N,"differing":N,"first":[...]} .
import { DuckDBInstance } from '@duckdb/node-api';

const [json, parquet, columns] = process.argv.slice(2);
if (!columns) {
  console.error('usage: node verify.mjs FILE.jsonl FILE.parquet COLUMNS_JSON');
  process.exit(2);
}
const q = (s) => `'${s.replaceAll("'", "''")}'`;
const spec = JSON.parse(columns);
const cols = Object.entries(spec).map(([k, v]) => `${q(k)}: ${q(v)}`).join(', ');
const names = Object.keys(spec).map((k) => `"${k}"`).join(', ');
const instance = await DuckDBInstance.create(':memory:');
const conn = await instance.connect();
await conn.run('SET threads=1');
await conn.run(`CREATE TABLE j AS SELECT row_number() OVER () AS rn, ${names} FROM read_json(${q(json)}, format='newline_delimited', columns={${cols}})`);
await conn.run(`CREATE TABLE p AS SELECT row_number() OVER () AS rn, ${names} FROM read_parquet(${q(parquet)})`);
const n = async (sql) => Number((await conn.runAndReadAll(sql)).getRowObjectsJson()[0].n);
const jn = await n('SELECT count(*)::BIGINT AS n FROM j');
const pn = await n('SELECT count(*)::BIGINT AS n FROM p');
const diff = `(SELECT * FROM j EXCEPT ALL SELECT * FROM p) UNION ALL (SELECT * FROM p EXCEPT ALL SELECT * FROM j)`;
const dn = await n(`SELECT count(*)::BIGINT AS n FROM (${diff})`);
const first = (await conn.runAndReadAll(`SELECT * FROM (${diff}) ORDER BY rn LIMIT 4`)).getRowObjectsJson();
console.log(JSON.stringify({ json: jn, parquet: pn, differing: dn, first }));
