// Package osstest is an OSS-protocol test server: a net/http server on 127.0.0.1 that speaks
// the part of Alibaba Cloud OSS's REST API fcsync uses, strictly enough that a client which works
// against it works against OSS, and with faults on demand.
//
// No OSS account is reachable from tests, the public OSS emulator ignores forbid-overwrite and
// append positions, and S3 fakes test S3 semantics. So this server implements, path style
// (/bucket/key):
//
//   - PutObject, GetObject, HeadObject, GetObjectMeta (HEAD ?objectMeta, what the SDKs' "does
//     it exist" helpers ask), DeleteObject, AppendObject (position checked: 409
//     PositionNotEqualToLength), PutBucket, GetBucketVersioning and PutBucketVersioning;
//   - ranged GETs as OSS answers them: 206 with Content-Range; a range OSS cannot take (past the
//     end, reversed, malformed) is ignored and the whole object sent with 200, unless the request
//     says x-oss-range-behavior: standard, when a range past the end is cut at the end and one
//     that starts at or past it is 416 InvalidRange; only the first of several ranges counts;
//   - multipart uploads: InitiateMultipartUpload (POST ?uploads), UploadPart and UploadPartCopy
//     (PUT ?partNumber&uploadId, the latter with x-oss-copy-source, x-oss-copy-source-range inside
//     the source, x-oss-copy-source-if-match: 412 PreconditionFailed; appendable sources are
//     refused), CompleteMultipartUpload (POST ?uploadId: parts listed in ascending order or 400
//     InvalidPartOrder, each uploaded with that ETag or 400 InvalidPart, each but the last at
//     least 100 KiB or 400 EntityTooSmall; the object appears only now) and AbortMultipartUpload
//     (DELETE ?uploadId); a completed or aborted upload is 404 NoSuchUpload. Uploads lists the
//     uploads in progress. encoding-type=url is honoured in the replies;
//   - ListObjectsV2 (list-type=2) with prefix, delimiter, start-after, max-keys (default 100, at
//     most 1000), opaque continuation tokens (NextContinuationToken, IsTruncated) and
//     encoding-type=url (every byte but A-Z a-z 0-9 - _ . ~ and / percent-encoded: a space is
//     %20, never +, which the Python SDKs would keep);
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
//   - V1 signatures (Authorization: OSS <AccessKeyId>:<Signature>, HMAC-SHA1 over the verb,
//     Content-MD5, Content-Type, Date, the x-oss-* headers and the resource with its signed
//     sub-resources), which oss2 and the Java SDK send by default, with the same key, token and
//     clock checks;
//   - Content-MD5 and x-oss-content-sha256 checks on bodies, ETag, Last-Modified and
//     x-oss-hash-crc64ecma (the SDK verifies it on upload).
//
// Faults: FailNext answers the next requests of an operation with a 5xx without applying them,
// LoseNextReplies applies them and then cuts the connection (the client never learns the
// outcome), SlowNext applies them and holds the reply, and SetChaos does the first two at random
// to a fraction of all requests. Stats counts requests and faults, so a test can prove its faults
// happened.
//
// Besides the Go SDK the server was modelled on, sdk_test.go drives Python's oss2 (V1 and V4),
// alibabacloud-oss-v2 (V4) and the Java SDK aliyun-sdk-oss (V1 and V4) through every operation
// above (scripts in testdata/); fidelity_test.go keeps what they found covered with the Go SDK.
//
// Sub-resources (uploads, uploadId, partNumber, ...) are part of the signed canonical query, so
// every request above is checked the same way, and every fault applies to them too.
//
// Not implemented (501 NotImplemented): virtual-hosted addressing, query-string (presigned)
// signatures, conditional GETs, ranged HEADs, CopyObject, ListParts,
// ListMultipartUploads, x-oss-complete-all, copying an object version or with conditions other
// than if-match, object versions (a versioned bucket keeps only the newest object), ACLs and every
// other sub-resource. The code OSS gives for an appendable UploadPartCopy source is not documented;
// the server says 400 InvalidArgument.
package osstest
