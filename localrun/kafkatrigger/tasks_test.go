package kafkatrigger

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/fcsync/fcsync/shared/trigger"
)

// labels returns the deliveries' batches as "partition:offset" words.
func labels(ds []delivery) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.label())
	}
	return out
}

// byTask groups deliveries by the consumer task of their first record, tasks being dealt
// partitions in turn (partition p to task p mod tasks on a topic of partitions 0..n-1).
func byTask(ds []delivery, tasks int) map[int][]string {
	out := map[int][]string{}
	for _, d := range ds {
		task := int(d.partition) % tasks
		out[task] = append(out[task], d.label())
	}
	return out
}

func TestConsumerTasksFillEachBatchFromAllTheirPartitionsInTurn(t *testing.T) {
	tests := []struct {
		name     string
		produced []int // records per partition
		tasks    int
		count    int
		window   time.Duration
		want     map[int][]string // per task, the batches in order
	}{
		{
			name: "one task over three partitions of unequal length, count window", produced: []int{10, 7, 4}, tasks: 1, count: 6, window: 15 * time.Second,
			want: map[int][]string{0: {
				"0:0 0:1 1:0 1:1 2:0 2:1",
				"0:2 0:3 1:2 1:3 2:2 2:3",
				"0:4 0:5 1:4 1:5 0:6 0:7", // partition 2 is done: the others fill its share
				"1:6 0:8 0:9",
			}},
		},
		{
			name: "one task over three partitions, no time window", produced: []int{10, 7, 4}, tasks: 1, count: 6, window: 0,
			want: map[int][]string{0: {
				"0:0 0:1 1:0 1:1 2:0 2:1",
				"0:2 0:3 1:2 1:3 2:2 2:3",
				"0:4 0:5 1:4 1:5 0:6 0:7",
				"1:6 0:8 0:9",
			}},
		},
		{
			name: "two tasks over four partitions", produced: []int{5, 5, 5, 5}, tasks: 2, count: 4, window: 15 * time.Second,
			want: map[int][]string{
				0: {"0:0 0:1 2:0 2:1", "0:2 0:3 2:2 2:3", "0:4 2:4"},
				1: {"1:0 1:1 3:0 3:1", "1:2 1:3 3:2 3:3", "1:4 3:4"},
			},
		},
		{
			name: "an uneven share rounds up", produced: []int{4, 4, 4}, tasks: 1, count: 4, window: 15 * time.Second,
			want: map[int][]string{0: {
				"0:0 0:1 1:0 1:1",
				"2:0 2:1 0:2 0:3",
				"1:2 1:3 2:2 2:3",
			}},
		},
		{
			name: "more tasks than partitions keep partitions apart", produced: []int{3, 3}, tasks: 5, count: 2, window: 15 * time.Second,
			want: map[int][]string{0: {"0:0 0:1", "0:2"}, 1: {"1:0 1:1", "1:2"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCluster(t, int32(len(tt.produced)))
			for p, n := range tt.produced {
				produce(t, c, int32(p), 0, n)
			}
			cl := dial(t, c)
			rec := &recorder{mixed: true}
			tr := newTrigger(t, cl, "g", rec, WithBatch(tt.count, tt.window), WithConsumerTasks(tt.tasks))
			if err := tr.Drain(t.Context()); err != nil {
				t.Fatal(err)
			}
			rec.check(t)
			got := byTask(rec.succeeded(), min(tt.tasks, len(tt.produced)))
			if !maps.EqualFunc(got, tt.want, slices.Equal) {
				t.Errorf("batches per task:\n%v\nwant\n%v", got, tt.want)
			}
			st := tr.Stats()
			var parts []int32
			for p, n := range tt.produced {
				part := int32(p)
				parts = append(parts, part)
				if got := rec.offsetsIn(part); !slices.Equal(got, span(0, int64(n))) {
					t.Errorf("partition %d: delivered %v, want 0..%d once each in order", p, got, n-1)
				}
				ps := st.Partitions[part]
				if want := p % tt.tasks; ps.Task != want || ps.Records != int64(n) || ps.Next != int64(n) || ps.Stopped != "" {
					t.Errorf("partition %d stats %+v, want task %d, %d records, next %d", p, ps, want, n, n)
				}
			}
			for p, off := range committed(t, cl, "g", parts...) {
				if off != int64(tt.produced[p]) {
					t.Errorf("partition %d committed %d, want %d (its high watermark)", p, off, tt.produced[p])
				}
			}
			lag, err := tr.Lag(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			for p, n := range lag {
				if n != 0 {
					t.Errorf("partition %d lags %d after a drain", p, n)
				}
			}
		})
	}
}

func TestConsumerTasksMixedBatchesDecodeInEveryShape(t *testing.T) {
	c := newCluster(t, 2)
	produced := map[int32][]*kgo.Record{0: produce(t, c, 0, 0, 12), 1: produce(t, c, 1, 0, 12)}
	cl := dial(t, c)
	binary := []trigger.KafkaOption{trigger.WithValueFormat(trigger.FormatBinary), trigger.WithKeyFormat(trigger.FormatBinary)}
	rec := &recorder{opts: binary, mixed: true}
	shapes := trigger.KafkaShapes
	tr := newTrigger(t, cl, "g", rec, WithBatch(4, 0), WithShapes(shapes...), WithEncoding(binary...), WithConsumerTasks(1))
	if err := tr.Drain(t.Context()); err != nil {
		t.Fatal(err)
	}
	rec.check(t)
	ds := rec.succeeded()
	if len(ds) != 6 {
		t.Fatalf("%d batches %v, want 6 of 4 records", len(ds), labels(ds))
	}
	for i, d := range ds {
		if want := shapes[i%len(shapes)]; d.shape != want {
			t.Errorf("batch %d came as %s, want %s", i, d.shape, want)
		}
		if len(d.parts[0]) != 2 || len(d.parts[1]) != 2 {
			t.Errorf("batch %d (%s) = %s: want two records of each partition", i, d.shape, d.label())
		}
		for _, got := range d.recs {
			checkSameRecord(t, got, produced[got.Partition][got.Offset])
		}
	}
	for p := range int32(2) {
		if got := rec.offsetsIn(p); !slices.Equal(got, span(0, 12)) {
			t.Errorf("partition %d: delivered %v, want 0..11", p, got)
		}
	}
}

func TestConsumerTasksCommitsLetAnyRestartResumeWithNothingLostOrRepeated(t *testing.T) {
	tests := []struct {
		name          string
		first, second int // consumer tasks of the two triggers (0: one per partition)
	}{
		{"same single task", 1, 1},
		{"one task, then two", 1, 2},
		{"two tasks, then one per partition", 2, 0},
		{"one per partition, then one task", 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCluster(t, 3)
			produce(t, c, 0, 0, 9)
			produce(t, c, 1, 0, 5)
			produce(t, c, 2, 0, 2)
			cl := dial(t, c)
			first := &recorder{mixed: true}
			if err := newTrigger(t, cl, "g", first, WithBatch(4, 0), WithConsumerTasks(tt.first)).Drain(t.Context()); err != nil {
				t.Fatal(err)
			}
			produce(t, c, 0, 9, 3)
			produce(t, c, 2, 2, 6)
			second := &recorder{mixed: true}
			tr := newTrigger(t, cl, "g", second, WithBatch(4, 0), WithConsumerTasks(tt.second))
			lag, err := tr.Lag(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if want := map[int32]int64{0: 3, 1: 0, 2: 6}; !maps.Equal(lag, want) {
				t.Errorf("lag before the restart %v, want %v", lag, want)
			}
			if err := tr.Drain(t.Context()); err != nil {
				t.Fatal(err)
			}
			first.check(t)
			second.check(t)
			for p, want := range map[int32][2][]int64{
				0: {span(0, 9), span(9, 12)},
				1: {span(0, 5), nil},
				2: {span(0, 2), span(2, 8)},
			} {
				if got := first.offsetsIn(p); !slices.Equal(got, want[0]) {
					t.Errorf("partition %d: the first trigger delivered %v, want %v", p, got, want[0])
				}
				if got := second.offsetsIn(p); !slices.Equal(got, want[1]) {
					t.Errorf("partition %d: the restarted trigger delivered %v, want %v", p, got, want[1])
				}
			}
			if got := committed(t, cl, "g", 0, 1, 2); !maps.Equal(got, map[int32]int64{0: 12, 1: 5, 2: 8}) {
				t.Errorf("committed %v, want 12, 5, 8", got)
			}
		})
	}
}

func TestConsumerTasksToleranceNoneStopsTheWholeTaskAndARestartRedeliversItsBatch(t *testing.T) {
	_, cl := filledCluster(t, 4, 8)
	// Two tasks: 0 owns partitions 0 and 2, 1 owns 1 and 3. Task 0's third batch fails.
	broken := &recorder{mixed: true, fail: func(d delivery) error {
		if slices.Contains(d.parts[0], 4) {
			return errors.New("function rejects the batch")
		}
		return nil
	}}
	tr := newTrigger(t, cl, "g", broken, WithBatch(4, 0), WithConsumerTasks(2), WithRetry(RetryPolicy{MaxAttempts: 2}))
	err := tr.Drain(t.Context())
	var berr *BatchError
	if !errors.As(err, &berr) {
		t.Fatalf("Drain = %v, want a BatchError", err)
	}
	wantRanges := []OffsetRange{{Partition: 0, First: 4, Last: 5, Records: 2}, {Partition: 2, First: 4, Last: 5, Records: 2}}
	if !slices.Equal(berr.Ranges, wantRanges) || berr.Partition != 0 || berr.FirstOffset != 4 || berr.LastOffset != 5 || berr.Records != 4 || berr.Attempts != 2 {
		t.Errorf("batch error %+v, want partitions 0 and 2 at offsets 4..5 after 2 attempts", berr)
	}
	if msg := err.Error(); !strings.Contains(msg, "partitions 0 offsets 4..5, 2 offsets 4..5 (4 records)") || !strings.Contains(msg, "function rejects the batch") {
		t.Errorf("error %q does not name both partitions' offsets and the cause", msg)
	}
	for p, want := range map[int32][]int64{0: span(0, 4), 2: span(0, 4), 1: span(0, 8), 3: span(0, 8)} {
		if got := broken.offsetsIn(p); !slices.Equal(got, want) {
			t.Errorf("partition %d delivered %v, want %v (only task 0 stops)", p, got, want)
		}
	}
	st := tr.Stats()
	for p, stopped := range map[int32]bool{0: true, 2: true, 1: false, 3: false} {
		if got := st.Partitions[p].Stopped != ""; got != stopped {
			t.Errorf("partition %d stopped: %v (%q), want %v", p, got, st.Partitions[p].Stopped, stopped)
		}
	}
	if st.Failures != 1 {
		t.Errorf("stats %+v, want 1 failure", st)
	}
	if got := committed(t, cl, "g", 0, 1, 2, 3); !maps.Equal(got, map[int32]int64{0: 4, 2: 4, 1: 8, 3: 8}) {
		t.Errorf("committed %v, want 4 before the failed batch on partitions 0 and 2, 8 on the others", got)
	}

	fixed := &recorder{mixed: true}
	if err := newTrigger(t, cl, "g", fixed, WithBatch(4, 0), WithConsumerTasks(2)).Drain(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got, want := labels(fixed.succeeded()), []string{"0:4 0:5 2:4 2:5", "0:6 0:7 2:6 2:7"}; !slices.Equal(got, want) {
		t.Errorf("after a restart delivered %v, want the failed batch again, then the rest: %v", got, want)
	}
}

func TestConsumerTasksToleranceAllDeadLettersAMixedBatch(t *testing.T) {
	c := newCluster(t, 2)
	produce(t, c, 0, 0, 6)
	produce(t, c, 1, 0, 6)
	cl := dial(t, c)
	rec := &recorder{mixed: true, fail: func(d delivery) error {
		if d.label() == "0:2 0:3 1:2 1:3" {
			return errors.New("poison batch")
		}
		return nil
	}}
	var dl bytes.Buffer
	tr := newTrigger(t, cl, "g", rec, WithBatch(4, 0), WithConsumerTasks(1), WithErrorsTolerance(ToleranceAll), WithDeadLetter(&dl), WithRetry(RetryPolicy{MaxAttempts: 3}))
	if err := tr.Drain(t.Context()); err != nil {
		t.Fatalf("Drain under ALL = %v, want nil", err)
	}
	rec.check(t)
	if got, want := labels(rec.succeeded()), []string{"0:0 0:1 1:0 1:1", "0:4 0:5 1:4 1:5"}; !slices.Equal(got, want) {
		t.Errorf("delivered %v, want %v (the poison batch skipped)", got, want)
	}
	if st := tr.Stats(); st.Failures != 1 || st.Skipped != 4 || st.Records != 8 || st.Invocations != 1+3+1 {
		t.Errorf("stats %+v, want 1 failure, 4 skipped, 8 records, 5 invocations", st)
	}
	if got := committed(t, cl, "g", 0, 1); !maps.Equal(got, map[int32]int64{0: 6, 1: 6}) {
		t.Errorf("committed %v, want 6 and 6 (past the skipped batch)", got)
	}
	lines := strings.Split(strings.TrimSpace(dl.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("dead letters %q, want one line", dl.String())
	}
	var line deadLetterLine
	if err := json.Unmarshal([]byte(lines[0]), &line); err != nil {
		t.Fatal(err)
	}
	wantParts := []deadLetterRange{{Partition: 0, FirstOffset: 2, LastOffset: 3, Records: 2}, {Partition: 1, FirstOffset: 2, LastOffset: 3, Records: 2}}
	if !slices.Equal(line.Partitions, wantParts) || line.Partition != 0 || line.FirstOffset != 2 || line.LastOffset != 3 || line.Records != 4 || line.Attempts != 3 || line.Error != "poison batch" {
		t.Errorf("dead letter %+v, want both partitions at offsets 2..3", line)
	}
	recs, err := trigger.DecodeKafka(line.Payload)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range recs {
		got = append(got, fmt.Sprintf("%d:%d", r.Partition, r.Offset))
	}
	if strings.Join(got, " ") != "0:2 0:3 1:2 1:3" {
		t.Errorf("dead-lettered payload holds %v, want the mixed batch", got)
	}
}

func TestConsumerTasksDuplicatesAndAckLossRepeatWholeMixedBatches(t *testing.T) {
	const b1, b2, b3 = "0:0 0:1 1:0 1:1", "0:2 0:3 1:2 1:3", "0:4 0:5 1:4 1:5"
	tests := []struct {
		name       string
		opt        Option
		want       []string
		commitSeen []string // what the group had committed when each delivery arrived
		stats      func(Stats) bool
	}{
		{
			name: "every second batch twice", opt: WithDuplicateEvery(2),
			want:       []string{b1, b2, b2, b3},
			commitSeen: []string{"0 0", "2 2", "2 2", "4 4"},
			stats:      func(s Stats) bool { return s.Duplicates == 1 && s.Records == 12 && s.Redelivered == 0 },
		},
		{
			name: "every second acknowledgement lost", opt: WithAckLossEvery(2),
			want: []string{b1, b2, b2, b3, b3},
			// A lost acknowledgement leaves both partitions' offsets before the batch.
			commitSeen: []string{"0 0", "2 2", "2 2", "4 4", "4 4"},
			stats:      func(s Stats) bool { return s.AckLosses == 2 && s.Records == 12 && s.Redelivered == 8 },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCluster(t, 2)
			produce(t, c, 0, 0, 6)
			produce(t, c, 1, 0, 6)
			cl := dial(t, c)
			var seen []string
			rec := &recorder{mixed: true, fail: func(d delivery) error {
				got := committed(t, cl, "g", 0, 1)
				seen = append(seen, fmt.Sprintf("%d %d", got[0], got[1]))
				return nil
			}}
			tr := newTrigger(t, cl, "g", rec, WithBatch(4, 15*time.Second), WithConsumerTasks(1), tt.opt)
			if err := tr.Drain(t.Context()); err != nil {
				t.Fatal(err)
			}
			rec.check(t)
			if got := labels(rec.succeeded()); !slices.Equal(got, tt.want) {
				t.Errorf("deliveries %v, want %v", got, tt.want)
			}
			if !slices.Equal(seen, tt.commitSeen) {
				t.Errorf("committed offsets seen at each delivery %v, want %v", seen, tt.commitSeen)
			}
			if st := tr.Stats(); !tt.stats(st) || st.Partitions[0].Records != 6 || st.Partitions[1].Records != 6 {
				t.Errorf("stats %+v", st)
			}
			if got := committed(t, cl, "g", 0, 1); !maps.Equal(got, map[int32]int64{0: 6, 1: 6}) {
				t.Errorf("committed %v, want 6 and 6", got)
			}
		})
	}
}

func TestConsumerTasksSplitAnOversizedMixedBatchKeepingItsOrder(t *testing.T) {
	_, cl := filledCluster(t, 3, 10)
	const limit = 2500
	var sizes []int
	rec := &recorder{mixed: true}
	inv := InvokerFunc(func(ctx context.Context, payload []byte) error {
		sizes = append(sizes, len(payload))
		return rec.Invoke(ctx, payload)
	})
	tr := newTrigger(t, cl, "g", inv, WithBatch(15, 15*time.Second), WithConsumerTasks(1), WithMaxPayloadBytes(limit))
	if err := tr.Drain(t.Context()); err != nil {
		t.Fatal(err)
	}
	rec.check(t)
	for _, n := range sizes {
		if n > limit {
			t.Errorf("payload of %d bytes over the %d limit", n, limit)
		}
	}
	// Two batches of 15, five records of each partition, split into parts delivered in
	// the batch's order.
	var words []string
	for _, d := range rec.succeeded() {
		words = append(words, d.labels...)
	}
	var want []string
	for _, from := range []int{0, 5} {
		for p := range 3 {
			for o := from; o < from+5; o++ {
				want = append(want, fmt.Sprintf("%d:%d", p, o))
			}
		}
	}
	if !slices.Equal(words, want) {
		t.Errorf("the parts delivered\n%v\nwant the batches' records in order\n%v", words, want)
	}
	mixedParts := 0
	for _, d := range rec.succeeded() {
		if len(d.parts) > 1 {
			mixedParts++
		}
	}
	if st := tr.Stats(); st.Splits == 0 || st.Batches != st.Splits+2 || len(sizes) != int(st.Batches) || mixedParts == 0 {
		t.Errorf("stats %+v with %d payloads, %d of them mixed: want both batches split, some parts mixed", st, len(sizes), mixedParts)
	}
}

func TestConsumerTasksRunDeliversEveryPartitionsRecordsAsTheyArrive(t *testing.T) {
	c := newCluster(t, 3)
	cl := dial(t, c)
	all := make(chan struct{})
	n := 0
	rec := &recorder{mixed: true}
	rec.fail = func(d delivery) error { // under rec's lock
		if n += len(d.offsets); n == 21 {
			close(all)
		}
		return nil
	}
	tr := newTrigger(t, cl, "g", rec, WithBatch(5, 0), WithConsumerTasks(1))
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- tr.Run(ctx) }()
	for p := range int32(3) {
		produce(t, c, p, 0, 4)
	}
	for p := range int32(3) {
		produce(t, c, p, 4, 3)
	}
	select {
	case <-all:
	case err := <-done:
		t.Fatalf("Run ended early: %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v, want nil after cancel", err)
	}
	rec.check(t)
	for p := range int32(3) {
		if got := rec.offsetsIn(p); !slices.Equal(got, span(0, 7)) {
			t.Errorf("partition %d: delivered %v, want 0..6 once each in order", p, got)
		}
	}
	if got := committed(t, cl, "g", 0, 1, 2); !maps.Equal(got, map[int32]int64{0: 7, 1: 7, 2: 7}) {
		t.Errorf("committed %v, want 7 each", got)
	}
}

func TestConsumerTasksInvokeOneBatchAtATimeEach(t *testing.T) {
	_, cl := filledCluster(t, 4, 6)
	var inFlight [2]atomic.Int64
	var mu sync.Mutex
	most := [2]int64{}
	rec := &recorder{mixed: true}
	inv := InvokerFunc(func(ctx context.Context, payload []byte) error {
		recs, err := trigger.DecodeKafka(payload)
		if err != nil {
			return err
		}
		task := recs[0].Partition % 2
		n := inFlight[task].Add(1)
		defer inFlight[task].Add(-1)
		mu.Lock()
		most[task] = max(most[task], n)
		mu.Unlock()
		time.Sleep(5 * time.Millisecond) // give a task's next batch the chance to overlap (it must not)
		return rec.Invoke(ctx, payload)
	})
	tr := newTrigger(t, cl, "g", inv, WithBatch(2, 0), WithConsumerTasks(2))
	if err := tr.Drain(t.Context()); err != nil {
		t.Fatal(err)
	}
	rec.check(t)
	if most != [2]int64{1, 1} {
		t.Errorf("most invocations in flight per task %v, want 1 each", most)
	}
	for p := range int32(4) {
		if got := rec.offsetsIn(p); !slices.Equal(got, span(0, 6)) {
			t.Errorf("partition %d delivered %v", p, got)
		}
	}
}

func TestConsumerTasksInterruptedDrainNamesEveryPartitionsOffsetAndARestartRedelivers(t *testing.T) {
	c := newCluster(t, 2)
	produce(t, c, 0, 0, 6)
	produce(t, c, 1, 0, 6)
	cl := dial(t, c)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	rec := &recorder{mixed: true, fail: func(d delivery) error {
		if d.parts[0][0] == 2 { // the second batch: the drain is cut off while it is in flight
			cancel()
			return errors.New("cut off")
		}
		return nil
	}}
	err := newTrigger(t, cl, "g", rec, WithBatch(4, 0), WithConsumerTasks(1)).Drain(ctx)
	if err == nil || !strings.Contains(err.Error(), "task 0 (partitions 0, 1): drain interrupted at offsets 0:2, 1:2") {
		t.Fatalf("Drain = %v, want an interruption naming both partitions' offsets", err)
	}
	if got := committed(t, cl, "g", 0, 1); !maps.Equal(got, map[int32]int64{0: 2, 1: 2}) {
		t.Errorf("committed %v, want 2 and 2 (the first batch only)", got)
	}
	again := &recorder{mixed: true}
	if err := newTrigger(t, cl, "g", again, WithBatch(4, 0), WithConsumerTasks(1)).Drain(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got, want := labels(again.succeeded()), []string{"0:2 0:3 1:2 1:3", "0:4 0:5 1:4 1:5"}; !slices.Equal(got, want) {
		t.Errorf("after a restart delivered %v, want %v", got, want)
	}
}
