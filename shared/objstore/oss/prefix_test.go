package oss_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/fcsync/fcsync/shared/objstore"
	"github.com/fcsync/fcsync/shared/objstore/oss"
	"github.com/fcsync/fcsync/shared/objstore/osstest"
)

func randomData(n int, seed byte) []byte {
	b := make([]byte, n)
	x := uint32(seed) + 1
	for i := range b {
		x = x*1664525 + 1013904223
		b[i] = byte(x >> 24)
	}
	return b
}

// intercept is a transport that can act before a request goes out and change its response.
type intercept struct {
	before func(*http.Request) *http.Request
	after  func(*http.Request, *http.Response)
}

func (i intercept) RoundTrip(r *http.Request) (*http.Response, error) {
	if i.before != nil {
		r = i.before(r)
	}
	res, err := http.DefaultTransport.RoundTrip(r)
	if err == nil && i.after != nil {
		i.after(r, res)
	}
	return res, err
}

func isOp(r *http.Request, op osstest.Op) bool {
	q := r.URL.Query()
	switch op {
	case osstest.OpUploadPartCopy:
		return r.Method == http.MethodPut && r.Header.Get("x-oss-copy-source") != ""
	case osstest.OpUploadPart:
		return r.Method == http.MethodPut && q.Has("uploadId") && r.Header.Get("x-oss-copy-source") == ""
	case osstest.OpGetObject:
		return r.Method == http.MethodGet && !strings.HasSuffix(r.URL.Path, "/")
	}
	return false
}

func TestPutWithPrefixCopiesLongPrefixesOnTheServerAndShortOnesThroughTheClient(t *testing.T) {
	src := randomData(3*oss.MinServerCopy, 1)
	tests := []struct {
		name                  string
		n                     int64
		data                  []byte
		copies, parts, ranged int // UploadPartCopy, UploadPart and GetObject requests
		heads, puts           int // HeadObject and PutObject requests
	}{
		{"a long prefix and data", 2 * oss.MinServerCopy, []byte("rows"), 1, 1, 0, 1, 0},
		{"exactly the smallest server copy", oss.MinServerCopy, []byte("rows"), 1, 1, 0, 1, 0},
		{"a long prefix and no data", 2 * oss.MinServerCopy, nil, 1, 0, 0, 1, 0},
		{"the whole source", 3 * oss.MinServerCopy, []byte("rows"), 1, 1, 0, 1, 0},
		{"one byte short of a server copy", oss.MinServerCopy - 1, []byte("rows"), 0, 0, 1, 0, 1},
		{"no prefix", 0, []byte("rows"), 0, 0, 0, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := osstest.New(t, osstest.WithBucket(bucket))
			s := newStore(t, srv, "fcsync")
			ctx := t.Context()
			if err := s.Put(ctx, "lake/old.parquet", src); err != nil {
				t.Fatal(err)
			}
			before := srv.Stats()
			if err := s.PutWithPrefix(ctx, "lake/new.parquet", "lake/old.parquet", tt.n, tt.data); err != nil {
				t.Fatal(err)
			}
			got, _ := srv.Object(bucket, "fcsync/lake/new.parquet")
			if want := append(slices.Clone(src[:tt.n]), tt.data...); !bytes.Equal(got, want) {
				t.Fatalf("object of %d bytes, want %d", len(got), len(want))
			}
			after := srv.Stats()
			count := func(op osstest.Op) int { return after.Requests[op] - before.Requests[op] }
			multipart := 0
			if tt.copies > 0 {
				multipart = 1
			}
			want := map[osstest.Op]int{
				osstest.OpUploadPartCopy: tt.copies, osstest.OpUploadPart: tt.parts, osstest.OpGetObject: tt.ranged,
				osstest.OpHeadObject: tt.heads, osstest.OpPutObject: tt.puts,
				osstest.OpInitiateMultipartUpload: multipart, osstest.OpCompleteMultipartUpload: multipart, osstest.OpAbortMultipartUpload: 0,
			}
			for op, n := range want {
				if count(op) != n {
					t.Errorf("%d %s requests, want %d", count(op), op, n)
				}
			}
			if ups := srv.Uploads(bucket); len(ups) != 0 {
				t.Errorf("uploads left: %q", ups)
			}
		})
	}
}

func TestPutWithPrefixCopiesAPrefixLongerThanAPartInEqualParts(t *testing.T) {
	defer oss.SetMaxCopyPart(150 << 10)()
	srv := osstest.New(t, osstest.WithBucket(bucket))
	s := newStore(t, srv, "")
	ctx := t.Context()
	src := randomData(400<<10, 2)
	if err := s.Put(ctx, "src", src); err != nil {
		t.Fatal(err)
	}
	// 320 KiB in parts of at most 150 KiB: three of about 107 KiB, none under OSS's 100 KiB.
	for _, data := range [][]byte{[]byte("tail"), nil} {
		if err := s.PutWithPrefix(ctx, "dst", "src", 320<<10, data); err != nil {
			t.Fatal(err)
		}
		if got, _ := srv.Object(bucket, "dst"); !bytes.Equal(got, append(slices.Clone(src[:320<<10]), data...)) {
			t.Fatalf("object of %d bytes", len(got))
		}
	}
	if n := srv.Stats().Requests[osstest.OpUploadPartCopy]; n != 6 {
		t.Fatalf("%d UploadPartCopy requests, want 3 per call", n)
	}
}

func TestPutWithPrefixUnderFaults(t *testing.T) {
	src := randomData(2*oss.MinServerCopy, 3)
	const n = oss.MinServerCopy + 10
	data := []byte("the new rows")
	want := append(slices.Clone(src[:n]), data...)
	tests := []struct {
		name      string
		arm       func(srv *osstest.Server)
		wantErr   string // "": success
		initiates int    // InitiateMultipartUpload requests
		uploads   int    // uploads left behind
	}{
		{"a 503 on Complete makes the upload again", func(srv *osstest.Server) { srv.FailNext(osstest.OpCompleteMultipartUpload, 1, 503) }, "", 2, 0},
		{"a lost Complete reply makes the upload again", func(srv *osstest.Server) { srv.LoseNextReplies(osstest.OpCompleteMultipartUpload, 1) }, "", 2, 0},
		{"a 5xx on every Complete is an error", func(srv *osstest.Server) { srv.FailNext(osstest.OpCompleteMultipartUpload, 100, 500) },
			"complete multipart upload: 500 InternalError", oss.DefaultMaxAttempts, 0},
		{"one 503 on a part copy is retried by the SDK", func(srv *osstest.Server) { srv.FailNext(osstest.OpUploadPartCopy, 1, 503) }, "", 1, 0},
		{"a 503 on every part copy is an error", func(srv *osstest.Server) { srv.FailNext(osstest.OpUploadPartCopy, 100, 503) },
			"upload part copy 1", 1, 0},
		{"a 500 on every part upload is an error", func(srv *osstest.Server) { srv.FailNext(osstest.OpUploadPart, 100, 500) },
			"upload part 2", 1, 0},
		{"a 500 on every initiate is an error", func(srv *osstest.Server) { srv.FailNext(osstest.OpInitiateMultipartUpload, 100, 500) },
			"initiate multipart upload", oss.DefaultMaxAttempts, 0},
		{"an abort that fails too leaves the uploads to the lifecycle rule", func(srv *osstest.Server) {
			srv.FailNext(osstest.OpCompleteMultipartUpload, 100, 500)
			srv.FailNext(osstest.OpAbortMultipartUpload, 100, 500)
		}, "complete multipart upload", oss.DefaultMaxAttempts, oss.DefaultMaxAttempts},
	}
	for _, tt := range tests {
		for _, old := range []bool{false, true} {
			t.Run(tt.name+map[bool]string{false: "", true: " over an old object"}[old], func(t *testing.T) {
				srv := osstest.New(t, osstest.WithBucket(bucket))
				s := newStore(t, srv, "")
				ctx := t.Context()
				if err := s.Put(ctx, "src", src); err != nil {
					t.Fatal(err)
				}
				if old {
					if err := s.Put(ctx, "dst", []byte("old")); err != nil {
						t.Fatal(err)
					}
				}
				tt.arm(srv)
				err := s.PutWithPrefix(ctx, "dst", "src", n, data)
				got, exists := srv.Object(bucket, "dst")
				if tt.wantErr == "" {
					if err != nil || !bytes.Equal(got, want) {
						t.Fatalf("PutWithPrefix = %v, object of %d bytes; want success and %d bytes", err, len(got), len(want))
					}
				} else {
					var oe *oss.Error
					if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.As(err, &oe) || oe.Key != "dst" {
						t.Fatalf("PutWithPrefix = %v, want an error about %q naming the key", err, tt.wantErr)
					}
					if exists != old || (old && string(got) != "old") {
						t.Fatalf("after a failed PutWithPrefix the key holds %d bytes (exists %v), want the old object: %v", len(got), exists, old)
					}
				}
				st := srv.Stats()
				if n := st.Requests[osstest.OpInitiateMultipartUpload]; n != tt.initiates {
					t.Errorf("%d uploads initiated, want %d", n, tt.initiates)
				}
				if ups := srv.Uploads(bucket); len(ups) != tt.uploads {
					t.Errorf("%d uploads left (%q), want %d", len(ups), ups, tt.uploads)
				}
				if st.Failed+st.Lost == 0 {
					t.Error("no fault happened")
				}
			})
		}
	}
}

func TestPutWithPrefixFailsWhenTheSourceChangesDuringTheCopy(t *testing.T) {
	src := randomData(2*oss.MinServerCopy, 4)
	tests := []struct {
		name   string
		change func(ctx context.Context, s *oss.Store) error
		want   error
		text   string
	}{
		{"replaced", func(ctx context.Context, s *oss.Store) error { return s.Put(ctx, "src", randomData(len(src), 5)) }, nil, "replaced during the copy"},
		{"deleted", func(ctx context.Context, s *oss.Store) error { return s.Delete(ctx, "src") }, objstore.ErrNotFound, "source oss://"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := osstest.New(t, osstest.WithBucket(bucket))
			plain := newStore(t, srv, "")
			ctx := t.Context()
			if err := plain.Put(ctx, "src", src); err != nil {
				t.Fatal(err)
			}
			var fired atomic.Bool
			s := newStore(t, srv, "", oss.WithHTTPClient(&http.Client{Transport: intercept{before: func(r *http.Request) *http.Request {
				if isOp(r, osstest.OpUploadPartCopy) && fired.CompareAndSwap(false, true) {
					if err := tt.change(ctx, plain); err != nil {
						t.Error(err)
					}
				}
				return r
			}}}))
			err := s.PutWithPrefix(ctx, "dst", "src", oss.MinServerCopy, []byte("x"))
			if err == nil || !strings.Contains(err.Error(), tt.text) || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Fatalf("PutWithPrefix = %v, want an error saying %q", err, tt.text)
			}
			if _, ok := srv.Object(bucket, "dst"); ok {
				t.Fatal("the key was written from a changing source")
			}
			if ups := srv.Uploads(bucket); len(ups) != 0 {
				t.Fatalf("uploads left: %q", ups)
			}
			if n := srv.Stats().Requests[osstest.OpInitiateMultipartUpload]; n != 1 {
				t.Fatalf("%d uploads, want 1: a changed source is not retried", n)
			}
		})
	}
}

func TestPutWithPrefixAbortsItsUploadWhenTheCallerGivesUp(t *testing.T) {
	srv := osstest.New(t, osstest.WithBucket(bucket))
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	s := newStore(t, srv, "", oss.WithHTTPClient(&http.Client{Transport: intercept{before: func(r *http.Request) *http.Request {
		if isOp(r, osstest.OpUploadPart) {
			cancel() // the invocation ends while the new bytes are on their way
		}
		return r
	}}}))
	if err := s.Put(ctx, "src", randomData(oss.MinServerCopy, 6)); err != nil {
		t.Fatal(err)
	}
	err := s.PutWithPrefix(ctx, "dst", "src", oss.MinServerCopy, []byte("x"))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("PutWithPrefix = %v, want context.Canceled", err)
	}
	if ups := srv.Uploads(bucket); len(ups) != 0 {
		t.Fatalf("uploads left after the caller gave up: %q", ups)
	}
	if n := srv.Stats().Requests[osstest.OpAbortMultipartUpload]; n != 1 {
		t.Fatalf("%d aborts, want 1", n)
	}
}

func TestGetRangeReadsOnlyTheRange(t *testing.T) {
	srv := osstest.New(t, osstest.WithBucket(bucket))
	var received atomic.Int64
	s := newStore(t, srv, "p", oss.WithHTTPClient(&http.Client{Transport: intercept{after: func(r *http.Request, res *http.Response) {
		if isOp(r, osstest.OpGetObject) {
			received.Add(res.ContentLength)
		}
	}}}))
	ctx := t.Context()
	src := randomData(1<<20, 7)
	if err := s.Put(ctx, "big", src); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetRange(ctx, "big", 1000, 4096)
	if err != nil || !bytes.Equal(got, src[1000:5096]) {
		t.Fatalf("GetRange = %d bytes, %v", len(got), err)
	}
	if received.Load() != 4096 {
		t.Fatalf("%d bytes came over the wire, want the 4096 of the range", received.Load())
	}
	before := srv.Stats().Requests
	if got, err := s.GetRange(ctx, "big", 10, 0); err != nil || len(got) != 0 {
		t.Fatalf("GetRange of nothing = %q, %v", got, err)
	}
	after := srv.Stats().Requests
	if after[osstest.OpGetObject] != before[osstest.OpGetObject] || after[osstest.OpHeadObject] != before[osstest.OpHeadObject]+1 {
		t.Fatalf("a length of 0 sent %d GETs and %d HEADs, want one HEAD",
			after[osstest.OpGetObject]-before[osstest.OpGetObject], after[osstest.OpHeadObject]-before[osstest.OpHeadObject])
	}
}

// breakBody makes a response's body fail after a few bytes, as a cut connection does.
type breakBody struct{ io.ReadCloser }

func (b breakBody) Read(p []byte) (int, error) {
	n, _ := b.ReadCloser.Read(p[:min(len(p), 3)])
	return n, io.ErrUnexpectedEOF
}

func TestGetRangeCopesWithWhatAServerOrProxyMayDo(t *testing.T) {
	src := randomData(1000, 8)
	tests := []struct {
		name    string
		faults  func(*osstest.Server)
		mod     intercept
		wantErr string // "": success
	}{
		{"server errors and lost replies", func(srv *osstest.Server) {
			srv.FailNext(osstest.OpGetObject, 1, 503)
			srv.LoseNextReplies(osstest.OpGetObject, 1)
		}, intercept{}, ""},
		{"a body cut short is read again", nil, intercept{after: func() func(*http.Request, *http.Response) {
			var once atomic.Bool
			return func(r *http.Request, res *http.Response) {
				if isOp(r, osstest.OpGetObject) && once.CompareAndSwap(false, true) {
					res.Body = breakBody{res.Body}
				}
			}
		}()}, ""},
		{"a proxy that drops the Range header: the whole object, cut here", nil, intercept{before: func(r *http.Request) *http.Request {
			r = r.Clone(r.Context())
			r.Header.Del("Range")
			return r
		}}, ""},
		{"a 206 of another range is refused", nil, intercept{after: func(r *http.Request, res *http.Response) {
			if res.StatusCode == 206 {
				res.Header.Set("Content-Range", "bytes 0-9/1000")
			}
		}}, "got Content-Range"},
		{"a 206 cut short before the object's end is refused", nil, intercept{after: func(r *http.Request, res *http.Response) {
			if res.StatusCode == 206 {
				res.Header.Set("Content-Range", "bytes 100-120/1000")
			}
		}}, "got Content-Range"},
		{"a malformed Content-Range is refused", nil, intercept{after: func(r *http.Request, res *http.Response) {
			if res.StatusCode == 206 {
				res.Header.Set("Content-Range", "bytes 100-149/120")
			}
		}}, "malformed Content-Range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := osstest.New(t, osstest.WithBucket(bucket))
			s := newStore(t, srv, "", oss.WithHTTPClient(&http.Client{Transport: tt.mod}))
			ctx := t.Context()
			if err := s.Put(ctx, "k", src); err != nil {
				t.Fatal(err)
			}
			if tt.faults != nil {
				tt.faults(srv)
			}
			got, err := s.GetRange(ctx, "k", 100, 50)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("GetRange = %d bytes, %v; want an error saying %q", len(got), err, tt.wantErr)
				}
				return
			}
			if err != nil || !bytes.Equal(got, src[100:150]) {
				t.Fatalf("GetRange = %d bytes, %v; want bytes 100-149", len(got), err)
			}
		})
	}
}

func TestPutWithPrefixErrorsNameTheSource(t *testing.T) {
	srv := osstest.New(t, osstest.WithBucket(bucket))
	s := newStore(t, srv, "jobs")
	ctx := t.Context()
	if err := s.Put(ctx, "short", []byte("abc")); err != nil {
		t.Fatal(err)
	}
	for _, n := range []int64{10, oss.MinServerCopy} {
		err := s.PutWithPrefix(ctx, "dst", "short", n, nil)
		var oe *oss.Error
		if !errors.Is(err, objstore.ErrShortSource) || !errors.As(err, &oe) || oe.Key != "jobs/dst" ||
			!strings.Contains(err.Error(), "source oss://"+bucket+"/jobs/short") {
			t.Fatalf("PutWithPrefix(%d) of a 3-byte source = %v, want ErrShortSource naming the key and the source", n, err)
		}
		err = s.PutWithPrefix(ctx, "dst", "../up", n, nil)
		if !errors.Is(err, objstore.ErrInvalidKey) || !strings.Contains(err.Error(), "source") {
			t.Fatalf("PutWithPrefix from an invalid key = %v, want ErrInvalidKey about the source", err)
		}
	}
}
