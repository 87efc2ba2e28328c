package mctest

import (
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// Partition metadata on the REST API, as the Go SDK (Table.GetPartitions, Partition.Load) and
// PyODPS (Table.partitions, exist_partition) read it:
//
//	GET /projects/{p}/tables/{t}?partitions[&expectmarker=true][&marker=][&maxitems=][&partition=<prefix>][&reverse]
//	GET /projects/{p}/tables/{t}?partition=<spec>[&extended]

// defaultMaxItems is the page size of a partition listing that names none.
const defaultMaxItems = 1000

type partitionColumnXML struct {
	Name  string `xml:"Name,attr"`
	Value string `xml:"Value,attr"`
}

type partitionXML struct {
	Columns              []partitionColumnXML `xml:"Column"`
	CreationTime         int64                `xml:"CreationTime"`
	LastDDLTime          int64                `xml:"LastDDLTime"`
	LastModifiedTime     int64                `xml:"LastModifiedTime"`
	PartitionSize        int64                `xml:"PartitionSize"`
	PartitionRecordCount int64                `xml:"PartitionRecordCount"`
}

type partitionsXML struct {
	XMLName    xml.Name       `xml:"Partitions"`
	Marker     string         `xml:"Marker"`
	MaxItems   int            `xml:"MaxItems"`
	Partitions []partitionXML `xml:"Partition"`
}

// filterSpec reads the partition= filter of a listing: some of the table's partition columns,
// "ds='20240601'" (PyODPS, the Go SDK) or "ds=20240601", levels split by , or /.
func filterSpec(t *table, raw string) (map[int]string, *apiError) {
	want := map[int]string{}
	if strings.TrimSpace(raw) == "" {
		return want, nil
	}
	for _, lv := range strings.FieldsFunc(raw, func(r rune) bool { return r == ',' || r == '/' }) {
		k, v, ok := strings.Cut(lv, "=")
		k, v = strings.TrimSpace(k), strings.Trim(strings.TrimSpace(v), `'"`)
		i := slices.IndexFunc(t.parts, func(c column) bool { return strings.EqualFold(c.name, k) })
		if !ok || i < 0 {
			return nil, errorf(http.StatusBadRequest, "InvalidPartitionSpec", "partition filter %q: %q is not a partition column of table %s (%s)", clip(raw), clip(k), t.name, colList(t.parts))
		}
		want[i] = v
	}
	return want, nil
}

func (s *Server) partitionList(x *exchange, proj, tbl string) {
	q := x.r.URL.Query()
	maxItems := defaultMaxItems
	if v := q.Get("maxitems"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			x.fail(errorf(http.StatusBadRequest, "InvalidParameter", "maxitems %q is not a positive number", clip(v)))
			return
		}
		maxItems = min(n, 10000)
	}
	after := ""
	if m := q.Get("marker"); m != "" {
		b, err := base64.RawURLEncoding.DecodeString(m)
		if err != nil {
			x.fail(errorf(http.StatusBadRequest, "InvalidParameter", "marker %q was not given by this server", clip(m)))
			return
		}
		after = string(b)
	}
	s.mu.Lock()
	_, t, err := s.tableLocked(proj, tbl)
	if err != nil {
		s.mu.Unlock()
		x.fail(err)
		return
	}
	if len(t.parts) == 0 {
		s.mu.Unlock()
		x.fail(errorf(http.StatusBadRequest, "InvalidParameter", "table %s is not partitioned", t.name))
		return
	}
	want, err := filterSpec(t, q.Get("partition"))
	if err != nil {
		s.mu.Unlock()
		x.fail(err)
		return
	}
	keys := make([]string, 0, len(t.partitions))
	for k, p := range t.partitions {
		match := true
		for i, v := range want {
			match = match && p.spec[i].value == v
		}
		if match {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	if q.Has("reverse") {
		slices.Reverse(keys)
	}
	if after != "" {
		if i := slices.Index(keys, after); i >= 0 {
			keys = keys[i+1:]
		}
	}
	doc := partitionsXML{MaxItems: maxItems}
	if len(keys) > maxItems {
		keys = keys[:maxItems]
		doc.Marker = base64.RawURLEncoding.EncodeToString([]byte(keys[len(keys)-1]))
	}
	for _, k := range keys {
		p := t.partitions[k]
		px := partitionXML{CreationTime: p.created.Unix(), LastDDLTime: p.created.Unix(), LastModifiedTime: p.modified.Unix(),
			PartitionSize: p.bytes, PartitionRecordCount: p.count}
		for _, lv := range p.spec {
			px.Columns = append(px.Columns, partitionColumnXML{lv.key, lv.value})
		}
		doc.Partitions = append(doc.Partitions, px)
	}
	s.mu.Unlock()
	x.replyXML(doc)
}

// partitionMetaJSON is the Schema of a partition: the Go SDK's partitionModel and PyODPS's
// PartitionMeta, and with ?extended PartitionExtendedMeta.
type partitionMetaJSON struct {
	CreateTime         int64 `json:"createTime"`
	LastDDLTime        int64 `json:"lastDDLTime"`
	LastModifiedTime   int64 `json:"lastModifiedTime"`
	LastAccessTime     int64 `json:"lastAccessTime"`
	PartitionSize      int64 `json:"partitionSize"`
	PartitionRecordNum int64 `json:"partitionRecordNum"`
}

type partitionExtendedJSON struct {
	IsArchived   bool  `json:"IsArchived"`
	IsExstore    bool  `json:"IsExstore"`
	LifeCycle    int   `json:"LifeCycle"`
	PhysicalSize int64 `json:"PhysicalSize"`
	FileNum      int   `json:"FileNum"`
}

type partitionDocXML struct {
	XMLName xml.Name `xml:"Partition"`
	Schema  struct {
		Text string `xml:",cdata"`
	} `xml:"Schema"`
}

func (s *Server) partitionGet(x *exchange, proj, tbl string) {
	q := x.r.URL.Query()
	s.mu.Lock()
	p, t, err := s.tableLocked(proj, tbl)
	if err != nil {
		s.mu.Unlock()
		x.fail(err)
		return
	}
	key, _, err := parseSpec(t, q.Get("partition"))
	if err != nil {
		s.mu.Unlock()
		x.fail(err)
		return
	}
	part := t.partitions[key]
	if part == nil || len(t.parts) == 0 {
		s.mu.Unlock()
		x.fail(errorf(http.StatusNotFound, "NoSuchPartition", "partition %s of table %s.%s does not exist", clip(key), p.name, t.name))
		return
	}
	var v any = partitionMetaJSON{CreateTime: part.created.Unix(), LastDDLTime: part.created.Unix(), LastModifiedTime: part.modified.Unix(),
		PartitionSize: part.bytes, PartitionRecordNum: part.count}
	if q.Has("extended") {
		lc := t.lifecycle
		if lc == 0 {
			lc = -1
		}
		v = partitionExtendedJSON{LifeCycle: lc, PhysicalSize: part.bytes, FileNum: part.files}
	}
	s.mu.Unlock()
	b, jerr := json.Marshal(v)
	if jerr != nil {
		x.fail(errorf(http.StatusInternalServerError, "InternalServerError", "mctest: %v", jerr))
		return
	}
	var doc partitionDocXML
	doc.Schema.Text = string(b)
	x.replyXML(doc)
}

func (x *exchange) replyXML(v any) {
	b, err := xml.Marshal(v)
	if err != nil {
		x.fail(errorf(http.StatusInternalServerError, "InternalServerError", "mctest: %v", err))
		return
	}
	x.reply(http.StatusOK, "application/xml", append([]byte(xml.Header), b...))
}

// logviewHost answers GET /logview/host, which PyODPS asks to print Logview links of instances.
func (s *Server) logviewHost(x *exchange) {
	x.reply(http.StatusOK, "text/plain", []byte("http://logview.odps.aliyun.com"))
}

// tenant answers GET /tenants, where PyODPS looks up tenant parameters such as
// odps.namespace.schema (absent: projects without schemas, as mctest has).
func (s *Server) tenant(x *exchange) {
	now := s.opt.now().Unix()
	x.replyJSON(http.StatusOK, map[string]any{"Tenant": map[string]any{
		"Name": "mctest", "OwnerId": s.opt.accessID, "TenantId": "mctest-tenant",
		"TenantState": "NORMAL", "CreateTime": now, "UpdateTime": now, "Parameters": map[string]string{},
	}})
}
