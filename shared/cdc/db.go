package cdc

import (
	"context"
	"errors"
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	"github.com/go-mysql-org/go-mysql/mysql"
)

// ErrBinlogPurged is wrapped by the error of a run whose saved binlog position is no longer on
// the server. With reader.onPurgedBinlog: resnapshot the run takes a new snapshot instead.
var ErrBinlogPurged = errors.New("the saved binlog position has been purged from the server")

// server is what a run learns about the source when it connects.
type server struct {
	version string
	flavor  string
}

// dial connects to the source. Snapshot reads see TIMESTAMP values in UTC.
func dial(ctx context.Context, src Source) (*client.Conn, error) {
	c, err := client.ConnectWithContext(ctx, src.Addr(), src.User, src.Password, "", 10*time.Second)
	if err != nil {
		return nil, fmt.Errorf("source %s: connect: %w", src, err)
	}
	if _, err := c.Execute("SET time_zone = '+00:00'"); err != nil {
		c.Close()
		return nil, fmt.Errorf("source %s: set time_zone: %w", src, err)
	}
	return c, nil
}

// checkServer reads the version and checks that the binary log can serve CDC: on, ROW format,
// full row images.
func checkServer(c *client.Conn, flavor string) (server, error) {
	r, err := c.Execute("SELECT VERSION(), @@log_bin, @@binlog_format, @@binlog_row_image")
	if err != nil {
		return server{}, fmt.Errorf("read server settings: %w", err)
	}
	version, _ := r.GetString(0, 0)
	logBin, _ := r.GetInt(0, 1)
	format, _ := r.GetString(0, 2)
	image, _ := r.GetString(0, 3)
	s := server{version: version, flavor: flavor}
	if strings.Contains(strings.ToLower(version), "mariadb") {
		s.flavor = FlavorMariaDB
	} else if s.flavor == "" {
		s.flavor = FlavorMySQL
	}
	switch {
	case logBin != 1:
		return s, errors.New("the server's binary log is off: start it with log_bin (and binlog_format=ROW)")
	case !strings.EqualFold(format, "ROW"):
		return s, fmt.Errorf("binlog_format is %s: CDC needs ROW (SET GLOBAL binlog_format = 'ROW', and in the server configuration)", format)
	case !strings.EqualFold(image, "FULL"):
		return s, fmt.Errorf("binlog_row_image is %s: CDC needs FULL (SET GLOBAL binlog_row_image = 'FULL')", image)
	}
	return s, nil
}

// masterStatus returns the binary log's current end (and the executed GTID set when gtid is
// set).
func masterStatus(c *client.Conn, flavor string, gtid bool) (Position, error) {
	r, err := c.Execute("SHOW MASTER STATUS")
	if err != nil {
		// MySQL 8.4 renamed it
		var err2 error
		if r, err2 = c.Execute("SHOW BINARY LOG STATUS"); err2 != nil {
			return Position{}, fmt.Errorf("read the binlog position (SHOW MASTER STATUS; the user needs BINLOG MONITOR or REPLICATION CLIENT): %w", err)
		}
	}
	if r.RowNumber() == 0 {
		return Position{}, errors.New("SHOW MASTER STATUS returned nothing: is the binary log on?")
	}
	file, _ := r.GetString(0, 0)
	pos, _ := r.GetUint(0, 1)
	p := Position{File: file, Pos: uint32(pos)}
	if gtid {
		q := "SELECT @@gtid_binlog_pos"
		if flavor != FlavorMariaDB {
			q = "SELECT @@gtid_executed"
		}
		g, err := c.Execute(q)
		if err != nil {
			return Position{}, fmt.Errorf("read the executed GTID set: %w", err)
		}
		s, _ := g.GetString(0, 0)
		p.GTID = strings.ReplaceAll(strings.TrimSpace(s), "\n", "")
		if flavor != FlavorMariaDB && p.GTID == "" {
			if m, err := c.Execute("SELECT @@gtid_mode"); err == nil {
				if mode, _ := m.GetString(0, 0); !strings.EqualFold(mode, "ON") {
					return Position{}, fmt.Errorf("reader.position is gtid but the server's gtid_mode is %s", mode)
				}
			}
		}
	}
	return p, nil
}

// binaryLogs lists the binary log files the server still has.
func binaryLogs(c *client.Conn) ([]string, error) {
	r, err := c.Execute("SHOW BINARY LOGS")
	if err != nil {
		return nil, fmt.Errorf("list binary logs (SHOW BINARY LOGS): %w", err)
	}
	out := make([]string, 0, r.RowNumber())
	for i := 0; i < r.RowNumber(); i++ {
		s, _ := r.GetString(i, 0)
		out = append(out, s)
	}
	return out, nil
}

// isPurgedError reports the server's answer to a dump request for a binlog it no longer has
// (error 1236), which is also its answer to a few other fatal dump errors; the message is kept.
func isPurgedError(err error) bool {
	var me *mysql.MyError
	if errors.As(err, &me) {
		return me.Code == mysql.ER_MASTER_FATAL_ERROR_READING_BINLOG
	}
	return strings.Contains(err.Error(), "ERROR 1236")
}

var systemSchemas = []string{"mysql", "information_schema", "performance_schema", "sys"}

// listTables returns the base tables the job selects, sorted.
func listTables(c *client.Conn, j *Job) ([]tableRef, error) {
	r, err := c.Execute("SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES WHERE TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_SCHEMA, TABLE_NAME")
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	var out []tableRef
	for i := 0; i < r.RowNumber(); i++ {
		db, _ := r.GetString(i, 0)
		name, _ := r.GetString(i, 1)
		if slices.Contains(systemSchemas, strings.ToLower(db)) {
			continue
		}
		if j.Selects(db, name) {
			out = append(out, tableRef{DB: db, Name: name})
		}
	}
	return out, nil
}

// loadTable reads a table's columns and indexes from information_schema; ok is false when it
// does not exist.
func loadTable(c *client.Conn, ref tableRef) (*Table, bool, error) {
	r, err := c.Execute(`SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, IFNULL(CHARACTER_SET_NAME, ''), IS_NULLABLE
		FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`, ref.DB, ref.Name)
	if err != nil {
		return nil, false, fmt.Errorf("table %s.%s: read columns: %w", ref.DB, ref.Name, err)
	}
	if r.RowNumber() == 0 {
		return nil, false, nil
	}
	t := &Table{DB: ref.DB, Name: ref.Name}
	for i := 0; i < r.RowNumber(); i++ {
		var col Column
		col.Name, _ = r.GetString(i, 0)
		col.DataType, _ = r.GetString(i, 1)
		col.ColumnType, _ = r.GetString(i, 2)
		col.Charset, _ = r.GetString(i, 3)
		nullable, _ := r.GetString(i, 4)
		col.Nullable = nullable == "YES"
		col.DataType = strings.ToLower(col.DataType)
		t.Columns = append(t.Columns, col)
	}
	ix, err := c.Execute(`SELECT INDEX_NAME, NON_UNIQUE, COLUMN_NAME, IFNULL(SUB_PART, 0)
		FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY INDEX_NAME = 'PRIMARY' DESC, INDEX_NAME, SEQ_IN_INDEX`, ref.DB, ref.Name)
	if err != nil {
		return nil, false, fmt.Errorf("table %s.%s: read indexes: %w", ref.DB, ref.Name, err)
	}
	type index struct {
		cols   []string
		unique bool
		usable bool
	}
	var names []string
	indexes := map[string]*index{}
	for i := 0; i < ix.RowNumber(); i++ {
		name, _ := ix.GetString(i, 0)
		nonUnique, _ := ix.GetInt(i, 1)
		col, _ := ix.GetString(i, 2)
		sub, _ := ix.GetInt(i, 3)
		x := indexes[name]
		if x == nil {
			x = &index{unique: nonUnique == 0, usable: true}
			indexes[name] = x
			names = append(names, name)
		}
		x.cols = append(x.cols, col)
		if sub != 0 {
			x.usable = false // a prefix index does not order or identify whole values
		}
	}
	nullable := map[string]bool{}
	for _, col := range t.Columns {
		nullable[strings.ToLower(col.Name)] = col.Nullable
	}
	for _, name := range names {
		x := indexes[name]
		if name == "PRIMARY" {
			t.PrimaryKey = x.cols
			continue
		}
		if t.UniqueKey != nil || !x.unique || !x.usable {
			continue
		}
		ok := true
		for _, col := range x.cols {
			ok = ok && !nullable[strings.ToLower(col)]
		}
		if ok {
			t.UniqueKey = x.cols
		}
	}
	return t, true, nil
}

// plan sets a table's Kafka key and topic by the job's rules, or says why the table is refused.
func plan(j *Job, t *Table) error {
	full := t.FullName()
	switch keys, ok := j.Reader.Keys[full]; {
	case ok:
		t.Key = keys
	case len(t.PrimaryKey) > 0:
		t.Key = t.PrimaryKey
	case j.Reader.AllowNoPrimaryKey:
		t.Key = nil
	default:
		return fmt.Errorf("table %s has no primary key: name key columns in reader.keys.%s, or set reader.allowNoPrimaryKey: true to write it with an empty key (then use a one-partition topic to keep its changes in order)", full, full)
	}
	topic, err := j.Writer.Topics.Topic(t.DB, t.Name)
	if err != nil {
		return err
	}
	t.Topic = topic
	t.settings = j.settingsOf(t)
	return nil
}

// keysForMissingTables reports reader.keys entries that name no selected table; they are
// likely typos.
func keysForMissingTables(j *Job, tables []*Table) []string {
	have := map[string]bool{}
	for _, t := range tables {
		have[t.FullName()] = true
	}
	var out []string
	for k := range j.Reader.Keys {
		if !have[k] {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// quoteIdent quotes a MySQL identifier.
func quoteIdent(s string) string { return "`" + strings.ReplaceAll(s, "`", "``") + "`" }

func quoteTable(t *Table) string { return quoteIdent(t.DB) + "." + quoteIdent(t.Name) }

// matchesAny reports whether full matches one of the glob patterns.
func matchesAny(patterns []string, full string) bool {
	for _, p := range patterns {
		if ok, _ := path.Match(p, full); ok {
			return true
		}
	}
	return false
}
