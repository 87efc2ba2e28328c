package mctest

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

const (
	maxClockSkew  = 15 * time.Minute
	corporation   = "aliyun"
	v4Suffix      = "/odps/" + corporation + "_v4_request"
	stsHeader     = "authorization-sts-token"
	odpsHeaderPfx = "x-odps-"
)

// authenticate checks the request's ODPS signature, STS token and Date.
func (s *Server) authenticate(r *http.Request, base string) *apiError {
	auth := r.Header.Get("Authorization")
	if auth == "" {
		return errorf(http.StatusUnauthorized, "MissingAuthorization", "Authorization is required")
	}
	rest, ok := strings.CutPrefix(auth, "ODPS ")
	i := strings.LastIndexByte(rest, ':')
	if !ok || i <= 0 || i == len(rest)-1 {
		return errorf(http.StatusUnauthorized, "InvalidAuthorization", "Authorization is not of the form ODPS <access key id>:<signature>")
	}
	cred, sig := rest[:i], rest[i+1:]
	id, key := cred, []byte(s.opt.secret)
	if strings.Contains(cred, "/") {
		// v4: <id>/<yyyymmdd>/<region>/odps/aliyun_v4_request
		parts := strings.Split(cred, "/")
		if len(parts) != 5 || "/"+parts[3]+"/"+parts[4] != v4Suffix || len(parts[1]) != 8 || parts[2] == "" {
			return errorf(http.StatusUnauthorized, "InvalidAuthorization", "v4 credential scope is not <id>/<date>/<region>%s", v4Suffix)
		}
		id = parts[0]
		k := hmacSHA256([]byte(corporation+"_v4"+s.opt.secret), parts[1])
		k = hmacSHA256(k, parts[2])
		k = hmacSHA256(k, "odps")
		key = hmacSHA256(k, corporation+"_v4_request")
	}
	if subtle.ConstantTimeCompare([]byte(id), []byte(s.opt.accessID)) != 1 {
		return errorf(http.StatusUnauthorized, "InvalidAccessKeyId", "the access key id does not exist")
	}
	mac := hmac.New(sha1.New, key)
	mac.Write([]byte(canonical(r, base)))
	want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	if subtle.ConstantTimeCompare([]byte(sig), []byte(want)) != 1 {
		// The service's code for a wrong signature (PyODPS has an exception class for it).
		return errorf(http.StatusUnauthorized, "SignatureNotMatch", "ODPS-0410042:Invalid signature value - User signature does not match")
	}
	token := r.Header.Get(stsHeader)
	switch {
	case s.opt.token == "" && token != "":
		return errorf(http.StatusUnauthorized, "InvalidStsToken", "an STS token was sent for an access key that is not temporary")
	case s.opt.token != "" && subtle.ConstantTimeCompare([]byte(token), []byte(s.opt.token)) != 1:
		return errorf(http.StatusUnauthorized, "InvalidStsToken", "the STS token is missing or wrong")
	}
	date, err := time.Parse(time.RFC1123, r.Header.Get("Date"))
	if err != nil {
		return errorf(http.StatusForbidden, "InvalidDate", "the Date header is missing or not RFC 1123")
	}
	if d := s.opt.now().Sub(date); d > maxClockSkew || d < -maxClockSkew {
		return errorf(http.StatusForbidden, "RequestTimeTooSkewed", "the Date header is %s away from the server's clock", d.Round(time.Second))
	}
	return nil
}

// canonical is the string the SDK signs: method, Content-MD5, Content-Type, Date, the x-odps-*
// headers (lower case, sorted, values joined by commas), the path without the endpoint's base
// path and the query sorted by key with decoded values.
func canonical(r *http.Request, base string) string {
	var b strings.Builder
	b.WriteString(r.Method)
	b.WriteByte('\n')
	b.WriteString(r.Header.Get("Content-MD5"))
	b.WriteByte('\n')
	b.WriteString(r.Header.Get("Content-Type"))
	b.WriteByte('\n')
	b.WriteString(r.Header.Get("Date"))
	b.WriteByte('\n')
	var keys []string
	for k := range r.Header {
		if lk := strings.ToLower(k); strings.HasPrefix(lk, odpsHeaderPfx) {
			keys = append(keys, lk)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		b.WriteString(k)
		b.WriteByte(':')
		b.WriteString(strings.Join(r.Header.Values(k), ","))
		b.WriteByte('\n')
	}
	path := r.URL.Path
	if base != "" && strings.HasPrefix(path, base) {
		path = path[len(base):]
	}
	b.WriteString(path)
	q := r.URL.Query()
	if len(q) > 0 {
		qk := make([]string, 0, len(q))
		for k := range q {
			qk = append(qk, k)
		}
		sort.Strings(qk)
		b.WriteByte('?')
		for i, k := range qk {
			if i > 0 {
				b.WriteByte('&')
			}
			b.WriteString(k)
			if v := url.Values(q).Get(k); v != "" {
				b.WriteByte('=')
				b.WriteString(v)
			}
		}
	}
	return b.String()
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}
