package oss_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/fcsync/fcsync/shared/objstore"
	"github.com/fcsync/fcsync/shared/objstore/oss"
	"github.com/fcsync/fcsync/shared/objstore/osstest"
)

func TestSizeIsOneHeadObjectAndRidesOutFaults(t *testing.T) {
	srv := osstest.New(t, osstest.WithBucket(bucket))
	s := newStore(t, srv, "p")
	ctx := t.Context()
	if err := s.Put(ctx, "big", randomData(1<<20, 3)); err != nil {
		t.Fatal(err)
	}
	before := srv.Stats().Requests
	if n, err := s.Size(ctx, "big"); err != nil || n != 1<<20 {
		t.Fatalf("Size = %d, %v; want %d", n, err, 1<<20)
	}
	after := srv.Stats().Requests
	if gets, heads := after[osstest.OpGetObject]-before[osstest.OpGetObject], after[osstest.OpHeadObject]-before[osstest.OpHeadObject]; gets != 0 || heads != 1 {
		t.Fatalf("Size sent %d GETs and %d HEADs, want one HEAD", gets, heads)
	}

	srv.FailNext(osstest.OpHeadObject, 1, 503)
	srv.LoseNextReplies(osstest.OpHeadObject, 1)
	if n, err := s.Size(ctx, "big"); err != nil || n != 1<<20 {
		t.Fatalf("Size after a 503 and a lost reply = %d, %v; want %d", n, err, 1<<20)
	}
	srv.FailNext(osstest.OpHeadObject, 10, 500)
	if n, err := s.Size(ctx, "big"); err == nil || errors.Is(err, objstore.ErrNotFound) || !strings.Contains(err.Error(), "oss://"+bucket+"/p/big") {
		t.Fatalf("Size while the server keeps failing = %d, %v; want an error naming the object that is not ErrNotFound", n, err)
	}
}

func TestSizeRefusesAReplyWithoutALength(t *testing.T) {
	srv := osstest.New(t, osstest.WithBucket(bucket))
	s := newStore(t, srv, "", oss.WithHTTPClient(&http.Client{Transport: intercept{after: func(r *http.Request, res *http.Response) {
		if r.Method == http.MethodHead {
			res.Header.Del("Content-Length") // as a proxy might
		}
	}}}))
	ctx := t.Context()
	if err := s.Put(ctx, "k", []byte("seven b")); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Size(ctx, "k"); err == nil || !strings.Contains(err.Error(), "Content-Length") {
		t.Fatalf("Size of a reply without Content-Length = %d, %v; want an error, not 0", n, err)
	}
}

func TestSizeInAMissingBucketIsNotAMissingKey(t *testing.T) {
	srv := osstest.New(t) // no bucket
	s := newStore(t, srv, "")
	n, err := s.Size(t.Context(), "k")
	if err == nil || errors.Is(err, objstore.ErrNotFound) || !strings.Contains(err.Error(), "NoSuchBucket") {
		t.Fatalf("Size in a missing bucket = %d, %v; want a NoSuchBucket error", n, err)
	}
}
