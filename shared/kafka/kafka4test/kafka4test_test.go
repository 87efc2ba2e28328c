package kafka4test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

func TestMain(m *testing.M) {
	code := m.Run()
	StopShared()
	os.Exit(code)
}

func TestEveryListenerServesWhatThePlaintextListenerProduced(t *testing.T) {
	b := Shared(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	const topic = "smoke"
	if err := b.CreateTopic(ctx, topic, 2, nil); err != nil {
		t.Fatal(err)
	}
	if err := b.Produce(ctx, topic, []*kgo.Record{
		{Partition: 0, Key: []byte("k0"), Value: []byte("v0")},
		{Partition: 1, Key: []byte("k1"), Value: []byte("v1")},
	}); err != nil {
		t.Fatal(err)
	}
	ca, err := os.ReadFile(b.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	tlsCfg := &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}
	auth := plain.Auth{User: User, Pass: Password}.AsMechanism()
	scramAuth := scram.Auth{User: User, Pass: Password}
	cases := []struct {
		name string
		l    Listener
		mech sasl.Mechanism
		tls  bool
	}{
		{"plaintext", Plaintext, nil, false},
		{"sasl plain", SASLPlaintext, auth, false},
		{"sasl scram-sha-256", SASLPlaintext, scramAuth.AsSha256Mechanism(), false},
		{"sasl scram-sha-512", SASLPlaintext, scramAuth.AsSha512Mechanism(), false},
		{"ssl", SSL, nil, true},
		{"sasl_ssl scram-sha-512", SASLSSL, scramAuth.AsSha512Mechanism(), true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			opts := []kgo.Opt{kgo.SeedBrokers(b.Addrs[tc.l]),
				kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {0: kgo.NewOffset().AtStart(), 1: kgo.NewOffset().AtStart()}})}
			if tc.mech != nil {
				opts = append(opts, kgo.SASL(tc.mech))
			}
			if tc.tls {
				opts = append(opts, kgo.DialTLSConfig(tlsCfg))
			}
			cl, err := kgo.NewClient(opts...)
			if err != nil {
				t.Fatal(err)
			}
			defer cl.Close()
			got := map[string]string{}
			for len(got) < 2 {
				fs := cl.PollFetches(ctx)
				if err := fs.Err0(); err != nil {
					t.Fatalf("fetch over %s: %v", tc.l, err)
				}
				fs.EachRecord(func(r *kgo.Record) { got[string(r.Key)] = string(r.Value) })
			}
			if got["k0"] != "v0" || got["k1"] != "v1" {
				t.Fatalf("over %s read %v", tc.l, got)
			}
		})
	}
}

func TestAWrongSASLPasswordIsRefused(t *testing.T) {
	b := Shared(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addrs[SASLPlaintext]),
		kgo.SASL(scram.Auth{User: User, Pass: "wrong"}.AsSha256Mechanism()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	err = cl.Ping(ctx)
	if err == nil || !strings.Contains(strings.ToLower(err.Error()), "authentication") {
		t.Fatalf("ping with a wrong password: %v, want an authentication failure", err)
	}
}

func TestJavaProduceReportsWhereEachRecordLanded(t *testing.T) {
	b := Shared(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	const topic = "smoke-java"
	if err := b.CreateTopic(ctx, topic, 3, nil); err != nil {
		t.Fatal(err)
	}
	recs := []Record{
		{Partition: 2, Key: []byte("a"), Value: []byte("1")},
		{Partition: 2, Key: nil, Value: []byte{}},
		{Partition: 0, Key: []byte{}, Value: nil, Headers: []Header{{"h", []byte("x")}, {"n", nil}}},
	}
	got, err := b.JavaProduce(ctx, topic, "zstd", recs)
	if err != nil {
		t.Fatal(err)
	}
	want := []Produced{{2, 0}, {2, 1}, {0, 0}}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("produced %v, want %v", got, want)
		}
	}
}

func TestJavaProduceBatchesEndTransactionsAsAsked(t *testing.T) {
	b := Shared(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	const topic = "smoke-txn"
	if err := b.CreateTopic(ctx, topic, 1, nil); err != nil {
		t.Fatal(err)
	}
	recs := func(prefix string, n int) []Record {
		var out []Record
		for i := range n {
			out = append(out, Record{Partition: 0, Key: []byte(prefix), Value: []byte(prefix + strconv.Itoa(i))})
		}
		return out
	}
	got, err := b.JavaProduceBatches(ctx, []Batch{
		{Topic: topic, Compression: "lz4", Transaction: "commit", Records: recs("a", 3)},
		{Topic: topic, Compression: "lz4", Transaction: "abort", Records: recs("b", 2)},
		{Topic: topic, Compression: "none", Records: recs("c", 1)},
	})
	if err != nil {
		t.Fatal(err)
	}
	// a0..a2 at 0..2, the commit marker at 3, b0 b1 at 4 5, the abort marker at 6, c0 at 7.
	want := [][]int64{{0, 1, 2}, {4, 5}, {7}}
	for i := range want {
		for j, p := range got[i] {
			if p.Offset != want[i][j] {
				t.Fatalf("batches landed at %v, want offsets %v", got, want)
			}
		}
	}
	cl, err := b.Client(kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {0: kgo.NewOffset().AtStart()}}))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var values []string
	for len(values) < 4 {
		fs := cl.PollFetches(ctx)
		if err := fs.Err0(); err != nil {
			t.Fatal(err)
		}
		fs.EachRecord(func(r *kgo.Record) { values = append(values, string(r.Value)) })
	}
	if strings.Join(values, " ") != "a0 a1 a2 c0" {
		t.Fatalf("read committed %v, want a0 a1 a2 c0", values)
	}
}
