package kafkatrigger

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/fcsync/fcsync/localrun/fcruntime"
	"github.com/fcsync/fcsync/shared/trigger"
)

// fakeFunction plays a function process against the emulated runtime API, as the FC Go
// SDK does: it long-polls /next and answers each event through /response or /error.
type fakeFunction struct {
	addr   string
	handle func(payload []byte, retryCount int) error

	mu   sync.Mutex
	seen []int // retry counts, in order
}

func (f *fakeFunction) serve(ctx context.Context) error {
	base := "http://" + f.addr + "/2020-11-11/runtime/invocation/"
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"next", nil)
		if err != nil {
			return err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		payload, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET /next: status %d: %v", resp.StatusCode, err)
		}
		id := resp.Header.Get("x-fc-request-id")
		retry, err := strconv.Atoi(resp.Header.Get("x-fc-retry-count"))
		if err != nil {
			return fmt.Errorf("x-fc-retry-count %q: %v", resp.Header.Get("x-fc-retry-count"), err)
		}
		f.mu.Lock()
		f.seen = append(f.seen, retry)
		f.mu.Unlock()
		kind, body := "response", []byte(`"ok"`)
		if herr := f.handle(payload, retry); herr != nil {
			kind, body = "error", fmt.Appendf(nil, `{"errorMessage":%q,"errorType":"Rejected"}`, herr.Error())
		}
		ans, err := http.Post(base+id+"/"+kind, "application/json", bytes.NewReader(body))
		if err != nil {
			return err
		}
		ans.Body.Close()
	}
}

func TestFCRuntimeInvokerDrivesAFunctionThroughTheRuntimeAPI(t *testing.T) {
	rt, err := fcruntime.Start(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close() })

	c := newCluster(t, 1)
	produce(t, c, 0, 0, 6)
	cl := dial(t, c)

	var mu sync.Mutex
	var offsets []int64
	fn := &fakeFunction{addr: rt.Addr(), handle: func(payload []byte, retryCount int) error {
		recs, err := trigger.DecodeKafka(payload)
		if err != nil {
			return err
		}
		if recs[0].Offset == 3 && retryCount == 0 {
			return errors.New("first attempt of the second batch fails")
		}
		mu.Lock()
		defer mu.Unlock()
		for _, r := range recs {
			offsets = append(offsets, r.Offset)
		}
		return nil
	}}
	ctx, stop := context.WithCancel(t.Context())
	served := make(chan error, 1)
	go func() { served <- fn.serve(ctx) }()

	tr := newTrigger(t, cl, "g", FCRuntime(rt, fcruntime.InvokeOptions{FunctionName: "stream"}), WithBatch(3, 0), WithRetry(RetryPolicy{MaxAttempts: 2}))
	err = tr.Drain(t.Context())
	stop()
	if err != nil {
		t.Fatal(err)
	}
	if err := <-served; err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(offsets, span(0, 6)) {
		t.Errorf("the function accepted offsets %v, want 0..5", offsets)
	}
	if want := []int{0, 0, 1}; !slices.Equal(fn.seen, want) {
		t.Errorf("retry counts seen by the function %v, want %v", fn.seen, want)
	}
	if st := tr.Stats(); st.Retries != 1 || st.Invocations != 3 {
		t.Errorf("stats %+v, want 1 retry of 3 invocations", st)
	}
}

func TestFCRuntimeInvokerReportsFunctionErrors(t *testing.T) {
	rt, err := fcruntime.Start(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close() })
	fn := &fakeFunction{addr: rt.Addr(), handle: func([]byte, int) error { return errors.New("bad batch") }}
	ctx, stop := context.WithCancel(t.Context())
	defer stop()
	go fn.serve(ctx)

	err = FCRuntime(rt, fcruntime.InvokeOptions{}).Invoke(context.WithValue(t.Context(), attemptKey{}, 4), []byte(`[]`))
	var ferr *fcruntime.FunctionError
	if !errors.As(err, &ferr) || ferr.Message != "bad batch" || ferr.Type != "Rejected" {
		t.Errorf("Invoke = %v, want the function's error", err)
	}
	fn.mu.Lock()
	defer fn.mu.Unlock()
	if !slices.Equal(fn.seen, []int{4}) {
		t.Errorf("retry count seen %v, want [4] (the attempt)", fn.seen)
	}
}
