package mctest

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/fcsync/fcsync/shared/schema"
)

// Column is a column as the server holds it.
type Column struct {
	Name    string
	Type    string // as the service spells it in JSON: lower case with parameters, e.g. varchar(65535)
	Comment string
}

// TableInfo describes a table.
type TableInfo struct {
	Name       string
	Columns    []Column
	Partitions []Column // partition columns
	Lifecycle  int      // days; 0 = none
	Comment    string
}

// UploadInfo describes an upload session.
type UploadInfo struct {
	ID        string
	Table     string
	Partition string
	Overwrite bool
	Status    string   // normal, closed, expired
	Blocks    []int    // block ids, ascending
	Codecs    []string // Content-Encoding of each block, in block order
	Rows      int64    // rows in the blocks
}

// ErrNotFound is wrapped by inspection errors about a missing project, table or partition.
var ErrNotFound = errors.New("not found")

func (s *Server) inspectTable(proj, tbl string) (*table, error) {
	_, t, err := s.tableLocked(proj, tbl)
	if err != nil {
		return nil, fmt.Errorf("mctest: %s: %w", err.message, ErrNotFound)
	}
	return t, nil
}

// Table returns a table's schema.
func (s *Server) Table(proj, tbl string) (TableInfo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.inspectTable(proj, tbl)
	if err != nil {
		return TableInfo{}, err
	}
	info := TableInfo{Name: t.name, Lifecycle: t.lifecycle, Comment: t.comment}
	for _, c := range t.cols {
		info.Columns = append(info.Columns, Column{c.name, c.typeName(), c.comment})
	}
	for _, c := range t.parts {
		info.Partitions = append(info.Partitions, Column{c.name, c.typeName(), c.comment})
	}
	return info, nil
}

// Tables returns the names of a project's tables, sorted.
func (s *Server) Tables(proj string) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.projectLocked(proj)
	if err != nil {
		return nil, fmt.Errorf("mctest: %s: %w", err.message, ErrNotFound)
	}
	var names []string
	for _, t := range p.tables {
		names = append(names, t.name)
	}
	sort.Strings(names)
	return names, nil
}

// Partitions returns a table's partitions ("ds=20221122,hh=10"), sorted. A non-partitioned
// table has one, "".
func (s *Server) Partitions(proj, tbl string) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.inspectTable(proj, tbl)
	if err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(t.partitions))
	for k := range t.partitions {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys, nil
}

func (s *Server) partitionLocked(proj, tbl, part string) (*table, *partition, error) {
	t, err := s.inspectTable(proj, tbl)
	if err != nil {
		return nil, nil, err
	}
	key, _, perr := parseSpec(t, part)
	if perr != nil {
		return nil, nil, fmt.Errorf("mctest: %s", perr.message)
	}
	p := t.partitions[key]
	if p == nil {
		return nil, nil, fmt.Errorf("mctest: partition %q of table %s: %w", part, t.name, ErrNotFound)
	}
	return t, p, nil
}

// Rows returns the committed rows of a partition ("" for a non-partitioned table) in commit
// order, one value per table column: nil (NULL), int64, float64, bool, string, []byte or
// time.Time in UTC, as package schema describes. The rows are copies.
func (s *Server) Rows(proj, tbl, part string) ([]schema.Row, error) {
	if s.opt.discardRows {
		return nil, errors.New("mctest: the server was started WithoutRows")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, p, err := s.partitionLocked(proj, tbl, part)
	if err != nil {
		return nil, err
	}
	out := make([]schema.Row, len(p.rows))
	for i, r := range p.rows {
		row := make(schema.Row, len(t.cols))
		for j, v := range r {
			if b, ok := v.([]byte); ok {
				v = append([]byte{}, b...)
			}
			row[j] = v
		}
		out[i] = row
	}
	return out, nil
}

// RowCount returns how many committed rows a partition holds (also WithoutRows).
func (s *Server) RowCount(proj, tbl, part string) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, p, err := s.partitionLocked(proj, tbl, part)
	if err != nil {
		return 0, err
	}
	return p.count, nil
}

// Uploads returns every upload session of a table, oldest first.
func (s *Server) Uploads(proj, tbl string) []UploadInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []UploadInfo
	for _, u := range s.uploads {
		if !strings.EqualFold(u.project, proj) || !strings.EqualFold(u.table, tbl) {
			continue
		}
		info := UploadInfo{ID: u.id, Table: u.table, Partition: u.partKey, Overwrite: u.overwrite, Status: u.status}
		for id := range u.blocks {
			info.Blocks = append(info.Blocks, id)
		}
		sort.Ints(info.Blocks)
		for _, id := range info.Blocks {
			info.Codecs = append(info.Codecs, u.blocks[id].codec)
			info.Rows += u.blocks[id].count
		}
		out = append(out, info)
	}
	// Ids start with the creation time and a sequence number.
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Exec runs one statement in a project, as a SQL task would; it is how a test sets up tables.
func (s *Server) Exec(proj, sql string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.projectLocked(proj); err != nil {
		return fmt.Errorf("mctest: %s", err.message)
	}
	if err := s.execSQL(proj, sql); err != nil {
		return fmt.Errorf("mctest: %w", err)
	}
	return nil
}

// ExpireUpload marks an upload session expired, as the service does 24 hours after it was
// created: it can no longer take blocks or commit.
func (s *Server) ExpireUpload(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.uploads[id]
	if u == nil {
		return fmt.Errorf("mctest: upload session %s: %w", id, ErrNotFound)
	}
	if u.status == statusNormal {
		u.status = statusExpired
	}
	return nil
}

// ForgetUpload removes an upload session, as the service does some time after it ended:
// reloading it then answers NoSuchUpload.
func (s *Server) ForgetUpload(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.uploads, id)
}
