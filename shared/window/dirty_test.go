package window_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"

	"github.com/fcsync/fcsync/shared/objstore"
	"github.com/fcsync/fcsync/shared/window"
)

// dirtyMix is four good orders and, in partition 0 at offsets 1..4, four dirty records:
// malformed JSON, a string for the BIGINT amount, a 2 MB value and binary bytes.
func dirtyMix() (good, all []*kgo.Record) {
	good = []*kgo.Record{
		order(0, "g0", at(9, 58, 0), 1), order(0, "g1", at(9, 58, 5), 2),
		order(1, "g2", at(9, 59, 0), 3), order(2, "g3", at(10, 0, 0), 4),
	}
	huge := append([]byte(`{"order_id":"huge","note":"`), bytes.Repeat([]byte("x"), 2<<20)...) // never closed
	all = []*kgo.Record{
		good[0],
		raw(0, "malformed", at(9, 58, 1), []byte(`{"order_id":"m1","amount":`)),
		raw(0, "wrongtype", at(9, 58, 2), []byte(`{"order_id":"w1","amount":"abc"}`)),
		raw(0, "huge", at(9, 58, 3), huge),
		raw(0, "binary", at(9, 58, 4), []byte{0, 0xff, 0xfe, 0x80, '{'}),
		good[1], good[2], good[3],
	}
	return good, all
}

func TestDirtyDataIsRecordedAndLimited(t *testing.T) {
	cases := []struct {
		name    string
		limit   map[string]any // setting.errorLimit
		wantErr bool
		// oneAtATime reads one Kafka partition at a time (speed.concurrent: 1).
		oneAtATime bool
	}{
		{"record limit above the dirty count", map[string]any{"record": 100}, false, false},
		{"record limit equal to the dirty count", map[string]any{"record": 4}, false, false},
		{"record limit below the dirty count", map[string]any{"record": 3}, true, false},
		{"record limit 0", map[string]any{"record": 0}, true, false},
		{"record limit 0, one partition at a time", map[string]any{"record": 0}, true, true},
		{"record limit 4, one partition at a time", map[string]any{"record": 4}, false, true},
		{"percentage above the dirty share", map[string]any{"percentage": 0.5}, false, false}, // 4 of 8
		{"percentage below the dirty share", map[string]any{"percentage": 0.4}, true, false},
		{"record limit wins over a percentage", map[string]any{"record": 100, "percentage": 0.1}, false, false},
		{"no limit", nil, false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newCluster(t, 3)
			good, all := dirtyMix()
			c.produce(t, all...)
			edits := []edit{del("setting")}
			if tc.limit != nil {
				edits = append(edits, set("setting.errorLimit", tc.limit))
			}
			if tc.oneAtATime {
				edits = append(edits, set("setting.speed.concurrent", 1))
			}
			h := newHarness(t, c, nil, loadJob(t, edits...))
			rep, err := h.run(tick(10, 5))

			if tc.wantErr {
				var le *window.ErrorLimitError
				if !errors.As(err, &le) {
					t.Fatalf("error %v, want an *window.ErrorLimitError", err)
				}
				if le.Dirty == 0 || le.First == "" {
					t.Errorf("error limit %+v: want the dirty count and the first dirty record", le)
				}
				if rows := h.rows(); len(rows) != 0 {
					t.Errorf("%d rows visible after the limit failed the window: %v", len(rows), rows)
				}
				if st := h.status(tick(10, 5)); st != window.StatusPlanned {
					t.Errorf("ledger says %q, want %q", st, window.StatusPlanned)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if rep.Read != 8 || rep.Written != 4 || rep.Dirty != 4 || rep.Late != 0 {
				t.Errorf("read %d written %d dirty %d late %d, want 8, 4, 4, 0", rep.Read, rep.Written, rep.Dirty, rep.Late)
			}
			exactlyOnce(t, h.rows(), ids(good))

			lines := h.dirtyLines(tick(10, 5))
			if len(lines) != 4 {
				t.Fatalf("dirty object has %d lines, want 4: %v", len(lines), lines)
			}
			byOffset := map[float64]map[string]any{}
			for _, l := range lines {
				if l["partition"] != 0.0 || l["topic"] != topic {
					t.Errorf("dirty record %v: want topic %s partition 0", l, topic)
				}
				reason, _ := l["reason"].(string)
				if reason == "" || strings.HasPrefix(reason, "late") {
					t.Errorf("dirty record %v: want a reason that is not late", l)
				}
				byOffset[l["offset"].(float64)] = l
			}
			checks := []struct {
				offset float64
				what   string
				ok     func(l map[string]any) bool
			}{
				{1, "the malformed JSON as text", func(l map[string]any) bool {
					return l["key"] == "malformed" && l["value"] == `{"order_id":"m1","amount":` && l["encoding"] == nil
				}},
				{2, "the column amount", func(l map[string]any) bool { return l["key"] == "wrongtype" && l["column"] == "amount" }},
				{3, "a truncated 1024-byte excerpt", func(l map[string]any) bool {
					v, _ := l["value"].(string)
					return l["key"] == "huge" && l["truncated"] == true && len(v) == 1024
				}},
				{4, "base64 key and value", func(l map[string]any) bool {
					return l["encoding"] == "base64" && l["key"] == "YmluYXJ5" && l["value"] == "AP/+gHs="
				}},
			}
			for _, ck := range checks {
				l := byOffset[ck.offset]
				if l == nil || !ck.ok(l) {
					t.Errorf("dirty record at offset %v: %v, want %s", ck.offset, l, ck.what)
				}
			}
		})
	}
}

func TestSecretsStayOutOfStateDirtyDataReportsAndLogs(t *testing.T) {
	const secret = "s3cr3t-pw"
	c := newCluster(t, 3, kfake.EnableSASL(), kfake.Superuser("PLAIN", "fcsync", secret))
	c.auth = plain.Auth{User: "fcsync", Pass: secret}.AsMechanism()
	_, all := dirtyMix()
	c.produce(t, all...)
	config := func(user string) edit {
		return set("reader.kafkaConfig", map[string]any{
			"security.protocol": "SASL_PLAINTEXT",
			"sasl.mechanism":    "PLAIN",
			"sasl.jaas.config":  fmt.Sprintf(`org.apache.kafka.common.security.plain.PlainLoginModule required username="%s" password="%s";`, user, secret),
			"group.id":          "fcsync-secret",
		})
	}
	store := objstore.NewMemory()
	h := newHarness(t, c, store, loadJob(t, config("fcsync")))
	rep := h.mustRun(tick(10, 5))
	if rep.Dirty != 4 || rep.Written != 4 {
		t.Fatalf("written %d dirty %d, want 4 and 4 (the job must authenticate and meet dirty data)", rep.Written, rep.Dirty)
	}
	// A failing run: its error must not carry the secret either.
	_, limitErr := newHarness(t, c, store, loadJob(t, config("fcsync"), set("name", "secret_limit"), set("setting.errorLimit.record", 0))).run(tick(10, 5))
	_, authErr := newHarness(t, c, store, loadJob(t, config("nobody"), set("name", "secret_auth"))).run(tick(10, 5))
	if limitErr == nil || authErr == nil {
		t.Fatalf("want both failing runs to fail, got %v and %v", limitErr, authErr)
	}

	ctx := context.Background()
	var keys []string
	for after := ""; ; {
		page, next, err := store.List(ctx, "", after, 0)
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, page...)
		if next == "" {
			break
		}
		after = next
	}
	var sawState, sawDirty bool
	for _, k := range keys {
		data, err := store.Get(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		sawState = sawState || strings.HasPrefix(k, "state/")
		sawDirty = sawDirty || strings.HasPrefix(k, "dirty/")
		if bytes.Contains(data, []byte(secret)) {
			t.Errorf("object %s holds the password: %s", k, data)
		}
	}
	if !sawState || !sawDirty {
		t.Errorf("objects %v: want state and dirty data to have been written", keys)
	}
	report, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	for what, text := range map[string]string{"report": string(report), "error-limit error": limitErr.Error(), "auth error": authErr.Error(), "logs": h.logs.String()} {
		if strings.Contains(text, secret) {
			t.Errorf("%s holds the password: %s", what, text)
		}
	}
}

// A long malformed text value is kept as a text excerpt: the cut at 1024 bytes does not split a
// multi-byte character (Chinese text is three bytes a character), so it is not turned into base64.
func TestDirtyExcerptOfLongTextStaysText(t *testing.T) {
	c := newCluster(t, 1)
	value := `{"order_id":"订单","note":"` + strings.Repeat("订单备注", 500) // never closed
	c.produce(t, raw(0, "long", at(9, 58, 0), []byte(value)))
	h := newHarness(t, c, nil, loadJob(t))
	if rep := h.mustRun(tick(10, 5)); rep.Dirty != 1 {
		t.Fatalf("dirty %d, want 1", rep.Dirty)
	}
	lines := h.dirtyLines(tick(10, 5))
	if len(lines) != 1 {
		t.Fatalf("dirty lines %v, want 1", lines)
	}
	v, _ := lines[0]["value"].(string)
	if lines[0]["encoding"] != nil || lines[0]["truncated"] != true || !strings.HasPrefix(value, v) || len(v) > 1024 || len(v) < 1024-3 {
		t.Errorf("dirty record %v: want a text prefix of the value of at most 1024 bytes, marked truncated", lines[0])
	}
}
