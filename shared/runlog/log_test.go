package runlog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/fcsync/fcsync/shared/objstore"
)

var t0 = time.Date(2024, 6, 1, 10, 0, 0, 0, time.UTC)

// stores runs a test against every local store implementation.
func stores(t *testing.T, f func(t *testing.T, s objstore.Store)) {
	t.Run("memory", func(t *testing.T) { f(t, objstore.NewMemory()) })
	t.Run("dir", func(t *testing.T) {
		d, err := objstore.NewDir(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		f(t, d)
	})
}

func rec(job string, finished time.Time, id string, st Status) Record {
	return Record{Job: job, Function: "batch", Invocation: id, Status: st,
		Started: finished.Add(-30 * time.Second), Finished: finished,
		Counts: Counts{Read: 10, Written: 9, Dirty: 1}}
}

func ids(recs []Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.Job + ":" + r.Invocation
	}
	return out
}

func TestListReturnsTheNewestRecordsOfAJobFirst(t *testing.T) {
	stores(t, func(t *testing.T, s objstore.Store) {
		ctx := context.Background()
		l := New(s)
		// Written out of order; one pair only a nanosecond apart.
		for _, r := range []Record{
			rec("orders", t0.Add(10*time.Minute), "c", Succeeded),
			rec("orders", t0, "a", Failed),
			rec("orders", t0.Add(5*time.Minute), "b", Succeeded),
			rec("orders", t0.Add(5*time.Minute+1), "b2", Succeeded),
			rec("other", t0.Add(20*time.Minute), "x", Succeeded),
		} {
			if _, err := l.Write(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		cases := []struct {
			name string
			q    Query
			want string
		}{
			{"all of one job", Query{Job: "orders"}, "orders:c orders:b2 orders:b orders:a"},
			{"limit", Query{Job: "orders", Limit: 2}, "orders:c orders:b2"},
			{"since is inclusive", Query{Job: "orders", Since: t0.Add(5*time.Minute + 1)}, "orders:c orders:b2"},
			{"every job, merged by time", Query{}, "other:x orders:c orders:b2 orders:b orders:a"},
			{"every job, limit", Query{Limit: 3}, "other:x orders:c orders:b2"},
			{"every job, since", Query{Since: t0.Add(6 * time.Minute)}, "other:x orders:c"},
			{"a job without records", Query{Job: "nothing"}, ""},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				got, err := l.List(ctx, tc.q)
				if err != nil {
					t.Fatal(err)
				}
				if g := strings.Join(ids(got), " "); g != tc.want {
					t.Errorf("List(%+v) = %q, want %q", tc.q, g, tc.want)
				}
			})
		}
	})
}

// Job names whose characters sort before and after the key separator '/' interleave in a flat
// listing of runs/; the job walk must still find every job exactly once and skip stray objects.
func TestListOfEveryJobFindsJobsWhoseNamesSortAroundTheSeparator(t *testing.T) {
	stores(t, func(t *testing.T, s objstore.Store) {
		ctx := context.Background()
		l := New(s)
		jobs := []string{"a", "a-b", "a.b", "a0", "a_b", "b"}
		for i, j := range jobs {
			for k := range 3 {
				if _, err := l.Write(ctx, rec(j, t0.Add(time.Duration(i*10+k)*time.Minute), fmt.Sprint(k), Succeeded)); err != nil {
					t.Fatal(err)
				}
			}
		}
		for _, stray := range []string{"runs/a/zzz.json", "runs/a/~x", "runs/a/0-not-a-key.json", "runs/stray", "runs/a-b/~~/deep"} {
			if err := s.Put(ctx, stray, []byte("{}")); err != nil {
				t.Fatal(err)
			}
		}
		got, err := l.Jobs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if g, w := strings.Join(got, " "), "a-b a.b a a0 a_b b"; g != w {
			t.Errorf("Jobs = %q, want %q", g, w)
		}
		recs, err := l.List(ctx, Query{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 3*len(jobs) {
			t.Fatalf("List found %d records, want %d: %v", len(recs), 3*len(jobs), ids(recs))
		}
		for i := 1; i < len(recs); i++ {
			if recs[i].Finished.After(recs[i-1].Finished) {
				t.Errorf("record %d (%s) is newer than record %d", i, recs[i].Finished, i-1)
			}
		}
	})
}

func TestWriteIsWriteOnceAndARepeatedWriteOfTheSameRecordSucceeds(t *testing.T) {
	ctx := context.Background()
	m := objstore.NewMemory()
	l := New(m)
	r := rec("orders", t0, "req-1", Succeeded)
	k1, err := l.Write(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	before, _ := m.Get(ctx, k1)

	// A retried PUT whose first attempt landed: the object exists and holds these bytes.
	k2, err := l.Write(ctx, r)
	if err != nil || k2 != k1 {
		t.Fatalf("repeating the write: key %q err %v, want %q and no error", k2, err, k1)
	}
	// The same key with other content is refused and the stored record is untouched.
	r2 := r
	r2.Status = Failed
	if _, err := l.Write(ctx, r2); !errors.Is(err, objstore.ErrExists) {
		t.Fatalf("a different record under the same key: err %v, want ErrExists", err)
	}
	after, _ := m.Get(ctx, k1)
	if !bytes.Equal(before, after) {
		t.Errorf("the record was overwritten")
	}
	// A store failure is reported with the key.
	m.FailNext(objstore.OpCreateIfAbsent, errors.New("503 slow down"))
	if _, err := l.Write(ctx, rec("orders", t0.Add(time.Minute), "req-2", Succeeded)); err == nil || !strings.Contains(err.Error(), "runs/orders/") {
		t.Errorf("store failure: err %v, want an error naming the key", err)
	}
	// A lost response after the object landed is recognised as the same write.
	m.FailNextAfter(objstore.OpCreateIfAbsent, objstore.ErrExists)
	if _, err := l.Write(ctx, rec("orders", t0.Add(2*time.Minute), "req-3", Succeeded)); err != nil {
		t.Errorf("lost response: %v", err)
	}
}

func TestWriteFillsFinishTimeDurationAndInvocationID(t *testing.T) {
	ctx := context.Background()
	l := New(objstore.NewMemory(), WithClock(func() time.Time { return t0 }))
	r := Record{Job: "orders", Function: "stream", Status: Succeeded, Started: t0.Add(-1500 * time.Millisecond)}
	key, err := l.Write(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	got, err := l.List(ctx, Query{Job: "orders"})
	if err != nil || len(got) != 1 {
		t.Fatalf("List: %v %v", got, err)
	}
	g := got[0]
	if !g.Finished.Equal(t0) || g.DurationMS != 1500 || len(g.Invocation) != 16 {
		t.Errorf("stored record: finished %s duration %d ms invocation %q", g.Finished, g.DurationMS, g.Invocation)
	}
	if !strings.HasSuffix(key, "-20240601T100000Z-"+g.Invocation+".json") {
		t.Errorf("key %q does not end with the UTC time and the invocation id", key)
	}
}

func TestWriteRefusesRecordsThatCannotBeKeyed(t *testing.T) {
	l := New(objstore.NewMemory())
	cases := []struct {
		name string
		mod  func(*Record)
		want string
	}{
		{"empty job", func(r *Record) { r.Job = "" }, "job name is empty"},
		{"job with a slash", func(r *Record) { r.Job = "a/b" }, "may hold only"},
		{"job escaping upwards", func(r *Record) { r.Job = ".." }, "not a plain name"},
		{"job too long", func(r *Record) { r.Job = strings.Repeat("j", 129) }, "not a plain name"},
		{"function with a space", func(r *Record) { r.Function = "bat ch" }, "function name"},
		{"unknown status", func(r *Record) { r.Status = "ok" }, "run status"},
		{"finish time before 1970", func(r *Record) { r.Finished = time.Date(1969, 1, 1, 0, 0, 0, 0, time.UTC) }, "out of range"},
		{"finish time after 2261", func(r *Record) { r.Finished = time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC) }, "out of range"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := rec("orders", t0, "x", Succeeded)
			tc.mod(&r)
			_, err := l.Write(context.Background(), r)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestHostileInvocationIDsStayInsideTheJobPrefix(t *testing.T) {
	ctx := context.Background()
	l := New(objstore.NewMemory())
	for _, id := range []string{"../../state/x", "a/b\\c", "id with spaces", "\x00\xff", strings.Repeat("z", 500)} {
		key, err := l.Write(ctx, rec("orders", t0, id, Succeeded))
		if err != nil {
			t.Fatalf("id %q: %v", id, err)
		}
		if err := objstore.ValidKey(key); err != nil || strings.Count(key, "/") != 2 || !strings.HasPrefix(key, "runs/orders/") {
			t.Errorf("id %q gave key %q (%v)", id, key, err)
		}
		if _, ok := ParseKey(Prefix, key); !ok {
			t.Errorf("key %q does not parse back", key)
		}
	}
}

func TestListReturnsReadableRecordsAndNamesCorruptOnes(t *testing.T) {
	ctx := context.Background()
	m := objstore.NewMemory()
	l := New(m)
	good := rec("orders", t0, "good", Succeeded)
	if _, err := l.Write(ctx, good); err != nil {
		t.Fatal(err)
	}
	junkKey := l.Key(rec("orders", t0.Add(time.Minute), "junk", Succeeded))
	if err := m.Put(ctx, junkKey, []byte("not json")); err != nil {
		t.Fatal(err)
	}
	wrongJob := rec("other", t0.Add(2*time.Minute), "moved", Succeeded)
	data := fmt.Sprintf(`{"job":"other","function":"batch","invocation":"moved","status":"succeeded","finished":%q}`, wrongJob.Finished.Format(time.RFC3339Nano))
	if err := m.Put(ctx, l.Key(rec("orders", wrongJob.Finished, "moved", Succeeded)), []byte(data)); err != nil {
		t.Fatal(err)
	}
	recs, err := l.List(ctx, Query{Job: "orders"})
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), junkKey) || !strings.Contains(err.Error(), `holds job "other"`) {
		t.Errorf("err = %v, want ErrCorrupt naming %s and the misplaced record", err, junkKey)
	}
	if len(recs) != 1 || recs[0].Invocation != "good" {
		t.Errorf("records = %v, want the good one", ids(recs))
	}
	m.FailNext(objstore.OpList, errors.New("network down"))
	if _, err := l.List(ctx, Query{Job: "orders"}); err == nil || !strings.Contains(err.Error(), "job orders") {
		t.Errorf("list failure: %v", err)
	}
}

func TestParseKeyReadsWhatKeyWrites(t *testing.T) {
	l := New(nil, WithPrefix("ops/runs/"))
	for _, fin := range []time.Time{time.Unix(0, 0), t0, t0.Add(123456789), time.Date(2261, 12, 31, 23, 59, 59, 999999999, time.UTC)} {
		r := rec("j.o-b_1", fin, "req-42", Succeeded)
		key := l.Key(r)
		info, ok := ParseKey("ops/runs/", key)
		if !ok || info.Job != r.Job || !info.Finished.Equal(fin) || info.ID != "req-42" {
			t.Errorf("ParseKey(%q) = %+v %v", key, info, ok)
		}
		if _, ok := ParseKey(Prefix, key); ok {
			t.Errorf("key %q parsed under the wrong prefix", key)
		}
	}
	inv := fmt.Sprintf("%019d", int64(math.MaxInt64)-t0.UnixNano())
	for _, bad := range []string{
		"runs/orders/" + inv + "-20240601T100000Z-.json",       // no id
		"runs/orders/" + inv + "-20240601T100001Z-x.json",      // readable time disagrees
		"runs/orders/" + inv + "-20240601T100000Z-a.b.json",    // id not as Key writes it
		"runs/orders/" + inv + "-20240601T100000Z-x.txt",       // suffix
		"runs/or ders/" + inv + "-20240601T100000Z-x.json",     // job name
		"runs/orders/+" + inv[1:] + "-20240601T100000Z-x.json", // sign
		"runs/orders",
	} {
		if info, ok := ParseKey(Prefix, bad); ok {
			t.Errorf("ParseKey(%q) accepted: %+v", bad, info)
		}
	}
}

func FuzzParseKey(f *testing.F) {
	l := New(nil)
	f.Add(l.Key(rec("orders", t0, "req-1", Succeeded)))
	f.Add("runs/orders/9223370319854775807-20240601T100000Z-x.json")
	f.Add("runs/a/b/c")
	f.Fuzz(func(t *testing.T, key string) {
		info, ok := ParseKey(Prefix, key)
		if !ok {
			return
		}
		// A key that parses is exactly the key of its record.
		back := l.Key(Record{Job: info.Job, Finished: info.Finished, Invocation: info.ID})
		if back != key {
			t.Fatalf("ParseKey(%q) = %+v, which keys as %q", key, info, back)
		}
	})
}

func BenchmarkWrite(b *testing.B) {
	ctx := context.Background()
	l := New(objstore.NewMemory())
	r := rec("orders", t0, "req", Succeeded)
	r.Offsets = []Range{{Partition: 0, Start: 100, End: 200}, {Partition: 1, Start: 5, End: 9}}
	r.Error = "dial tcp 10.0.0.1:9092: password=hunter2 refused"
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		r.Finished = t0.Add(time.Duration(i))
		if _, err := l.Write(ctx, r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkListNewest20Of10000(b *testing.B) {
	ctx := context.Background()
	l := New(objstore.NewMemory())
	for i := range 10000 {
		if _, err := l.Write(ctx, rec("orders", t0.Add(time.Duration(i)*time.Minute), "r", Succeeded)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		recs, err := l.List(ctx, Query{Job: "orders", Limit: 20})
		if err != nil || len(recs) != 20 {
			b.Fatal(len(recs), err)
		}
	}
}
