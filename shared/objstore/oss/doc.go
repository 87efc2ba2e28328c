// Package oss is the objstore.Store on Alibaba Cloud OSS, on the v2 Go SDK
// (github.com/aliyun/alibabacloud-oss-go-sdk-v2, V4 signatures).
//
//	store, err := oss.New(oss.Config{Bucket: "b", Prefix: "fcsync", Region: "cn-hangzhou", Internal: true,
//		Credentials: func(ctx context.Context) (oss.Credentials, error) { ... }})
//	err = store.CheckVersioning(ctx) // once, at start-up
//
// Keys follow objstore.ValidKey and live under Config.Prefix: the key "state/x" of a store with
// prefix "fcsync" is the object "fcsync/state/x". Credentials are asked for on every request
// (and every retry), with the request's context, so a function can sign each invocation's
// requests with that invocation's STS keys.
//
// # Create-if-absent
//
// CreateIfAbsent is a PutObject with x-oss-forbid-overwrite: true; OSS answers 409
// FileAlreadyExists when the key is taken, which becomes objstore.ErrExists. It does not work on a
// bucket that has, or ever had, versioning (OSS then ignores the header and overwrites), so
// CheckVersioning refuses such a bucket with ErrVersioned.
//
// A write can land while its reply is lost (a cut connection, a timeout, a 5xx from a proxy). The
// SDK's retryer would then resend the PUT and report the 409 of the retry as if another writer
// had won. So CreateIfAbsent does not let the SDK retry it; it retries itself and remembers that
// an attempt's outcome is unknown: when a later attempt gets 409, or when it gives up, its error
// wraps ErrMaybeWritten as well (with 409 also objstore.ErrExists). Callers that must know whose
// object it is read it back and look for their own mark: package state puts a writer and an
// attempt id in every version and does exactly that. Get, Put, List and Delete are idempotent
// and retried by the SDK (5xx, 401/408/429, RequestTimeTooSkewed and connection errors).
//
// # Errors
//
// Every error is an *Error naming the operation, bucket and key, with OSS's status, code and
// request id when OSS answered. A missing key is objstore.ErrNotFound; a missing bucket is not
// (it is a configuration error). The text never contains the secret or the security token that
// signed the request: they are redacted even where OSS or the transport would echo them.
package oss
