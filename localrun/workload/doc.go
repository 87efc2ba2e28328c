// Package workload generates the stream benchmark's input: deterministic shop orders of about
// 1,064 bytes each, one JSON object a line, nested (user{name,email,phone}, five items,
// amount, currency, status, a ~600-byte note with escapes and non-ASCII text), and the
// metadata a benchmark checks its output against (records kept by the amount filter, per
// batch of 10,000).
//
// The records are byte for byte those of the peers' generator, gen_data.py, for the same
// count and seed: the same draws from Python's random module (its Mersenne Twister, seeded
// as Python seeds an integer) and the same JSON text (json.dumps with ensure_ascii=False and
// compact separators, Python's float repr). Figures measured on this input therefore compare
// with the peers' figures measured on theirs.
//
// The processing the benchmark applies to it, per batch of 10,000 records: parse the JSON,
// mask user.email as hex(sha256("peer-bench-salt-v1" + email)), drop records with
// amount < 100 (about 10% of them), keep seven columns (order_id, user_name = user.name,
// email_hash, amount as a double, status, item_count = len(items), note) and write the batch
// as Parquet (Snappy) — for fcsync, into its Hudi table (localrun/benchstream.yaml).
//
// The peers' figures on this workload, 200,000 records on a 2-core machine (median records per
// CPU-second, peak RSS): Redpanda Connect 4.60 ≈ 11k, ≈ 740 MiB; Benthos 4.27 ≈ 13k, ≈ 560 MiB;
// a plain single-goroutine Go program with goccy/go-json and parquet-go ≈ 100k, ≈ 55 MiB
// (≈ 37k with encoding/json).
package workload
