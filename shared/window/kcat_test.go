package window_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestWindowReadsWhatKcatProduced: records produced by kcat (librdkafka), keys split off with
// -K:, are read by an offset window and land as rows with the same keys and fields.
func TestWindowReadsWhatKcatProduced(t *testing.T) {
	kcat, err := exec.LookPath("kcat")
	if err != nil {
		if os.Getenv("FCSYNC_REQUIRE_KCAT") == "1" {
			t.Fatalf("kcat is required (FCSYNC_REQUIRE_KCAT=1): %v", err)
		}
		t.Skip("kcat is not installed")
	}
	c := newCluster(t, 3)
	type line struct {
		key, id, note string
		amount        int64
	}
	var lines []line
	var input strings.Builder
	for i := range 40 {
		l := line{key: fmt.Sprintf("k%02d", i), id: fmt.Sprintf("kc-%02d", i), amount: int64(i * 7), note: fmt.Sprintf("kcat line %d: ünïcode", i)}
		lines = append(lines, l)
		fmt.Fprintf(&input, "%s:{\"order_id\":%q,\"amount\":%d,\"note\":%q}\n", l.key, l.id, l.amount, l.note)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, kcat, "-P", "-b", strings.Join(c.addrs, ","), "-t", topic, "-K:", "-X", "acks=all")
	cmd.Stdin = strings.NewReader(input.String())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("kcat -P: %v\n%s", err, out)
	}

	h := newHarness(t, c, nil, loadJob(t, offsetJob("seekToBeginning")...))
	rep := h.mustRun(tick(10, 5))
	if rep.Read != int64(len(lines)) || rep.Written != int64(len(lines)) || rep.Dirty != 0 {
		t.Errorf("read %d written %d dirty %d, want %d, %d, 0", rep.Read, rep.Written, rep.Dirty, len(lines), len(lines))
	}
	rows := h.rows()
	got := map[string]row{}
	for _, r := range rows {
		got[r.Key] = r
	}
	if len(got) != len(lines) || len(rows) != len(lines) {
		t.Errorf("%d rows with %d distinct keys, want %d", len(rows), len(got), len(lines))
	}
	for _, l := range lines {
		r, ok := got[l.key]
		switch {
		case !ok:
			t.Errorf("key %s: no row", l.key)
		case r.OrderID != l.id || r.Amount != l.amount || r.Note != l.note || r.Partition != partitionOf(tick(10, 5)):
			t.Errorf("key %s: row %s, want id %s amount %d note %q", l.key, r, l.id, l.amount, l.note)
		}
	}
}
