// Package state is a compare-and-swap log of write-once versions on an object store: fcsync's
// checkpoints (which windows ran, which source offsets a sink commit covers) live in it.
//
// OSS has no conditional PUT on an ETag; its only atomic primitive is create-if-absent. So a scope's
// state is a series of objects
//
//	state/<scope>/<version, zero-padded to 20 digits>.json
//
// and an update reads the newest version N, computes the next state and creates N+1 with
// create-if-absent. Whoever creates N+1 first wins; the others re-read and retry on the new newest.
// Each version object is an envelope {"version","writer","attempt","parent","time","data"}: the
// writer id and a per-write attempt id let a writer recognise its own object when a retried PUT
// whose first attempt landed comes back as "already exists", and parent (the attempt id of version
// N) lets it prove its version is on the live chain (see Update).
//
// State data must never contain secrets (keys, passwords, tokens): version objects are plain JSON
// that operators read and that outlive the job. Keeping secrets out is the caller's job.
package state

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/fcsync/fcsync/shared/objstore"
)

// ErrNoChange, returned by an Update function, makes Update return the current version without
// writing a new one.
var ErrNoChange = errors.New("state: no change")

// ErrTooManyAttempts is wrapped by Update's error when every attempt lost the race to other writers
// (or hit store errors) and the update was not applied.
var ErrTooManyAttempts = errors.New("too many attempts")

// ErrOutcomeUnknown is wrapped by Update's error when Update cannot tell whether one of its writes
// landed: the update may or may not have been applied. Load and look before trying again.
var ErrOutcomeUnknown = errors.New("outcome of the update is unknown")

// ErrCorrupt is wrapped by errors about a version object that is not a valid envelope.
var ErrCorrupt = errors.New("corrupt state version object")

// Prefix is the key prefix of every state log.
const Prefix = "state/"

const (
	digits            = 20 // version digits in a key
	suffix            = ".json"
	pageSize          = 1000 // List page size (OSS's maximum)
	defaultKeep       = 10
	defaultAttempts   = 20
	baseBackoff       = 2 * time.Millisecond
	maxBackoff        = 100 * time.Millisecond
	maxWriterIDLength = 128
	maxResolveReads   = 3
)

// Version is one state version. Number 0 with nil Data is the empty state before the first write.
type Version struct {
	Number int64
	Writer string
	Time   time.Time
	Data   json.RawMessage
}

// envelope is the JSON of a version object.
type envelope struct {
	Version int64           `json:"version"`
	Writer  string          `json:"writer"`
	Attempt string          `json:"attempt"`
	Parent  string          `json:"parent,omitempty"` // attempt id of version-1; empty for version 1
	Time    time.Time       `json:"time"`
	Data    json.RawMessage `json:"data"`
}

func (e *envelope) version() Version {
	return Version{Number: e.Version, Writer: e.Writer, Time: e.Time, Data: e.Data}
}

// Log is the state log of one scope. It is safe for concurrent use.
type Log struct {
	store       objstore.Store
	scope       string
	prefix      string // Prefix + scope + "/"
	writer      string
	keep        int
	maxAttempts int
	err         error // a configuration error, returned by every method

	mu   sync.Mutex
	hint int64 // a version number known to have existed: listings start after it
}

// Option configures a Log.
type Option func(*Log)

// WithWriterID sets the id written into every version this Log writes (default: random hex, new
// for every Log). Two Logs must not share an id unless they are the same writer restarted; the id
// must not be a secret.
func WithWriterID(id string) Option {
	return func(l *Log) {
		if err := validWriterID(id); err != nil {
			l.setErr(err)
			return
		}
		l.writer = id
	}
}

// WithKeep sets how many of the newest versions Prune keeps (default 10, at least 1). Keep it well
// above the number of versions other writers can add while one Update is between two store
// requests.
func WithKeep(n int) Option {
	return func(l *Log) {
		if n < 1 {
			l.setErr(fmt.Errorf("keep %d: must be at least 1", n))
			return
		}
		l.keep = n
	}
}

// WithMaxAttempts sets how many times Update tries before it gives up (default 20, at least 1).
func WithMaxAttempts(n int) Option {
	return func(l *Log) {
		if n < 1 {
			l.setErr(fmt.Errorf("max attempts %d: must be at least 1", n))
			return
		}
		l.maxAttempts = n
	}
}

// New returns the log of scope, a slash-separated path such as "jobs/orders/windows" that follows
// objstore.ValidKey's rules. Logs of nested scopes ("jobs/orders" and "jobs/orders/windows") are
// independent. A bad scope or option is not reported here: every method returns it.
func New(store objstore.Store, scope string, opts ...Option) *Log {
	l := &Log{store: store, scope: scope, prefix: Prefix + scope + "/", keep: defaultKeep, maxAttempts: defaultAttempts}
	if store == nil {
		l.setErr(errors.New("nil store"))
	}
	if err := objstore.ValidKey(scope); err != nil {
		l.setErr(fmt.Errorf("scope: %w", err))
	} else if n := len(l.key(math.MaxInt64)); n > objstore.MaxKeyLen {
		l.setErr(fmt.Errorf("scope: %d bytes, too long for version keys", len(scope)))
	}
	for _, opt := range opts {
		opt(l)
	}
	if l.writer == "" {
		l.writer = randomHex(8)
	}
	return l
}

func (l *Log) setErr(err error) {
	if l.err == nil {
		l.err = fmt.Errorf("state %q: %w", l.scope, err)
	}
}

// Scope returns the log's scope.
func (l *Log) Scope() string { return l.scope }

// WriterID returns the id this Log writes into its versions.
func (l *Log) WriterID() string { return l.writer }

// Key returns the object key of version n.
func (l *Log) Key(n int64) string {
	return l.prefix + fmt.Sprintf("%0*d", digits, n) + suffix
}

func (l *Log) key(n int64) string { return l.Key(n) }

// number parses a version key of this scope.
func (l *Log) number(key string) (int64, bool) {
	rest, ok := strings.CutPrefix(key, l.prefix)
	if !ok || len(rest) != digits+len(suffix) || !strings.HasSuffix(rest, suffix) {
		return 0, false
	}
	d := rest[:digits]
	for i := 0; i < len(d); i++ {
		if d[i] < '0' || d[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(d, 10, 64)
	if err != nil || n < 1 {
		return 0, false
	}
	return n, true
}

func (l *Log) errorf(format string, args ...any) error {
	return fmt.Errorf("state %q: "+format, append([]any{l.scope}, args...)...)
}

// Load returns the newest version, or Version{} (Number 0, nil Data) when the log is empty.
//
// Finding the newest stays cheap however many versions exist: version keys sort numerically, so
// Load lists the page after the newest version this Log has seen; only when that page is full does
// it gallop (ask for the first key after x+1000, x+2000, x+4000, ... with limit 1) and then bisect,
// which takes O(log n) list calls. A pruned log is one page.
func (l *Log) Load(ctx context.Context) (Version, error) {
	if l.err != nil {
		return Version{}, l.err
	}
	cur, err := l.load(ctx)
	if err != nil {
		return Version{}, l.errorf("load: %w", err)
	}
	if cur == nil {
		return Version{}, nil
	}
	return cur.version(), nil
}

// load returns the newest envelope, or nil when the log is empty.
func (l *Log) load(ctx context.Context) (*envelope, error) {
	from := l.getHint()
	for range maxResolveReads {
		n, err := l.newest(ctx, from)
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return nil, nil
		}
		env, ok, err := l.read(ctx, n)
		if err != nil {
			return nil, err
		}
		if ok {
			l.setHint(n)
			return env, nil
		}
		// Gone between the listing and the read (pruned under a burst of writers, or deleted by
		// hand): search again from the start.
		from = 0
	}
	return nil, errors.New("the newest version keeps disappearing")
}

func (l *Log) getHint() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.hint
}

func (l *Log) setHint(n int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.hint = max(l.hint, n)
}

// read fetches and decodes version n; ok is false when the object does not exist.
func (l *Log) read(ctx context.Context, n int64) (env *envelope, ok bool, err error) {
	key := l.key(n)
	data, err := l.store.Get(ctx, key)
	if errors.Is(err, objstore.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read version %d: %w", n, err)
	}
	env, err = l.decode(key, n, data)
	if err != nil {
		return nil, false, err
	}
	return env, true, nil
}

func (l *Log) decode(key string, n int64, data []byte) (*envelope, error) {
	var env envelope
	if err := json.Unmarshal(data, &env); err != nil {
		return nil, fmt.Errorf("%w %s: %v", ErrCorrupt, key, err)
	}
	switch {
	case env.Version != n:
		return nil, fmt.Errorf("%w %s: it says version %d", ErrCorrupt, key, env.Version)
	case env.Writer == "" || env.Attempt == "":
		return nil, fmt.Errorf("%w %s: no writer or attempt id", ErrCorrupt, key)
	case env.Data == nil:
		return nil, fmt.Errorf("%w %s: no data", ErrCorrupt, key)
	}
	return &env, nil
}

// versionsAfter lists up to limit version numbers greater than x, ascending. more reports that
// more may follow. Keys of nested scopes and other non-version keys are skipped: all version keys
// start with "0" (an int64 has at most 19 digits), so the listing prefix ends in "0" and the
// listing stops at the highest possible version key.
func (l *Log) versionsAfter(ctx context.Context, x int64, limit int) (nums []int64, more bool, err error) {
	prefix, after, last := l.prefix+"0", l.key(x), l.key(math.MaxInt64)
	for {
		keys, next, err := l.store.List(ctx, prefix, after, limit)
		if err != nil {
			return nil, false, fmt.Errorf("list versions after %d: %w", x, err)
		}
		for i, k := range keys {
			if k > last {
				return nums, false, nil
			}
			if n, ok := l.number(k); ok {
				nums = append(nums, n)
				if len(nums) == limit {
					return nums, next != "" || i < len(keys)-1, nil
				}
			}
		}
		if next == "" {
			return nums, false, nil
		}
		after = next
	}
}

// nextAfter returns the lowest existing version greater than x.
func (l *Log) nextAfter(ctx context.Context, x int64) (int64, bool, error) {
	nums, _, err := l.versionsAfter(ctx, x, 1)
	if err != nil || len(nums) == 0 {
		return 0, false, err
	}
	return nums[0], true, nil
}

// newest returns the highest existing version number, or from when there is none above from (0:
// the log is empty).
func (l *Log) newest(ctx context.Context, from int64) (int64, error) {
	x := from
	for {
		nums, more, err := l.versionsAfter(ctx, x, pageSize)
		if err != nil {
			return 0, err
		}
		if len(nums) > 0 {
			x = nums[len(nums)-1]
		}
		if !more {
			return x, nil
		}
		if x, err = l.search(ctx, x); err != nil {
			return 0, err
		}
	}
}

// search gallops and bisects from the existing version x to an existing version within a page of
// the newest.
func (l *Log) search(ctx context.Context, x int64) (int64, error) {
	hi := int64(math.MaxInt64) // no version above hi
	for step := int64(pageSize); ; step *= 2 {
		if step > math.MaxInt64-x || step > math.MaxInt64/4 {
			break
		}
		v, ok, err := l.nextAfter(ctx, x+step)
		if err != nil {
			return 0, err
		}
		if !ok {
			hi = x + step
			break
		}
		x = v
	}
	for hi-x > pageSize {
		mid := x + (hi-x)/2
		v, ok, err := l.nextAfter(ctx, mid)
		if err != nil {
			return 0, err
		}
		if ok {
			x = v
		} else {
			hi = mid
		}
	}
	return x, nil
}

// Update applies fn to the newest version and writes the result as the next version, retrying on
// the new newest when another writer got there first. fn must return valid JSON (never secrets);
// it may be called several times, each time with the version it should build on, so it must not
// have side effects beyond computing the next state. If fn returns ErrNoChange, Update returns
// the current version without writing; any other error from fn is returned, wrapped.
//
// Update never applies one call twice. After each write it proves its version is on the live
// chain: no version above it, or the next version's parent is its attempt. That also catches a
// write that was reported as failed but landed (a retried PUT answered "already exists", or a
// timeout), and a stale write into a key that Prune had freed. When it cannot tell whether a write
// landed it returns an error wrapping ErrOutcomeUnknown.
func (l *Log) Update(ctx context.Context, fn func(cur Version) (next []byte, err error)) (Version, error) {
	if l.err != nil {
		return Version{}, l.err
	}
	u := updater{l: l, ours: make(map[string]*envelope)}
	return u.run(ctx, fn)
}

// updater is the state of one Update call.
type updater struct {
	l          *Log
	ours       map[string]*envelope // every envelope this call sent, by attempt id
	unresolved []*envelope          // sent, and not yet known to have landed or lost
	lastErr    error
}

type outcome int

const (
	lost    outcome = iota // not applied
	applied                // our version is on the live chain
	pending                // not landed yet (or could not be checked): may still land
)

func (u *updater) run(ctx context.Context, fn func(Version) ([]byte, error)) (Version, error) {
	l := u.l
	for attempt := 1; attempt <= l.maxAttempts; attempt++ {
		if attempt > 1 {
			if err := sleep(ctx, attempt); err != nil {
				return Version{}, u.fail(err)
			}
		}
		cur, err := l.load(ctx)
		if err != nil {
			return Version{}, u.fail(err)
		}
		var base int64
		var parent string
		if cur != nil {
			base, parent = cur.Version, cur.Attempt
		}
		if v, done, err := u.recheck(ctx, base); done || err != nil {
			return v, err
		}
		if slices.ContainsFunc(u.unresolved, func(e *envelope) bool { return e.Version <= base }) {
			continue // could not settle an earlier write: do not build on top of it blind
		}
		var curV Version
		if cur != nil {
			curV = cur.version()
		}
		next, err := fn(curV)
		if errors.Is(err, ErrNoChange) {
			return curV, nil
		}
		if err != nil {
			return Version{}, u.fail(fmt.Errorf("update of version %d: %w", base, err))
		}
		if !json.Valid(next) {
			return Version{}, u.fail(fmt.Errorf("update of version %d: the new state is not valid JSON", base))
		}
		env := &envelope{Version: base + 1, Writer: l.writer, Attempt: randomHex(16), Parent: parent,
			Time: time.Now().UTC(), Data: json.RawMessage(next)}
		body, err := json.Marshal(env)
		if err != nil {
			return Version{}, u.fail(fmt.Errorf("encode version %d: %w", env.Version, err))
		}
		u.ours[env.Attempt] = env
		cerr := l.store.CreateIfAbsent(ctx, l.key(env.Version), body)
		if cerr != nil && ctx.Err() != nil {
			u.unresolved = append(u.unresolved, env)
			return Version{}, u.fail(ctx.Err())
		}
		var created *envelope
		if cerr == nil {
			created = env
		}
		out, mine, err := u.resolve(ctx, env.Version, created)
		switch {
		case err != nil && !errors.Is(err, ErrOutcomeUnknown):
			u.unresolved = append(u.unresolved, env)
			u.lastErr = err
		case err != nil:
			return Version{}, u.fail(err)
		case out == applied:
			l.setHint(mine.Version)
			return mine.version(), nil
		case out == pending:
			u.unresolved = append(u.unresolved, env)
			u.lastErr = cerr
		default:
			u.lastErr = cerr
			if cerr == nil {
				u.lastErr = fmt.Errorf("version %d was written into a key freed by Prune while the update was computed", env.Version)
			}
		}
	}
	return Version{}, u.fail(fmt.Errorf("%w (%d): last: %v", ErrTooManyAttempts, l.maxAttempts, u.lastErr))
}

// recheck settles earlier writes aimed at versions that now exist (n <= base).
func (u *updater) recheck(ctx context.Context, base int64) (Version, bool, error) {
	keep := u.unresolved[:0]
	for _, env := range u.unresolved {
		if env.Version > base {
			keep = append(keep, env)
			continue
		}
		out, mine, err := u.resolve(ctx, env.Version, nil)
		switch {
		case err != nil && !errors.Is(err, ErrOutcomeUnknown):
			keep = append(keep, env)
			u.lastErr = err
		case err != nil:
			return Version{}, true, u.fail(err)
		case out == applied:
			u.l.setHint(mine.Version)
			return mine.version(), true, nil
		case out == pending:
			keep = append(keep, env)
		}
	}
	u.unresolved = keep
	return Version{}, false, nil
}

// resolve finds out whether one of our writes is the live version n. created is our write to n
// that just succeeded, if any. The live version n is the newest if nothing is above it; otherwise it
// is the parent of whatever object is at n+1 (the writer of n+1 read the live n as its newest).
func (u *updater) resolve(ctx context.Context, n int64, created *envelope) (outcome, *envelope, error) {
	l := u.l
	var obj *envelope
	var present bool
	if created == nil {
		var err error
		if obj, present, err = l.read(ctx, n); err != nil {
			return pending, nil, err
		}
	}
	succ, found, err := l.nextAfter(ctx, n)
	if err != nil {
		return pending, nil, err
	}
	if !found {
		// Nothing above n now, so nothing above n when we read it: what we read was the newest.
		switch {
		case created != nil:
			// Our object is at n (it could only be deleted if versions above it existed).
			return applied, created, nil
		case !present:
			return pending, nil, nil
		case u.ours[obj.Attempt] != nil:
			return applied, u.ours[obj.Attempt], nil
		default:
			return lost, nil, nil
		}
	}
	if succ == n+1 {
		next, ok, err := l.read(ctx, n+1)
		if err != nil {
			return pending, nil, err
		}
		if ok {
			if mine := u.ours[next.Parent]; mine != nil && mine.Version == n {
				return applied, mine, nil
			}
			return lost, nil, nil
		}
	}
	// n+1 is gone (pruned). Prune deletes in ascending order, so a live version n went before n+1:
	// if our object is at n now, it is a stale write into a freed key.
	again, ok, err := l.read(ctx, n)
	if err != nil {
		return pending, nil, err
	}
	if ok && u.ours[again.Attempt] != nil {
		return lost, nil, nil
	}
	return lost, nil, fmt.Errorf("version %d: %w: it and version %d were pruned before the check", n, ErrOutcomeUnknown, n+1)
}

// fail wraps err with the scope, and with ErrOutcomeUnknown while a write of ours may still land.
func (u *updater) fail(err error) error {
	if len(u.unresolved) > 0 && !errors.Is(err, ErrOutcomeUnknown) {
		return u.l.errorf("update: %w (%w: a write may still land)", err, ErrOutcomeUnknown)
	}
	return u.l.errorf("update: %w", err)
}

// Prune deletes the versions older than the newest keep (see WithKeep), oldest first, and never
// the newest. It stops at the first failed delete, so the versions left are always the newest
// ones of the log.
func (l *Log) Prune(ctx context.Context) error {
	if l.err != nil {
		return l.err
	}
	newest, err := l.newest(ctx, l.getHint())
	if err != nil {
		return l.errorf("prune: %w", err)
	}
	cutoff := newest - int64(l.keep) // delete versions <= cutoff
	var after int64
	for cutoff > after {
		nums, more, err := l.versionsAfter(ctx, after, pageSize)
		if err != nil {
			return l.errorf("prune: %w", err)
		}
		for _, n := range nums {
			if n > cutoff {
				return nil
			}
			if err := l.store.Delete(ctx, l.key(n)); err != nil {
				return l.errorf("prune: version %d: %w", n, err)
			}
			after = n
		}
		if !more {
			return nil
		}
	}
	return nil
}

func sleep(ctx context.Context, attempt int) error {
	d := min(maxBackoff, baseBackoff<<min(attempt-2, 16))
	d = d/2 + rand.N(d/2+1) // jitter in [d/2, d]
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = crand.Read(b) // never fails (crypto/rand panics or blocks instead)
	return hex.EncodeToString(b)
}

func validWriterID(id string) error {
	switch {
	case id == "":
		return errors.New("writer id: empty")
	case len(id) > maxWriterIDLength:
		return fmt.Errorf("writer id: %d bytes, longer than %d", len(id), maxWriterIDLength)
	case !utf8.ValidString(id):
		return errors.New("writer id: not valid UTF-8")
	case strings.ContainsFunc(id, unicode.IsControl):
		return errors.New("writer id: contains control characters")
	}
	return nil
}
