package maxcompute

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/aliyun/aliyun-odps-go-sdk/odps"
	"github.com/aliyun/aliyun-odps-go-sdk/odps/restclient"
	"github.com/aliyun/aliyun-odps-go-sdk/odps/tunnel"

	"github.com/fcsync/fcsync/shared/objstore"
	"github.com/fcsync/fcsync/shared/schema"
	"github.com/fcsync/fcsync/shared/sink"
)

// Sink writes tables of one MaxCompute project through the batch tunnel. It is safe for
// concurrent use; each Begin opens an independent Session.
type Sink struct {
	cfg    Config
	opt    options
	store  objstore.Store
	signer *signer
	odps   *odps.Odps

	mu       sync.Mutex
	rc       restclient.RestClient // the tunnel client every upload session shares
	rcShared bool                  // rc carries a live HTTP client (copied from a session)
	tunnelEP string
}

var _ sink.Sink = (*Sink)(nil)

// New returns a sink for cfg. store holds the commit records that make Append sessions
// exactly once (package state); it must be shared by every writer of the project's tables.
// New makes no request.
func New(cfg Config, store objstore.Store, opts ...Option) (*Sink, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("maxcompute: config: %w", err)
	}
	if store == nil {
		return nil, errors.New("maxcompute: a state store is required")
	}
	o := defaultOptions()
	for _, f := range opts {
		f(&o)
	}
	if err := o.validate(); err != nil {
		return nil, fmt.Errorf("maxcompute: %w", err)
	}
	sg := &signer{region: cfg.Region}
	creds := cfg.Credentials
	sg.creds.Store(&creds)
	cfg.Credentials = Credentials{} // the signer holds them; the config copy does not
	o.log = o.log.With("sink", "maxcompute", "project", cfg.Project)
	od := odps.NewOdps(sg, cfg.Endpoint)
	od.SetDefaultProjectName(cfg.Project)
	od.SetHttpTimeout(o.httpTimeout)
	od.SetUserAgent(o.userAgent)
	return &Sink{cfg: cfg, opt: o, store: store, signer: sg, odps: od, tunnelEP: cfg.TunnelEndpoint}, nil
}

// SetCredentials replaces the credentials that sign the following requests (an STS key is
// renewed by each function invocation).
func (s *Sink) SetCredentials(c Credentials) {
	s.signer.creds.Store(&c)
}

// Begin opens a write session on spec.Table: it creates the table when absent (the DDL of
// CreateTableSQL), adds the spec's columns the table lacks, and, for an Append session,
// learns whether the segment already committed its owned partition.
func (s *Sink) Begin(ctx context.Context, spec sink.SessionSpec) (sink.Session, error) {
	return s.begin(ctx, spec)
}

// Table returns a table's schema in fcsync's types. A column of a type fcsync does not write
// (ARRAY, MAP, STRUCT, ...) is an error naming it.
func (s *Sink) Table(ctx context.Context, name string) (schema.Table, error) {
	t, found, err := s.loadTable(ctx, name)
	if err != nil {
		return schema.Table{}, err
	}
	if !found {
		return schema.Table{}, fmt.Errorf("maxcompute: table %s.%s does not exist", s.cfg.Project, name)
	}
	if len(t.unsupported) > 0 {
		return schema.Table{}, fmt.Errorf("maxcompute: table %s.%s: column %s has a type fcsync does not write", s.cfg.Project, t.name, t.unsupported[0])
	}
	out := schema.Table{Name: t.name, Lifecycle: t.lifecycle, Comment: t.comment}
	for _, c := range t.cols {
		out.Columns = append(out.Columns, schema.Column{Name: c.name, Type: c.typ, Comment: c.comment})
	}
	for _, c := range t.parts {
		out.Partitions = append(out.Partitions, schema.Column{Name: c.name, Type: c.typ, Comment: c.comment})
	}
	return out, nil
}

// AddColumns adds columns to a table (ALTER TABLE ... ADD COLUMNS IF NOT EXISTS): the Add
// Column policy of dynamic columns. Columns the table already has are left alone.
func (s *Sink) AddColumns(ctx context.Context, table string, cols []schema.Column) error {
	if err := schema.ValidateName(table); err != nil {
		return fmt.Errorf("maxcompute: add columns: table: %w", err)
	}
	if len(cols) == 0 {
		return nil
	}
	probe := schema.Table{Name: table, Columns: cols}
	if err := probe.Validate(); err != nil {
		return fmt.Errorf("maxcompute: add columns: %w", err)
	}
	if err := s.execSQL(ctx, addColumnsSQL(table, cols)); err != nil {
		return fmt.Errorf("maxcompute: table %s.%s: add columns: %w", s.cfg.Project, table, err)
	}
	s.opt.log.Info("maxcompute: columns added", "table", table, "columns", len(cols))
	return nil
}

// AddPartitions creates partitions of a table that do not exist yet (ALTER TABLE ... ADD IF
// NOT EXISTS PARTITION). Sessions do not need it (they create their partitions at commit);
// it makes partitions visible before data arrives.
func (s *Sink) AddPartitions(ctx context.Context, table string, parts ...schema.Partition) error {
	t, found, err := s.loadTable(ctx, table)
	if err != nil {
		return err
	}
	if !found {
		return fmt.Errorf("maxcompute: add partitions: table %s.%s does not exist", s.cfg.Project, table)
	}
	checked := make([]schema.Partition, 0, len(parts))
	for _, p := range parts {
		cp, err := t.checkPartition(p)
		if err != nil {
			return fmt.Errorf("maxcompute: add partitions: %w", err)
		}
		checked = append(checked, cp)
	}
	if len(checked) == 0 {
		return nil
	}
	if err := s.execSQL(ctx, addPartitionsSQL(t.name, checked)); err != nil {
		return fmt.Errorf("maxcompute: table %s.%s: add partitions: %w", s.cfg.Project, t.name, err)
	}
	return nil
}

// execSQL runs one statement and waits for it. Every statement the sink runs is idempotent
// (IF NOT EXISTS), so a retry after a lost answer is harmless.
func (s *Sink) execSQL(ctx context.Context, sql string) error {
	s.opt.log.Debug("maxcompute: sql", "sql", sql)
	return s.retry(ctx, "sql", func() error {
		ins, err := s.odps.ExecSQl(sql)
		if err != nil {
			return err
		}
		return ins.WaitForSuccess()
	})
}

// tableInfo is a table as MaxCompute describes it.
type tableInfo struct {
	name        string
	lifecycle   int
	comment     string
	cols        []tcol
	parts       []tcol
	unsupported []string // columns of types fcsync does not write
}

type tcol struct {
	column
	comment string
}

func (t *tableInfo) index(name string) int {
	for i, c := range t.cols {
		if strings.EqualFold(c.name, name) {
			return i
		}
	}
	return -1
}

// checkPartition validates p against the table's partition columns (all levels, in order,
// case-insensitive) and returns it spelled as the table spells its columns.
func (t *tableInfo) checkPartition(p schema.Partition) (schema.Partition, error) {
	if len(p) != len(t.parts) {
		return nil, fmt.Errorf("partition %s: table %s is partitioned by (%s)", displayPartition(p), t.name, t.partNames())
	}
	out := make(schema.Partition, len(p))
	for i, pv := range p {
		if err := pv.Validate(); err != nil {
			return nil, fmt.Errorf("table %s: %w", t.name, err)
		}
		if !strings.EqualFold(pv.Column, t.parts[i].name) {
			return nil, fmt.Errorf("partition %s: level %d is %s, table %s has %s there", displayPartition(p), i+1, pv.Column, t.name, t.parts[i].name)
		}
		out[i] = schema.PartitionValue{Column: t.parts[i].name, Value: pv.Value}
	}
	return out, nil
}

func (t *tableInfo) partNames() string {
	n := make([]string, len(t.parts))
	for i, c := range t.parts {
		n[i] = c.name + " " + string(c.typ)
	}
	return strings.Join(n, ", ")
}

// displayPartition renders a partition for a message without echoing huge values.
func displayPartition(p schema.Partition) string {
	if len(p) == 0 {
		return "(none)"
	}
	return fmt.Sprintf("%q", clip(p.String()))
}

// loadTable reads a table's metadata; found is false when it does not exist.
func (s *Sink) loadTable(ctx context.Context, name string) (*tableInfo, bool, error) {
	if err := schema.ValidateName(name); err != nil {
		return nil, false, fmt.Errorf("maxcompute: table: %w", err)
	}
	t := s.odps.Table(name)
	err := s.retry(ctx, "load table "+name, t.Load)
	if err != nil {
		if code := errorCode(err); code == "NoSuchTable" || (code == "" && statusOf(err) == http.StatusNotFound) {
			return nil, false, nil
		}
		return nil, false, fmt.Errorf("maxcompute: table %s.%s: %w", s.cfg.Project, name, err)
	}
	sch := t.Schema()
	if sch.IsVirtualView || sch.IsExternal || sch.IsMaterializedView || sch.Transactional {
		return nil, false, fmt.Errorf("maxcompute: table %s.%s is a view, an external or a transactional table: the batch tunnel writes plain tables only", s.cfg.Project, name)
	}
	info := &tableInfo{name: t.Name(), lifecycle: max(sch.Lifecycle, 0), comment: sch.Comment}
	if info.name == "" {
		info.name = name
	}
	for _, c := range sch.Columns {
		mc, ok := fromDataType(c.Name, c.Type)
		if !ok {
			info.unsupported = append(info.unsupported, c.Name+" "+c.Type.Name())
		}
		info.cols = append(info.cols, tcol{column: mc, comment: c.Comment})
	}
	for _, c := range sch.PartitionColumns {
		mc, ok := fromDataType(c.Name, c.Type)
		if !ok {
			return nil, false, fmt.Errorf("maxcompute: table %s.%s: partition column %s has type %s", s.cfg.Project, name, c.Name, c.Type.Name())
		}
		info.parts = append(info.parts, tcol{column: mc, comment: c.Comment})
	}
	return info, true, nil
}

// prepareTable creates the table of spec when it is absent and adds the spec's columns it
// lacks, like the warehouse does; a column of another type or other partition columns are
// errors naming the column.
func (s *Sink) prepareTable(ctx context.Context, spec schema.Table) (*tableInfo, error) {
	t, found, err := s.loadTable(ctx, spec.Name)
	if err != nil {
		return nil, err
	}
	if !found {
		if err := s.execSQL(ctx, s.CreateTableSQL(spec)); err != nil {
			return nil, fmt.Errorf("maxcompute: create table %s.%s: %w", s.cfg.Project, spec.Name, err)
		}
		s.opt.log.Info("maxcompute: table created", "table", spec.Name)
		if t, found, err = s.loadTable(ctx, spec.Name); err != nil {
			return nil, err
		}
		if !found {
			return nil, fmt.Errorf("maxcompute: table %s.%s does not exist after CREATE TABLE", s.cfg.Project, spec.Name)
		}
	}
	if len(t.parts) != len(spec.Partitions) {
		return nil, fmt.Errorf("maxcompute: table %s.%s is partitioned by (%s), the spec by %d columns", s.cfg.Project, t.name, t.partNames(), len(spec.Partitions))
	}
	for i, c := range spec.Partitions {
		if !strings.EqualFold(c.Name, t.parts[i].name) || c.Type != t.parts[i].typ {
			return nil, fmt.Errorf("maxcompute: table %s.%s: partition column %d is %s %s, the spec has %s %s", s.cfg.Project, t.name, i+1, t.parts[i].name, t.parts[i].typ, c.Name, c.Type)
		}
	}
	var missing []schema.Column
	for _, c := range spec.Columns {
		i := t.index(c.Name)
		if i < 0 {
			missing = append(missing, c)
			continue
		}
		if slices.ContainsFunc(t.unsupported, func(u string) bool { return strings.EqualFold(strings.Fields(u)[0], c.Name) }) {
			return nil, fmt.Errorf("maxcompute: table %s.%s: column %s has a type fcsync does not write", s.cfg.Project, t.name, t.cols[i].name)
		}
		if t.cols[i].typ != c.Type {
			return nil, fmt.Errorf("maxcompute: table %s.%s: column %s is %s, the spec has %s (types cannot change)", s.cfg.Project, t.name, t.cols[i].name, t.cols[i].typ, c.Type)
		}
	}
	if len(missing) > 0 {
		if err := s.AddColumns(ctx, t.name, missing); err != nil {
			return nil, err
		}
		if t, found, err = s.loadTable(ctx, spec.Name); err != nil {
			return nil, err
		}
		if !found {
			return nil, fmt.Errorf("maxcompute: table %s.%s disappeared after ADD COLUMNS", s.cfg.Project, spec.Name)
		}
		for _, c := range missing {
			if t.index(c.Name) < 0 {
				return nil, fmt.Errorf("maxcompute: table %s.%s lacks column %s after ADD COLUMNS", s.cfg.Project, t.name, c.Name)
			}
		}
	}
	return t, nil
}

// tunnelClient returns the REST client upload sessions use. After the first session is
// created, every later session shares that session's HTTP client (and its connections):
// the SDK would otherwise give each session a client and transport of its own.
func (s *Sink) tunnelClient(ctx context.Context) (restclient.RestClient, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rcShared || s.rc.Endpoint() != "" {
		return s.rc, nil
	}
	ep := s.tunnelEP
	if ep == "" {
		err := s.retry(ctx, "tunnel endpoint", func() error {
			var err error
			ep, err = s.odps.Project(s.cfg.Project).GetTunnelEndpoint()
			return err
		})
		if err != nil {
			return restclient.RestClient{}, fmt.Errorf("maxcompute: project %s: tunnel endpoint: %w", s.cfg.Project, err)
		}
		if err := checkURL("tunnel endpoint", ep); err != nil {
			return restclient.RestClient{}, fmt.Errorf("maxcompute: project %s: the service named %w", s.cfg.Project, err)
		}
		s.tunnelEP = ep
	}
	rc := restclient.NewOdpsRestClient(s.signer, ep)
	rc.HttpTimeout = s.opt.httpTimeout
	rc.SetUserAgent(s.opt.userAgent)
	s.rc = rc
	return rc, nil
}

// adoptClient keeps the REST client of a created session, which now holds a live HTTP client.
func (s *Sink) adoptClient(rc restclient.RestClient) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.rcShared {
		s.rc, s.rcShared = rc, true
	}
}

func sessionOptions(codec Codec, partition string, overwrite, create bool) []tunnel.Option {
	var opts []tunnel.Option
	if o := codec.option(); o != nil {
		opts = append(opts, o)
	}
	if partition != "" {
		opts = append(opts, tunnel.SessionCfg.WithPartitionKey(partition))
		if create {
			opts = append(opts, tunnel.SessionCfg.WithCreatePartition())
		}
	}
	if overwrite {
		opts = append(opts, tunnel.SessionCfg.Overwrite())
	}
	return opts
}

// createUpload opens an upload session on a partition ("" for a non-partitioned table).
func (s *Sink) createUpload(ctx context.Context, table, partition string, overwrite bool) (*tunnel.UploadSession, error) {
	rc, err := s.tunnelClient(ctx)
	if err != nil {
		return nil, err
	}
	var u *tunnel.UploadSession
	err = s.retry(ctx, "create upload session", func() error {
		var err error
		u, err = tunnel.CreateUploadSession(s.cfg.Project, table, "", rc, sessionOptions(s.cfg.Codec, partition, overwrite, true)...)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.adoptClient(u.RestClient)
	return u, nil
}

// attachUpload reloads an existing upload session by id.
func (s *Sink) attachUpload(ctx context.Context, table, partition, id string) (*tunnel.UploadSession, error) {
	rc, err := s.tunnelClient(ctx)
	if err != nil {
		return nil, err
	}
	var u *tunnel.UploadSession
	err = s.retry(ctx, "reload upload session", func() error {
		var err error
		u, err = tunnel.AttachToExistedUploadSession(id, s.cfg.Project, table, rc, sessionOptions(s.cfg.Codec, partition, false, false)...)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.adoptClient(u.RestClient)
	return u, nil
}

// errNotCommittable says an upload session can no longer be committed (expired, canceled).
var errNotCommittable = errors.New("the upload session can no longer be committed")

// commitUpload commits an upload session whose server-side block list must equal blocks. It
// posts the commit itself through the session's REST client instead of calling the SDK's
// Commit, which retries blindly with sleeps of 1, 2 and 8 s and reports an error when an
// earlier attempt's answer was lost although the commit was applied. Here, before every
// attempt and after any failure, the session is reloaded: CLOSED means committed (by this
// call, an earlier one, or another writer rolling it forward), so a lost answer is harmless.
func (s *Sink) commitUpload(ctx context.Context, u *tunnel.UploadSession, blocks []int) error {
	wait := s.opt.backoff
	var lastErr error
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		err := serviceError(u.Load())
		if err == nil {
			switch u.Status() {
			case tunnel.UploadStatusClosed:
				return nil
			case tunnel.UploadStatusNormal:
				if !sameBlocks(u.BlockIds(), blocks) {
					return fmt.Errorf("upload session %s holds blocks %v, the commit expects %v", u.Id, u.BlockIds(), blocks)
				}
				err = s.postCommit(ctx, u)
				if err == nil {
					return nil
				}
				if errorCode(err) == "StatusConflict" {
					err = fmt.Errorf("%w (reloading to see the session's status)", err)
					lastErr = err
					continue // committed meanwhile, or committing: the reload tells
				}
			case tunnel.UploadStatusCommitting, tunnel.UploadStatusClosing:
				err = fmt.Errorf("upload session %s is %s", u.Id, u.Status())
				lastErr = err
				if attempt >= 10*s.opt.attempts {
					return err
				}
				if err := sleep(ctx, wait); err != nil {
					return err
				}
				wait = min(2*wait, s.opt.maxBackoff)
				continue
			default:
				return fmt.Errorf("upload session %s is %s: %w", u.Id, u.Status(), errNotCommittable)
			}
		}
		lastErr = err
		if !retryable(err) || attempt >= s.opt.attempts {
			return lastErr
		}
		s.opt.log.Warn("maxcompute: retrying commit", "upload", u.Id, "attempt", attempt, "err", err)
		if err := sleep(ctx, wait); err != nil {
			return err
		}
		wait = min(2*wait, s.opt.maxBackoff)
	}
}

// postCommit sends the commit request of an upload session (what the SDK's Commit sends).
func (s *Sink) postCommit(ctx context.Context, u *tunnel.UploadSession) error {
	q := url.Values{}
	q.Set("uploadid", u.Id)
	if p := u.PartitionKey(); p != "" {
		q.Set("partition", p)
	}
	headers := map[string]string{
		"odps-tunnel-date-transform":               tunnel.DateTransformVersion,
		"x-odps-tunnel-version":                    tunnel.Version,
		"odps-tunnel-sdk-support-schema-evolution": "true",
	}
	req, err := u.RestClient.NewRequestWithParamsAndHeaders(http.MethodPost, u.ResourceUrl(), nil, q, headers)
	if err != nil {
		return err
	}
	res, err := u.RestClient.Do(req.WithContext(ctx))
	if res != nil && res.Body != nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 1<<20))
		_ = res.Body.Close()
	}
	return serviceError(err)
}

func sameBlocks(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}
