// Package osstest is an OSS-protocol test server: a net/http server on 127.0.0.1 that speaks
// the part of Alibaba Cloud OSS's REST API fcsync uses, strictly enough that a client which works
// against it works against OSS, and with faults on demand.
//
// No OSS account is reachable from tests, the public OSS emulator ignores forbid-overwrite and
// append positions, and S3 fakes test S3 semantics. So this server implements, path style
// (/bucket/key):
//
//   - PutObject, GetObject, HeadObject, DeleteObject, AppendObject (position checked: 409
//     PositionNotEqualToLength), PutBucket, GetBucketVersioning and PutBucketVersioning;
//   - ListObjectsV2 (list-type=2) with prefix, delimiter, start-after, max-keys (default 100, at
//     most 1000), opaque continuation tokens (NextContinuationToken, IsTruncated) and
//     encoding-type=url;
//   - x-oss-forbid-overwrite: true → 409 FileAlreadyExists, and, as on OSS, the header has no
//     effect on a bucket whose versioning is Enabled or Suspended (SetVersioning);
//   - OSS error XML (Code, Message, RequestId, HostId, ...), and on HEAD, where there is no body,
//     the same XML base64-encoded in the x-oss-err header;
//   - V4 signatures (OSS4-HMAC-SHA256): the server recomputes the canonical request, the string
//     to sign and the derived key as OSS documents them and the v2 Go SDK signs, and refuses a
//     request without one (AccessDenied), with an unknown AccessKey ID (InvalidAccessKeyId), a
//     wrong or missing STS token (InvalidSecurityToken), a clock more than 15 minutes off
//     (RequestTimeTooSkewed) or a wrong signature (SignatureDoesNotMatch, with the server's
//     canonical request and string to sign in the error, as OSS does);
//   - Content-MD5 and x-oss-content-sha256 checks on bodies, ETag, Last-Modified and
//     x-oss-hash-crc64ecma (the SDK verifies it on upload).
//
// Faults: FailNext answers the next requests of an operation with a 5xx without applying them,
// LoseNextReplies applies them and then cuts the connection (the client never learns the
// outcome), SlowNext applies them and holds the reply, and SetChaos does the first two at random
// to a fraction of all requests. Stats counts requests and faults, so a test can prove its faults
// happened.
//
// Not implemented (501 NotImplemented): virtual-hosted addressing, query-string (presigned)
// signatures, V1 signatures, ranged and conditional GETs, multipart uploads, object versions
// (a versioned bucket keeps only the newest object), ACLs and every other sub-resource.
package osstest
