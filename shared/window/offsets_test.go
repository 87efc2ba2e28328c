package window_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/fcsync/fcsync/shared/kafka"
	"github.com/fcsync/fcsync/shared/window"
)

// spread makes n orders per partition of three, named prefix-p-i, timestamps from 09:58.
func spread(prefix string, n int) []*kgo.Record {
	var recs []*kgo.Record
	for p := range int32(3) {
		for i := range n {
			recs = append(recs, order(p, fmt.Sprintf("%s-%d-%d", prefix, p, i), at(9, 58, i), i))
		}
	}
	return recs
}

// offsetOf is the partition and offset spread gave an order: a-p-i at offset i, b-p-i at 5+i.
func offsetOf(id string) (int32, int64) {
	var prefix rune
	var p int32
	var i int64
	if _, err := fmt.Sscanf(id, "%c-%d-%d", &prefix, &p, &i); err != nil {
		panic(err)
	}
	if prefix == 'b' {
		i += 5
	}
	return p, i
}

func span(start, end int64) kafka.Range { return kafka.Range{Start: start, End: end} }

func rangesOf(m map[int32]kafka.Range) string { return fmt.Sprint(m) }

func TestOffsetJobsReadFromTheirBeginPosition(t *testing.T) {
	const group = "fcsync-offsets"
	cases := []struct {
		name  string
		edits []edit
		// committed are group offsets committed before the first window (seekToLast).
		committed map[int32]int64
		// wantFirst and wantSecond are the ranges of the first window (after spread("a", 5)) and
		// of the second (after spread("b", 3) more).
		wantFirst, wantSecond map[int32]kafka.Range
		// wantGroup are the group's committed offsets after the second window; nil: not checked.
		wantGroup map[int32]int64
	}{
		{
			name:       "seekToBeginning with no end reads everything there is",
			edits:      offsetJob("seekToBeginning"),
			wantFirst:  map[int32]kafka.Range{0: span(0, 5), 1: span(0, 5), 2: span(0, 5)},
			wantSecond: map[int32]kafka.Range{0: span(5, 8), 1: span(5, 8), 2: span(5, 8)},
		},
		{
			name:       "seekToEnd reads nothing",
			edits:      offsetJob("seekToEnd"),
			wantFirst:  map[int32]kafka.Range{0: span(5, 5), 1: span(5, 5), 2: span(5, 5)},
			wantSecond: map[int32]kafka.Range{0: span(5, 5), 1: span(5, 5), 2: span(5, 5)}, // every window: "empty data is read"
		},
		{
			name:       "seekToLast starts at the group's committed offsets and commits the window's end",
			edits:      append(offsetJob("seekToLast"), set("reader.groupId", group)),
			committed:  map[int32]int64{0: 2, 1: 5}, // partition 2 has no commit: from the beginning
			wantFirst:  map[int32]kafka.Range{0: span(2, 5), 1: span(5, 5), 2: span(0, 5)},
			wantSecond: map[int32]kafka.Range{0: span(5, 8), 1: span(5, 8), 2: span(5, 8)},
			wantGroup:  map[int32]int64{0: 8, 1: 8, 2: 8},
		},
		{
			name:       "seekToLast with group.id from kafkaConfig",
			edits:      append(offsetJob("seekToLast"), set("reader.kafkaConfig", map[string]any{"group.id": group})),
			committed:  map[int32]int64{0: 1, 1: 1, 2: 4},
			wantFirst:  map[int32]kafka.Range{0: span(1, 5), 1: span(1, 5), 2: span(4, 5)},
			wantSecond: map[int32]kafka.Range{0: span(5, 8), 1: span(5, 8), 2: span(5, 8)},
			wantGroup:  map[int32]int64{0: 8, 1: 8, 2: 8},
		},
		{
			name:       "partition 1 reads only partition 1",
			edits:      append(offsetJob("seekToBeginning"), set("reader.partition", 1)),
			wantFirst:  map[int32]kafka.Range{1: span(0, 5)},
			wantSecond: map[int32]kafka.Range{1: span(5, 8)},
		},
		{
			name:       "an explicit begin offset",
			edits:      offsetJob("3"),
			wantFirst:  map[int32]kafka.Range{0: span(3, 5), 1: span(3, 5), 2: span(3, 5)},
			wantSecond: map[int32]kafka.Range{0: span(5, 8), 1: span(5, 8), 2: span(5, 8)},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newCluster(t, 3)
			a, b := spread("a", 5), spread("b", 3)
			c.produce(t, a...)
			client := c.client(t, nil)
			if tc.committed != nil {
				if err := client.Commit(context.Background(), group, tc.committed); err != nil {
					t.Fatal(err)
				}
			}
			h := newHarness(t, c, nil, loadJob(t, tc.edits...))
			first := h.mustRun(tick(10, 5))
			c.produce(t, b...)
			second := h.mustRun(tick(10, 10))
			if rangesOf(first.Ranges) != rangesOf(tc.wantFirst) || rangesOf(second.Ranges) != rangesOf(tc.wantSecond) {
				t.Errorf("ranges %v then %v, want %v then %v", first.Ranges, second.Ranges, tc.wantFirst, tc.wantSecond)
			}

			// The rows are exactly the records of the planned ranges, each in its window's partition.
			want := map[string]string{}
			for _, r := range append(a, b...) {
				part, off := offsetOf(string(r.Key))
				for _, w := range []*window.Report{first, second} {
					if rg, ok := w.Ranges[part]; ok && off >= rg.Start && off < rg.End {
						want[string(r.Key)] = w.Partition
					}
				}
			}
			rows := h.rows()
			exactlyOnce(t, rows, slices.Collect(maps.Keys(want)))
			for _, r := range rows {
				if r.Partition != want[r.OrderID] {
					t.Errorf("%s: want partition %s", r, want[r.OrderID])
				}
			}
			if first.Late != 0 || second.Late != 0 {
				t.Errorf("late %d and %d: offset windows have no late records", first.Late, second.Late)
			}

			if tc.wantGroup != nil {
				got, err := client.Committed(context.Background(), group, []int32{0, 1, 2})
				if err != nil {
					t.Fatal(err)
				}
				if fmt.Sprint(got) != fmt.Sprint(tc.wantGroup) {
					t.Errorf("group offsets after the windows %v, want %v", got, tc.wantGroup)
				}
			}
		})
	}
}

// TestSeekToLastCommitsWhereTheNextJobRunStarts: a new job (fresh ledger) on the same group starts
// where the previous job's windows ended, so nothing is read twice.
func TestSeekToLastCommitsWhereTheNextJobRunStarts(t *testing.T) {
	c := newCluster(t, 3)
	a, b := spread("a", 4), spread("b", 2)
	c.produce(t, a...)
	edits := append(offsetJob("seekToLast"), set("reader.groupId", "g"))
	h1 := newHarness(t, c, nil, loadJob(t, edits...))
	h1.mustRun(tick(10, 5))
	c.produce(t, b...)
	h2 := newHarness(t, c, nil, loadJob(t, append(edits, set("writer.table", "ods_orders"))...))
	rep := h2.mustRun(tick(11, 0))
	if want := map[int32]kafka.Range{0: span(4, 6), 1: span(4, 6), 2: span(4, 6)}; rangesOf(rep.Ranges) != rangesOf(want) {
		t.Errorf("second job ranges %v, want %v", rep.Ranges, want)
	}
	exactlyOnce(t, h1.rows(), ids(a))
	exactlyOnce(t, h2.rows(), ids(b))
}

// A partition added to the topic between two windows is read from its beginning by the next one.
func TestPartitionAddedBetweenWindowsIsReadFromItsStart(t *testing.T) {
	c := newCluster(t, 2)
	first := []*kgo.Record{order(0, "a", at(9, 58, 0), 1), order(1, "b", at(9, 59, 0), 2)}
	c.produce(t, first...)
	h := newHarness(t, c, nil, loadJob(t))
	if rep := h.mustRun(tick(10, 5)); len(rep.Ranges) != 2 {
		t.Fatalf("ranges %v, want partitions 0 and 1", rep.Ranges)
	}

	cl, err := kgo.NewClient(kgo.SeedBrokers(c.addrs...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	req := kmsg.NewPtrCreatePartitionsRequest()
	rt := kmsg.NewCreatePartitionsRequestTopic()
	rt.Topic, rt.Count = topic, 3
	req.Topics = append(req.Topics, rt)
	req.TimeoutMillis = 5000
	resp, err := req.RequestWith(context.Background(), cl)
	if err != nil || len(resp.Topics) != 1 || resp.Topics[0].ErrorCode != 0 {
		t.Fatalf("create partitions: %v %+v", err, resp)
	}
	second := []*kgo.Record{order(2, "c", at(10, 3, 0), 3), order(2, "d", at(10, 4, 0), 4), order(0, "e", at(10, 4, 0), 5)}
	c.produce(t, second...)

	rep := h.mustRun(tick(10, 10))
	if want := map[int32]kafka.Range{0: span(1, 2), 1: span(1, 1), 2: span(0, 2)}; rangesOf(rep.Ranges) != rangesOf(want) {
		t.Errorf("ranges after the topic grew %v, want %v", rep.Ranges, want)
	}
	exactlyOnce(t, h.rows(), append(ids(first), ids(second)...))
}

// Rerunning an older window does not move the group's committed offsets back: they report the
// job's progress, which is the newest window's end.
func TestRerunOfAnOlderWindowLeavesTheGroupOffsetsAtTheNewestEnd(t *testing.T) {
	const group = "fcsync-rerun"
	c := newCluster(t, 3)
	c.produce(t, spread("a", 4)...)
	h := newHarness(t, c, nil, loadJob(t, append(offsetJob("seekToLast"), set("reader.groupId", group))...))
	h.mustRun(tick(10, 5))
	c.produce(t, spread("b", 2)...)
	h.mustRun(tick(10, 10))
	if rep := h.mustRun(tick(10, 5)); !rep.Rerun {
		t.Fatal("rerun of 10:05 not reported as a rerun")
	}
	got, err := c.client(t, nil).Committed(context.Background(), group, []int32{0, 1, 2})
	if err != nil {
		t.Fatal(err)
	}
	if want := map[int32]int64{0: 6, 1: 6, 2: 6}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("group offsets %v after rerunning 10:05, want the 10:10 window's end %v", got, want)
	}
}
