package hudi

import (
	"errors"
	"fmt"
	"hash/crc32"
	"slices"
	"strings"
	"time"

	"github.com/fcsync/fcsync/shared/schema"
)

// ErrIncompatible is wrapped by Create's error when a table already exists at the root with a
// different name, record key, precombine field or partitioning.
var ErrIncompatible = errors.New("existing table is incompatible")

// ErrNotTable is wrapped by Open's error when the root holds no Hudi table.
var ErrNotTable = errors.New("not a Hudi table")

// Granularity is the finest level of event-time partitioning.
type Granularity string

// The event-time partition levels.
const (
	Year  Granularity = "year"
	Month Granularity = "month"
	Day   Granularity = "day"
	Hour  Granularity = "hour"
)

// Partitioning says how rows are spread over partition directories. The zero value is a
// non-partitioned table. Set either Fields or TimeField.
type Partitioning struct {
	// Fields partitions by the values of these columns, outermost first (one level each):
	// "us/2024" or, hive style, "country=us/year=2024". Allowed column types: the integer
	// types, DECIMAL, the string types, BOOLEAN and DATE.
	Fields []string `json:"fields,omitempty"`
	// TimeField partitions by event time: the UTC time of this TIMESTAMP, DATETIME or DATE
	// column, cut down to Granularity: "2024/01/31/23" or, hive style,
	// "year=2024/month=01/day=31/hour=23".
	TimeField string `json:"timeField,omitempty"`
	// Granularity of TimeField partitions; default Day.
	Granularity Granularity `json:"granularity,omitempty"`
	// HiveStyle writes name=value path segments.
	HiveStyle bool `json:"hiveStyle,omitempty"`
}

// Config describes a table for Create.
type Config struct {
	// Database is hoodie.database.name (default "default"); Name is hoodie.table.name. Both
	// must be identifiers (schema.ValidateName).
	Database string `json:"database"`
	Name     string `json:"name"`
	// Columns are the data columns (the five _hoodie_ meta columns come first in the files and
	// are not listed here). Write may append nullable columns later (schema evolution).
	Columns []schema.Column `json:"columns"`
	// RecordKey is the primary key (one or more columns). Empty: the table is insert-only and
	// every written row is a new record.
	RecordKey []string `json:"recordKey,omitempty"`
	// Precombine decides between two rows with the same key, within a batch and against the
	// stored row: the larger value wins, a tie goes to the newer row; NULL is smallest.
	// Optional; needs RecordKey.
	Precombine string `json:"precombine,omitempty"`
	// Partitioning of the table.
	Partitioning Partitioning `json:"partitioning"`
}

const (
	defaultDatabase = "default"
	metaPrefix      = "_hoodie_"

	keyGenPackage     = "org.apache.hudi.keygen."
	keyGenNone        = keyGenPackage + "NonpartitionedKeyGenerator"
	keyGenSimple      = keyGenPackage + "SimpleKeyGenerator"
	keyGenComplex     = keyGenPackage + "ComplexKeyGenerator"
	keyGenTimestamp   = keyGenPackage + "TimestampBasedKeyGenerator"
	defaultPayload    = "org.apache.hudi.common.model.DefaultHoodieRecordPayload"
	propTableName     = "hoodie.table.name"
	propTableType     = "hoodie.table.type"
	propTableVersion  = "hoodie.table.version"
	propRecordKey     = "hoodie.table.recordkey.fields"
	propPartitions    = "hoodie.table.partition.fields"
	propPrecombine    = "hoodie.table.precombine.field"
	propKeyGenerator  = "hoodie.table.keygenerator.class"
	propOutputFormat  = "hoodie.keygen.timebased.output.dateformat"
	propHiveStyle     = "hoodie.datasource.write.hive_style_partitioning"
	propDatabase      = "hoodie.database.name"
	propCreateSchema  = "hoodie.table.create.schema"
	propChecksum      = "hoodie.table.checksum"
	tableTypeCOW      = "COPY_ON_WRITE"
	supportedVersion  = "6"
	supportedVersion5 = "5"
	readVersion8      = "8" // Hudi 1.x, read-only
	propTimelinePath  = "hoodie.timeline.path"
)

// normalized returns a copy of c with defaults filled in, or an error naming the bad field.
func (c Config) normalized() (Config, error) {
	if c.Database == "" {
		c.Database = defaultDatabase
	}
	if err := schema.ValidateName(c.Database); err != nil {
		return c, fmt.Errorf("database: %w", err)
	}
	if err := schema.ValidateName(c.Name); err != nil {
		return c, fmt.Errorf("table name: %w", err)
	}
	c.Columns = slices.Clone(c.Columns)
	t := schema.Table{Name: c.Name, Columns: c.Columns}
	if err := t.Validate(); err != nil {
		return c, err
	}
	for _, col := range c.Columns {
		if strings.HasPrefix(strings.ToLower(col.Name), metaPrefix) {
			return c, fmt.Errorf("table %s: column %s: names starting with %s are Hudi's meta columns", c.Name, col.Name, metaPrefix)
		}
	}
	find := func(what, name string) (schema.Column, error) {
		i := columnIndex(c.Columns, name)
		if i < 0 {
			return schema.Column{}, fmt.Errorf("table %s: %s %q is not a column", c.Name, what, name)
		}
		return c.Columns[i], nil
	}
	c.RecordKey = slices.Clone(c.RecordKey)
	for i, k := range c.RecordKey {
		col, err := find("record key field", k)
		if err != nil {
			return c, err
		}
		if col.Type == schema.Binary {
			return c, fmt.Errorf("table %s: record key field %s: BINARY columns cannot be keys", c.Name, k)
		}
		if slices.Contains(c.RecordKey[:i], k) {
			return c, fmt.Errorf("table %s: record key field %s appears twice", c.Name, k)
		}
	}
	if c.Precombine != "" {
		if len(c.RecordKey) == 0 {
			return c, fmt.Errorf("table %s: precombine field %s needs a record key", c.Name, c.Precombine)
		}
		col, err := find("precombine field", c.Precombine)
		if err != nil {
			return c, err
		}
		if col.Type == schema.Binary || col.Type == schema.Boolean {
			return c, fmt.Errorf("table %s: precombine field %s: %s values cannot be ordered", c.Name, col.Name, col.Type)
		}
	}
	p := &c.Partitioning
	p.Fields = slices.Clone(p.Fields)
	switch {
	case len(p.Fields) > 0 && p.TimeField != "":
		return c, fmt.Errorf("table %s: partitioning: set either fields or a time field, not both", c.Name)
	case p.TimeField != "":
		col, err := find("partition time field", p.TimeField)
		if err != nil {
			return c, err
		}
		if col.Type != schema.Timestamp && col.Type != schema.Datetime && col.Type != schema.Date {
			return c, fmt.Errorf("table %s: partition time field %s is %s, want TIMESTAMP, DATETIME or DATE", c.Name, col.Name, col.Type)
		}
		if p.Granularity == "" {
			p.Granularity = Day
		}
		if _, ok := timeLayouts[p.Granularity]; !ok {
			return c, fmt.Errorf("table %s: partition granularity %q: want year, month, day or hour", c.Name, p.Granularity)
		}
		if len(c.RecordKey) > 1 {
			return c, fmt.Errorf("table %s: a composite record key cannot be combined with time partitioning (TimestampBasedKeyGenerator takes one key field)", c.Name)
		}
	default:
		if p.Granularity != "" {
			return c, fmt.Errorf("table %s: partition granularity needs a time field", c.Name)
		}
		for i, f := range p.Fields {
			col, err := find("partition field", f)
			if err != nil {
				return c, err
			}
			switch col.Type {
			case schema.Double, schema.Float, schema.Binary, schema.Timestamp, schema.Datetime, schema.JSON:
				return c, fmt.Errorf("table %s: partition field %s: %s columns cannot partition a table (use a time field for timestamps)", c.Name, f, col.Type)
			}
			if slices.Contains(p.Fields[:i], f) {
				return c, fmt.Errorf("table %s: partition field %s appears twice", c.Name, f)
			}
		}
		if len(p.Fields) == 0 && p.HiveStyle {
			p.HiveStyle = false // meaningless without partitions
		}
	}
	return c, nil
}

// columnIndex returns the index of the column named exactly name, or -1.
func columnIndex(cols []schema.Column, name string) int {
	return slices.IndexFunc(cols, func(c schema.Column) bool { return c.Name == name })
}

// keyGenerator returns the Hudi key generator class that produces this table's keys and paths.
func (c *Config) keyGenerator() string {
	p := c.Partitioning
	switch {
	case p.TimeField != "":
		return keyGenTimestamp
	case len(p.Fields) == 0:
		return keyGenNone
	case len(p.Fields) == 1 && len(c.RecordKey) <= 1:
		return keyGenSimple
	default:
		return keyGenComplex
	}
}

// compositeKey reports whether record keys are written as field:value pairs (id:1,name:Alice).
func (c *Config) compositeKey() bool {
	return len(c.RecordKey) > 1 || (len(c.RecordKey) == 1 && c.keyGenerator() == keyGenComplex)
}

// outputDateFormat is the Joda pattern TimestampBasedKeyGenerator formats partition paths with.
// Hive style names every level inside the pattern ('year='yyyy/...) and keeps Hudi's own
// hive_style_partitioning off, which would prefix only the field name to the whole path.
func (p *Partitioning) outputDateFormat() string {
	levels := []struct{ name, pat string }{{"year", "yyyy"}, {"month", "MM"}, {"day", "dd"}, {"hour", "HH"}}
	n := map[Granularity]int{Year: 1, Month: 2, Day: 3, Hour: 4}[p.Granularity]
	parts := make([]string, n)
	for i, l := range levels[:n] {
		if p.HiveStyle {
			parts[i] = "'" + l.name + "='" + l.pat
		} else {
			parts[i] = l.pat
		}
	}
	return strings.Join(parts, "/")
}

// checksum is hoodie.table.checksum: CRC32 of "<database>.<table>".
func checksum(database, name string) uint32 {
	return crc32.ChecksumIEEE([]byte(database + "." + name))
}

// tableProperties returns hoodie.properties for c.
func (c *Config) tableProperties() properties {
	p := properties{
		propTableName:                                     c.Name,
		propTableType:                                     tableTypeCOW,
		propTableVersion:                                  supportedVersion,
		"hoodie.timeline.layout.version":                  "1",
		"hoodie.table.timeline.timezone":                  "UTC",
		"hoodie.table.base.file.format":                   "PARQUET",
		"hoodie.populate.meta.fields":                     "true",
		"hoodie.datasource.write.partitionpath.urlencode": "false",
		"hoodie.datasource.write.drop.partition.columns":  "false",
		"hoodie.archivelog.folder":                        "archived",
		propKeyGenerator:                                  c.keyGenerator(),
		propHiveStyle:                                     fmt.Sprint(c.Partitioning.HiveStyle && c.Partitioning.TimeField == ""),
		propDatabase:                                      c.Database,
		propCreateSchema:                                  avroSchema(c.Name, c.Columns, false),
		propChecksum:                                      fmt.Sprint(checksum(c.Database, c.Name)),
	}
	if len(c.RecordKey) > 0 {
		p[propRecordKey] = strings.Join(c.RecordKey, ",")
	}
	if c.Precombine != "" {
		p[propPrecombine] = c.Precombine
		p["hoodie.compaction.payload.class"] = defaultPayload
	}
	switch pt := c.Partitioning; {
	case pt.TimeField != "":
		p[propPartitions] = pt.TimeField
		p["hoodie.keygen.timebased.timestamp.type"] = "SCALAR"
		unit := "MICROSECONDS"
		if columnIndex(c.Columns, pt.TimeField) >= 0 && c.Columns[columnIndex(c.Columns, pt.TimeField)].Type == schema.Date {
			unit = "DAYS"
		}
		p["hoodie.keygen.timebased.timestamp.scalar.time.unit"] = unit
		p[propOutputFormat] = pt.outputDateFormat()
		p["hoodie.keygen.timebased.timezone"] = "UTC"
		p["hoodie.keygen.timebased.output.timezone"] = "UTC"
	case len(pt.Fields) > 0:
		p[propPartitions] = strings.Join(pt.Fields, ",")
	}
	return p
}

// propertiesComment is the comment line Hudi writes at the top of hoodie.properties.
func propertiesComment(now time.Time) string {
	return "Properties saved on " + now.UTC().Format("2006-01-02T15:04:05.000Z")
}

// sameShape reports how c and o differ in what Create must not change: an empty string means
// compatible.
func (c *Config) sameShape(o *Config) string {
	switch {
	case c.Database != o.Database || c.Name != o.Name:
		return fmt.Sprintf("it is %s.%s, not %s.%s", o.Database, o.Name, c.Database, c.Name)
	case !slices.Equal(c.RecordKey, o.RecordKey):
		return fmt.Sprintf("its record key is %q, not %q", o.RecordKey, c.RecordKey)
	case c.Precombine != o.Precombine:
		return fmt.Sprintf("its precombine field is %q, not %q", o.Precombine, c.Precombine)
	case !slices.Equal(c.Partitioning.Fields, o.Partitioning.Fields) || c.Partitioning.TimeField != o.Partitioning.TimeField ||
		c.Partitioning.Granularity != o.Partitioning.Granularity || c.Partitioning.HiveStyle != o.Partitioning.HiveStyle:
		return fmt.Sprintf("its partitioning is %+v, not %+v", o.Partitioning, c.Partitioning)
	}
	return ""
}
