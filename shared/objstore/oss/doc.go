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
// attempt id in every version and does exactly that. Get, Put, Size, List and Delete are
// idempotent and retried by the SDK (5xx, 401/408/429, RequestTimeTooSkewed and connection errors).
//
// # Ranges, sizes and prefix copies
//
// The store has all the optional capabilities of package objstore. Size is a HeadObject (the
// reply's Content-Length; a reply without one is an error, not 0). GetRange is a ranged GET with
// x-oss-range-behavior: standard (OSS then cuts a range at the object's end and answers 416
// InvalidRange for one that starts past it, which is an empty result; without the header OSS
// would ignore such a range and send the whole object). A length of 0 is a HeadObject. A reply
// that ignored the range anyway (200, as a proxy may cause) is checked against its CRC-64 and cut
// here; a 206 of another range than asked is an error.
//
// PutWithPrefix copies a prefix of at least MinServerCopy (100 KiB, OSS's smallest part but the
// last) on the server, so a Hudi writer topping up a base file sends only the new bytes:
// HeadObject of the source (size and ETag), InitiateMultipartUpload, UploadPartCopy of the
// prefix (if-match that ETag; a prefix over 5 GiB in several equal parts), UploadPart of the new
// bytes, CompleteMultipartUpload. The object appears only at Complete, so a failure leaves the
// key as it was, and the upload is aborted. A Complete that fails with a 5xx or a lost reply is
// not sent again (a retry of one that landed would say NoSuchUpload): the whole upload is made
// again, up to the store's attempts, which writes the same object. An abort that does not get
// through, or an InitiateMultipartUpload whose reply was lost and which the SDK retried, leaves an
// incomplete upload whose parts are billed as storage: the lake bucket's lifecycle rule
// (infra/oss/lifecycle.xml) removes incomplete uploads after a day. A shorter prefix is read with a
// ranged GET and put again with the new bytes in one PutObject.
//
// The credentials need oss:GetObject on the objects Size and GetRange read and on
// PutWithPrefix's source (HeadObject, ranged GET, UploadPartCopy's read), oss:PutObject on the
// key (the upload requests) and oss:AbortMultipartUpload on the key.
//
// # Errors
//
// Every error is an *Error naming the operation, bucket and key, with OSS's status, code and
// request id when OSS answered. A missing key is objstore.ErrNotFound; a missing bucket is not
// (it is a configuration error). The text never contains the secret or the security token that
// signed the request: they are redacted even where OSS or the transport would echo them.
package oss
