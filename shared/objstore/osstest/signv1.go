package osstest

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// V1 signatures, as OSS documents them ("Include signatures in the Authorization header",
// signature version 1) and oss2 and the Java SDK sign by default:
//
//	Authorization: OSS <AccessKeyId>:<Signature>
//	Signature = base64(HMAC-SHA1(AccessKeySecret,
//	    VERB \n Content-MD5 \n Content-Type \n Date \n CanonicalizedOSSHeaders CanonicalizedResource))
//
// CanonicalizedOSSHeaders: every x-oss-* header, lower-case name, "name:value\n", sorted by name.
// CanonicalizedResource: "/bucket/key" (the key as it is, not URL-encoded; "/bucket/" for a
// bucket), then the sub-resources of the query (v1SubResources: not prefix, max-keys and the
// like), sorted by name, "?name=value&name" with values as they are.

const v1Prefix = "OSS "

// v1SubResources are the query parameters that OSS signs in a V1 CanonicalizedResource.
var v1SubResources = map[string]bool{}

func init() {
	for _, k := range strings.Fields(`acl uploads location cors logging website referer lifecycle delete append
		tagging objectMeta uploadId partNumber security-token position img style styleName replication
		replicationProgress replicationLocation cname bucketInfo comp qos live status vod startTime endTime
		symlink x-oss-process response-content-type response-content-language response-expires
		response-cache-control response-content-disposition response-content-encoding udf udfName udfImage
		udfId udfImageDesc udfApplication udfApplicationLog restore callback callback-var continuation-token
		versioning versionId versions encryption policy requestPayment worm wormId wormExtend inventory
		inventoryId stat objectInfo sequential x-oss-traffic-limit x-oss-request-payer qosInfo asyncFetch
		transferAcceleration metaQuery group link`) {
		v1SubResources[k] = true
	}
}

// authenticateV1 checks "OSS <AccessKeyId>:<Signature>" (cred is what follows "OSS ").
func (s *Server) authenticateV1(r *http.Request, t target, cred string, now time.Time) *ossError {
	id, sig, ok := strings.Cut(cred, ":")
	if !ok || id == "" || sig == "" || strings.ContainsAny(id, " ,") {
		return &ossError{status: 400, code: "InvalidArgument", message: "Authorization header is invalid: want OSS <AccessKeyId>:<Signature>."}
	}
	if oerr := s.checkKey(r, id); oerr != nil {
		return oerr
	}
	date := r.Header.Get("Date")
	at, err := http.ParseTime(date)
	if err != nil {
		return &ossError{status: 403, code: "AccessDenied", message: "The Date header is missing or not an HTTP date."}
	}
	if d := now.Sub(at); d > maxSkew || d < -maxSkew {
		return &ossError{status: 403, code: "RequestTimeTooSkewed", message: "The difference between the request time and the current time is too large."}
	}
	toSign := stringToSignV1(r, t.bucket, t.key)
	mac := hmac.New(sha1.New, []byte(s.creds.AccessKeySecret))
	mac.Write([]byte(toSign))
	want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	if !hmac.Equal([]byte(want), []byte(sig)) {
		return &ossError{status: 403, code: "SignatureDoesNotMatch",
			message: "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
			extra:   []elem{{"OSSAccessKeyId", id}, {"StringToSign", toSign}}}
	}
	return nil
}

func stringToSignV1(r *http.Request, bucketName, key string) string {
	var b strings.Builder
	b.WriteString(r.Method + "\n" + r.Header.Get("Content-MD5") + "\n" + r.Header.Get("Content-Type") + "\n" + r.Header.Get("Date") + "\n")
	var names []string
	for k := range r.Header {
		if low := strings.ToLower(k); strings.HasPrefix(low, "x-oss-") {
			names = append(names, low)
		}
	}
	slices.Sort(names)
	for _, name := range slices.Compact(names) {
		b.WriteString(name + ":" + strings.Join(r.Header.Values(name), ",") + "\n")
	}
	b.WriteString("/")
	if bucketName != "" {
		b.WriteString(bucketName + "/" + key)
	}
	var subs []string
	for part := range strings.SplitSeq(r.URL.RawQuery, "&") {
		k, v, _ := strings.Cut(part, "=")
		dk, err1 := url.QueryUnescape(k)
		dv, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil || !v1SubResources[dk] {
			continue
		}
		if dv != "" {
			dk += "=" + dv
		}
		subs = append(subs, dk)
	}
	slices.SortFunc(subs, func(a, b string) int {
		ka, _, _ := strings.Cut(a, "=")
		kb, _, _ := strings.Cut(b, "=")
		return strings.Compare(ka, kb)
	})
	if len(subs) > 0 {
		b.WriteString("?" + strings.Join(subs, "&"))
	}
	return b.String()
}
