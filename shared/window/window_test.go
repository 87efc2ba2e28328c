package window_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/fcsync/fcsync/shared/objstore"
	"github.com/fcsync/fcsync/shared/window"
)

// outOfOrder makes n orders over three partitions, one every 10 s from 09:57, each timestamp
// moved by up to ±90 s (never before 09:57, the first window's start), so that consecutive
// offsets of a partition jump back and forth across window edges.
func outOfOrder(n int) []*kgo.Record {
	rng := rand.New(rand.NewPCG(1, 2))
	first := at(9, 57, 0)
	recs := make([]*kgo.Record, n)
	for i := range recs {
		ts := first.Add(time.Duration(i)*10*time.Second + time.Duration(rng.IntN(181)-90)*time.Second)
		if ts.Before(first) {
			ts = first
		}
		recs[i] = order(int32(i%3), fmt.Sprintf("o-%04d", i), ts, i)
	}
	return recs
}

func TestConsecutiveWindowsTileTheOffsets(t *testing.T) {
	cases := []struct {
		name string
		// skip sets skipExceedRecord: true, which is what leaving it out means (the window ends
		// exactly at its end time; exceed_test.go covers false).
		skip bool
		// concurrent is speed.concurrent (0: every partition at once).
		concurrent int
	}{
		{"without skipExceedRecord", false, 0},
		{"skipExceedRecord routes records past the end", true, 0},
		{"one partition at a time", false, 1},
		{"two partitions at a time with skipExceedRecord", true, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newCluster(t, 3)
			recs := outOfOrder(150) // timestamps 09:57 .. about 10:23
			c.produce(t, recs...)
			store, err := objstore.NewDir(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			var edits []edit
			if tc.skip {
				edits = append(edits, set("reader.skipExceedRecord", true))
			}
			if tc.concurrent > 0 {
				edits = append(edits, set("setting.speed.concurrent", tc.concurrent))
			}
			h := newHarness(t, c, store, loadJob(t, edits...))

			var reps []*window.Report
			var late int64
			for tk := tick(10, 5); !tk.After(tick(10, 35)); tk = tk.Add(5 * time.Minute) {
				rep := h.mustRun(tk)
				if rep.Rerun {
					t.Errorf("window %s: first run reported as a rerun", tk.Format("15:04"))
				}
				if rep.Partition != partitionOf(tk) {
					t.Errorf("window %s: partition %s, want %s", tk.Format("15:04"), rep.Partition, partitionOf(tk))
				}
				late += rep.Late
				reps = append(reps, rep)
			}
			if late == 0 {
				t.Errorf("no record was late: the data does not exercise out-of-order timestamps")
			}

			// The ranges of consecutive windows meet: each starts where the previous ended.
			for p := range int32(3) {
				if s := reps[0].Ranges[p].Start; s != 0 {
					t.Errorf("partition %d: first window starts at %d, want 0", p, s)
				}
				for i := 1; i < len(reps); i++ {
					if prev, cur := reps[i-1].Ranges[p], reps[i].Ranges[p]; cur.Start != prev.End {
						t.Errorf("partition %d: window %d starts at %d, previous ended at %d", p, i, cur.Start, prev.End)
					}
				}
				if e := reps[len(reps)-1].Ranges[p].End; e != 50 {
					t.Errorf("partition %d: last window ends at %d, want the high watermark 50", p, e)
				}
			}
			// Every record was produced before the first window: a window's lag is what the
			// later windows read, down to none for the last.
			for i, rep := range reps {
				var want int64
				for p := range int32(3) {
					want += 50 - rep.Ranges[p].End
				}
				if rep.Lag == nil || *rep.Lag != want {
					t.Errorf("window %d: lag %v, want %d", i, rep.Lag, want)
				}
			}
			if *reps[0].Lag == 0 {
				t.Error("the first window reports no lag although later windows had records to read")
			}

			rows := h.rows()
			exactlyOnce(t, rows, ids(recs))
			for _, r := range rows {
				own := ownPartition(time.UnixMilli(r.EventMs))
				if r.Partition != own {
					t.Errorf("%s: want partition %s", r, own)
				}
			}
			for _, w := range h.ledger().Windows {
				if w.Status != window.StatusCommitted {
					t.Errorf("ledger window %s: status %s", w.Tick, w.Status)
				}
			}
		})
	}
}

func TestLateRecordFollowsThePolicy(t *testing.T) {
	const dirtyKey = "dirty/orders_5min/20221122T021000Z.jsonl" // the 10:10 tick in UTC
	cases := []struct {
		late          string // "" is the default, partition-of-timestamp
		wantPartition string // where the late record lands; "" = in no partition
		wantLateParts map[string]int64
	}{
		{"", "ds=202211220957", map[string]int64{"ds=202211220957": 1}},
		{"partition-of-timestamp", "ds=202211220957", map[string]int64{"ds=202211220957": 1}},
		{"window", "ds=202211221002", map[string]int64{"ds=202211221002": 1}},
		{"dirty", "", map[string]int64{}},
	}
	for _, tc := range cases {
		name := tc.late
		if name == "" {
			name = "default"
		}
		t.Run(name, func(t *testing.T) {
			c := newCluster(t, 3)
			edits := []edit{set("setting.errorLimit.record", 0)} // late records are not errors
			if tc.late != "" {
				edits = append(edits, set("late", tc.late))
			}
			h := newHarness(t, c, nil, loadJob(t, edits...))
			early := []*kgo.Record{order(0, "a", at(9, 58, 0), 1), order(1, "b", at(10, 1, 59), 2)}
			c.produce(t, early...)
			if rep := h.mustRun(tick(10, 5)); rep.Written != 2 || rep.Late != 0 {
				t.Fatalf("window 10:05: written %d late %d, want 2 and 0", rep.Written, rep.Late)
			}

			// After the 10:05 window ran: one record of its time range, one of the next.
			c.produce(t, order(2, "late", at(9, 59, 30), 3), order(0, "ontime", at(10, 4, 0), 4))
			rep := h.mustRun(tick(10, 10))
			if rep.Late != 1 || rep.Read != 2 || rep.Dirty != 0 {
				t.Errorf("window 10:10: read %d late %d dirty %d, want 2, 1, 0", rep.Read, rep.Late, rep.Dirty)
			}
			if fmt.Sprint(rep.LatePartitions) != fmt.Sprint(tc.wantLateParts) {
				t.Errorf("late partitions %v, want %v", rep.LatePartitions, tc.wantLateParts)
			}

			rows := h.rows()
			want := []string{"a", "b", "ontime"}
			if tc.wantPartition != "" {
				want = append(want, "late")
			}
			exactlyOnce(t, rows, want)
			parts := byPartition(rows)
			for id, p := range map[string]string{"a": "ds=202211220957", "b": "ds=202211220957", "ontime": "ds=202211221002", "late": tc.wantPartition} {
				if parts[id] != p {
					t.Errorf("order %s in %q, want %q", id, parts[id], p)
				}
			}

			dirty := h.dirtyLines(tick(10, 10))
			if tc.late != "dirty" {
				if dirty != nil {
					t.Errorf("dirty data %v, want none", dirty)
				}
				if rep.DirtyKey != "" {
					t.Errorf("dirty key %q, want none", rep.DirtyKey)
				}
			} else {
				if rep.DirtyKey != dirtyKey {
					t.Errorf("dirty key %q, want %q", rep.DirtyKey, dirtyKey)
				}
				if len(dirty) != 1 || dirty[0]["key"] != "late" || dirty[0]["partition"] != 2.0 || dirty[0]["offset"] != 0.0 {
					t.Fatalf("dirty data %v, want the late record (partition 2, offset 0)", dirty)
				}
				if reason, _ := dirty[0]["reason"].(string); !strings.HasPrefix(reason, "late") {
					t.Errorf("dirty reason %q, want it to start with late", reason)
				}
			}

			// Rerunning the earlier window (truncate: true) keeps what later windows delivered late into it.
			if rerun := h.mustRun(tick(10, 5)); !rerun.Rerun {
				t.Errorf("rerun of 10:05 not reported as a rerun")
			}
			if again := h.rows(); fmt.Sprint(again) != fmt.Sprint(rows) {
				t.Errorf("after rerunning 10:05:\n%v\nwant\n%v", again, rows)
			}
		})
	}
}

func TestRerunYieldsTheSamePartitionContents(t *testing.T) {
	for _, truncate := range []bool{true, false} {
		t.Run(fmt.Sprintf("truncate=%v", truncate), func(t *testing.T) {
			c := newCluster(t, 3)
			h := newHarness(t, c, nil, loadJob(t, set("writer.truncate", truncate)))
			first := []*kgo.Record{
				order(0, "a", at(9, 57, 0), 1), order(1, "b", at(9, 59, 0), 2), order(2, "c", at(10, 1, 59), 3),
				order(0, "d", at(10, 2, 0), 4), order(1, "e", at(10, 6, 0), 5),
			}
			c.produce(t, first...)
			rep5 := h.mustRun(tick(10, 5))
			rep10 := h.mustRun(tick(10, 10))
			before := h.rows()
			exactlyOnce(t, before, ids(first))

			// New data for both windows arrives; their offset ranges are already fixed.
			more := []*kgo.Record{order(2, "f", at(9, 58, 0), 6), order(0, "g", at(10, 3, 0), 7)}
			c.produce(t, more...)
			for _, utc := range []bool{false, true} { // the same instant in any zone is the same tick
				for _, prev := range []*window.Report{rep5, rep10} {
					tk := prev.Tick
					if utc {
						tk = tk.UTC()
					}
					rep := h.mustRun(tk)
					if !rep.Rerun {
						t.Errorf("window %s: rerun not reported", prev.Tick.Format("15:04"))
					}
					if fmt.Sprint(rep.Ranges) != fmt.Sprint(prev.Ranges) || rep.Written != prev.Written || rep.Partition != prev.Partition {
						t.Errorf("window %s rerun: ranges %v written %d in %s, first run %v written %d in %s",
							prev.Tick.Format("15:04"), rep.Ranges, rep.Written, rep.Partition, prev.Ranges, prev.Written, prev.Partition)
					}
					if after := h.rows(); fmt.Sprint(after) != fmt.Sprint(before) {
						t.Fatalf("after rerunning %s:\n%v\nwant\n%v", prev.Tick.Format("15:04"), after, before)
					}
				}
			}

			// The next window picks the new data up, both late into the partitions of their timestamps.
			rep := h.mustRun(tick(10, 15))
			if rep.Read != 2 || rep.Late != 2 {
				t.Errorf("window 10:15: read %d late %d, want 2 and 2", rep.Read, rep.Late)
			}
			rows := h.rows()
			exactlyOnce(t, rows, append(ids(first), ids(more)...))
			parts := byPartition(rows)
			if parts["f"] != "ds=202211220957" || parts["g"] != "ds=202211221002" {
				t.Errorf("late orders f in %s and g in %s, want ds=202211220957 and ds=202211221002", parts["f"], parts["g"])
			}
		})
	}
}

// A missed tick run after its successor (a backfill) stops where the successor started, even
// when records arrived in between and the time edge now lies further on.
func TestWindowRunAfterItsSuccessorStopsAtTheSuccessorsStart(t *testing.T) {
	c := newCluster(t, 1)
	early := []*kgo.Record{order(0, "a", at(9, 58, 0), 1), order(0, "b", at(10, 1, 0), 2)}
	c.produce(t, early...)
	h := newHarness(t, c, nil, loadJob(t, set("writer.truncate", false)))
	rep10 := h.mustRun(tick(10, 10)) // no record at or after 10:02 yet: [2, 2)
	later := []*kgo.Record{order(0, "late", at(9, 59, 0), 3), order(0, "x", at(10, 3, 0), 4), order(0, "y", at(10, 8, 0), 5)}
	c.produce(t, later...)
	rep5 := h.mustRun(tick(10, 5)) // 10:02 is now at offset 3, but 10:10 starts at 2
	rep15 := h.mustRun(tick(10, 15))
	if got := rangesOf(rep10.Ranges) + rangesOf(rep5.Ranges) + rangesOf(rep15.Ranges); got != "map[0:{2 2}]map[0:{0 2}]map[0:{2 5}]" {
		t.Errorf("ranges of 10:10, 10:05, 10:15: %s, want [2,2) [0,2) [2,5)", got)
	}
	rows := h.rows()
	exactlyOnce(t, rows, append(ids(early), ids(later)...))
	parts := byPartition(rows)
	for id, want := range map[string]string{"a": "ds=202211220957", "b": "ds=202211220957", "late": "ds=202211220957", "x": "ds=202211221002", "y": "ds=202211221007"} {
		if parts[id] != want {
			t.Errorf("order %s in %s, want %s", id, parts[id], want)
		}
	}
}
