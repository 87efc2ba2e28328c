package runlog

import (
	"bytes"
	"cmp"
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fcsync/fcsync/shared/objstore"
)

// Prefix is the default key prefix of run records.
const Prefix = "runs/"

// ErrCorrupt is wrapped by List's error for objects under the prefix that are not run records.
var ErrCorrupt = errors.New("corrupt run record")

const (
	invDigits    = 19 // digits of the inverted time
	maxIDLen     = 64
	maxNameLen   = 128
	defaultLimit = 20
	maxLimit     = 1000
	// skipAfter sorts after every record key of a job ("<digits>-..."): List passes
	// "<prefix><job>/"+skipAfter as `after` to jump to the next job.
	skipAfter = "~"
)

// Log reads and writes the run records on a store. It is safe for concurrent use.
type Log struct {
	store   objstore.Store
	prefix  string
	secrets []string
	now     func() time.Time
}

// Option configures a Log.
type Option func(*Log)

// WithPrefix stores the records under prefix instead of "runs/" (it must end with a slash).
func WithPrefix(prefix string) Option { return func(l *Log) { l.prefix = prefix } }

// WithSecrets adds exact values Write masks in a record's error (the invocation's access key
// secret and security token, a SASL password): Redact's patterns catch the common forms, these
// catch the rest.
func WithSecrets(values ...string) Option {
	return func(l *Log) { l.secrets = append(l.secrets, values...) }
}

// WithClock sets the clock Write uses for a record without a finish time (default time.Now).
func WithClock(now func() time.Time) Option { return func(l *Log) { l.now = now } }

// New returns the run log on store.
func New(store objstore.Store, opts ...Option) *Log {
	l := &Log{store: store, prefix: Prefix, now: time.Now}
	for _, o := range opts {
		o(l)
	}
	return l
}

// Write stores rec as a new write-once object and returns its key. A missing Finished time is
// set from the clock, DurationMS is computed and the error text is redacted. Writing the same
// record twice (a retried request whose first attempt landed) is not an error; a different record
// under the same key (same job, finish time to the nanosecond and invocation id) is.
func (l *Log) Write(ctx context.Context, rec Record) (string, error) {
	if rec.Finished.IsZero() {
		rec.Finished = l.now()
	}
	if err := l.check(&rec); err != nil {
		return "", err
	}
	rec = rec.Redacted(l.secrets...)
	if !rec.Started.IsZero() && !rec.Finished.Before(rec.Started) {
		rec.DurationMS = rec.Finished.Sub(rec.Started).Milliseconds()
	}
	if rec.Invocation == "" {
		rec.Invocation = randomID()
	}
	key := l.Key(rec)
	data, err := json.Marshal(rec)
	if err != nil {
		return "", fmt.Errorf("run record of job %s: %w", rec.Job, err)
	}
	err = l.store.CreateIfAbsent(ctx, key, data)
	if errors.Is(err, objstore.ErrExists) {
		old, gerr := l.store.Get(ctx, key)
		if gerr == nil && bytes.Equal(old, data) {
			return key, nil
		}
		return "", fmt.Errorf("run record %s: a different record has this key: %w", key, err)
	}
	if err != nil {
		return "", fmt.Errorf("run record %s: %w", key, err)
	}
	return key, nil
}

func (l *Log) check(rec *Record) error {
	if err := validName("job", rec.Job); err != nil {
		return err
	}
	if err := validName("function", rec.Function); err != nil {
		return fmt.Errorf("job %s: %w", rec.Job, err)
	}
	if !rec.Status.Valid() {
		return fmt.Errorf("job %s: run status %q: want succeeded, skipped or failed", rec.Job, rec.Status)
	}
	if y := rec.Finished.UTC().Year(); y < 1970 || y > 2261 {
		return fmt.Errorf("job %s: finish time %s is out of range", rec.Job, rec.Finished.Format(time.RFC3339))
	}
	return nil
}

// validName accepts job and function names as job files name them: 1 to 128 letters, digits,
// '-', '_' and '.', not "." or "..".
func validName(what, name string) error {
	if name == "" {
		return fmt.Errorf("run record: %s name is empty", what)
	}
	if len(name) > maxNameLen || name == "." || name == ".." {
		return fmt.Errorf("run record: %s name %q is not a plain name", what, name)
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; !(c == '-' || c == '_' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return fmt.Errorf("run record: %s name %q may hold only letters, digits, '-', '_' and '.'", what, name)
		}
	}
	return nil
}

// Key is the object key of rec: <prefix><job>/<inverted time>-<UTC time>-<id>.json.
func (l *Log) Key(rec Record) string {
	ns := rec.Finished.UnixNano()
	inv := strconv.FormatInt(math.MaxInt64-ns, 10)
	var b strings.Builder
	b.Grow(len(l.prefix) + len(rec.Job) + 64 + len(rec.Invocation))
	b.WriteString(l.prefix)
	b.WriteString(rec.Job)
	b.WriteByte('/')
	b.WriteString(strings.Repeat("0", max(0, invDigits-len(inv))))
	b.WriteString(inv)
	b.WriteByte('-')
	b.WriteString(rec.Finished.UTC().Format("20060102T150405Z"))
	b.WriteByte('-')
	b.WriteString(keyID(rec.Invocation))
	b.WriteString(".json")
	return b.String()
}

// keyID makes an invocation id safe for a key segment: letters, digits, '-' and '_' are kept,
// anything else becomes '_', at most 64 bytes.
func keyID(id string) string {
	if len(id) > maxIDLen {
		id = id[:maxIDLen]
	}
	b := []byte(id)
	for i, c := range b {
		if !(c == '-' || c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			b[i] = '_'
		}
	}
	return string(b)
}

func randomID() string {
	var b [8]byte
	_, _ = crand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// KeyInfo is what a record key tells without reading the object.
type KeyInfo struct {
	Job      string
	Finished time.Time // to the nanosecond, UTC
	ID       string    // the invocation id as the key holds it
}

// ParseKey reads a record key under prefix. ok is false for any other key.
func ParseKey(prefix, key string) (info KeyInfo, ok bool) {
	rest, found := strings.CutPrefix(key, prefix)
	if !found {
		return info, false
	}
	job, name, found := strings.Cut(rest, "/")
	if !found || validName("job", job) != nil {
		return info, false
	}
	name, found = strings.CutSuffix(name, ".json")
	if !found || len(name) < invDigits+1+16+1 || name[invDigits] != '-' || name[invDigits+17] != '-' {
		return info, false
	}
	inv, err := strconv.ParseInt(name[:invDigits], 10, 64)
	if err != nil || inv < 0 || name[0] == '+' {
		return info, false
	}
	id := name[invDigits+18:]
	if id == "" || keyID(id) != id {
		return info, false
	}
	fin := time.Unix(0, math.MaxInt64-inv).UTC()
	if fin.Format("20060102T150405Z") != name[invDigits+1:invDigits+17] {
		return info, false
	}
	return KeyInfo{Job: job, Finished: fin, ID: id}, true
}

// Query selects records for List.
type Query struct {
	Job   string    // one job; empty: every job
	Limit int       // the newest Limit records (default 20, at most 1000)
	Since time.Time // only records that finished at or after Since (zero: no bound)
}

// List returns the newest records that match q, newest first. With a job it lists that job's
// prefix (one List request per 1000 keys) and reads the records; without one it walks the job
// prefixes, two List requests per job, and reads only the newest Limit records overall.
//
// Objects under the prefix that do not decode as run records are skipped: List then returns the
// records it could read together with an error that wraps ErrCorrupt and names the keys.
func (l *Log) List(ctx context.Context, q Query) ([]Record, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = defaultLimit
	}
	limit = min(limit, maxLimit)
	var keys []keyed
	if q.Job != "" {
		if err := validName("job", q.Job); err != nil {
			return nil, err
		}
		ks, err := l.jobKeys(ctx, q.Job, limit, q.Since)
		if err != nil {
			return nil, err
		}
		keys = ks
	} else {
		jobs, err := l.Jobs(ctx)
		if err != nil {
			return nil, err
		}
		for _, job := range jobs {
			ks, err := l.jobKeys(ctx, job, limit, q.Since)
			if err != nil {
				return nil, err
			}
			keys = append(keys, ks...)
		}
		slices.SortFunc(keys, func(a, b keyed) int {
			return cmp.Or(b.info.Finished.Compare(a.info.Finished), strings.Compare(a.key, b.key))
		})
		if len(keys) > limit {
			keys = keys[:limit]
		}
	}
	recs := make([]Record, 0, len(keys))
	var bad []error
	for _, k := range keys {
		data, err := l.store.Get(ctx, k.key)
		if errors.Is(err, objstore.ErrNotFound) {
			continue // removed by the lifecycle rule since the listing
		}
		if err != nil {
			return nil, fmt.Errorf("run record %s: %w", k.key, err)
		}
		var rec Record
		if err := json.Unmarshal(data, &rec); err != nil {
			bad = append(bad, fmt.Errorf("%s: %w: %v", k.key, ErrCorrupt, err))
			continue
		}
		if rec.Job != k.info.Job {
			bad = append(bad, fmt.Errorf("%s: %w: holds job %q", k.key, ErrCorrupt, rec.Job))
			continue
		}
		recs = append(recs, rec)
	}
	return recs, errors.Join(bad...)
}

type keyed struct {
	key  string
	info KeyInfo
}

// jobKeys lists up to limit record keys of job, newest first, that finished at or after since.
func (l *Log) jobKeys(ctx context.Context, job string, limit int, since time.Time) ([]keyed, error) {
	prefix := l.prefix + job + "/"
	var out []keyed
	after := ""
	for len(out) < limit {
		keys, next, err := l.store.List(ctx, prefix, after, min(limit-len(out), maxLimit))
		if err != nil {
			return nil, fmt.Errorf("run records of job %s: %w", job, err)
		}
		for _, k := range keys {
			info, ok := ParseKey(l.prefix, k)
			if !ok {
				continue // not a record key (left by something else)
			}
			if !since.IsZero() && info.Finished.Before(since) {
				return out, nil // keys are newest first: the rest are older
			}
			out = append(out, keyed{key: k, info: info})
		}
		if next == "" {
			break
		}
		after = next
	}
	return out, nil
}

// Jobs returns the names of the jobs that have records, in lexical order. It costs two List
// requests per job: one finds the next job's first key, the caller's listing covers the rest.
func (l *Log) Jobs(ctx context.Context) ([]string, error) {
	var jobs []string
	after := ""
	for {
		keys, _, err := l.store.List(ctx, l.prefix, after, 1)
		if err != nil {
			return nil, fmt.Errorf("run records: %w", err)
		}
		if len(keys) == 0 {
			return jobs, nil
		}
		job, _, found := strings.Cut(strings.TrimPrefix(keys[0], l.prefix), "/")
		if !found || validName("job", job) != nil {
			after = keys[0] // a stray object: step over it
			continue
		}
		if len(jobs) == 0 || jobs[len(jobs)-1] != job {
			jobs = append(jobs, job)
		}
		// Skip to the first key after this job's record keys. Keys under the job that sort
		// after skipAfter are not record keys; they are stepped over one by one.
		skip := l.prefix + job + "/" + skipAfter
		if keys[0] >= skip {
			skip = keys[0]
		}
		after = skip
	}
}
