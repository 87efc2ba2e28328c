package workload

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// DefaultRecords and DefaultSeed are gen_data.py's defaults.
const (
	DefaultRecords = 200_000
	DefaultSeed    = 20260101
)

// Threshold is the amount below which the benchmark drops a record; BatchSize is the batch
// the metadata counts kept records in.
const (
	Threshold = 100.0
	BatchSize = 10_000
)

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

// Meta is what the generator knows about its output: input.meta.json.
type Meta struct {
	Records      int
	Seed         int64
	Kept         int   // records with amount >= Threshold
	KeptPerBatch []int // Kept for each BatchSize records in order
	Bytes        int64 // of the JSON lines, newlines included
}

// Dropped is the number of records the amount filter drops.
func (m Meta) Dropped() int { return m.Records - m.Kept }

// AvgLineBytes is round(Bytes / Records, 1), as gen_data.py writes it.
func (m Meta) AvgLineBytes() float64 {
	if m.Records == 0 {
		return 0
	}
	return round(float64(m.Bytes)/float64(m.Records), 1)
}

// Generate writes records JSON lines for seed to w and returns their metadata.
func Generate(w io.Writer, records int, seed int64) (Meta, error) {
	if records < 1 {
		return Meta{}, fmt.Errorf("workload: %d records: want at least 1", records)
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	g := &generator{rng: newPyRandom(seed)}
	meta := Meta{Records: records, Seed: seed}
	var line []byte
	for i := range records {
		var amount float64
		line, amount = g.order(line[:0], i)
		line = append(line, '\n')
		meta.Bytes += int64(len(line))
		if _, err := bw.Write(line); err != nil {
			return Meta{}, fmt.Errorf("workload: record %d: %w", i+1, err)
		}
		if i%BatchSize == 0 {
			meta.KeptPerBatch = append(meta.KeptPerBatch, 0)
		}
		if !(amount < Threshold) {
			meta.Kept++
			meta.KeptPerBatch[len(meta.KeptPerBatch)-1]++
		}
	}
	if err := bw.Flush(); err != nil {
		return Meta{}, fmt.Errorf("workload: %w", err)
	}
	return meta, nil
}

type generator struct {
	rng   *pyRandom
	items [5]item
	note  []string
}

type item struct {
	sku   int
	qty   int
	price float64
}

// order appends record i (from 0) as gen_data.py draws and writes it, and returns its amount.
// The draws happen in the order Python evaluates the script's expressions.
func (g *generator) order(b []byte, i int) ([]byte, float64) {
	r := g.rng
	fn, ln := choice(r, firstNames), choice(r, lastNames)
	for j := range g.items {
		g.items[j] = item{sku: r.randrange(0, 1_000_000), qty: r.randint(1, 9), price: round(r.uniform(0.5, 250.0), 2)}
	}
	g.note = g.note[:0]
	nlen, target := 0, r.randint(560, 640)
	for nlen < target {
		w := choice(r, words)
		g.note = append(g.note, w)
		nlen += len(w) + 1
	}
	amount := round(r.uniform(0.0, 1000.0), 2)
	day, hour, minute, second := r.randint(1, 28), r.randrange(0, 24), r.randrange(0, 60), r.randrange(0, 60)
	emailNum, domain := r.randrange(0, 10000), choice(r, domains)
	p1, p2, p3 := r.randrange(200, 1000), r.randrange(0, 1000), r.randrange(0, 10000)
	status := choice(r, statuses)

	b = append(b, `{"order_id":`...)
	b = appendJSONString(b, fmt.Sprintf("ORD-%09d", i+1))
	b = append(b, `,"created_at":`...)
	b = appendJSONString(b, fmt.Sprintf("2026-01-%02dT%02d:%02d:%02dZ", day, hour, minute, second))
	b = append(b, `,"user":{"name":`...)
	b = appendJSONString(b, fn+" "+ln)
	b = append(b, `,"email":`...)
	b = appendJSONString(b, fmt.Sprintf("%s.%s%d@%s", strings.ToLower(fn), strings.ReplaceAll(strings.ToLower(ln), "'", ""), emailNum, domain))
	b = append(b, `,"phone":`...)
	b = appendJSONString(b, fmt.Sprintf("+1-%03d-%03d-%04d", p1, p2, p3))
	b = append(b, `},"items":[`...)
	for j, it := range g.items {
		if j > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"sku":`...)
		b = appendJSONString(b, fmt.Sprintf("SKU-%06d", it.sku))
		b = append(b, `,"qty":`...)
		b = strconv.AppendInt(b, int64(it.qty), 10)
		b = append(b, `,"price":`...)
		b = appendFloatRepr(b, it.price)
		b = append(b, '}')
	}
	b = append(b, `],"amount":`...)
	b = appendFloatRepr(b, amount)
	b = append(b, `,"currency":"USD","status":`...)
	b = appendJSONString(b, status)
	b = append(b, `,"note":`...)
	b = appendJSONString(b, strings.Join(g.note, " "))
	return append(b, '}'), amount
}

// MetaJSON is input.meta.json as gen_data.py writes it (json.dump with indent=1, no final
// newline).
func (m Meta) MetaJSON() []byte {
	return append(m.appendFields([]byte("{\n "), true, ",\n "), "\n}"...)
}

// Summary is the line gen_data.py prints: the metadata without kept_per_batch, as
// json.dumps writes it by default, and a newline.
func (m Meta) Summary() []byte {
	return append(m.appendFields([]byte("{"), false, ", "), "}\n"...)
}

// appendFields appends the metadata's fields in gen_data.py's order, sep between them.
func (m Meta) appendFields(b []byte, perBatch bool, sep string) []byte {
	first := true
	field := func(name string) {
		if !first {
			b = append(b, sep...)
		}
		first = false
		b = appendJSONString(b, name)
		b = append(b, ": "...)
	}
	field("records")
	b = strconv.AppendInt(b, int64(m.Records), 10)
	field("seed")
	b = strconv.AppendInt(b, m.Seed, 10)
	field("threshold")
	b = appendFloatRepr(b, Threshold)
	field("kept")
	b = strconv.AppendInt(b, int64(m.Kept), 10)
	field("dropped")
	b = strconv.AppendInt(b, int64(m.Dropped()), 10)
	field("batch_size")
	b = strconv.AppendInt(b, BatchSize, 10)
	if perBatch {
		field("kept_per_batch")
		b = append(b, '[')
		for i, k := range m.KeptPerBatch {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, "\n  "...)
			b = strconv.AppendInt(b, int64(k), 10)
		}
		if len(m.KeptPerBatch) > 0 {
			b = append(b, "\n "...)
		}
		b = append(b, ']')
	}
	field("bytes")
	b = strconv.AppendInt(b, m.Bytes, 10)
	field("avg_line_bytes")
	return appendFloatRepr(b, m.AvgLineBytes())
}

// Files writes the workload into dir as gen_data.py does in its working directory:
// input.jsonl (the records) and input.meta.json (their metadata).
func Files(dir string, records int, seed int64) (Meta, error) {
	path := filepath.Join(dir, "input.jsonl")
	f, err := os.Create(path)
	if err != nil {
		return Meta{}, fmt.Errorf("workload: %w", err)
	}
	meta, err := Generate(f, records, seed)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("workload: %s: %w", path, cerr)
	}
	if err != nil {
		return Meta{}, err
	}
	if err := os.WriteFile(filepath.Join(dir, "input.meta.json"), meta.MetaJSON(), 0o644); err != nil {
		return Meta{}, fmt.Errorf("workload: %w", err)
	}
	return meta, nil
}
