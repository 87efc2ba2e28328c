package cdc

import (
	"fmt"
	"strconv"
	"strings"
)

// Position is a place in the source's binary log: a file and the byte offset just after an
// event (the start of the next one), plus the GTID set executed up to there when the job resumes
// by GTID. Saved positions are always transaction boundaries.
type Position struct {
	File string `json:"file"`
	Pos  uint32 `json:"pos"`
	GTID string `json:"gtid,omitempty"`
}

// IsZero reports whether p names no position.
func (p Position) IsZero() bool { return p.File == "" && p.GTID == "" }

func (p Position) String() string {
	s := p.File + ":" + strconv.FormatUint(uint64(p.Pos), 10)
	if p.GTID != "" {
		s += " gtid " + p.GTID
	}
	return s
}

// fileNumber is the sequence number of a binary log file name ("mysql-bin.000042" → 42).
func fileNumber(name string) (uint64, error) {
	i := strings.LastIndexByte(name, '.')
	if i < 0 || i == len(name)-1 {
		return 0, fmt.Errorf("binlog file name %q has no numeric extension", name)
	}
	n, err := strconv.ParseUint(name[i+1:], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("binlog file name %q has no numeric extension", name)
	}
	return n, nil
}

// comparePositions orders two positions of one server by file number, then offset.
func comparePositions(a, b Position) (int, error) {
	fa, err := fileNumber(a.File)
	if err != nil {
		return 0, err
	}
	fb, err := fileNumber(b.File)
	if err != nil {
		return 0, err
	}
	switch {
	case fa < fb:
		return -1, nil
	case fa > fb:
		return 1, nil
	case a.Pos < b.Pos:
		return -1, nil
	case a.Pos > b.Pos:
		return 1, nil
	}
	return 0, nil
}

// Sequence ids. A change record's sequenceId is made only of where its event sits in the binary
// log, so a batch that is produced again after a crash carries the same ids:
//
//	<file number><event end offset, 10 digits><row in the event, 7 digits><part, 1 digit>
//
// part is 0, or 1 for the UPDATE_AFTER half of an update written as two records. Heartbeats use
// the position they report with row 9999999 and part 9, which sorts after every change at that
// position and before the next event. Ids of one server compare as decimal numbers (or by length,
// then text) in binlog order. Full-data records have the id "-1", as DataWorks writes them.
const (
	maxRowInEvent   = 9_999_998
	heartbeatRow    = 9_999_999
	heartbeatPart   = 9
	snapshotSeqID   = "-1"
	sequenceIDWidth = 6 + 10 + 7 + 1
)

// appendSequenceID appends the id of part of row in the event ending at pos of file number file.
func appendSequenceID(dst []byte, file uint64, pos uint32, row, part int) []byte {
	dst = appendPadded(dst, file, 6)
	dst = appendPadded(dst, uint64(pos), 10)
	dst = appendPadded(dst, uint64(row), 7)
	return append(dst, byte('0'+part))
}

func appendPadded(dst []byte, v uint64, width int) []byte {
	var buf [20]byte
	b := strconv.AppendUint(buf[:0], v, 10)
	for i := len(b); i < width; i++ {
		dst = append(dst, '0')
	}
	return append(dst, b...)
}

// SequenceID returns the sequenceId of a change record (see the package documentation).
func SequenceID(file string, pos uint32, row, part int) (string, error) {
	n, err := fileNumber(file)
	if err != nil {
		return "", err
	}
	if row < 0 || row > heartbeatRow || part < 0 || part > 9 {
		return "", fmt.Errorf("sequence id: row %d part %d out of range", row, part)
	}
	return string(appendSequenceID(make([]byte, 0, sequenceIDWidth), n, pos, row, part)), nil
}
