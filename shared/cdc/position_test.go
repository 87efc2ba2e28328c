package cdc

import (
	"math/big"
	"testing"
)

func TestSequenceIDsFollowBinlogOrderAndDependOnlyOnPosition(t *testing.T) {
	// In binlog order: the ids must compare in the same order, as numbers.
	ordered := []struct {
		file      string
		pos       uint32
		row, part int
	}{
		{"mysql-bin.000001", 4, 0, 0},
		{"mysql-bin.000001", 1875, 0, 0},
		{"mysql-bin.000001", 1875, 0, 1},
		{"mysql-bin.000001", 1875, 1, 0},
		{"mysql-bin.000001", 1875, heartbeatRow, heartbeatPart},
		{"mysql-bin.000001", 4294967295, 0, 0},
		{"mysql-bin.000002", 4, 0, 0},
		{"mysql-bin.999999", 4, 0, 0},
		{"mysql-bin.1000000", 4, 0, 0},
	}
	var prev *big.Int
	for i, c := range ordered {
		id, err := SequenceID(c.file, c.pos, c.row, c.part)
		if err != nil {
			t.Fatal(err)
		}
		again, _ := SequenceID(c.file, c.pos, c.row, c.part)
		if again != id {
			t.Errorf("%v: %s then %s", c, id, again)
		}
		if len(id) < sequenceIDWidth {
			t.Errorf("%v: id %s shorter than %d digits", c, id, sequenceIDWidth)
		}
		n, ok := new(big.Int).SetString(id, 10)
		if !ok {
			t.Fatalf("%v: id %q is not a decimal number", c, id)
		}
		if prev != nil && n.Cmp(prev) <= 0 {
			t.Errorf("case %d %v: id %s does not sort after the previous one %s", i, c, id, prev)
		}
		prev = n
	}
	if id, _ := SequenceID("mysql-bin.000042", 1234, 5, 1); id != "000042000000123400000051" {
		t.Errorf("layout: got %s", id)
	}
}

func TestSequenceIDRejectsBadInput(t *testing.T) {
	for _, c := range []struct {
		file      string
		row, part int
	}{{"mysql-bin", 0, 0}, {"mysql-bin.", 0, 0}, {"mysql-bin.00x1", 0, 0}, {"mysql-bin.1", -1, 0}, {"mysql-bin.1", 0, 10}, {"mysql-bin.1", heartbeatRow + 1, 0}} {
		if id, err := SequenceID(c.file, 4, c.row, c.part); err == nil {
			t.Errorf("%v: got %s, want an error", c, id)
		}
	}
}

func TestPositionsCompareByFileNumberThenOffset(t *testing.T) {
	cases := []struct {
		a, b Position
		want int
	}{
		{Position{File: "b.000001", Pos: 10}, Position{File: "b.000001", Pos: 10}, 0},
		{Position{File: "b.000001", Pos: 900}, Position{File: "b.000002", Pos: 4}, -1},
		{Position{File: "b.000010", Pos: 4}, Position{File: "b.000009", Pos: 900}, 1},
		{Position{File: "b.000001", Pos: 5}, Position{File: "b.000001", Pos: 4}, 1},
	}
	for _, c := range cases {
		got, err := comparePositions(c.a, c.b)
		if err != nil || got != c.want {
			t.Errorf("compare(%s, %s) = %d, %v; want %d", c.a, c.b, got, err, c.want)
		}
	}
	if _, err := comparePositions(Position{File: "x"}, Position{File: "b.000001"}); err == nil {
		t.Error("a file name without a number compared without error")
	}
}
