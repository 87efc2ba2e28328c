package oss

import (
	"hash/crc64"
	"strconv"
	"testing"
)

func TestBodyCRCIsCheckedAgainstTheHeader(t *testing.T) {
	data := []byte("state version")
	good := strconv.FormatUint(crc64.Checksum(data, crcTable), 10)
	bad := strconv.FormatUint(crc64.Checksum(data, crcTable)+1, 10)
	empty, garbage := "", "not-a-number"
	tests := []struct {
		name    string
		header  *string
		wantErr bool
	}{
		{"matching CRC", &good, false},
		{"mismatching CRC", &bad, true},
		{"no header", nil, false},
		{"empty header", &empty, false},
		{"header that is not a CRC", &garbage, false},
	}
	for _, tt := range tests {
		if err := checkCRC(data, tt.header); (err != nil) != tt.wantErr {
			t.Errorf("%s: checkCRC = %v, want error %v", tt.name, err, tt.wantErr)
		}
	}
}
