package kafka

import (
	"bytes"
	"cmp"
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net"
	"slices"
	"strconv"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/compress"
	"github.com/segmentio/kafka-go/protocol"
	"github.com/segmentio/kafka-go/protocol/apiversions"
	"github.com/segmentio/kafka-go/protocol/saslauthenticate"
	"github.com/segmentio/kafka-go/protocol/saslhandshake"
	"github.com/segmentio/kafka-go/sasl"
)

// Window reads use their own connection per partition leader and encode
// Fetch themselves: kafka-go's decoders either lose the difference between a
// null and an empty key or value and hand control records over as data
// (Conn.ReadBatch), or decode several times slower than a broker serves
// (Client.Fetch); and none of them drops the records of aborted
// transactions: kafka-go parses a Fetch response's aborted transactions and
// discards them (read.go), so even its Reader set to ReadCommitted delivers
// what a read_committed broker sends of aborted transactions. Connection
// set-up (TLS, API versions, SASL) and decompression are kafka-go's.

const (
	apiFetch     = 1
	fetchVersion = 4 // the oldest Fetch that Kafka 4 still serves; record batches v2

	maxResponse = 1 << 30 // a sanity bound on one fetch response

	requestMaxBytes = 52428800 // a Fetch's request-wide bound: the Java consumer's default fetch.max.bytes
)

// fetchConn is one connection to a partition leader, used for Fetch only.
type fetchConn struct {
	nc        net.Conn
	pc        *protocol.Conn
	clientID  string
	isolation int8 // the Fetch isolation level: 0 read_uncommitted, 1 read_committed
	corr      int32
	wbuf      []byte
	hdr       [8]byte
	pending   int32 // correlation id of a request whose response is unread, 0 if none
	unwatch   func() bool
}

func (f *fetchConn) Close() error {
	if f.unwatch != nil {
		f.unwatch()
	}
	return f.pc.Close()
}

// leader returns the address of partition p's leader.
func (c *Client) leader(ctx context.Context, p int32) (string, error) {
	var addr string
	err := c.retry(ctx, func(ctx context.Context) error {
		md, err := c.kc.Metadata(ctx, &kafkago.MetadataRequest{Topics: []string{c.cfg.Topic}})
		if err != nil {
			return err
		}
		for _, t := range md.Topics {
			if t.Name != c.cfg.Topic {
				continue
			}
			if t.Error != nil {
				return t.Error
			}
			for _, part := range t.Partitions {
				if int32(part.ID) != p {
					continue
				}
				if part.Error != nil {
					return part.Error
				}
				if part.Leader.Host == "" {
					return kafkago.LeaderNotAvailable
				}
				addr = net.JoinHostPort(part.Leader.Host, strconv.Itoa(part.Leader.Port))
				return nil
			}
		}
		return kafkago.UnknownTopicOrPartition
	})
	if err != nil {
		return "", fmt.Errorf("find leader: %w", err)
	}
	return addr, nil
}

// dialFetch opens a fetch connection to the leader of partition p.
func (c *Client) dialFetch(ctx context.Context, p int32) (*fetchConn, error) {
	outer := ctx
	addr, err := c.leader(ctx, p)
	if err != nil {
		return nil, err
	}
	fc, err := c.dialAddr(ctx, addr)
	if err != nil {
		return nil, err
	}
	// Cancelling the read's context interrupts a blocked fetch at once.
	fc.unwatch = context.AfterFunc(outer, func() { fc.nc.SetDeadline(time.Now()) })
	return fc, nil
}

// dialAddr connects to one broker and completes TLS, API version and SASL
// set-up.
func (c *Client) dialAddr(ctx context.Context, addr string) (*fetchConn, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.DialTimeout+c.cfg.RequestTimeout)
	defer cancel()
	nc, err := (&net.Dialer{Timeout: c.cfg.DialTimeout}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("dial broker %s: %w", addr, err)
	}
	fc, err := c.setUpFetchConn(ctx, nc, addr)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("broker %s: %w", addr, err)
	}
	return fc, nil
}

func (c *Client) setUpFetchConn(ctx context.Context, nc net.Conn, addr string) (*fetchConn, error) {
	if d, ok := ctx.Deadline(); ok {
		nc.SetDeadline(d)
	}
	stop := context.AfterFunc(ctx, func() { nc.SetDeadline(time.Now()) })
	defer stop()
	if c.tls != nil {
		cfg := c.tls
		if cfg.ServerName == "" {
			cfg = cfg.Clone()
			cfg.ServerName, _, _ = net.SplitHostPort(addr)
		}
		tc := tls.Client(nc, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			return nil, fmt.Errorf("TLS handshake: %w", err)
		}
		nc = tc
	}
	pc := protocol.NewConn(nc, c.cfg.ClientID)
	m, err := pc.RoundTrip(&apiversions.Request{})
	if err != nil {
		return nil, fmt.Errorf("api versions: %w", err)
	}
	res, ok := m.(*apiversions.Response)
	if !ok {
		return nil, fmt.Errorf("api versions: unexpected response %T", m)
	}
	if res.ErrorCode != 0 {
		return nil, fmt.Errorf("api versions: %w", kafkago.Error(res.ErrorCode))
	}
	versions := make(map[protocol.ApiKey]int16, len(res.ApiKeys))
	fetchOK := false
	for _, k := range res.ApiKeys {
		key := protocol.ApiKey(k.ApiKey)
		versions[key] = key.SelectVersion(k.MinVersion, k.MaxVersion)
		if key == protocol.Fetch {
			fetchOK = k.MinVersion <= fetchVersion && fetchVersion <= k.MaxVersion
		}
	}
	if !fetchOK {
		return nil, fmt.Errorf("broker does not serve Fetch v%d", fetchVersion)
	}
	pc.SetVersions(versions)
	if c.sasl != nil {
		if err := authenticate(ctx, pc, c.sasl); err != nil {
			return nil, fmt.Errorf("SASL %s as %q: %w", c.cfg.SASL.Mechanism, c.cfg.SASL.Username, err)
		}
	}
	nc.SetDeadline(time.Time{})
	return &fetchConn{nc: nc, pc: pc, clientID: c.cfg.ClientID, isolation: c.cfg.isolationLevel()}, nil
}

// authenticate runs the SASL exchange on pc as kafka-go's Transport does.
func authenticate(ctx context.Context, pc *protocol.Conn, mech sasl.Mechanism) error {
	m, err := pc.RoundTrip(&saslhandshake.Request{Mechanism: mech.Name()})
	if err != nil {
		return err
	}
	if res, ok := m.(*saslhandshake.Response); !ok {
		return fmt.Errorf("unexpected response %T", m)
	} else if res.ErrorCode != 0 {
		return kafkago.Error(res.ErrorCode)
	}
	sess, state, err := mech.Start(ctx)
	if err != nil {
		return err
	}
	for done := false; !done; {
		m, err := pc.RoundTrip(&saslauthenticate.Request{AuthBytes: state})
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				// A broker closes the connection on a failed login.
				return kafkago.SASLAuthenticationFailed
			}
			return err
		}
		res, ok := m.(*saslauthenticate.Response)
		if !ok {
			return fmt.Errorf("unexpected response %T", m)
		}
		if res.ErrorCode != 0 {
			// The broker's message names the user at most; never the password.
			return fmt.Errorf("%w: %s", kafkago.Error(res.ErrorCode), res.ErrorMessage)
		}
		if done, state, err = sess.Next(ctx, res.AuthBytes); err != nil {
			return err
		}
	}
	return nil
}

// send writes a Fetch v4 request for one partition.
func (f *fetchConn) send(topic string, p int32, offset int64, maxBytes int, maxWait time.Duration, deadline time.Time) error {
	f.corr++
	if f.corr <= 0 {
		f.corr = 1
	}
	b := f.wbuf[:0]
	b = binary.BigEndian.AppendUint32(b, 0) // size, patched below
	b = binary.BigEndian.AppendUint16(b, apiFetch)
	b = binary.BigEndian.AppendUint16(b, fetchVersion)
	b = binary.BigEndian.AppendUint32(b, uint32(f.corr))
	b = appendString(b, f.clientID)
	b = binary.BigEndian.AppendUint32(b, ^uint32(0)) // replica id -1
	b = binary.BigEndian.AppendUint32(b, uint32(max(maxWait.Milliseconds(), 1)))
	b = binary.BigEndian.AppendUint32(b, 1) // min bytes
	// The response's bound is the partition's max bytes below: with one
	// partition the request-wide bound adds nothing, and it is the Java
	// consumer's default fetch.max.bytes (or maxBytes when larger), because
	// kfake leaves the aborted transactions out of a response it cut at the
	// request-wide bound (a real broker lists them either way).
	b = binary.BigEndian.AppendUint32(b, uint32(max(maxBytes, requestMaxBytes)))
	b = append(b, byte(f.isolation))
	b = binary.BigEndian.AppendUint32(b, 1) // one topic
	b = appendString(b, topic)
	b = binary.BigEndian.AppendUint32(b, 1) // one partition
	b = binary.BigEndian.AppendUint32(b, uint32(p))
	b = binary.BigEndian.AppendUint64(b, uint64(offset))
	b = binary.BigEndian.AppendUint32(b, uint32(maxBytes))
	binary.BigEndian.PutUint32(b, uint32(len(b)-4))
	f.wbuf = b
	f.nc.SetWriteDeadline(deadline)
	if _, err := f.pc.Write(b); err != nil {
		return err
	}
	f.pending = f.corr
	return nil
}

func appendString(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(s)))
	return append(b, s...)
}

// fetched is one partition's part of a Fetch response.
type fetched struct {
	errCode int16
	hwm     int64
	lso     int64        // the last stable offset (read_committed: the end of what is served)
	aborted []abortedTxn // read_committed: the aborted transactions among the records
	records []byte       // record batches, possibly ending in a truncated one
}

// abortedTxn is one entry of a Fetch response's aborted transactions: a
// producer and the first offset of a transaction of it that was aborted.
type abortedTxn struct{ producerID, firstOffset int64 }

// receive reads the response to the pending request. The returned records
// point into a buffer of their own that is never reused.
func (f *fetchConn) receive(p int32, deadline time.Time) (fetched, error) {
	if f.pending == 0 {
		return fetched{}, errors.New("no request pending")
	}
	f.nc.SetReadDeadline(deadline)
	if _, err := io.ReadFull(f.pc, f.hdr[:8]); err != nil {
		return fetched{}, err
	}
	size := int32(binary.BigEndian.Uint32(f.hdr[:4]))
	corr := int32(binary.BigEndian.Uint32(f.hdr[4:8]))
	if corr != f.pending {
		return fetched{}, fmt.Errorf("response correlation id %d, want %d", corr, f.pending)
	}
	if size < 4 || size > maxResponse {
		return fetched{}, fmt.Errorf("response size %d out of bounds", size)
	}
	body := make([]byte, size-4)
	if _, err := io.ReadFull(f.pc, body); err != nil {
		return fetched{}, err
	}
	f.pending = 0
	return parseFetchV4(body, p)
}

// parseFetchV4 finds partition p in a Fetch v4 response body.
func parseFetchV4(body []byte, p int32) (fetched, error) {
	d := decoder{b: body}
	d.int32() // throttle
	for range d.count() {
		d.skipString() // topic
		for range d.count() {
			var r fetched
			part := d.int32()
			r.errCode = d.int16()
			r.hwm = d.int64()
			r.lso = d.int64()
			if n := d.count(); n > 0 && d.need(16*n) {
				r.aborted = make([]abortedTxn, n)
				for i := range r.aborted {
					r.aborted[i] = abortedTxn{producerID: d.int64(), firstOffset: d.int64()}
				}
			}
			if n := int(d.int32()); n > 0 {
				r.records = d.take(n)
			}
			if d.err != nil {
				break
			}
			if part == p {
				return r, nil
			}
		}
	}
	if d.err != nil {
		return fetched{}, fmt.Errorf("malformed fetch response: %w", d.err)
	}
	return fetched{}, fmt.Errorf("fetch response has no partition %d", p)
}

// batchEnd returns the offset after the last complete record batch in rs, or
// -1 when rs holds none. It reads batch headers only.
func batchEnd(rs []byte) int64 {
	end := int64(-1)
	for len(rs) >= 61 {
		base := int64(binary.BigEndian.Uint64(rs))
		n := int(int32(binary.BigEndian.Uint32(rs[8:])))
		if n < 49 || 12+n > len(rs) {
			break
		}
		end = base + int64(int32(binary.BigEndian.Uint32(rs[23:]))) + 1
		rs = rs[12+n:]
	}
	return end
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Record batch attribute bits.
const (
	attrCompression   = 0x07
	attrLogAppendTime = 0x08
	attrTransactional = 0x10
	attrControl       = 0x20
)

// batchVisitor receives the records of the batches decodeBatches walks.
type batchVisitor interface {
	// record is called for each data record at or after from; it returns
	// false to stop.
	record(off int64, ts int64, key, value []byte, headers []headerRef) bool
	// skipped moves the position past offsets with nothing to deliver
	// (control batches, batches of aborted transactions and records
	// compacted away at a batch's end).
	skipped(next int64)
}

type headerRef struct {
	key   string
	value []byte
}

// decodeBatches walks the record batches in rs, calling v for records at or
// after from. Batches of the aborted transactions listed (a read_committed
// Fetch response's list for these records) and control batches are skipped
// whole. A truncated batch at the end is ignored (the broker cuts the
// response at max bytes). It stops early when v.record returns false.
func decodeBatches(rs []byte, from int64, aborted []abortedTxn, v batchVisitor) error {
	var hdrs []headerRef
	var txns abortFilter
	if len(aborted) > 0 {
		txns.init(aborted)
	}
	for len(rs) >= 17 {
		base := int64(binary.BigEndian.Uint64(rs))
		n := int(int32(binary.BigEndian.Uint32(rs[8:])))
		if magic := rs[16]; magic != 2 {
			return fmt.Errorf("offset %d: record batch format v%d is not supported (v2 is, since Kafka 0.11)", base, magic)
		}
		if n < 49 || 12+n > len(rs) {
			return nil // truncated trailing batch
		}
		batch := rs[12 : 12+n]
		rs = rs[12+n:]
		if crc := binary.BigEndian.Uint32(batch[5:]); crc32.Checksum(batch[9:], castagnoli) != crc {
			return fmt.Errorf("offset %d: record batch CRC mismatch", base)
		}
		attrs := binary.BigEndian.Uint16(batch[9:])
		last := base + int64(int32(binary.BigEndian.Uint32(batch[11:])))
		firstTS := int64(binary.BigEndian.Uint64(batch[15:]))
		maxTS := int64(binary.BigEndian.Uint64(batch[23:]))
		count := int(int32(binary.BigEndian.Uint32(batch[45:])))
		if attrs&attrTransactional != 0 && txns.active() {
			// Also for batches before from: an abort marker there closes
			// its transaction for the batches that follow.
			if txns.aborted(int64(binary.BigEndian.Uint64(batch[31:])), last, attrs&attrControl != 0, batch[49:]) {
				if last >= from {
					v.skipped(last + 1)
				}
				continue
			}
		}
		if last < from {
			continue
		}
		if attrs&attrControl != 0 {
			v.skipped(last + 1)
			continue
		}
		data := batch[49:]
		if codec := compress.Compression(attrs & attrCompression); codec != compress.None {
			var err error
			if data, err = decompress(codec, data); err != nil {
				return fmt.Errorf("offset %d: %s record batch: %w", base, codec, err)
			}
		}
		d := decoder{b: data}
		for i := 0; i < count && d.err == nil; i++ {
			d.varint() // record length
			d.skip(1)  // attributes
			ts := firstTS + d.varint()
			off := base + d.varint()
			key := d.bytesOrNil()
			value := d.bytesOrNil()
			hdrs = hdrs[:0]
			for range int(d.varint()) {
				k := d.bytesOrNil()
				hdrs = append(hdrs, headerRef{key: string(k), value: d.bytesOrNil()})
				if d.err != nil {
					break
				}
			}
			if d.err != nil {
				break
			}
			if off < from {
				continue
			}
			if attrs&attrLogAppendTime != 0 {
				ts = maxTS
			}
			if !v.record(off, ts, key, value, hdrs) {
				return nil
			}
		}
		if d.err != nil {
			return fmt.Errorf("offset %d: malformed record batch: %w", base, d.err)
		}
		v.skipped(last + 1)
	}
	return nil
}

// abortFilter tells the batches of aborted transactions from the others,
// as the Java consumer does (CompletedFetch in read_committed): an aborted
// transaction of a producer begins at its listed first offset and ends at
// that producer's next abort marker; a transactional batch of the producer
// in between is aborted. Committed transactions and batches outside
// transactions are never listed, so they are never dropped.
type abortFilter struct {
	pending []abortedTxn // listed, by first offset, not yet begun
	open    []int64      // producers inside an aborted transaction
}

func (f *abortFilter) init(aborted []abortedTxn) {
	f.pending = slices.Clone(aborted)
	slices.SortFunc(f.pending, func(a, b abortedTxn) int { return cmp.Compare(a.firstOffset, b.firstOffset) })
}

// active reports whether any aborted transaction is listed or open.
func (f *abortFilter) active() bool { return len(f.pending) > 0 || len(f.open) > 0 }

// aborted reports whether the transactional batch ending at last, of
// producer pid, is to be dropped: a data batch of an open aborted
// transaction, or the abort marker that closes one. records is the control
// batch's records, when control.
func (f *abortFilter) aborted(pid, last int64, control bool, records []byte) bool {
	for len(f.pending) > 0 && f.pending[0].firstOffset <= last {
		if !slices.Contains(f.open, f.pending[0].producerID) {
			f.open = append(f.open, f.pending[0].producerID)
		}
		f.pending = f.pending[1:]
	}
	i := slices.Index(f.open, pid)
	if i < 0 {
		return false
	}
	if control {
		// The producer's next marker ends its transaction, which was
		// aborted: only an abort marker can come (one that cannot be read
		// is taken for it).
		if controlType(records) != controlCommit {
			f.open = slices.Delete(f.open, i, i+1)
		}
	}
	return true
}

// controlCommit is the type of a commit marker (an abort marker is 0).
const controlCommit = 1

// controlType reads the type of a control batch's first record: the key is
// a version and a type, both int16. It returns -1 when it cannot tell.
func controlType(records []byte) int16 {
	d := decoder{b: records}
	d.varint() // record length
	d.skip(1)  // attributes
	d.varint() // timestamp delta
	d.varint() // offset delta
	key := d.bytesOrNil()
	if d.err != nil || len(key) < 4 {
		return -1
	}
	return int16(binary.BigEndian.Uint16(key[2:]))
}

func decompress(codec compress.Compression, data []byte) ([]byte, error) {
	c := codec.Codec()
	if c == nil {
		return nil, fmt.Errorf("unknown compression codec %d", codec)
	}
	r := c.NewReader(bytes.NewReader(data))
	defer r.Close()
	var buf bytes.Buffer
	buf.Grow(4 * len(data))
	if _, err := buf.ReadFrom(r); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// decoder reads Kafka wire fields from a byte slice; the first error sticks
// and makes every later read return zero values.
type decoder struct {
	b   []byte
	err error
}

var errShort = errors.New("truncated")

// emptyBytes is a present, empty key or value: not nil, and with no
// capacity, so appending to it never writes into another record.
var emptyBytes = []byte{}

func (d *decoder) need(n int) bool {
	if d.err != nil {
		return false
	}
	if n < 0 || n > len(d.b) {
		d.err = errShort
		d.b = nil
		return false
	}
	return true
}

func (d *decoder) skip(n int) {
	if d.need(n) {
		d.b = d.b[n:]
	}
}

func (d *decoder) take(n int) []byte {
	if !d.need(n) {
		return nil
	}
	v := d.b[:n:n]
	d.b = d.b[n:]
	return v
}

func (d *decoder) int16() int16 {
	if !d.need(2) {
		return 0
	}
	v := int16(binary.BigEndian.Uint16(d.b))
	d.b = d.b[2:]
	return v
}

func (d *decoder) int32() int32 {
	if !d.need(4) {
		return 0
	}
	v := int32(binary.BigEndian.Uint32(d.b))
	d.b = d.b[4:]
	return v
}

func (d *decoder) int64() int64 {
	if !d.need(8) {
		return 0
	}
	v := int64(binary.BigEndian.Uint64(d.b))
	d.b = d.b[8:]
	return v
}

// count reads an array length; a null array counts as empty.
func (d *decoder) count() int {
	n := int(d.int32())
	if n < 0 {
		return 0
	}
	if n > len(d.b) && d.err == nil { // no element is smaller than a byte
		d.err = errShort
		d.b = nil
		return 0
	}
	return n
}

func (d *decoder) skipString() {
	d.skip(int(d.int16()))
}

func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	u, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = errors.New("bad varint")
		d.b = nil
		return 0
	}
	d.b = d.b[n:]
	return int64(u>>1) ^ -int64(u&1) // zig-zag
}

// bytesOrNil reads varint-length bytes: nil for length -1, a non-nil empty
// slice for length 0. The result aliases the input.
func (d *decoder) bytesOrNil() []byte {
	n := d.varint()
	if d.err != nil || n < 0 {
		return nil
	}
	if n == 0 {
		return emptyBytes
	}
	return d.take(int(n))
}
