package window_test

import (
	"fmt"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
)

// TestSkipExceedRecordDecidesWhichWindowWritesRecordsPastTheEnd: the records stamped after the
// 10:05 window's end (10:02) but already in Kafka when it is scheduled are written with it, into
// ds=202211220957, only with skipExceedRecord: false (DataWorks writes what its last poll fetched);
// with true, or without the key, the window ends exactly at its end time and the 10:10 window
// writes them. Either way the two windows meet at one offset and every record is written once.
func TestSkipExceedRecordDecidesWhichWindowWritesRecordsPastTheEnd(t *testing.T) {
	cases := []struct {
		name    string
		setting any // nil: the key is absent
		ranges  string
		parts   map[string]string
	}{
		{"false includes them", false, "map[0:{0 4}] map[0:{4 5}]",
			map[string]string{"a": "ds=202211220957", "b": "ds=202211220957", "c": "ds=202211220957", "d": "ds=202211220957", "e": "ds=202211221002"}},
		{"false as DataWorks writes it", "false", "map[0:{0 4}] map[0:{4 5}]",
			map[string]string{"a": "ds=202211220957", "b": "ds=202211220957", "c": "ds=202211220957", "d": "ds=202211220957", "e": "ds=202211221002"}},
		{"true leaves them to the next window", true, "map[0:{0 2}] map[0:{2 5}]",
			map[string]string{"a": "ds=202211220957", "b": "ds=202211220957", "c": "ds=202211221002", "d": "ds=202211221002", "e": "ds=202211221002"}},
		{"absent is true", nil, "map[0:{0 2}] map[0:{2 5}]",
			map[string]string{"a": "ds=202211220957", "b": "ds=202211220957", "c": "ds=202211221002", "d": "ds=202211221002", "e": "ds=202211221002"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newCluster(t, 1)
			recs := []*kgo.Record{
				order(0, "a", at(9, 58, 0), 1), order(0, "b", at(10, 1, 0), 2), // in [09:57, 10:02)
				order(0, "c", at(10, 3, 0), 3), order(0, "d", at(10, 4, 30), 4), // past the end, before the 10:05 tick
				order(0, "e", at(10, 6, 0), 5), // after the tick
			}
			c.produce(t, recs...)
			var edits []edit
			if tc.setting != nil {
				edits = append(edits, set("reader.skipExceedRecord", tc.setting))
			}
			h := newHarness(t, c, nil, loadJob(t, edits...))
			r5, r10 := h.mustRun(tick(10, 5)), h.mustRun(tick(10, 10))
			if got := fmt.Sprint(r5.Ranges) + " " + fmt.Sprint(r10.Ranges); got != tc.ranges {
				t.Errorf("ranges of 10:05 and 10:10: %s, want %s", got, tc.ranges)
			}
			if r5.Late+r10.Late != 0 {
				t.Errorf("late records %d + %d, want none", r5.Late, r10.Late)
			}
			rows := h.rows()
			exactlyOnce(t, rows, ids(recs))
			parts := byPartition(rows)
			for id, want := range tc.parts {
				if parts[id] != want {
					t.Errorf("order %s in %s, want %s", id, parts[id], want)
				}
			}
			// A rerun reads the range the ledger fixed: the same contents.
			if again := h.mustRun(tick(10, 5)); fmt.Sprint(again.Ranges) != fmt.Sprint(r5.Ranges) || fmt.Sprint(h.rows()) != fmt.Sprint(rows) {
				t.Errorf("rerun of 10:05 changed the window: %v", again.Ranges)
			}
		})
	}
}
