package osstest

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

const (
	algorithm       = "OSS4-HMAC-SHA256"
	unsignedPayload = "UNSIGNED-PAYLOAD"
	product         = "oss"
	terminator      = "aliyun_v4_request"
	dateTimeFormat  = "20060102T150405Z"
	dateFormat      = "20060102"
)

// authorization is a parsed V4 Authorization header:
//
//	OSS4-HMAC-SHA256 Credential=<AK>/<date>/<region>/oss/aliyun_v4_request[,AdditionalHeaders=<h1;h2>],Signature=<hex>
type authorization struct {
	accessKeyID, date, region, product, terminator string
	additional                                     []string
	signature                                      string
}

func parseAuthorization(h string) (authorization, bool) {
	var a authorization
	rest, ok := strings.CutPrefix(h, algorithm+" ")
	if !ok {
		return a, false
	}
	seen := map[string]bool{}
	for part := range strings.SplitSeq(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || seen[k] {
			return a, false
		}
		seen[k] = true
		switch k {
		case "Credential":
			f := strings.Split(v, "/")
			if len(f) != 5 {
				return a, false
			}
			a.accessKeyID, a.date, a.region, a.product, a.terminator = f[0], f[1], f[2], f[3], f[4]
		case "AdditionalHeaders":
			for name := range strings.SplitSeq(v, ";") {
				if name == "" || name != strings.ToLower(name) {
					return a, false // OSS refuses empty and upper-case names
				}
				a.additional = append(a.additional, name)
			}
			if !slices.IsSorted(a.additional) {
				return a, false
			}
		case "Signature":
			a.signature = v
		default:
			return a, false
		}
	}
	return a, seen["Credential"] && seen["Signature"]
}

// authenticate checks the request's V4 signature against the server's credentials.
func (s *Server) authenticate(r *http.Request, t target, body []byte, now time.Time) *ossError {
	h := r.Header.Get("Authorization")
	if h == "" {
		if r.URL.Query().Has("x-oss-signature") || r.URL.Query().Has("Signature") {
			return &ossError{status: 403, code: "AccessDenied", message: "Query-string signatures are not implemented by the test server."}
		}
		return &ossError{status: 403, code: "AccessDenied", message: "You have no right to access this object because of bucket acl."}
	}
	if rest, ok := strings.CutPrefix(h, v1Prefix); ok {
		return s.authenticateV1(r, t, rest, now)
	}
	a, ok := parseAuthorization(h)
	if !ok {
		return &ossError{status: 400, code: "InvalidArgument", message: "Authorization header is invalid: the test server accepts only well-formed " + algorithm + " and OSS (V1) signatures."}
	}
	if oerr := s.checkKey(r, a.accessKeyID); oerr != nil {
		return oerr
	}
	stamp := r.Header.Get("x-oss-date")
	at, err := time.Parse(dateTimeFormat, stamp)
	if err != nil {
		return &ossError{status: 403, code: "AccessDenied", message: "The x-oss-date header is missing or not in ISO 8601 basic format."}
	}
	if d := now.Sub(at); d > maxSkew || d < -maxSkew {
		return &ossError{status: 403, code: "RequestTimeTooSkewed", message: "The difference between the request time and the current time is too large."}
	}
	if a.date != at.UTC().Format(dateFormat) || a.product != product || a.terminator != terminator {
		return &ossError{status: 403, code: "SignatureDoesNotMatch", message: "The credential scope in the Authorization header is invalid."}
	}
	if a.region != s.region {
		return &ossError{status: 403, code: "SignatureDoesNotMatch", message: "The request was signed for region " + a.region + ", not " + s.region + "."}
	}
	payload := r.Header.Get("x-oss-content-sha256")
	switch payload {
	case "":
		return &ossError{status: 403, code: "AccessDenied", message: "The x-oss-content-sha256 header is missing."}
	case unsignedPayload:
	default:
		sum := sha256.Sum256(body)
		if !strings.EqualFold(payload, hex.EncodeToString(sum[:])) {
			return &ossError{status: 400, code: "InvalidDigest", message: "The x-oss-content-sha256 header does not match the body."}
		}
	}
	for _, name := range a.additional {
		if len(headerValues(r, name)) == 0 {
			return &ossError{status: 403, code: "SignatureDoesNotMatch", message: "Additional header " + name + " is not in the request."}
		}
	}
	canonical := canonicalRequest(r, t.bucket, t.key, a.additional)
	toSign := stringToSign(stamp, a.date, a.region, canonical)
	want := signature(s.creds.AccessKeySecret, a.date, a.region, toSign)
	if !hmac.Equal([]byte(want), []byte(strings.ToLower(a.signature))) {
		return &ossError{status: 403, code: "SignatureDoesNotMatch",
			message: "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
			extra:   []elem{{"OSSAccessKeyId", a.accessKeyID}, {"StringToSign", toSign}, {"CanonicalRequest", canonical}}}
	}
	return nil
}

// checkKey checks the access key ID and the STS token, the same for both signature versions.
func (s *Server) checkKey(r *http.Request, accessKeyID string) *ossError {
	if accessKeyID != s.creds.AccessKeyID {
		return &ossError{status: 403, code: "InvalidAccessKeyId", message: "The OSS Access Key Id you provided does not exist in our records."}
	}
	token := r.Header.Get("x-oss-security-token")
	switch {
	case s.creds.SecurityToken == "" && token != "":
		// A token makes it an STS request, and the key is not an STS key.
		return &ossError{status: 403, code: "InvalidAccessKeyId", message: "The OSS Access Key Id you provided does not exist in our records."}
	case s.creds.SecurityToken != "" && subtle.ConstantTimeCompare([]byte(token), []byte(s.creds.SecurityToken)) != 1:
		return &ossError{status: 403, code: "InvalidSecurityToken", message: "The security token you provided is invalid."}
	}
	return nil
}

// canonicalRequest builds
//
//	method \n canonical URI \n canonical query \n canonical headers \n additional headers \n hashed payload
//
// Canonical URI: "/bucket/key" ("/bucket/" for a bucket, "/" for the service), URI-encoded except
// for slashes. Canonical query: every parameter, name and value URI-encoded, sorted by encoded
// name, "name=value" or just "name" for an empty value, joined with "&". Canonical headers: every
// x-oss-* header, Content-Type, Content-MD5 and the additional headers, lower-case names sorted,
// "name:trimmed values joined with ,\n". Hashed payload: the x-oss-content-sha256 header.
func canonicalRequest(r *http.Request, bucketName, key string, additional []string) string {
	var b strings.Builder
	b.WriteString(r.Method)
	b.WriteByte('\n')
	uri := "/"
	if bucketName != "" {
		uri += bucketName + "/" + key
	}
	b.WriteString(uriEncode(uri, false))
	b.WriteByte('\n')
	b.WriteString(canonicalQuery(r.URL.RawQuery))
	b.WriteByte('\n')
	var names []string
	for k := range r.Header {
		low := strings.ToLower(k)
		if strings.HasPrefix(low, "x-oss-") || low == "content-type" || low == "content-md5" || slices.Contains(additional, low) {
			names = append(names, low)
		}
	}
	if slices.Contains(additional, "host") {
		names = append(names, "host")
	}
	slices.Sort(names)
	names = slices.Compact(names)
	for _, name := range names {
		vals := slices.Clone(headerValues(r, name))
		for i, v := range vals {
			vals[i] = strings.TrimSpace(v)
		}
		b.WriteString(name + ":" + strings.Join(vals, ",") + "\n")
	}
	b.WriteByte('\n')
	b.WriteString(strings.Join(additional, ";"))
	b.WriteByte('\n')
	b.WriteString(r.Header.Get("x-oss-content-sha256"))
	return b.String()
}

// headerValues returns a header's values; Go's server keeps Host out of r.Header.
func headerValues(r *http.Request, name string) []string {
	if name == "host" {
		return []string{r.Host}
	}
	return r.Header.Values(name)
}

func canonicalQuery(raw string) string {
	type param struct{ k, v string }
	var params []param
	for part := range strings.SplitSeq(raw, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		dk, err1 := url.QueryUnescape(k)
		dv, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			dk, dv = k, v // not decodable: sign it as it came
		}
		params = append(params, param{uriEncode(dk, true), uriEncode(dv, true)})
	}
	slices.SortStableFunc(params, func(a, b param) int { return strings.Compare(a.k, b.k) })
	var b strings.Builder
	for i, p := range params {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.k)
		if p.v != "" {
			b.WriteString("=" + p.v)
		}
	}
	return b.String()
}

func stringToSign(stamp, date, region, canonical string) string {
	sum := sha256.Sum256([]byte(canonical))
	return algorithm + "\n" + stamp + "\n" + date + "/" + region + "/" + product + "/" + terminator + "\n" + hex.EncodeToString(sum[:])
}

// signature derives the signing key from the secret, date, region and product and signs.
func signature(secret, date, region, toSign string) string {
	mac := func(key []byte, data string) []byte {
		h := hmac.New(sha256.New, key)
		h.Write([]byte(data))
		return h.Sum(nil)
	}
	k := mac([]byte("aliyun_v4"+secret), date)
	k = mac(k, region)
	k = mac(k, product)
	k = mac(k, terminator)
	return hex.EncodeToString(mac(k, toSign))
}

// uriEncode percent-encodes every byte except A-Z a-z 0-9 - _ . ~ (and / unless encodeSlash).
func uriEncode(s string, encodeSlash bool) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' || (c == '/' && !encodeSlash) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}
