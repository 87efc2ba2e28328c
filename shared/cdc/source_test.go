package cdc

import (
	"fmt"
	"strings"
	"testing"
)

func TestParseDSNReadsEveryForm(t *testing.T) {
	cases := []struct {
		dsn  string
		want Source
	}{
		{"cdc:pw@tcp(127.0.0.1:3306)/", Source{Host: "127.0.0.1", Port: 3306, User: "cdc", Password: "pw"}},
		{"cdc:p@ss:w@rd@tcp(db.local:3307)/shop", Source{Host: "db.local", Port: 3307, User: "cdc", Password: "p@ss:w@rd"}},
		{"cdc@tcp(db)/", Source{Host: "db", Port: 3306, User: "cdc"}},
		{"mysql://cdc:p%40ss@[::1]:3310/", Source{Host: "::1", Port: 3310, User: "cdc", Password: "p@ss"}},
		{"mariadb://cdc@db", Source{Host: "db", Port: 3306, User: "cdc"}},
		{"root@127.0.0.1:4000", Source{Host: "127.0.0.1", Port: 4000, User: "root"}},
	}
	for _, c := range cases {
		got, err := ParseDSN(c.dsn)
		if err != nil || got != c.want {
			t.Errorf("ParseDSN(%q) = %#v, %v; want %#v", c.dsn, got, err, c.want)
		}
	}
}

func TestParseDSNErrorsNeverQuoteTheDSN(t *testing.T) {
	const secret = "Sup3rSecret"
	bad := []string{"", "nouser", "u:" + secret + "@tcp(h:99999)/", "u:" + secret + "@tcp(h:1/", "u:" + secret + "@unix(/tmp/s)/",
		"u:" + secret + "@tcp(h:1)/?tls=true", ":" + secret + "@h", "u:" + secret + "@", "mysql://u:" + secret + "@h:1/?x=1", "mysql://u:" + secret + "@h:abc"}
	for _, dsn := range bad {
		_, err := ParseDSN(dsn)
		if err == nil {
			t.Errorf("ParseDSN(%q): no error", dsn)
			continue
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("ParseDSN error %q reveals the password", err)
		}
	}
}

func TestSourcePrintsWithoutThePassword(t *testing.T) {
	s := Source{Host: "h", Port: 1, User: "u", Password: "Sup3rSecret"}
	for _, text := range []string{s.String(), fmt.Sprint(s), fmt.Sprintf("%v %+v %#v %s", s, s, s, &s), fmt.Sprint(struct{ S Source }{s})} {
		if strings.Contains(text, "Sup3rSecret") {
			t.Errorf("%q reveals the password", text)
		}
	}
	if s.WithPassword("x").Password != "Sup3rSecret" || (Source{}).WithPassword("x").Password != "x" {
		t.Error("WithPassword must fill only an empty password")
	}
}

func FuzzParseDSN(f *testing.F) {
	for _, s := range []string{"u:p@tcp(h:1)/", "mysql://u:p@h:2/", "u@h", "@", "u:p@tcp(", "mysql://%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, dsn string) {
		s, err := ParseDSN(dsn)
		if err != nil {
			if s != (Source{}) {
				t.Fatalf("error %v with a non-empty source", err)
			}
			return
		}
		if s.Host == "" || s.User == "" || s.Port < 1 || s.Port > 65535 {
			t.Fatalf("accepted %q as %#v", dsn, s)
		}
		want := s.User + "@" + s.Addr()
		if s.Password != "" {
			want = s.User + ":<redacted>@" + s.Addr()
		}
		if s.String() != want {
			t.Fatalf("String %q, want %q (no password)", s.String(), want)
		}
	})
}
