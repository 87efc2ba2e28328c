package cdc

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// Source says how to reach the database. Its String and GoString hide the password, so a
// Source printed by mistake reveals nothing secret; errors about it never quote the DSN.
type Source struct {
	Host     string
	Port     int
	User     string
	Password string
}

// Addr is host:port.
func (s Source) Addr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }

// String is user@host:port, without the password.
func (s Source) String() string {
	pw := ""
	if s.Password != "" {
		pw = ":<redacted>"
	}
	return s.User + pw + "@" + s.Addr()
}

// GoString is String, so %#v hides the password too.
func (s Source) GoString() string { return "cdc.Source(" + s.String() + ")" }

// ParseDSN reads a data source name in one of the forms
//
//	user:password@tcp(host:port)/        (Go MySQL driver style; a database name is ignored)
//	mysql://user:password@host:port/     (URL; percent-escapes allowed)
//	user:password@host:port
//
// The password may be absent (WithPassword adds one). The port defaults to 3306. Errors never
// contain the DSN.
func ParseDSN(dsn string) (Source, error) {
	dsn = strings.TrimSpace(dsn)
	if dsn == "" {
		return Source{}, errors.New("dsn: empty")
	}
	if strings.HasPrefix(dsn, "mysql://") || strings.HasPrefix(dsn, "mariadb://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return Source{}, errors.New("dsn: not a valid mysql:// URL")
		}
		if u.RawQuery != "" {
			return Source{}, errors.New("dsn: parameters (?...) are not supported")
		}
		s := Source{Host: u.Hostname(), User: u.User.Username()}
		s.Password, _ = u.User.Password()
		if err := s.setPort(u.Port()); err != nil {
			return Source{}, err
		}
		return s.check()
	}
	at := strings.LastIndexByte(dsn, '@')
	if at < 0 {
		return Source{}, errors.New("dsn: want user[:password]@tcp(host:port)/ or mysql://user[:password]@host:port")
	}
	cred, rest := dsn[:at], dsn[at+1:]
	var s Source
	s.User, s.Password, _ = strings.Cut(cred, ":")
	if i := strings.IndexByte(rest, '?'); i >= 0 {
		return Source{}, errors.New("dsn: parameters (?...) are not supported")
	}
	if strings.HasPrefix(rest, "tcp(") {
		end := strings.IndexByte(rest, ')')
		if end < 0 {
			return Source{}, errors.New("dsn: tcp( without a closing parenthesis")
		}
		after := rest[end+1:]
		if after != "" && after[0] != '/' {
			return Source{}, errors.New("dsn: want / after tcp(host:port)")
		}
		rest = rest[len("tcp("):end]
	} else if strings.HasPrefix(rest, "unix(") {
		return Source{}, errors.New("dsn: unix sockets are not supported (binlog replication needs TCP)")
	} else if i := strings.IndexByte(rest, '/'); i >= 0 {
		rest = rest[:i]
	}
	host, port, err := net.SplitHostPort(rest)
	if err != nil {
		host, port = rest, ""
	}
	s.Host = host
	if err := s.setPort(port); err != nil {
		return Source{}, err
	}
	return s.check()
}

func (s *Source) setPort(p string) error {
	if p == "" {
		s.Port = 3306
		return nil
	}
	n, err := strconv.Atoi(p)
	if err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("dsn: port %q is not a port number", p)
	}
	s.Port = n
	return nil
}

func (s Source) check() (Source, error) {
	switch {
	case s.Host == "":
		return Source{}, errors.New("dsn: no host")
	case s.User == "":
		return Source{}, errors.New("dsn: no user")
	}
	return s, nil
}

// WithPassword returns s with the password set when it has none.
func (s Source) WithPassword(pw string) Source {
	if s.Password == "" {
		s.Password = pw
	}
	return s
}
