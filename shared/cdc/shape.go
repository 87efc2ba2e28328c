package cdc

import (
	"fmt"
	"math"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/fcsync/fcsync/shared/config"
)

// TableSettings are the writer settings of the tables one writer.tables entry matches (the
// first entry whose pattern matches a table applies to it), as DataWorks' "Configure a
// destination topic" step sets them per table: how its topic is made, additional fields, and
// the names and types of its fields in the topic.
type TableSettings struct {
	Table             string // a db.table pattern (*, ?, [a-z])
	Where             string // "writer.tables[i]", for errors
	CreateTopic       *bool  // nil: writer.createTopic
	Partitions        int    // 0: writer.partitions
	ReplicationFactor int    // 0: writer.replicationFactor
	AdditionalFields  []AdditionalField
	Fields            []FieldMapping
}

// AdditionalField is a field added to every row image of a table: a constant string (Value) or
// one of the Variables.
type AdditionalField struct {
	Name     string
	Value    string
	Variable string
}

// FieldMapping renames a column in the topic (Name) or writes it as another type (Type).
type FieldMapping struct {
	Column string
	Name   string
	Type   string
}

// Variables of additional fields, named as DataWorks' additional-field variables are:
// EXECUTE_TIME is the change's time in epoch milliseconds (the binlog event time; the read
// time for full-data records), a LONG; the others are STRING.
var Variables = []string{"EXECUTE_TIME", "DB_NAME_SRC", "TABLE_NAME_SRC", "DB_TYPE_SRC", "DATASOURCE_NAME_SRC"}

var (
	tableSettingKeys = []string{"table", "createTopic", "partitions", "replicationFactor", "additionalFields", "fields"}
	addFieldKeys     = []string{"name", "value", "variable"}
	fieldMapKeys     = []string{"column", "name", "type"}
	dataTypes        = []string{TypeLong, TypeDouble, TypeString, TypeDate, TypeBytes, TypeBoolean}
)

// conversions lists the types each DataWorks type can be written as (besides itself).
var conversions = map[string][]string{
	TypeLong:    {TypeString, TypeDouble, TypeDate, TypeBoolean},
	TypeDouble:  {TypeString, TypeLong},
	TypeString:  {TypeLong, TypeDouble, TypeDate, TypeBoolean, TypeBytes},
	TypeDate:    {TypeString, TypeLong},
	TypeBytes:   {TypeString},
	TypeBoolean: {TypeString, TypeLong},
}

func loadAdditionalFields(where string, v any) ([]AdditionalField, error) {
	if v == nil {
		return nil, nil
	}
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("%s: want a list of {name, value} or {name, variable}, got %s", where, config.Kind(v))
	}
	var out []AdditionalField
	for i, e := range list {
		at := fmt.Sprintf("%s[%d]", where, i)
		m, err := config.Map(at, e, false)
		if err != nil {
			return nil, err
		}
		if err := config.OnlyKeys(at, m, addFieldKeys); err != nil {
			return nil, err
		}
		f := &fields{where: at, m: m}
		a := AdditionalField{Name: f.str("name", ""), Value: f.str("value", ""), Variable: strings.ToUpper(f.str("variable", ""))}
		_, hasValue := m["value"]
		switch {
		case f.err != nil:
			return nil, f.err
		case a.Name == "":
			return nil, fmt.Errorf("%s.name: give the field's name", at)
		case hasValue == (a.Variable != ""):
			return nil, fmt.Errorf("%s: give value (a constant) or variable (one of %s), one of them", at, strings.Join(Variables, ", "))
		case a.Variable != "" && !slices.Contains(Variables, a.Variable):
			return nil, fmt.Errorf("%s.variable: %q is not one of %s", at, a.Variable, strings.Join(Variables, ", "))
		}
		out = append(out, a)
	}
	return out, nil
}

func (w *Writer) loadTables(v any) error {
	if v == nil {
		return nil
	}
	list, ok := v.([]any)
	if !ok {
		return fmt.Errorf("writer.tables: want a list, got %s", config.Kind(v))
	}
	for i, e := range list {
		at := fmt.Sprintf("writer.tables[%d]", i)
		m, err := config.Map(at, e, false)
		if err != nil {
			return err
		}
		if err := config.OnlyKeys(at, m, tableSettingKeys); err != nil {
			return err
		}
		f := &fields{where: at, m: m}
		ts := TableSettings{Table: f.str("table", ""), Where: at}
		if _, ok := m["createTopic"]; ok {
			b := f.boolean("createTopic", w.CreateTopic)
			ts.CreateTopic = &b
		}
		ts.Partitions = int(f.integer("partitions", 0, 1, 10000))
		ts.ReplicationFactor = int(f.integer("replicationFactor", 0, 1, 100))
		if f.err != nil {
			return f.err
		}
		if err := checkTablePattern(at+".table", ts.Table); err != nil {
			return err
		}
		if ts.AdditionalFields, err = loadAdditionalFields(at+".additionalFields", m["additionalFields"]); err != nil {
			return err
		}
		if fv, ok := m["fields"]; ok && fv != nil {
			fl, ok := fv.([]any)
			if !ok {
				return fmt.Errorf("%s.fields: want a list of {column, name, type}, got %s", at, config.Kind(fv))
			}
			for k, fe := range fl {
				fat := fmt.Sprintf("%s.fields[%d]", at, k)
				fm, err := config.Map(fat, fe, false)
				if err != nil {
					return err
				}
				if err := config.OnlyKeys(fat, fm, fieldMapKeys); err != nil {
					return err
				}
				ff := &fields{where: fat, m: fm}
				mp := FieldMapping{Column: ff.str("column", ""), Name: ff.str("name", ""), Type: strings.ToUpper(ff.str("type", ""))}
				switch {
				case ff.err != nil:
					return ff.err
				case mp.Column == "":
					return fmt.Errorf("%s.column: name the source column", fat)
				case mp.Name == "" && mp.Type == "":
					return fmt.Errorf("%s: give name (the field's name in the topic) or type, or both", fat)
				case mp.Type != "" && !slices.Contains(dataTypes, mp.Type):
					return fmt.Errorf("%s.type: %q is not one of %s", fat, mp.Type, strings.Join(dataTypes, ", "))
				}
				ts.Fields = append(ts.Fields, mp)
			}
		}
		w.Tables = append(w.Tables, ts)
	}
	return nil
}

// settingsFor returns the writer.tables entry that applies to db.table, or nil.
func (w *Writer) settingsFor(db, table string) *TableSettings {
	full := db + "." + table
	for i := range w.Tables {
		if ok, _ := path.Match(w.Tables[i].Table, full); ok {
			return &w.Tables[i]
		}
	}
	return nil
}

// shape is how a table's columns appear in its topic: names, types, conversions and additional
// fields. It is derived from the job's settings (Table.settings) and the table's columns.
type shape struct {
	names    []string // per column
	types    []string // per column: the type written
	to       []string // per column: the type to convert to, "" for none
	extras   []extraField
	keyNames []string // schema.primaryKey
}

type extraField struct {
	name, typ string
	konst     string // the value, unless execTime
	execTime  bool
}

// writerSettings is what a table's records need from the job beyond its columns.
type writerSettings struct {
	ts         *TableSettings
	additional []AdditionalField
	datasource string
}

// settingsOf resolves the writer settings of t; check makes every fields entry name a column
// of t (at plan time), otherwise entries for missing columns are ignored (after a DDL).
func (j *Job) settingsOf(t *Table) *writerSettings {
	ws := &writerSettings{ts: j.Writer.settingsFor(t.DB, t.Name), datasource: j.Reader.Datasource}
	ws.additional = append(ws.additional, j.Writer.AdditionalFields...)
	if ws.ts != nil {
		ws.additional = append(ws.additional, ws.ts.AdditionalFields...)
	}
	if ws.ts == nil && len(ws.additional) == 0 && ws.datasource == "" {
		return nil
	}
	return ws
}

// buildShape derives t.sh from t.settings and the columns; strict reports fields entries that
// name no column, conversions that are not possible and duplicate names as errors.
func (t *Table) buildShape(strict bool) error {
	ws := t.settings
	sh := &shape{names: make([]string, len(t.Columns)), types: make([]string, len(t.Columns)), to: make([]string, len(t.Columns))}
	for i := range t.Columns {
		sh.names[i], sh.types[i] = t.Columns[i].Name, t.Columns[i].Type()
	}
	if ws != nil && ws.ts != nil {
		for k, f := range ws.ts.Fields {
			where := fmt.Sprintf("%s.fields[%d]", ws.ts.Where, k)
			i, ok := t.column(f.Column)
			if !ok {
				if strict {
					return fmt.Errorf("%s.column: table %s has no column %q", where, t.FullName(), f.Column)
				}
				continue
			}
			if f.Name != "" {
				sh.names[i] = f.Name
			}
			if from := t.Columns[i].Type(); f.Type != "" && f.Type != from {
				if !slices.Contains(conversions[from], f.Type) {
					return fmt.Errorf("%s.type: column %s of %s is %s (%s), which cannot be written as %s (it can as %s)",
						where, f.Column, t.FullName(), from, t.Columns[i].ColumnType, f.Type, strings.Join(conversions[from], ", "))
				}
				sh.types[i], sh.to[i] = f.Type, f.Type
			}
		}
	}
	if ws != nil {
		for _, a := range ws.additional {
			e := extraField{name: a.Name, typ: TypeString, konst: a.Value}
			switch a.Variable {
			case "EXECUTE_TIME":
				e.typ, e.execTime = TypeLong, true
			case "DB_NAME_SRC":
				e.konst = t.DB
			case "TABLE_NAME_SRC":
				e.konst = t.Name
			case "DB_TYPE_SRC":
				e.konst = DBType
			case "DATASOURCE_NAME_SRC":
				e.konst = ws.datasource
			}
			sh.extras = append(sh.extras, e)
		}
	}
	seen := map[string]bool{}
	for _, n := range sh.names {
		seen[strings.ToLower(n)] = true
	}
	if len(seen) != len(sh.names) && strict {
		return fmt.Errorf("table %s: two fields are named alike after writer.tables fields renamed them: %v", t.FullName(), sh.names)
	}
	for _, e := range sh.extras {
		if seen[strings.ToLower(e.name)] && strict {
			return fmt.Errorf("table %s: additional field %q has the name of a field of the table", t.FullName(), e.name)
		}
		seen[strings.ToLower(e.name)] = true
	}
	for _, k := range t.Key {
		if i, ok := t.column(k); ok {
			sh.keyNames = append(sh.keyNames, sh.names[i])
		}
	}
	t.sh = sh
	return nil
}

// convertTo converts v to the DataWorks type to; its error is the reason of a dirty record.
func convertTo(v value, to string, loc *time.Location) (value, error) {
	if v.t == vNull {
		return v, nil
	}
	switch to {
	case TypeString:
		switch v.t {
		case vDate:
			return strValue(time.UnixMilli(v.i).In(zoneOrUTC(loc)).Format("2006-01-02 15:04:05.000")), nil
		case vBytes:
			if !utf8.Valid(v.b) {
				return v, fmt.Errorf("bytes are not UTF-8 text")
			}
			return strValue(string(v.b)), nil
		case vString:
			return v, nil
		}
		return strValue(string(appendJSON(nil, &v))), nil
	case TypeLong:
		switch v.t {
		case vString:
			n, err := strconv.ParseInt(strings.TrimSpace(string(v.text())), 10, 64)
			if err != nil {
				return v, fmt.Errorf("%q is not an integer", excerpt(v.text()))
			}
			return longValue(n), nil
		case vDouble:
			if v.f != math.Trunc(v.f) || math.Abs(v.f) > 1<<63 {
				return v, fmt.Errorf("%v is not an integer", v.f)
			}
			return longValue(int64(v.f)), nil
		case vDate, vBool:
			return longValue(v.i), nil
		}
		return v, nil
	case TypeDouble:
		switch v.t {
		case vString:
			f, err := strconv.ParseFloat(strings.TrimSpace(string(v.text())), 64)
			if err != nil {
				return v, fmt.Errorf("%q is not a number", excerpt(v.text()))
			}
			return doubleValue(f, false), nil
		case vLong:
			return doubleValue(float64(v.i), false), nil
		case vULong:
			return doubleValue(float64(v.u), false), nil
		}
		return v, nil
	case TypeDate:
		switch v.t {
		case vString:
			ms, ok, err := parseDateTime([]byte(strings.TrimSpace(string(v.text()))), loc)
			if err != nil || !ok {
				return v, fmt.Errorf("%q is not a date and time like 2006-01-02 15:04:05", excerpt(v.text()))
			}
			return dateValue(ms), nil
		case vLong:
			return dateValue(v.i), nil
		}
		return v, nil
	case TypeBoolean:
		switch v.t {
		case vString:
			switch strings.ToLower(strings.TrimSpace(string(v.text()))) {
			case "true", "1":
				return boolValue(true), nil
			case "false", "0":
				return boolValue(false), nil
			}
			return v, fmt.Errorf("%q is not true, false, 1 or 0", excerpt(v.text()))
		case vLong:
			if v.i != 0 && v.i != 1 {
				return v, fmt.Errorf("%d is not 0 or 1", v.i)
			}
			return boolValue(v.i == 1), nil
		case vULong:
			if v.u > 1 {
				return v, fmt.Errorf("%d is not 0 or 1", v.u)
			}
			return boolValue(v.u == 1), nil
		}
		return v, nil
	case TypeBytes:
		if v.t == vString {
			return bytesValue(v.text()), nil
		}
	}
	return v, nil
}

// excerpt shortens a value for a dirty record's reason.
func excerpt(b []byte) string {
	const max = 64
	if len(b) <= max {
		return string(b)
	}
	return string(b[:max]) + "..."
}
