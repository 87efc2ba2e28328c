package handler_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/fcsync/fcsync/functions/batch/handler"
	"github.com/fcsync/fcsync/functions/platform"
	"github.com/fcsync/fcsync/shared/window"
)

// retryJob is an hourly job into the local warehouse with the job's retry setting; a value that
// is not JSON is dirty data, and errorLimit allows none.
const retryJob = `name: retried
schedule: "0 5 * * * *"
parameters: startTime=$[yyyymmddhh24-1/24]0000 endTime=$[yyyymmddhh24]0000 partition=$[yyyymmddhh24]
retry: {attempts: 3, interval: 2m}
reader:
  type: kafka
  datasource: shop_kafka
  topic: orders
  column: [__key__, order_id]
  beginDateTime: ${startTime}
  endDateTime: ${endTime}
writer:
  type: odps
  table: orders_hourly
  partition: ds=${partition}
  column: [k, order_id]
setting:
  errorLimit: {record: 0}
`

// newRetryHandler starts a broker holding one record at 09:30 in the job's zone (value given),
// and a handler over a jobs directory with retryJob. env adds to the function's environment.
func newRetryHandler(t *testing.T, value string, env map[string]string) (*handler.Handler, *[]time.Duration) {
	t.Helper()
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "orders"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cluster.Close)
	cl, err := kgo.NewClient(kgo.SeedBrokers(cluster.ListenAddrs()...), kgo.RequiredAcks(kgo.AllISRAcks()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ts := time.Date(2022, 11, 22, 9, 30, 0, 0, shanghai)
	if err := cl.ProduceSync(context.Background(), &kgo.Record{Topic: "orders", Key: []byte("o-1"), Value: []byte(value), Timestamp: ts}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "retried.yaml"), []byte(retryJob), 0o644); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{
		"FCSYNC_JOBS":        dir,
		"FCSYNC_STATE":       filepath.Join(dir, "state"),
		"FCSYNC_WAREHOUSE":   filepath.Join(dir, "wh"),
		"FCSYNC_DATASOURCES": `{"shop_kafka":{"server":"` + cluster.ListenAddrs()[0] + `"}}`,
	}
	for k, v := range env {
		vars[k] = v
	}
	cfg, err := handler.ConfigFromEnv(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	h := handler.New(cfg, nil)
	var waits []time.Duration
	h.Sleep = func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }
	return h, &waits
}

// timerEvent is the FC timer event of the 10:05 (Asia/Shanghai) tick.
const timerEvent = `{"triggerTime":"2022-11-22T02:05:00Z","triggerName":"hourly","payload":"retried"}`

// TestFailedWindowIsRerunAsTheJobsRetrySays: a transient failure is rerun inside the invocation
// retry.interval apart, up to retry.attempts times; dirty data over errorLimit is permanent and
// fails at once; with too little time left before the deadline the error goes back to FC.
func TestFailedWindowIsRerunAsTheJobsRetrySays(t *testing.T) {
	t.Run("transient failures are rerun 2m apart", func(t *testing.T) {
		h, waits := newRetryHandler(t, `{"order_id":"o-1"}`, nil)
		fails := 2
		h.Hooks = &window.Hooks{AfterPlan: func() error {
			if fails > 0 {
				fails--
				return errors.New("injected: the sink is unreachable")
			}
			return nil
		}}
		res, err := h.Invoke(context.Background(), []byte(timerEvent), platform.Credentials{})
		if err != nil || res.Status != "succeeded" || res.Report.Written != 1 {
			t.Fatalf("result %+v, %v; want the third attempt to succeed", res, err)
		}
		if len(*waits) != 2 || (*waits)[0] != 2*time.Minute || (*waits)[1] != 2*time.Minute {
			t.Errorf("waits %v, want two of 2m", *waits)
		}
	})
	t.Run("attempts are bounded", func(t *testing.T) {
		h, waits := newRetryHandler(t, `{"order_id":"o-1"}`, nil)
		runs := 0
		h.Hooks = &window.Hooks{AfterPlan: func() error { runs++; return errors.New("injected: always down") }}
		if _, err := h.Invoke(context.Background(), []byte(timerEvent), platform.Credentials{}); err == nil {
			t.Fatal("succeeded")
		}
		if runs != 4 || len(*waits) != 3 {
			t.Errorf("%d runs and %d waits, want 4 (1 + retry.attempts 3) and 3", runs, len(*waits))
		}
	})
	t.Run("errorLimit is permanent", func(t *testing.T) {
		h, waits := newRetryHandler(t, `not json`, nil)
		_, err := h.Invoke(context.Background(), []byte(timerEvent), platform.Credentials{})
		var limit *window.ErrorLimitError
		if !errors.As(err, &limit) || !window.Permanent(err) {
			t.Fatalf("error %v, want a permanent errorLimit failure", err)
		}
		if len(*waits) != 0 {
			t.Errorf("waits %v: an errorLimit failure was rerun", *waits)
		}
	})
	t.Run("no rerun without time for it", func(t *testing.T) {
		h, waits := newRetryHandler(t, `{"order_id":"o-1"}`, nil)
		h.Hooks = &window.Hooks{AfterPlan: func() error { return errors.New("injected: down") }}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, err := h.Invoke(ctx, []byte(timerEvent), platform.Credentials{})
		if err == nil || !strings.Contains(err.Error(), "injected") || len(*waits) != 0 {
			t.Errorf("error %v, waits %v; want the first failure back, no wait", err, *waits)
		}
	})
}

// TestJobsWithoutTimezoneRunInTheFunctionRegionsZone: FC_REGION decides the zone of a job that
// names none (eu-central-1 is Frankfurt); an unknown or missing region falls back to Asia/Shanghai
// (job.RegionZone says why, and the handler logs it).
func TestJobsWithoutTimezoneRunInTheFunctionRegionsZone(t *testing.T) {
	cases := []struct{ region, want string }{
		{"eu-central-1", "Europe/Berlin"},
		{"ap-southeast-1", "Asia/Singapore"},
		{"us-west-1", "America/Los_Angeles"},
		{"cn-hangzhou", "Asia/Shanghai"},
		{"xx-moon-1", "Asia/Shanghai"},
		{"", "Asia/Shanghai"},
	}
	for _, tc := range cases {
		t.Run(tc.region, func(t *testing.T) {
			h, _ := newRetryHandler(t, `{"order_id":"o-1"}`, map[string]string{"FC_REGION": tc.region})
			spec, err := h.LoadJob("retried")
			if err != nil {
				t.Fatal(err)
			}
			if spec.Location.String() != tc.want {
				t.Errorf("job zone %s, want %s", spec.Location, tc.want)
			}
		})
	}
}
