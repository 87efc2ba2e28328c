package mctest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aliyun/aliyun-odps-go-sdk/odps/datatype"

	"github.com/fcsync/fcsync/shared/schema"
)

type project struct {
	name    string
	created time.Time
	tables  map[string]*table // by lower-case name
}

type column struct {
	name    string
	comment string
	typ     datatype.DataType
}

// typeName is the type as the service spells it in JSON: lower case, with its parameters.
func (c column) typeName() string { return strings.ToLower(c.typ.Name()) }

type table struct {
	name       string
	id         string
	comment    string
	lifecycle  int
	cols       []column
	parts      []column
	created    time.Time
	lastDDL    time.Time
	modified   time.Time
	partitions map[string]*partition // by canonical spec ("" for a non-partitioned table)
}

func (t *table) colIndex(name string) int {
	for i, c := range t.cols {
		if strings.EqualFold(c.name, name) {
			return i
		}
	}
	return -1
}

func (t *table) hasColumn(name string) bool {
	if t.colIndex(name) >= 0 {
		return true
	}
	for _, c := range t.parts {
		if strings.EqualFold(c.name, name) {
			return true
		}
	}
	return false
}

type kv struct{ key, value string }

type partition struct {
	spec     []kv
	rows     [][]any
	count    int64
	bytes    int64 // block bytes committed, as the partition's size
	files    int   // blocks committed, as the partition's file count
	created  time.Time
	modified time.Time
}

type upload struct {
	id        string
	project   string
	table     string // as the table spells its name
	partKey   string // canonical spec
	spec      []kv
	overwrite bool
	create    bool // create_partition
	status    string
	cols      []column // the table's columns when the session was created
	blocks    map[int]*block
	created   time.Time
	version   int64
}

type block struct {
	id      int
	rows    [][]any
	count   int64
	codec   string
	bytes   int64
	created time.Time
	version int64
}

// Upload session statuses, as the service spells them.
const (
	statusNormal  = "normal"
	statusClosed  = "closed"
	statusExpired = "expired"
)

// parseSpec reads a partition spec as the tunnel takes it ("ds=20221122,hh=10"; the SDK
// removes quotes and turns / into ,) and checks it against the table's partition columns.
// It returns the canonical spec (the table's column spelling) and the levels.
func parseSpec(t *table, raw string) (string, []kv, *apiError) {
	raw = strings.TrimSpace(raw)
	if len(t.parts) == 0 {
		if raw != "" {
			return "", nil, errorf(http.StatusBadRequest, "InvalidPartitionSpec", "table %s is not partitioned, but partition %q was given", t.name, clip(raw))
		}
		return "", nil, nil
	}
	if raw == "" {
		return "", nil, errorf(http.StatusBadRequest, "InvalidPartitionSpec", "table %s is partitioned by (%s): a partition spec is required", t.name, colList(t.parts))
	}
	levels := strings.FieldsFunc(raw, func(r rune) bool { return r == ',' || r == '/' })
	if len(levels) != len(t.parts) {
		return "", nil, errorf(http.StatusBadRequest, "InvalidPartitionSpec", "partition %q does not name every partition column of table %s (%s)", clip(raw), t.name, colList(t.parts))
	}
	spec := make([]kv, len(levels))
	for i, lv := range levels {
		k, v, ok := strings.Cut(lv, "=")
		k, v = strings.TrimSpace(k), strings.Trim(strings.TrimSpace(v), `'"`)
		if !ok || !strings.EqualFold(k, t.parts[i].name) {
			return "", nil, errorf(http.StatusBadRequest, "InvalidPartitionSpec", "partition %q: level %d must be %s=<value>", clip(raw), i+1, t.parts[i].name)
		}
		if err := checkPartitionValue(t.parts[i], v); err != nil {
			return "", nil, errorf(http.StatusBadRequest, "InvalidPartitionSpec", "partition %q: %v", clip(raw), err)
		}
		spec[i] = kv{t.parts[i].name, v}
	}
	return specString(spec), spec, nil
}

func checkPartitionValue(c column, v string) error {
	pv := schema.PartitionValue{Column: c.name, Value: v}
	if err := pv.Validate(); err != nil {
		return err
	}
	switch c.typ.ID() {
	case datatype.BIGINT, datatype.INT, datatype.SMALLINT, datatype.TINYINT:
		for i := 0; i < len(v); i++ {
			if (v[i] < '0' || v[i] > '9') && !(i == 0 && v[i] == '-' && len(v) > 1) {
				return fmt.Errorf("value %q of %s is not an integer", v, c.name)
			}
		}
	}
	return nil
}

func specString(spec []kv) string {
	parts := make([]string, len(spec))
	for i, p := range spec {
		parts[i] = p.key + "=" + p.value
	}
	return strings.Join(parts, ",")
}

func colList(cs []column) string {
	names := make([]string, len(cs))
	for i, c := range cs {
		names[i] = c.name + " " + c.typeName()
	}
	return strings.Join(names, ", ")
}

// clip shortens text quoted into an error message.
func clip(s string) string {
	if len(s) <= 80 {
		return s
	}
	cut := 77
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

// parseType reads a column type with the SDK's parser (which panics on some malformed input).
func parseType(text string) (dt datatype.DataType, err error) {
	defer func() {
		if r := recover(); r != nil {
			dt, err = nil, fmt.Errorf("type %q cannot be parsed", clip(text))
		}
	}()
	dt, err = datatype.ParseDataType(text)
	if err != nil {
		return nil, fmt.Errorf("type %q: %v", clip(text), err)
	}
	switch dt.ID() {
	case datatype.BIGINT, datatype.INT, datatype.SMALLINT, datatype.TINYINT, datatype.DOUBLE, datatype.FLOAT,
		datatype.DECIMAL, datatype.STRING, datatype.VARCHAR, datatype.CHAR, datatype.BOOLEAN, datatype.DATETIME,
		datatype.TIMESTAMP, datatype.TIMESTAMP_NTZ, datatype.DATE, datatype.BINARY, datatype.JSON:
		return dt, nil
	}
	return nil, fmt.Errorf("type %s: mctest does not model %s columns", dt.Name(), dt.ID())
}

// xmlText escapes s for XML character data.
func xmlText(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

func gmt(t time.Time) string { return t.UTC().Format(http.TimeFormat) }

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
