package maxcompute_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/fcsync/fcsync/shared/objstore"
	"github.com/fcsync/fcsync/shared/schema"
	"github.com/fcsync/fcsync/shared/sink"
	"github.com/fcsync/fcsync/shared/sink/maxcompute"
	"github.com/fcsync/fcsync/shared/sink/maxcompute/mctest"
)

// env is a sink on a test server with a memory state store.
type env struct {
	t     *testing.T
	srv   *mctest.Server
	store *objstore.Memory
	cfg   maxcompute.Config
	opts  []maxcompute.Option
}

func newEnv(t *testing.T, srvOpts ...mctest.Option) *env {
	t.Helper()
	srv := mctest.New(t, srvOpts...)
	return &env{
		t: t, srv: srv, store: objstore.NewMemory(),
		cfg: maxcompute.Config{
			Endpoint: srv.Endpoint(), Project: srv.Project(),
			Credentials: maxcompute.Credentials{AccessKeyID: srv.AccessKeyID(), AccessKeySecret: srv.AccessKeySecret(), SecurityToken: srv.SecurityToken()},
		},
		opts: []maxcompute.Option{maxcompute.WithRetry(4, time.Millisecond), maxcompute.WithLogger(slog.New(slog.DiscardHandler))},
	}
}

func (e *env) sink(opts ...maxcompute.Option) *maxcompute.Sink {
	e.t.Helper()
	s, err := maxcompute.New(e.cfg, e.store, append(append([]maxcompute.Option(nil), e.opts...), opts...)...)
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

func (e *env) rows(table, part string) []schema.Row {
	e.t.Helper()
	rows, err := e.srv.Rows(e.srv.Project(), table, part)
	if err != nil {
		e.t.Fatal(err)
	}
	return rows
}

func part(s string) schema.Partition {
	p, err := schema.ParsePartition(s)
	if err != nil {
		panic(err)
	}
	return p
}

var ordersTable = schema.Table{
	Name: "orders",
	Columns: []schema.Column{
		{Name: "id", Type: schema.BigInt},
		{Name: "name", Type: schema.String},
	},
	Partitions: []schema.Column{{Name: "ds", Type: schema.String}},
}

// write runs one session: rows into partitions, then commit.
func write(t *testing.T, s sink.Sink, spec sink.SessionSpec, rows map[string][]schema.Row) error {
	t.Helper()
	ctx := context.Background()
	sess, err := s.Begin(ctx, spec)
	if err != nil {
		return err
	}
	for p, rs := range rows {
		for _, r := range rs {
			if err := sess.Write(ctx, part(p), r); err != nil {
				_ = sess.Abort(ctx)
				return err
			}
		}
	}
	return sess.Commit(ctx)
}
