package hudi_test

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/fcsync/fcsync/shared/lake/hudi"
	"github.com/fcsync/fcsync/shared/objstore"
	"github.com/fcsync/fcsync/shared/schema"
)

func TestUpsertReplacesRowsAndKeepsUnchangedOnes(t *testing.T) {
	partitionings := []struct {
		name string
		p    hudi.Partitioning
	}{
		{"nonpartitioned", hudi.Partitioning{}},
		{"by user hive style", hudi.Partitioning{Fields: []string{"user_name"}, HiveStyle: true}},
		{"by hour", hudi.Partitioning{TimeField: "created", Granularity: hudi.Hour}},
	}
	for _, pt := range partitionings {
		t.Run(pt.name, func(t *testing.T) {
			forEachStore(t, func(t *testing.T, s objstore.Store) {
				tbl := mustCreate(t, s, "lake/orders", ordersConfig(pt.p), hudi.WithClock(fakeClock()), hudi.WithIDs(fakeIDs()))
				var first []schema.Row
				for i := 1; i <= 5; i++ {
					first = append(first, order(i, "ann", 1, baseTime))
				}
				r1 := mustWrite(t, tbl, hudi.Batch{Columns: orderColumns, Rows: first, Checkpoints: map[string]int64{"orders/0": 5}})
				if r1.Inserted != 5 || r1.Updated != 0 || r1.Skipped {
					t.Fatalf("first write = %+v, want 5 inserts", r1)
				}
				before := rowsByKey(t, tbl)
				changed := order(3, "ann", 2, baseTime)
				changed[3] = "paid"
				stale := order(2, "ann", 0, baseTime) // older than the stored version: ignored
				stale[3] = "stale"
				newer, older := order(6, "ann", 5, baseTime), order(6, "ann", 4, baseTime)
				older[3] = "older duplicate"
				r2 := mustWrite(t, tbl, hudi.Batch{Columns: orderColumns, Rows: []schema.Row{changed, newer, stale, older}, Checkpoints: map[string]int64{"orders/0": 9}})
				if r2.Inserted != 1 || r2.Updated != 1 || r2.Instant <= r1.Instant {
					t.Fatalf("second write = %+v, want 1 insert and 1 update after %s", r2, r1.Instant)
				}
				after := rowsByKey(t, tbl)
				if len(after) != 6 {
					t.Fatalf("%d rows, want 6: %v", len(after), sortedKeys(after))
				}
				for k, row := range after {
					switch row["order_id"] {
					case "o-00003":
						if row["status"] != "paid" || row["_hoodie_commit_time"] != r2.Instant {
							t.Errorf("updated row = %v", row)
						}
					case "o-00006":
						if row["version"] != int64(5) || row["_hoodie_commit_time"] != r2.Instant {
							t.Errorf("new row = %v, want version 5 (the newer duplicate)", row)
						}
					default:
						old := before[k]
						if row["status"] != "new" || row["_hoodie_commit_time"] != r1.Instant || row["_hoodie_commit_seqno"] != old["_hoodie_commit_seqno"] {
							t.Errorf("unchanged row %s = %v, want as before (%v)", k, row, old)
						}
					}
				}
				cp, err := tbl.Checkpoints(t.Context())
				if err != nil || !maps.Equal(cp, map[string]int64{"orders/0": 9}) {
					t.Errorf("Checkpoints = %v, %v", cp, err)
				}
			})
		})
	}
}

func TestATableCanLiveAtTheStoreRoot(t *testing.T) {
	forEachStore(t, func(t *testing.T, s objstore.Store) {
		for _, p := range []hudi.Partitioning{{}, {Fields: []string{"user_name"}}} {
			root := ""
			tbl := mustCreate(t, s, root, ordersConfig(p))
			mustWrite(t, tbl, hudi.Batch{Columns: orderColumns, Rows: []schema.Row{order(1, "ann", 1, baseTime), order(2, "bob", 1, baseTime)}})
			mustWrite(t, tbl, hudi.Batch{Columns: orderColumns, Rows: []schema.Row{order(2, "bob", 2, baseTime), order(3, "cy", 1, baseTime)}})
			if !hudi.Detect(t.Context(), s, root) {
				t.Error("Detect = false")
			}
			if n := len(rowsByKey(t, tbl)); n != 3 {
				t.Errorf("%d rows, want 3", n)
			}
			assertNoLeftovers(t, s, "")
			// Start over for the next partitioning.
			for _, k := range listAll(t, s, "") {
				if err := s.Delete(t.Context(), k); err != nil {
					t.Fatal(err)
				}
			}
		}
	})
}

// TestDuplicateKeysInABatchKeepOneRowInTheFirstOnesPlace writes batches whose keys ascend and
// then repeat one (Write skips the duplicate check while keys ascend): the record with the
// highest version (the later one on a tie) wins and takes the place, and so the sequence
// number, of the key's first row; equal keys in different partitions are different records.
func TestDuplicateKeysInABatchKeepOneRowInTheFirstOnesPlace(t *testing.T) {
	row := func(id int, user string, version int64, status string) schema.Row {
		r := order(id, user, version, baseTime)
		r[3] = status
		return r
	}
	cases := []struct {
		name string
		p    hudi.Partitioning
		rows []schema.Row
		want map[string]string // partition|key -> status
		seq  map[string]string // partition|key -> the sequence number's suffix
	}{
		{
			name: "the first key again, newer",
			rows: []schema.Row{row(1, "ann", 1, "a1"), row(2, "ann", 1, "b1"), row(3, "ann", 1, "c1"), row(1, "ann", 2, "a2")},
			want: map[string]string{"|o-00001": "a2", "|o-00002": "b1", "|o-00003": "c1"},
			seq:  map[string]string{"|o-00001": "_0", "|o-00002": "_1", "|o-00003": "_2"},
		},
		{
			name: "the last key again, older",
			rows: []schema.Row{row(1, "ann", 1, "a1"), row(2, "ann", 3, "b1"), row(2, "ann", 2, "b2"), row(3, "ann", 1, "c1")},
			want: map[string]string{"|o-00001": "a1", "|o-00002": "b1", "|o-00003": "c1"},
			seq:  map[string]string{"|o-00001": "_0", "|o-00002": "_1", "|o-00003": "_2"},
		},
		{
			name: "a tie goes to the later row",
			rows: []schema.Row{row(1, "ann", 1, "a1"), row(2, "ann", 1, "b1"), row(1, "ann", 1, "a2"), row(1, "ann", 1, "a3")},
			want: map[string]string{"|o-00001": "a3", "|o-00002": "b1"},
			seq:  map[string]string{"|o-00001": "_0", "|o-00002": "_1"},
		},
		{
			name: "one key in two partitions",
			p:    hudi.Partitioning{Fields: []string{"user_name"}},
			rows: []schema.Row{row(1, "ann", 1, "a1"), row(2, "ann", 1, "b1"), row(1, "bob", 1, "a-bob"), row(2, "ann", 2, "b2")},
			want: map[string]string{"ann|o-00001": "a1", "ann|o-00002": "b2", "bob|o-00001": "a-bob"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tbl := mustCreate(t, objstore.NewMemory(), "lake/orders", ordersConfig(c.p))
			res := mustWrite(t, tbl, hudi.Batch{Columns: orderColumns, Rows: c.rows})
			if res.Inserted != len(c.want) {
				t.Errorf("Inserted = %d, want %d", res.Inserted, len(c.want))
			}
			got := rowsByKey(t, tbl)
			if len(got) != len(c.want) {
				t.Fatalf("records %v, want %v", sortedKeys(got), sortedKeys(c.want))
			}
			for k, status := range c.want {
				if got[k]["status"] != status {
					t.Errorf("%s: status %v, want %s", k, got[k]["status"], status)
				}
				if suffix, ok := c.seq[k]; ok {
					if seq, _ := got[k]["_hoodie_commit_seqno"].(string); !strings.HasSuffix(seq, suffix) {
						t.Errorf("%s: sequence number %q, want one ending in %s (the key's first row)", k, seq, suffix)
					}
				}
			}
		})
	}
}

// TestANewTableInstanceDoesNotRecreateFilesThatExist opens the table anew before each write,
// as every invocation of the stream function does: a partition's metadata file is created by
// the write that first fills the partition, and a commit's .commit file by its writer; later
// Tables only look them up.
func TestANewTableInstanceDoesNotRecreateFilesThatExist(t *testing.T) {
	for _, p := range []hudi.Partitioning{{}, {Fields: []string{"user_name"}}} {
		m := objstore.NewMemory()
		mustCreate(t, m, "lake/orders", ordersConfig(p))
		var metas []string
		commits := map[string]int{}
		m.SetHook(func(_ context.Context, op objstore.Op, key string) error {
			switch {
			case op != objstore.OpCreateIfAbsent:
			case strings.HasSuffix(key, "/.hoodie_partition_metadata"):
				metas = append(metas, key)
			case strings.HasSuffix(key, ".commit"):
				commits[key]++
			}
			return nil
		})
		users := []string{"ann", "ann", "bob", "ann"}
		for i, user := range users {
			tbl, err := hudi.Open(t.Context(), m, "lake/orders")
			if err != nil {
				t.Fatal(err)
			}
			mustWrite(t, tbl, hudi.Batch{Columns: orderColumns, Rows: []schema.Row{order(i, user, 1, baseTime)}})
		}
		m.SetHook(nil)
		want := []string{"lake/orders/.hoodie_partition_metadata"}
		if len(p.Fields) > 0 {
			want = []string{"lake/orders/ann/.hoodie_partition_metadata", "lake/orders/bob/.hoodie_partition_metadata"}
		}
		if !slices.Equal(metas, want) {
			t.Errorf("partitioned by %v: partition metadata created %q, want %q (once per partition)", p.Fields, metas, want)
		}
		if len(commits) != len(users) {
			t.Errorf("partitioned by %v: %d .commit files created, want %d", p.Fields, len(commits), len(users))
		}
		for k, n := range commits {
			if n != 1 {
				t.Errorf("partitioned by %v: %s created %d times, want once (by its writer)", p.Fields, k, n)
			}
		}
	}
}
