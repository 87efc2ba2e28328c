package alert

import (
	"strings"
	"testing"

	"github.com/fcsync/fcsync/shared/runlog"
)

// TestStoppedRuleFiresOnTheFirstRunThatStoppedTheStream: a stream job whose run failed with error
// class "stopped" (dynamic-column policy error, DataWorks' Report Error) raises the rule at once,
// reminds while the stream stays stopped (retries fail the same way), and recovers when a run
// goes through. A failure of another kind does not fire it.
func TestStoppedRuleFiresOnTheFirstRunThatStoppedTheStream(t *testing.T) {
	cfg, err := ParseConfig([]byte("rules:\n  - {name: stopped, job: \"*\", metric: stopped, threshold: 0, severity: CRITICAL}\n"))
	if err != nil {
		t.Fatal(err)
	}
	stopped := func(min int) runlog.Record {
		r := run("orders_rt", min, runlog.Failed)
		r.Function, r.ErrorClass, r.Error = "stream", runlog.ClassStopped, "job orders_rt: stopped at record orders/0@7, field coupon"
		return r
	}
	other := run("orders_rt", 1, runlog.Failed)
	other.Function, other.Error = "stream", "lake: 503"
	recs := []runlog.Record{other, run("orders_rt", 2, runlog.Succeeded), stopped(3), stopped(6), stopped(9), run("orders_rt", 12, runlog.Succeeded)}
	ns := evaluateEachMinute(cfg.Rules, recs, 14)
	if got, want := trace(ns), "3:firing:orders_rt 8:firing:repeat:orders_rt 12:resolved:orders_rt"; got != want {
		t.Fatalf("notices %q, want %q", got, want)
	}
	if ns[0].Severity != Critical || !strings.Contains(ns[0].Summary(), "stream stopped") {
		t.Errorf("notice %+v: %s", ns[0], ns[0].Summary())
	}
}
