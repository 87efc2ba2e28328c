package mctest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/aliyun/aliyun-odps-go-sdk/odps/tunnel"
)

const maxBlockID = 19999

func (s *Server) uploadCreate(x *exchange, proj, tbl string) {
	q := x.r.URL.Query()
	s.mu.Lock()
	defer s.mu.Unlock()
	p, t, err := s.tableLocked(proj, tbl)
	if err != nil {
		x.fail(err)
		return
	}
	key, spec, err := parseSpec(t, q.Get("partition"))
	if err != nil {
		x.fail(err)
		return
	}
	create := q.Get("create_partition") == "true" && !s.opt.noCreatePart
	if len(t.parts) > 0 && t.partitions[key] == nil && !create {
		x.fail(errorf(http.StatusNotFound, "NoSuchPartition", "partition %s of table %s.%s does not exist", clip(key), p.name, t.name))
		return
	}
	u := &upload{
		id:        s.nextIDLocked("") + randomHex(8),
		project:   p.name,
		table:     t.name,
		partKey:   key,
		spec:      spec,
		overwrite: q.Get("overwrite") == "true",
		create:    create,
		status:    statusNormal,
		cols:      append([]column(nil), t.cols...),
		blocks:    map[int]*block{},
		created:   s.opt.now(),
	}
	s.uploads[u.id] = u
	x.replyJSON(http.StatusCreated, s.sessionJSON(u, t))
}

// uploadLocked finds an upload session of the table and checks the partition matches.
func (s *Server) uploadLocked(x *exchange, proj, tbl string) (*upload, *table, *apiError) {
	q := x.r.URL.Query()
	_, t, err := s.tableLocked(proj, tbl)
	if err != nil {
		return nil, nil, err
	}
	id := q.Get("uploadid")
	u := s.uploads[id]
	if u == nil || !strings.EqualFold(u.table, t.name) || !strings.EqualFold(u.project, proj) {
		return nil, nil, errorf(http.StatusNotFound, "NoSuchUpload", "upload session %s does not exist", clip(id))
	}
	key, _, err := parseSpec(t, q.Get("partition"))
	if err != nil {
		return nil, nil, err
	}
	if key != u.partKey {
		return nil, nil, errorf(http.StatusBadRequest, "InvalidPartitionSpec", "upload session %s writes partition %s, not %s", u.id, u.partKey, clip(key))
	}
	return u, t, nil
}

func (s *Server) uploadReload(x *exchange, proj, tbl string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, t, err := s.uploadLocked(x, proj, tbl)
	if err != nil {
		x.fail(err)
		return
	}
	x.replyJSON(http.StatusOK, s.sessionJSON(u, t))
}

func (s *Server) blockPut(x *exchange, proj, tbl string) {
	q := x.r.URL.Query()
	id, perr := strconv.Atoi(q.Get("blockid"))
	if perr != nil || id < 0 || id > maxBlockID {
		x.fail(errorf(http.StatusBadRequest, "InvalidBlockID", "block id %q is not a number in 0..%d", clip(q.Get("blockid")), maxBlockID))
		return
	}
	s.mu.Lock()
	u, _, err := s.uploadLocked(x, proj, tbl)
	var cols []column
	if err == nil {
		if u.status != statusNormal {
			err = errorf(http.StatusConflict, "StatusConflict", "upload session %s is %s: blocks can be written only while it is normal", u.id, u.status)
		} else {
			cols = u.cols
		}
	}
	s.mu.Unlock()
	if err != nil {
		x.fail(err)
		return
	}
	enc := x.r.Header.Get("Content-Encoding")
	switch strings.ToLower(enc) {
	case "", tunnel.DeflateName, tunnel.SnappyFramedName, tunnel.ZstdName:
	default:
		x.fail(errorf(http.StatusBadRequest, "UnsupportedContentEncoding", "Content-Encoding %q is not supported", clip(enc)))
		return
	}
	counter := &countingReader{r: x.r.Body}
	body := tunnel.WrapByCompressor(io.NopCloser(counter), enc)
	rows, count, derr := decodeBlock(body, cols, s.opt.maxFieldSize, !s.opt.discardRows)
	_ = body.Close()
	if derr != nil {
		x.fail(errorf(http.StatusBadRequest, "MalformedDataStream", "block %d of upload session %s: %v", id, u.id, derr))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if u.status != statusNormal { // committed while the block streamed in
		x.fail(errorf(http.StatusConflict, "StatusConflict", "upload session %s is %s: blocks can be written only while it is normal", u.id, u.status))
		return
	}
	u.version++
	u.blocks[id] = &block{id: id, rows: rows, count: count, codec: strings.ToLower(enc), bytes: counter.n, created: s.opt.now(), version: u.version}
	x.reply(http.StatusOK, "", nil)
}

func (s *Server) uploadCommit(x *exchange, proj, tbl string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, t, err := s.uploadLocked(x, proj, tbl)
	if err != nil {
		x.fail(err)
		return
	}
	if u.status != statusNormal {
		x.fail(errorf(http.StatusConflict, "StatusConflict", "upload session %s is %s: only a normal session can be committed", u.id, u.status))
		return
	}
	part := t.partitions[u.partKey]
	if part == nil {
		if len(t.parts) > 0 && !u.create {
			x.fail(errorf(http.StatusNotFound, "NoSuchPartition", "partition %s of table %s.%s does not exist", clip(u.partKey), u.project, t.name))
			return
		}
		part = &partition{spec: u.spec, created: s.opt.now()}
		t.partitions[u.partKey] = part
	}
	if u.overwrite {
		part.rows, part.count, part.bytes, part.files = nil, 0, 0, 0
	}
	part.modified = s.opt.now()
	ids := make([]int, 0, len(u.blocks))
	for id := range u.blocks {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	// Columns of the session are a prefix of the table's (columns are only ever added): pad.
	for _, id := range ids {
		b := u.blocks[id]
		for _, r := range b.rows {
			if len(r) < len(t.cols) {
				r = append(r, make([]any, len(t.cols)-len(r))...)
			}
			part.rows = append(part.rows, r)
		}
		part.count += b.count
		part.bytes += b.bytes
		part.files++
		b.rows = nil
	}
	t.modified = s.opt.now()
	u.status = statusClosed
	x.replyJSON(http.StatusOK, s.sessionJSON(u, t))
}

type columnJSON struct {
	ColumnID     string `json:"column_id"`
	Comment      string `json:"comment"`
	DefaultValue string `json:"default_value"`
	Name         string `json:"name"`
	Nullable     bool   `json:"nullable"`
	Type         string `json:"type"`
}

type blockJSON struct {
	BlockID     int    `json:"BlockID"`
	CreateTime  int64  `json:"CreateTime"`
	Date        string `json:"Date"`
	FileName    string `json:"FileName"`
	RecordCount int64  `json:"RecordCount"`
	Version     int64  `json:"Version"`
}

type sessionJSON struct {
	Initiated    string `json:"Initiated"`
	IsOverwrite  bool   `json:"IsOverwrite"`
	MaxFieldSize int    `json:"MaxFieldSize"`
	Owner        string `json:"Owner"`
	Schema       struct {
		IsVirtualView bool         `json:"IsVirtualView"`
		Columns       []columnJSON `json:"columns"`
		PartitionKeys []columnJSON `json:"partitionKeys"`
	} `json:"Schema"`
	Status            string      `json:"Status"`
	UploadID          string      `json:"UploadID"`
	QuotaName         string      `json:"QuotaName"`
	UploadedBlockList []blockJSON `json:"UploadedBlockList"`
}

func (s *Server) sessionJSON(u *upload, t *table) sessionJSON {
	var j sessionJSON
	j.Initiated = gmt(u.created)
	j.IsOverwrite = u.overwrite
	j.MaxFieldSize = s.opt.maxFieldSize
	j.Owner = "ALIYUN$" + s.opt.accessID
	j.Status = u.status
	j.UploadID = u.id
	j.Schema.Columns = columnsJSON(u.cols, 1)
	j.Schema.PartitionKeys = columnsJSON(t.parts, len(u.cols)+1)
	j.UploadedBlockList = []blockJSON{}
	ids := make([]int, 0, len(u.blocks))
	for id := range u.blocks {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	for _, id := range ids {
		b := u.blocks[id]
		j.UploadedBlockList = append(j.UploadedBlockList, blockJSON{
			BlockID: id, CreateTime: b.created.Unix(), Date: gmt(b.created),
			FileName: fmt.Sprintf("%s_%d_%d", u.id, id, b.version), RecordCount: b.count, Version: b.version,
		})
	}
	return j
}

func columnsJSON(cs []column, first int) []columnJSON {
	out := make([]columnJSON, len(cs))
	for i, c := range cs {
		out[i] = columnJSON{ColumnID: strconv.Itoa(first + i), Comment: c.comment, Name: c.name, Nullable: true, Type: c.typeName()}
	}
	return out
}

func (x *exchange) replyJSON(status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		x.fail(errorf(http.StatusInternalServerError, "InternalServerError", "mctest: %v", err))
		return
	}
	x.reply(status, "application/json", b)
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
