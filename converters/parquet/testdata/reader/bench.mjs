// bench.mjs FILE.jsonl OUT.parquet THREADS COLUMNS_JSON: converts
// newline-delimited JSON to Parquet (Snappy) with DuckDB, as the
// reference point of the converters benchmark, and prints
// {"seconds":…, "cpuSeconds":…, "records":…, "peakRSSBytes":…} (CPU time
// of the whole process, DuckDB's threads included).
import { readFileSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';

const [file, out, threads, columns] = process.argv.slice(2);
if (!columns) {
  console.error('usage: node bench.mjs FILE.jsonl OUT.parquet THREADS COLUMNS_JSON');
  process.exit(2);
}
const q = (s) => `'${s.replaceAll("'", "''")}'`;
const cols = Object.entries(JSON.parse(columns)).map(([k, v]) => `${q(k)}: ${q(v)}`).join(', ');
const instance = await DuckDBInstance.create(':memory:');
const conn = await instance.connect();
if (threads !== 'default') {
  await conn.run(`SET threads=${Number(threads)}`);
}
const cpu0 = process.cpuUsage();
const start = process.hrtime.bigint();
await conn.run(`COPY (SELECT * FROM read_json(${q(file)}, format='newline_delimited', columns={${cols}})) TO ${q(out)} (FORMAT parquet, COMPRESSION snappy)`);
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
const cpu = process.cpuUsage(cpu0);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
const count = await conn.runAndReadAll(`SELECT count(*)::BIGINT AS n FROM read_parquet(${q(out)})`);
const records = Number(count.getRowObjectsJson()[0].n);
const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
console.log(JSON.stringify({ seconds, cpuSeconds, records, peakRSSBytes: hwm ? Number(hwm[1]) * 1024 : 0 }));
