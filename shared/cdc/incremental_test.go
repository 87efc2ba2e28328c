package cdc_test

import (
	"context"
	"fmt"
	"math/rand"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/fcsync/fcsync/shared/cdc"
)

// TestAddedTableIsSnapshottedWhileTheBinlogGoesOn: a job that follows table a is given table b
// as well. Without deleting its state, the next runs snapshot b in chunks between binlog
// watermarks while b changes — changes inside the chunk just read (made between its SELECT and
// the high watermark), in chunks still to come, inserts past the end, and a writer changing b
// concurrently throughout — and go on with a's changes. Replaying b's topic as upserts by key
// gives exactly b's rows, a is not snapshotted again, and a's changes keep coming. Then a is
// removed: its changes stop and the state forgets it.
func TestAddedTableIsSnapshottedWhileTheBinlogGoesOn(t *testing.T) {
	e := newEnv(t)
	e.sql("CREATE TABLE a (id INT PRIMARY KEY, v INT)", "CREATE TABLE b (id INT PRIMARY KEY, v VARCHAR(20))")
	for i := 1; i <= 5; i++ {
		e.sql(fmt.Sprintf("INSERT INTO a VALUES (%d, %d)", i, i))
	}
	for i := 1; i <= 40; i++ {
		e.sql(fmt.Sprintf("INSERT INTO b VALUES (%d, 'b%d')", i, i))
	}
	const writer = "writer: {partitions: 2, heartbeat: false}\n"
	e.run(e.runner(e.job("name: grow\nreader: {tables: [${DB}.a]}\n" + writer)))
	e.sql("UPDATE a SET v = 10 WHERE id = 1", "INSERT INTO a VALUES (6, 6)", "UPDATE b SET v = 'before' WHERE id = 2", "DELETE FROM b WHERE id = 40")

	// A writer that changes b all along.
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		c, err := e.srv.Conn(context.Background())
		if err != nil {
			t.Error(err)
			return
		}
		defer c.Close()
		rnd := rand.New(rand.NewSource(1))
		for n := 0; ctx.Err() == nil; n++ {
			id := 1 + rnd.Intn(45)
			var q string
			switch n % 3 {
			case 0:
				q = fmt.Sprintf("UPDATE %s.b SET v = 'w%d' WHERE id = %d", e.db, n, id)
			case 1:
				q = fmt.Sprintf("INSERT INTO %s.b VALUES (%d, 'i%d') ON DUPLICATE KEY UPDATE v = 'u%d'", e.db, id, n, n)
			default:
				q = fmt.Sprintf("DELETE FROM %s.b WHERE id = %d", e.db, 1+rnd.Intn(45))
			}
			if _, err := c.Execute(q); err != nil {
				t.Error(err)
				return
			}
		}
	}()

	chunks := 0
	hooks := &cdc.Hooks{AfterChunkSelect: func(table string) error {
		// Between a chunk's SELECT and its high watermark: change a row of the chunk just read
		// (ids 1-5 are in the first chunk, 6-10 in the second, ...), delete another, change
		// a row of a later chunk, insert past the end.
		k := chunks
		chunks++
		e.sql(fmt.Sprintf("UPDATE b SET v = 'in-chunk-%d' WHERE id = %d", k, 5*k+2),
			fmt.Sprintf("DELETE FROM b WHERE id = %d", 5*k+3),
			fmt.Sprintf("UPDATE b SET v = 'later-%d' WHERE id = %d", k, 5*k+9),
			fmt.Sprintf("INSERT INTO b VALUES (%d, 'new-%d')", 100+k, k),
			fmt.Sprintf("UPDATE a SET v = %d WHERE id = 2", 100+k))
		return nil
	}}
	grown := e.job("name: grow\nreader: {tables: [${DB}.a, ${DB}.b], chunkRows: 5}\n" + writer)
	var total cdc.Report
	for run := 0; ; run++ {
		rep := e.run(e.runner(grown, cdc.WithHooks(hooks)))
		total.SnapshotRows += rep.SnapshotRows
		total.IncrementalRows += rep.IncrementalRows
		if rep.IncrementalPending == 0 {
			break
		}
		if run == 5 {
			t.Fatalf("b not snapshotted after 6 runs: %+v", rep)
		}
	}
	stop()
	wg.Wait()
	e.run(e.runner(grown)) // the writer's last changes
	if chunks < 4 || total.SnapshotRows != 0 || total.IncrementalRows == 0 {
		t.Errorf("%d chunks, %d snapshot rows, %d incremental rows: want b read in 4 or more chunks of 5, no full snapshot", chunks, total.SnapshotRows, total.IncrementalRows)
	}

	bs := data(e.read("b"))
	if got, want := replay(bs, "id", "v"), e.table("b", "id", "v"); !reflect.DeepEqual(got, want) {
		t.Errorf("b replayed from Kafka differs from the table:\n got %v\nwant %v", got, want)
	}
	full := 0
	for _, m := range bs {
		if m.seq() == "-1" {
			full++
		}
	}
	if full == 0 {
		t.Error("no full-data records for b")
	}
	as := data(e.read("a"))
	aFull := 0
	for _, m := range as {
		if m.seq() == "-1" {
			aFull++
		}
	}
	if aFull != 5 {
		t.Errorf("a has %d full-data records, want the 5 of its first snapshot only (no re-snapshot)", aFull)
	}
	if got, want := replay(as, "id", "v"), e.table("a", "id", "v"); !reflect.DeepEqual(got, want) {
		t.Errorf("a replayed from Kafka differs from the table:\n got %v\nwant %v", got, want)
	}

	// Remove a: its changes are not written any more and the state forgets it.
	shrunk := e.job("name: grow\nreader: {tables: [${DB}.b], chunkRows: 5}\n" + writer)
	r := e.runner(shrunk)
	e.run(r)
	e.sql("UPDATE a SET v = 99 WHERE id = 3", "UPDATE b SET v = 'last' WHERE id = 1")
	rep := e.run(r)
	if rep.Changes != 1 || rep.Tables != 1 {
		t.Errorf("after removing a: report %+v, want 1 change of 1 table", rep)
	}
	if n := len(data(e.read("a"))); n != len(as) {
		t.Errorf("a has %d records after it was removed, want %d as before", n, len(as))
	}
	cp, err := r.Checkpoint(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(cp.Tables) != 1 || cp.Tables[0].Name != "b" {
		t.Errorf("state tracks %v, want only b", cp.Tables)
	}
	if got, want := replay(data(e.read("b")), "id", "v"), e.table("b", "id", "v"); !reflect.DeepEqual(got, want) {
		t.Errorf("b after the last change:\n got %v\nwant %v", got, want)
	}
}

// TestCrashDuringAnIncrementalSnapshotLosesNoRow: a run that dies after Kafka acknowledged a
// batch of an added table's chunks and before saving it is followed by runs that go on from the
// saved chunk; replaying the topic still gives exactly the table.
func TestCrashDuringAnIncrementalSnapshotLosesNoRow(t *testing.T) {
	e := newEnv(t)
	e.sql("CREATE TABLE a (id INT PRIMARY KEY)", "CREATE TABLE b (id INT PRIMARY KEY, v INT)")
	for i := 1; i <= 30; i++ {
		e.sql(fmt.Sprintf("INSERT INTO b VALUES (%d, %d)", i, i))
	}
	const writer = "writer: {partitions: 3, heartbeat: false}\nsetting: {batchRecords: 3}\n"
	e.run(e.runner(e.job("name: crash\nreader: {tables: [${DB}.a]}\n" + writer)))
	grown := e.job("name: crash\nreader: {tables: [${DB}.a, ${DB}.b], chunkRows: 4}\n" + writer)
	n := 0
	boom := fmt.Errorf("crash after produce")
	hooks := &cdc.Hooks{
		AfterChunkSelect: func(string) error {
			n++
			e.sql(fmt.Sprintf("UPDATE b SET v = v + 100 WHERE id = %d", 4*n-1))
			return nil
		},
		AfterProduce: func(b cdc.Batch) error {
			if n == 4 {
				return boom
			}
			return nil
		},
	}
	if _, err := e.runner(grown, cdc.WithHooks(hooks)).Run(context.Background()); err == nil || !strings.Contains(err.Error(), boom.Error()) {
		t.Fatalf("first run: error %v, want the crash", err)
	}
	hooks.AfterProduce = nil
	for run := 0; ; run++ {
		if rep := e.run(e.runner(grown, cdc.WithHooks(hooks))); rep.IncrementalPending == 0 {
			break
		}
		if run == 5 {
			t.Fatal("b not snapshotted after 6 runs")
		}
	}
	if got, want := replay(data(e.read("b")), "id", "v"), e.table("b", "id", "v"); !reflect.DeepEqual(got, want) {
		t.Errorf("b replayed from Kafka differs from the table:\n got %v\nwant %v", got, want)
	}
}
