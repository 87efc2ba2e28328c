package oss

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	osssdk "github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"

	"github.com/fcsync/fcsync/shared/objstore"
)

// MinServerCopy is the shortest prefix PutWithPrefix copies on the server: OSS's smallest part
// but the last (100 KiB). A shorter prefix is read and put again with the data, in one PutObject.
const MinServerCopy = 100 << 10

// maxCopyPart is the largest part one UploadPartCopy copies (OSS: 5 GiB); a longer prefix is
// copied in several parts. Tests lower it.
var maxCopyPart int64 = 5 << 30

// abortTimeout bounds the best-effort abort of a failed multipart upload, which runs even when
// the caller's context is done.
const abortTimeout = 10 * time.Second

var (
	_ objstore.RangeGetter  = (*Store)(nil)
	_ objstore.PrefixPutter = (*Store)(nil)
)

// op is one store operation in flight: what its errors name and the secrets they redact.
type op struct {
	s    *Store
	ctx  context.Context
	ss   *secrets
	name string // "get range", "put with prefix"
	key  string // the full key the operation writes or reads
}

func (o op) fail(cause error, sentinels ...error) *Error {
	return o.s.fail(o.name, o.key, o.ss, cause, sentinels...)
}

// failAt is fail with what failed named first: a step ("complete multipart upload") or the
// source object.
func (o op) failAt(what string, cause error, sentinels ...error) *Error {
	e := o.fail(cause, sentinels...)
	e.at = what
	return e
}

// GetRange implements objstore.RangeGetter with a ranged GET (x-oss-range-behavior: standard, so
// that OSS cuts a range at the object's end and answers 416 for one past it); a length of 0 is a
// HeadObject. Like Get, a body that breaks off is read again. The body's CRC-64 cannot be checked:
// x-oss-hash-crc64ecma is the whole object's.
func (s *Store) GetRange(ctx context.Context, key string, off, n int64) ([]byte, error) {
	ctx, ss, full, err := s.call(ctx, "get range", key)
	if err != nil {
		return nil, err
	}
	o := op{s: s, ctx: ctx, ss: ss, name: "get range", key: full}
	if off < 0 || n < 0 {
		return nil, &Error{Op: o.name, Bucket: s.bucket, Key: full, detail: fmt.Sprintf("offset %d, length %d: want both >= 0", off, n)}
	}
	return o.readRange(full, off, n, o.fail)
}

// readRange reads n bytes of the object full from off; failures are built by fail.
func (o op) readRange(full string, off, n int64, fail func(error, ...error) *Error) ([]byte, error) {
	s := o.s
	if n == 0 {
		_, err := s.client.HeadObject(o.ctx, &osssdk.HeadObjectRequest{Bucket: &s.bucket, Key: &full})
		switch {
		case isCode(err, 404, "NoSuchKey"):
			return nil, fail(err, objstore.ErrNotFound)
		case err != nil:
			return nil, fail(err)
		}
		return []byte{}, nil
	}
	rng := "bytes=" + strconv.FormatInt(off, 10) + "-" // to the end when off+n-1 overflows
	if n <= math.MaxInt64-off {
		rng += strconv.FormatInt(off+n-1, 10)
	}
	var last error
	for attempt := 1; attempt <= s.retryer.MaxAttempts(); attempt++ {
		if attempt > 1 {
			if err := s.sleep(o.ctx, attempt, last); err != nil {
				return nil, fail(err)
			}
		}
		res, err := s.client.GetObject(o.ctx, &osssdk.GetObjectRequest{Bucket: &s.bucket, Key: &full, Range: &rng, RangeBehavior: osssdk.Ptr("standard")})
		switch {
		case isCode(err, 404, "NoSuchKey"):
			return nil, fail(err, objstore.ErrNotFound)
		case isCode(err, 416, "InvalidRange"):
			return []byte{}, nil // the object ends at or before off
		case err != nil:
			return nil, fail(err)
		}
		data, err := rangeBody(res, off, n)
		_ = res.Body.Close()
		if err == nil {
			return data, nil
		}
		if o.ctx.Err() != nil {
			return nil, fail(o.ctx.Err())
		}
		last = fmt.Errorf("reading the body: %w", err)
	}
	return nil, fail(last)
}

// rangeBody reads the body of a ranged GET: a 206 must hold the range asked for (cut at the
// object's end at most); a 200 is the whole object (the range was ignored), which is checked
// against its CRC-64 and cut here.
func rangeBody(res *osssdk.GetObjectResult, off, n int64) ([]byte, error) {
	switch res.StatusCode {
	case 206:
		first, last, size, err := parseContentRange(osssdk.ToString(res.ContentRange))
		if err != nil {
			return nil, err
		}
		if first != off || last-first >= n || (last-first < n-1 && last != size-1) { // short only at the end

			return nil, fmt.Errorf("asked for %d bytes from %d, got Content-Range %q", n, off, osssdk.ToString(res.ContentRange))
		}
		want := last - first + 1
		data, err := io.ReadAll(io.LimitReader(res.Body, want+1))
		if err == nil && int64(len(data)) != want {
			err = fmt.Errorf("a body of %d bytes for Content-Range %q", len(data), osssdk.ToString(res.ContentRange))
		}
		return data, err
	case 200:
		data, err := io.ReadAll(res.Body)
		if err == nil {
			err = checkCRC(data, res.HashCRC64)
		}
		if err != nil {
			return nil, err
		}
		size := int64(len(data))
		if off >= size {
			return []byte{}, nil
		}
		return bytes.Clone(data[off : off+min(n, size-off)]), nil
	}
	return nil, fmt.Errorf("unexpected status %d for a ranged GET", res.StatusCode)
}

// parseContentRange parses "bytes first-last/size".
func parseContentRange(v string) (first, last, size int64, err error) {
	rest, ok := strings.CutPrefix(v, "bytes ")
	span, total, ok2 := strings.Cut(rest, "/")
	a, b, ok3 := strings.Cut(span, "-")
	if ok && ok2 && ok3 {
		first, err1 := strconv.ParseInt(a, 10, 64)
		last, err2 := strconv.ParseInt(b, 10, 64)
		size, err3 := strconv.ParseInt(total, 10, 64)
		if err1 == nil && err2 == nil && err3 == nil && first >= 0 && first <= last && last < size {
			return first, last, size, nil
		}
	}
	return 0, 0, 0, fmt.Errorf("malformed Content-Range %q", v)
}

// PutWithPrefix implements objstore.PrefixPutter. A prefix of at least MinServerCopy bytes is
// copied on the server: HeadObject of src (its size and ETag), then a multipart upload of key
// whose first part is an UploadPartCopy of src's bytes 0..n-1 (if-match the ETag, so a source
// replaced meanwhile fails the copy instead of mixing versions), the second an UploadPart of
// data (none when data is empty), and CompleteMultipartUpload, which is when the object
// appears. A failed upload is aborted (best effort; the bucket's lifecycle rule removes what an
// abort misses). A shorter prefix is read with a ranged GET and put with data in one PutObject.
//
// Every request but CompleteMultipartUpload is retried by the SDK. CompleteMultipartUpload is
// sent once per upload: when it fails in a way worth retrying (a 5xx, a lost reply), the upload
// is aborted and the whole upload made again, which writes the same object, since the result
// depends only on src, n and data. A Complete whose reply was lost may have landed; sending it
// again would only say NoSuchUpload.
func (s *Store) PutWithPrefix(ctx context.Context, key, src string, n int64, data []byte) error {
	const name = "put with prefix"
	ctx, ss, full, err := s.call(ctx, name, key)
	if err != nil {
		return err
	}
	o := op{s: s, ctx: ctx, ss: ss, name: name, key: full}
	fullSrc, kerr := s.fullKey(name, src)
	if kerr != nil {
		kerr.Key, kerr.at = full, "source"
		return kerr
	}
	if n < 0 || key == src {
		return &Error{Op: name, Bucket: s.bucket, Key: full, detail: fmt.Sprintf("%d bytes of %q: want a length >= 0 and another object", n, fullSrc)}
	}
	failSrc := func(cause error, sentinels ...error) *Error {
		return o.failAt("source oss://"+s.bucket+"/"+fullSrc, cause, sentinels...)
	}
	if n < MinServerCopy {
		prefix, err := o.readRange(fullSrc, 0, n, failSrc)
		if err != nil {
			return err
		}
		if int64(len(prefix)) < n {
			return failSrc(fmt.Errorf("%d bytes, want %d", len(prefix), n), objstore.ErrShortSource)
		}
		whole := make([]byte, 0, len(prefix)+len(data))
		whole = append(append(whole, prefix...), data...)
		if _, err := s.client.PutObject(ctx, &osssdk.PutObjectRequest{Bucket: &s.bucket, Key: &full, Body: bytes.NewReader(whole)}); err != nil {
			return o.fail(err)
		}
		return nil
	}
	head, err := s.client.HeadObject(ctx, &osssdk.HeadObjectRequest{Bucket: &s.bucket, Key: &fullSrc})
	switch {
	case isCode(err, 404, "NoSuchKey"):
		return failSrc(err, objstore.ErrNotFound)
	case err != nil:
		return failSrc(err)
	case head.ContentLength < n:
		return failSrc(fmt.Errorf("%d bytes, want %d", head.ContentLength, n), objstore.ErrShortSource)
	}
	var last error
	for attempt := 1; ; attempt++ {
		if attempt > 1 {
			if err := s.sleep(ctx, attempt, last); err != nil {
				return o.fail(err)
			}
		}
		again, err := o.upload(fullSrc, head.ETag, n, data, failSrc)
		if err == nil {
			return nil
		}
		if !again || attempt >= s.retryer.MaxAttempts() || ctx.Err() != nil {
			return err
		}
		last = err.cause
	}
}

// upload makes the object with one multipart upload. again reports a failure of
// CompleteMultipartUpload worth making the upload again for.
func (o op) upload(src string, etag *string, n int64, data []byte, failSrc func(error, ...error) *Error) (again bool, err *Error) {
	s := o.s
	init, ierr := s.client.InitiateMultipartUpload(o.ctx, &osssdk.InitiateMultipartUploadRequest{Bucket: &s.bucket, Key: &o.key})
	if ierr != nil {
		return false, o.failAt("initiate multipart upload", ierr)
	}
	id := init.UploadId
	if osssdk.ToString(id) == "" {
		return false, o.failAt("initiate multipart upload", errors.New("no upload id in the reply"))
	}
	done := false
	defer func() {
		if !done {
			o.abort(id)
		}
	}()

	// The prefix in parts of equal size, each at most maxCopyPart: none but the last may be under
	// 100 KiB, and n >= MinServerCopy makes each at least that.
	count := (n + maxCopyPart - 1) / maxCopyPart
	size := (n + count - 1) / count
	var parts []osssdk.UploadPart
	for first := int64(0); first < n; first += size {
		last := min(first+size, n) - 1
		num := int32(len(parts) + 1)
		res, cerr := s.client.UploadPartCopy(o.ctx, &osssdk.UploadPartCopyRequest{Bucket: &s.bucket, Key: &o.key, UploadId: id,
			PartNumber: num, SourceKey: &src, Range: osssdk.Ptr(fmt.Sprintf("bytes=%d-%d", first, last)), IfMatch: etag})
		switch {
		case isCode(cerr, 404, "NoSuchKey"):
			return false, failSrc(cerr, objstore.ErrNotFound)
		case isCode(cerr, 412, "PreconditionFailed"):
			e := failSrc(cerr)
			e.at += ": replaced during the copy"
			return false, e
		case cerr != nil:
			return false, o.failAt(fmt.Sprintf("upload part copy %d (bytes %d-%d of oss://%s/%s)", num, first, last, s.bucket, src), cerr)
		}
		parts = append(parts, osssdk.UploadPart{PartNumber: num, ETag: res.ETag})
	}
	if len(data) > 0 {
		num := int32(len(parts) + 1)
		res, perr := s.client.UploadPart(o.ctx, &osssdk.UploadPartRequest{Bucket: &s.bucket, Key: &o.key, UploadId: id,
			PartNumber: num, Body: bytes.NewReader(data)})
		if perr != nil {
			return false, o.failAt(fmt.Sprintf("upload part %d (%d bytes)", num, len(data)), perr)
		}
		parts = append(parts, osssdk.UploadPart{PartNumber: num, ETag: res.ETag})
	}
	_, cerr := s.client.CompleteMultipartUpload(o.ctx, &osssdk.CompleteMultipartUploadRequest{Bucket: &s.bucket, Key: &o.key, UploadId: id,
		CompleteMultipartUpload: &osssdk.CompleteMultipartUpload{Parts: parts}}, s.noRetry)
	if cerr != nil {
		return s.retryable(cerr), o.failAt("complete multipart upload", cerr)
	}
	done = true
	return false, nil
}

// abort aborts a multipart upload, best effort, also when the operation's context is done.
func (o op) abort(id *string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(o.ctx), abortTimeout)
	defer cancel()
	_, _ = o.s.client.AbortMultipartUpload(ctx, &osssdk.AbortMultipartUploadRequest{Bucket: &o.s.bucket, Key: &o.key, UploadId: id})
}
