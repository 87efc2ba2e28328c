// Reads the snapshot of a Hudi COPY_ON_WRITE table with DuckDB, independently of fcsync's Go
// reader: per file group (directory + fileId), keep the base file with the highest instant
// that has a completed .hoodie/<instant>.commit, or, when .hoodie/archived holds archive files,
// that is older than the oldest completed commit (Hudi's rule for archived instants). Prints one JSON object per row, ordered by
// partition path and record key.
//
// usage: node snapshot.mjs <table directory>
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node snapshot.mjs <table directory>');
  process.exit(2);
}
const completed = readdirSync(join(dir, '.hoodie'))
  .map((n) => /^(\d{17})\.commit$/.exec(n))
  .filter(Boolean)
  .map((m) => m[1]);
if (completed.length === 0) process.exit(0);
completed.sort();
let archived = false;
try {
  archived = readdirSync(join(dir, '.hoodie', 'archived')).some((n) => n.startsWith('.commits_.archive'));
} catch {}

const quote = (s) => "'" + s.replaceAll("'", "''") + "'";
const name = "([^/_]+)_([^/_]+)_([0-9]+)\\.parquet$";
const sql = `
WITH f AS (
  SELECT *,
    regexp_extract(filename, ${quote(name)}, 1) AS __file_id,
    regexp_extract(filename, ${quote(name)}, 3) AS __instant,
    regexp_replace(filename, '/[^/]*$', '') AS __dir
  FROM read_parquet(${quote(join(dir, '**', '*.parquet'))}, filename = true, union_by_name = true, hive_partitioning = false)
), c AS (
  SELECT * FROM f WHERE __instant IN (${completed.map(quote).join(', ')})${archived ? ` OR __instant < ${quote(completed[0])}` : ''}
)
SELECT * EXCLUDE (filename, __file_id, __instant, __dir) FROM c
QUALIFY __instant = max(__instant) OVER (PARTITION BY __dir, __file_id)
ORDER BY _hoodie_partition_path, _hoodie_record_key`;

const instance = await DuckDBInstance.create(':memory:');
const conn = await instance.connect();
const reader = await conn.runAndReadAll(sql);
for (const row of reader.getRowObjectsJson()) {
  process.stdout.write(JSON.stringify(row) + '\n');
}
