package fieldmap

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fcsync/fcsync/shared/process"
	"github.com/fcsync/fcsync/shared/record"
	"github.com/fcsync/fcsync/shared/schema"
)

// The stream benchmark workload (package localrun/workload): shop orders of about
// 1,064 bytes, parsed, masked, filtered on amount >= 100 and cut to seven columns.

const streamChain = `
- json:
    fields:
      - {name: order_id, path: order_id}
      - {name: user_name, path: user.name}
      - {name: email_hash, path: user.email}
      - {name: amount, path: amount, type: DOUBLE}
      - {name: status, path: status}
      - {name: item_count, path: len(items)}
      - {name: note, path: note}
- mask: {fields: [{field: email_hash, method: hash, algorithm: sha256, salt: peer-bench-salt-v1}]}
- filter: {field: amount, op: ">=", value: 100}
- edit: {keep: [order_id, user_name, email_hash, amount, status, item_count, note]}
`

const streamColumns = "order_id:STRING user_name:STRING email_hash:STRING amount:DOUBLE status:STRING item_count:BIGINT note:STRING"

var (
	firstNames = []string{"Ava", "Liam", "Olivia", "Noah", "Emma", "Elijah", "Sophia", "Mateo", "Isabella", "Lucas",
		"Mia", "Levi", "Amelia", "Kenji", "Harper", "Aarav", "Evelyn", "Chen", "Zoe", "Omar"}
	lastNames = []string{"Smith", "Garcia", "Kowalski", "Nguyen", "Okafor", "Müller", "Rossi", "Tanaka", "Silva",
		"Johansson", "Dubois", "Patel", "Kim", "O'Brien", "Novak", "Haddad", "Ivanova", "Lopez"}
	domains  = []string{"example.com", "mail.example.org", "corp.example.net", "inbox.test"}
	statuses = []string{"created", "paid", "shipped", "delivered", "cancelled", "refunded"}
	words    = strings.Split("lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut "+
		"labore et dolore magna aliqua customer requested delivery before noon please leave parcel "+
		"at the side door fragile handle with care gift wrap included \"quoted\" text café naïve "+
		"über 東京 emoji-free tab\tseparated back\\slash newline\nescaped", " ")
)

type order struct {
	OrderID   string  `json:"order_id"`
	CreatedAt string  `json:"created_at"`
	User      user    `json:"user"`
	Items     []item  `json:"items"`
	Amount    float64 `json:"amount"`
	Currency  string  `json:"currency"`
	Status    string  `json:"status"`
	Note      string  `json:"note"`
}

type user struct {
	Name  string `json:"name"`
	Email string `json:"email"`
	Phone string `json:"phone"`
}

type item struct {
	SKU   string  `json:"sku"`
	Qty   int     `json:"qty"`
	Price float64 `json:"price"`
}

// genOrders writes n orders the way the workload generator does (same shape, fields, sizes
// and distributions; math/rand instead of Python's random, so not the same bytes).
func genOrders(n int, seed uint64) [][]byte {
	rng := rand.New(rand.NewPCG(seed, 20260101))
	pick := func(s []string) string { return s[rng.IntN(len(s))] }
	round2 := func(f float64) float64 { return math.Round(f*100) / 100 }
	out := make([][]byte, n)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	for i := range out {
		fn, ln := pick(firstNames), pick(lastNames)
		o := order{
			OrderID:   fmt.Sprintf("ORD-%09d", i+1),
			CreatedAt: fmt.Sprintf("2026-01-%02dT%02d:%02d:%02dZ", 1+rng.IntN(28), rng.IntN(24), rng.IntN(60), rng.IntN(60)),
			User: user{Name: fn + " " + ln,
				Email: fmt.Sprintf("%s.%s%d@%s", strings.ToLower(fn), strings.ReplaceAll(strings.ToLower(ln), "'", ""), rng.IntN(10000), pick(domains)),
				Phone: fmt.Sprintf("+1-%03d-%03d-%04d", 200+rng.IntN(800), rng.IntN(1000), rng.IntN(10000))},
			Currency: "USD",
		}
		for j := 0; j < 5; j++ {
			o.Items = append(o.Items, item{SKU: fmt.Sprintf("SKU-%06d", rng.IntN(1000000)), Qty: 1 + rng.IntN(9), Price: round2(0.5 + rng.Float64()*249.5)})
		}
		var note []string
		target, nlen := 560+rng.IntN(81), 0
		for nlen < target {
			w := pick(words)
			note = append(note, w)
			nlen += len(w) + 1
		}
		o.Note = strings.Join(note, " ")
		o.Amount = round2(rng.Float64() * 1000)
		o.Status = pick(statuses)
		buf.Reset()
		if err := enc.Encode(&o); err != nil {
			panic(err)
		}
		out[i] = bytes.TrimSuffix(append([]byte(nil), buf.Bytes()...), []byte("\n"))
	}
	return out
}

// streamRecords is the benchmark input: the lines of $FCSYNC_STREAM_INPUT (an
// input.jsonl from localrun gen-workload) when set, else n generated orders. The values are marked
// validated JSON, as the Kafka trigger decoder marks them in the stream function.
func streamRecords(tb testing.TB, n int) []record.Record {
	var values [][]byte
	if path := os.Getenv("FCSYNC_STREAM_INPUT"); path != "" {
		values = readLines(tb, path, n)
	} else {
		values = genOrders(n, 1)
	}
	recs := make([]record.Record, len(values))
	base := time.UnixMilli(1767225600000)
	for i, v := range values {
		recs[i] = record.Record{Topic: "orders", Partition: 0, Offset: int64(i), Timestamp: base.Add(time.Duration(i) * time.Millisecond), Value: v, ValueJSON: true}
	}
	return recs
}

func readLines(tb testing.TB, path string, n int) [][]byte {
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var out [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() && len(out) < n {
		out = append(out, append([]byte(nil), sc.Bytes()...))
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

type streamPath struct {
	chain  *process.Chain
	mapper *Mapper
}

func newStreamPath(tb testing.TB) streamPath {
	c, err := process.Compile("processors", decode(tb, streamChain))
	if err != nil {
		tb.Fatal(err)
	}
	return streamPath{chain: c, mapper: newMapper(tb, "", streamColumns)}
}

// runStream maps recs and returns the rows kept.
func (p streamPath) run(tb testing.TB, recs []record.Record) []schema.Row {
	var m process.Message
	b := p.mapper.Batch()
	var rows []schema.Row
	for i := range recs {
		if err := m.Reset(&recs[i]); err != nil {
			tb.Fatal(err)
		}
		keep, err := p.chain.Process(&m)
		if err != nil {
			tb.Fatalf("offset %d: %v", recs[i].Offset, err)
		}
		if !keep {
			continue
		}
		row, err := b.Map(&m)
		if err != nil {
			tb.Fatalf("offset %d: %v", recs[i].Offset, err)
		}
		rows = append(rows, row)
	}
	return rows
}

func TestStreamWorkloadProducesThePeerColumns(t *testing.T) {
	recs := streamRecords(t, 2000)
	var total int
	for _, r := range recs {
		total += len(r.Value)
	}
	if avg := total / len(recs); avg < 950 || avg > 1200 {
		t.Fatalf("generated orders average %d bytes, want about 1,064", avg)
	}
	rows := newStreamPath(t).run(t, recs)
	want := 0
	for i, r := range recs {
		var o order
		if err := json.Unmarshal(r.Value, &o); err != nil {
			t.Fatal(err)
		}
		if o.Amount < 100 {
			continue
		}
		row := rows[want]
		sum := sha256.Sum256([]byte("peer-bench-salt-v1" + o.User.Email))
		exp := schema.Row{o.OrderID, o.User.Name, hex.EncodeToString(sum[:]), o.Amount, o.Status, int64(len(o.Items)), o.Note}
		if fmt.Sprint(row) != fmt.Sprint(exp) {
			t.Fatalf("record %d: row %q\nwant %q", i, row, exp)
		}
		want++
	}
	if len(rows) != want {
		t.Fatalf("kept %d rows, want %d", len(rows), want)
	}
}

// TestStreamWorkloadSampleKeepsWhatTheGeneratorCounts runs the chain and mapping on records
// of the real workload (testdata/workload: `localrun gen-workload --records 20 --seed 7`, the
// bytes the peers' generator writes) and checks the kept count against its metadata.
func TestStreamWorkloadSampleKeepsWhatTheGeneratorCounts(t *testing.T) {
	dir := filepath.Join("testdata", "workload")
	var meta struct{ Records, Kept int }
	raw, err := os.ReadFile(filepath.Join(dir, "input.meta.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &meta); err != nil {
		t.Fatal(err)
	}
	var recs []record.Record
	for i, v := range readLines(t, filepath.Join(dir, "input.jsonl"), meta.Records+1) {
		recs = append(recs, record.Record{Topic: "orders", Offset: int64(i), Value: v})
	}
	rows := newStreamPath(t).run(t, recs)
	if len(recs) != meta.Records || len(rows) != meta.Kept || meta.Kept == 0 || meta.Kept == meta.Records {
		t.Fatalf("%d records, %d kept; the generator says %d and %d", len(recs), len(rows), meta.Records, meta.Kept)
	}
}

// BenchmarkChainStreamWorkload measures the whole processing part of the stream path per
// record: Message.Reset, the chain (JSON parse of seven fields, sha256 mask, filter,
// keep) and the mapping onto seven typed columns, in batches of 10,000 records. One op
// is one record.
func BenchmarkChainStreamWorkload(b *testing.B) {
	recs := streamRecords(b, 10000)
	p := newStreamPath(b)
	var total int
	for _, r := range recs {
		total += len(r.Value)
	}
	b.SetBytes(int64(total / len(recs)))
	b.ReportAllocs()
	var m process.Message
	batch := p.mapper.Batch()
	kept := 0
	cpu0 := cpuTime()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k := i % len(recs)
		if k == 0 {
			batch = p.mapper.Batch()
		}
		if err := m.Reset(&recs[k]); err != nil {
			b.Fatal(err)
		}
		keep, err := p.chain.Process(&m)
		if err != nil {
			b.Fatal(err)
		}
		if !keep {
			continue
		}
		if _, err := batch.Map(&m); err != nil {
			b.Fatal(err)
		}
		kept++
	}
	b.StopTimer()
	cpu := cpuTime() - cpu0
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(b.N)/s, "records/s")
	}
	if cpu > 0 {
		// The machine is shared: process CPU time (all threads, GC included) per record
		// says more than wall time.
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/record")
		b.ReportMetric(float64(b.N)/cpu.Seconds(), "records/cpu-s")
	}
	_ = kept
}

// cpuTime is the CPU time the process used so far (0 where unavailable).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
