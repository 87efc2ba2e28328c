package mctest

import (
	"compress/zlib"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/aliyun/aliyun-odps-go-sdk/odps/datatype"
	"github.com/aliyun/aliyun-odps-go-sdk/odps/tunnel"
)

// Download sessions, so that a test (or a user's SDK) reads back what the sink wrote:
//
//	POST .../tables/{t}?downloads[&partition=][&asyncmode=true]   create: a snapshot of the partition
//	GET  .../tables/{t}?downloadid=                                 reload
//	GET  .../tables/{t}?downloadid=&data&rowrange=(start,count)[&columns=a,b]
//
// The records come in the format blocks are uploaded in (block.go), written with the SDK's
// ProtocStreamWriter and Crc32CheckSum: per column present a tag (its 1-based position among
// the columns asked for) and the value, the end-of-record tag and the record's CRC, and after
// the last record the count and the CRC of the record CRCs. With Accept-Encoding: deflate the
// body is zlib-compressed and says so in Content-Encoding; other encodings are answered
// uncompressed, which both SDKs read. Arrow downloads are not implemented.

type download struct {
	id      string
	project string
	table   string
	partKey string
	cols    []column // the table's columns when the session was created
	parts   []column
	rows    [][]any // the partition's rows then (a snapshot: commits replace slices, never rows)
	created time.Time
}

type downloadJSON struct {
	DownloadID  string `json:"DownloadID"`
	Initiated   string `json:"Initiated"`
	Owner       string `json:"Owner"`
	RecordCount int64  `json:"RecordCount"`
	Schema      struct {
		IsVirtualView bool         `json:"IsVirtualView"`
		Columns       []columnJSON `json:"columns"`
		PartitionKeys []columnJSON `json:"partitionKeys"`
	} `json:"Schema"`
	Status    string `json:"Status"`
	QuotaName string `json:"QuotaName"`
}

func (s *Server) downloadJSON(d *download) downloadJSON {
	var j downloadJSON
	j.DownloadID = d.id
	j.Initiated = gmt(d.created)
	j.Owner = "ALIYUN$" + s.opt.accessID
	j.RecordCount = int64(len(d.rows))
	j.Schema.Columns = columnsJSON(d.cols, 1)
	j.Schema.PartitionKeys = columnsJSON(d.parts, len(d.cols)+1)
	j.Status = statusNormal // asyncmode or not, the snapshot is ready at once
	return j
}

func (s *Server) downloadCreate(x *exchange, proj, tbl string) {
	q := x.r.URL.Query()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.opt.discardRows {
		x.fail(errorf(http.StatusBadRequest, "InvalidParameter", "mctest was started WithoutRows: it keeps no rows to download"))
		return
	}
	p, t, err := s.tableLocked(proj, tbl)
	if err != nil {
		x.fail(err)
		return
	}
	key, _, err := parseSpec(t, q.Get("partition"))
	if err != nil {
		x.fail(err)
		return
	}
	part := t.partitions[key]
	if part == nil {
		x.fail(errorf(http.StatusNotFound, "NoSuchPartition", "partition %s of table %s.%s does not exist", clip(key), p.name, t.name))
		return
	}
	d := &download{
		id: s.nextIDLocked("") + randomHex(8), project: p.name, table: t.name, partKey: key,
		cols: append([]column(nil), t.cols...), parts: append([]column(nil), t.parts...),
		rows: part.rows[:len(part.rows):len(part.rows)], created: s.opt.now(),
	}
	s.downloads[d.id] = d
	x.replyJSON(http.StatusCreated, s.downloadJSON(d))
}

// downloadLocked finds a download session of the table and checks the partition matches.
func (s *Server) downloadLocked(x *exchange, proj, tbl string) (*download, *apiError) {
	q := x.r.URL.Query()
	_, t, err := s.tableLocked(proj, tbl)
	if err != nil {
		return nil, err
	}
	id := q.Get("downloadid")
	d := s.downloads[id]
	if d == nil || !strings.EqualFold(d.table, t.name) || !strings.EqualFold(d.project, proj) {
		return nil, errorf(http.StatusNotFound, "NoSuchDownload", "download session %s does not exist", clip(id))
	}
	key, _, err := parseSpec(t, q.Get("partition"))
	if err != nil {
		return nil, err
	}
	if key != d.partKey {
		return nil, errorf(http.StatusBadRequest, "InvalidPartitionSpec", "download session %s reads partition %s, not %s", d.id, d.partKey, clip(key))
	}
	return d, nil
}

func (s *Server) downloadReload(x *exchange, proj, tbl string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, err := s.downloadLocked(x, proj, tbl)
	if err != nil {
		x.fail(err)
		return
	}
	x.replyJSON(http.StatusOK, s.downloadJSON(d))
}

func (s *Server) downloadRead(x *exchange, proj, tbl string) {
	q := x.r.URL.Query()
	s.mu.Lock()
	d, err := s.downloadLocked(x, proj, tbl)
	s.mu.Unlock()
	if err != nil {
		x.fail(err)
		return
	}
	start, count, ok := rowRange(q.Get("rowrange"))
	if !ok || start+count > int64(len(d.rows)) {
		x.fail(errorf(http.StatusBadRequest, "InvalidRowRange", "rowrange %q is not (start,count) inside the session's %d records", clip(q.Get("rowrange")), len(d.rows)))
		return
	}
	idx := make([]int, len(d.cols))
	for i := range idx {
		idx[i] = i
	}
	if names := q.Get("columns"); names != "" {
		idx = idx[:0]
		for _, n := range strings.Split(names, ",") {
			i := -1
			for j, c := range d.cols {
				if strings.EqualFold(c.name, strings.TrimSpace(n)) {
					i = j
				}
			}
			if i < 0 {
				x.fail(errorf(http.StatusBadRequest, "InvalidColumnSpec", "column %q is not in table %s", clip(n), d.table))
				return
			}
			idx = append(idx, i)
		}
	}
	h := x.w.Header()
	h.Set("x-odps-request-id", x.reqID)
	h.Set("Content-Type", "application/octet-stream")
	var w io.Writer = x.w
	var zw *zlib.Writer
	if acceptsDeflate(x.r.Header.Get("Accept-Encoding")) {
		h.Set("Content-Encoding", tunnel.DeflateName)
		zw = zlib.NewWriter(x.w)
		w = zw
	}
	x.status = http.StatusOK
	x.w.WriteHeader(http.StatusOK)
	// Past the header a failure can only cut the stream; the client's checksums notice.
	if err := encodeRecords(w, d.cols, idx, d.rows[start:start+count]); err != nil {
		s.opt.log.Warn("mctest: download", "session", d.id, "err", err)
		return
	}
	if zw != nil {
		_ = zw.Close()
	}
}

// rowRange parses "(start,count)".
func rowRange(v string) (start, count int64, ok bool) {
	inner, found := strings.CutPrefix(strings.TrimSpace(v), "(")
	inner, found2 := strings.CutSuffix(inner, ")")
	a, b, found3 := strings.Cut(inner, ",")
	if !found || !found2 || !found3 {
		return 0, 0, false
	}
	start, err1 := strconv.ParseInt(strings.TrimSpace(a), 10, 64)
	count, err2 := strconv.ParseInt(strings.TrimSpace(b), 10, 64)
	return start, count, err1 == nil && err2 == nil && start >= 0 && count >= 0
}

func acceptsDeflate(v string) bool {
	for _, e := range strings.Split(v, ",") {
		if strings.EqualFold(strings.TrimSpace(e), tunnel.DeflateName) {
			return true
		}
	}
	return false
}

// encodeRecords writes rows in the tunnel's record format: the columns idx of cols (a row
// shorter than cols, committed before ADD COLUMNS, has NULLs for the rest), field numbers
// their position in idx. It is the exact inverse of decoder.
func encodeRecords(w io.Writer, cols []column, idx []int, rows [][]any) error {
	pw := tunnel.NewProtocStreamWriter(w)
	crc, crcOfCrc := tunnel.NewCrc32CheckSum(), tunnel.NewCrc32CheckSum()
	tag := func(num, wire int) error { return pw.WriteVarint(uint64(num)<<3 | uint64(wire)) }
	for _, row := range rows {
		for pos, i := range idx {
			if i >= len(row) || row[i] == nil {
				continue
			}
			c := cols[i]
			if err := tag(pos+1, wireType(c.typ)); err != nil {
				return err
			}
			crc.Update(int32(pos + 1))
			if err := encodeValue(pw, &crc, c, row[i]); err != nil {
				return fmt.Errorf("column %s: %w", c.name, err)
			}
		}
		if err := tag(int(tunnel.EndRecord), wireVarint); err != nil {
			return err
		}
		v := crc.Value()
		if err := pw.WriteUInt32(v); err != nil {
			return err
		}
		crcOfCrc.Update(v)
		crc.Reset()
	}
	if err := tag(int(tunnel.MetaCount), wireVarint); err != nil {
		return err
	}
	if err := pw.WriteSInt64(int64(len(rows))); err != nil {
		return err
	}
	if err := tag(int(tunnel.MetaChecksum), wireVarint); err != nil {
		return err
	}
	return pw.WriteUInt32(crcOfCrc.Value())
}

// encodeValue writes one value as decoder.value reads it, updating the record CRC the same way.
func encodeValue(pw *tunnel.ProtocStreamWriter, crc *tunnel.Crc32CheckSum, c column, v any) error {
	switch c.typ.ID() {
	case datatype.BIGINT, datatype.INT, datatype.SMALLINT, datatype.TINYINT:
		n, ok := v.(int64)
		if !ok {
			return fmt.Errorf("holds %T, want int64", v)
		}
		crc.Update(n)
		return pw.WriteSInt64(n)
	case datatype.DOUBLE:
		f, ok := v.(float64)
		if !ok {
			return fmt.Errorf("holds %T, want float64", v)
		}
		crc.Update(f)
		return pw.WriteFloat64(f)
	case datatype.FLOAT:
		f, ok := v.(float64)
		if !ok {
			return fmt.Errorf("holds %T, want float64", v)
		}
		crc.Update(float32(f))
		return pw.WriteFloat32(float32(f))
	case datatype.BOOLEAN:
		b, ok := v.(bool)
		if !ok {
			return fmt.Errorf("holds %T, want bool", v)
		}
		crc.Update(b)
		return pw.WriteBool(b)
	case datatype.DATETIME, datatype.DATE, datatype.TIMESTAMP, datatype.TIMESTAMP_NTZ:
		t, ok := v.(time.Time)
		if !ok {
			return fmt.Errorf("holds %T, want time.Time", v)
		}
		switch c.typ.ID() {
		case datatype.DATETIME:
			ms := t.UnixMilli()
			crc.Update(ms)
			return pw.WriteSInt64(ms)
		case datatype.DATE:
			days := int64(math.Floor(float64(t.Unix()) / 86400))
			crc.Update(days)
			return pw.WriteSInt64(days)
		}
		sec, nanos := t.Unix(), int32(t.Nanosecond())
		crc.Update(sec)
		crc.Update(nanos)
		if err := pw.WriteSInt64(sec); err != nil {
			return err
		}
		return pw.WriteSInt32(nanos)
	}
	var b []byte
	switch x := v.(type) {
	case []byte:
		b = x
	case string:
		b = []byte(x)
	default:
		return fmt.Errorf("holds %T, want string or []byte", v)
	}
	crc.Update(b)
	return pw.WriteBytes(b)
}
