"""Drives Python's alibabacloud-oss-v2 SDK (V4 signatures) against an osstest server, every
operation fcsync's OSS store uses.

Usage: ossv2_ops.py ENDPOINT BUCKET REGION, with the keys in OSS_ACCESS_KEY_ID and
OSS_ACCESS_KEY_SECRET, and an STS token in OSS_SECURITY_TOKEN if the server wants one. Prints one JSON object, as oss2_ops.py does, for sdk_test.go to check.
"""
import json
import os
import sys
import time

import alibabacloud_oss_v2 as oss

endpoint, bucket, region = sys.argv[1:4]
ak, sk = os.environ["OSS_ACCESS_KEY_ID"], os.environ["OSS_ACCESS_KEY_SECRET"]
token = os.environ.get("OSS_SECURITY_TOKEN", "")


def make_client(secret, sts_token=token):
    cfg = oss.config.load_default()
    cfg.credentials_provider = oss.credentials.StaticCredentialsProvider(ak, secret, sts_token or None)
    cfg.region = region
    cfg.endpoint = endpoint
    cfg.use_path_style = True
    cfg.retry_max_attempts = 1
    return oss.Client(cfg)


client = make_client(sk)
out = {}


def step(name, fn):
    t0 = time.monotonic()
    try:
        out[name] = {"ok": True, **(fn() or {})}
    except oss.exceptions.OperationError as e:
        se = e.unwrap()
        if not isinstance(se, oss.exceptions.ServiceError):
            raise
        out[name] = {"ok": False, "status": se.status_code, "code": se.code, "request_id": se.request_id,
                     "message": se.message}
    out[name]["ms"] = round((time.monotonic() - t0) * 1000)


def put():
    r = client.put_object(oss.PutObjectRequest(bucket=bucket, key="dir/a.txt", body=b"hello, oss",
                                               content_type="text/plain"))
    return {"status": r.status_code, "etag": r.etag, "crc": r.hash_crc64}


def get():
    r = client.get_object(oss.GetObjectRequest(bucket=bucket, key="dir/a.txt"))
    return {"status": r.status_code, "body": r.body.read().decode(), "content_type": r.content_type,
            "crc": r.hash_crc64}


def ranged():
    r = client.get_object(oss.GetObjectRequest(bucket=bucket, key="dir/a.txt", range_header="bytes=2-5"))
    return {"status": r.status_code, "body": r.body.read().decode(), "content_range": r.content_range}


def ranged_standard():
    r = client.get_object(oss.GetObjectRequest(bucket=bucket, key="dir/a.txt", range_header="bytes=7-100",
                                               range_behavior="standard"))
    return {"status": r.status_code, "body": r.body.read().decode(), "content_range": r.content_range}


def head():
    r = client.head_object(oss.HeadObjectRequest(bucket=bucket, key="dir/a.txt"))
    return {"status": r.status_code, "size": r.content_length, "etag": r.etag, "type": r.object_type,
            "crc": r.hash_crc64}


def head_missing():
    client.head_object(oss.HeadObjectRequest(bucket=bucket, key="dir/missing"))


def get_missing():
    client.get_object(oss.GetObjectRequest(bucket=bucket, key="dir/missing"))


def create_absent():
    r = client.put_object(oss.PutObjectRequest(bucket=bucket, key="dir/once", body=b"first", forbid_overwrite=True))
    return {"status": r.status_code}


def create_present():
    client.put_object(oss.PutObjectRequest(bucket=bucket, key="dir/once", body=b"second", forbid_overwrite=True))


def listing():
    for k in ["list/k%d" % i for i in range(5)] + ["list/sub/a", "list/sub/b"]:
        client.put_object(oss.PutObjectRequest(bucket=bucket, key=k, body=b"x"))
    pages, keys, prefixes, token = 0, [], [], None
    while True:
        r = client.list_objects_v2(oss.ListObjectsV2Request(bucket=bucket, prefix="list/", delimiter="/", max_keys=2,
                                                            continuation_token=token))
        pages += 1
        keys += [o.key for o in r.contents or []]
        prefixes += [p.prefix for p in r.common_prefixes or []]
        if not r.is_truncated:
            break
        token = r.next_continuation_token
    start = client.list_objects_v2(oss.ListObjectsV2Request(bucket=bucket, prefix="list/", start_after="list/k3"))
    # The paginator the SDK offers for ListObjectsV2 walks the same tokens.
    paged = []
    for page in client.list_objects_v2_paginator(limit=3).iter_page(oss.ListObjectsV2Request(bucket=bucket, prefix="list/")):
        paged += [o.key for o in page.contents or []]
    return {"pages": pages, "keys": keys, "prefixes": prefixes,
            "after_k3": [o.key for o in start.contents or []], "paginated": paged}


ODD_KEYS = ["odd/sp ace", "odd/plus+sign", "odd/pct%41", "odd/中文", "odd/amp&eq=q?"]


def list_odd():
    # Keys that URL encoding must not mangle: the listing asks for encoding-type=url.
    for k in ODD_KEYS:
        client.put_object(oss.PutObjectRequest(bucket=bucket, key=k, body=k.encode()))
    r = client.list_objects_v2(oss.ListObjectsV2Request(bucket=bucket, prefix="odd/", encoding_type="url"))
    listed = [o.key for o in r.contents or []]
    same = all(client.get_object(oss.GetObjectRequest(bucket=bucket, key=k)).body.read() == k.encode() for k in listed)
    return {"keys": listed, "bodies_match": same}


def append():
    r1 = client.append_object(oss.AppendObjectRequest(bucket=bucket, key="log/app", position=0, body=b"one,"))
    r2 = client.append_object(oss.AppendObjectRequest(bucket=bucket, key="log/app", position=r1.next_position, body=b"two"))
    return {"first_next": r1.next_position, "second_next": r2.next_position, "crc": r2.hash_crc64}


def append_wrong():
    client.append_object(oss.AppendObjectRequest(bucket=bucket, key="log/app", position=1, body=b"x"))


def versioning():
    r = client.get_bucket_versioning(oss.GetBucketVersioningRequest(bucket=bucket))
    return {"status": r.version_status}


PART = 100 * 1024


def multipart():
    src = bytes(range(256)) * 800
    client.put_object(oss.PutObjectRequest(bucket=bucket, key="mp/src", body=src))
    uid = client.initiate_multipart_upload(oss.InitiateMultipartUploadRequest(bucket=bucket, key="mp/dst")).upload_id
    p1 = client.upload_part(oss.UploadPartRequest(bucket=bucket, key="mp/dst", upload_id=uid, part_number=1, body=b"a" * PART))
    p2 = client.upload_part_copy(oss.UploadPartCopyRequest(bucket=bucket, key="mp/dst", upload_id=uid, part_number=2,
                                                           source_bucket=bucket, source_key="mp/src",
                                                           source_range="bytes=1000-%d" % (1000 + PART - 1)))
    p3 = client.upload_part(oss.UploadPartRequest(bucket=bucket, key="mp/dst", upload_id=uid, part_number=3, body=b"tail"))
    parts = [oss.UploadPart(part_number=1, etag=p1.etag), oss.UploadPart(part_number=2, etag=p2.etag),
             oss.UploadPart(part_number=3, etag=p3.etag)]
    done = client.complete_multipart_upload(oss.CompleteMultipartUploadRequest(
        bucket=bucket, key="mp/dst", upload_id=uid, complete_multipart_upload=oss.CompleteMultipartUpload(parts=parts)))
    got = client.get_object(oss.GetObjectRequest(bucket=bucket, key="mp/dst")).body.read()
    want = b"a" * PART + src[1000:1000 + PART] + b"tail"
    return {"upload_id": uid, "complete_status": done.status_code, "etag": done.etag, "size": len(got),
            "matches": got == want}


def multipart_abort():
    uid = client.initiate_multipart_upload(oss.InitiateMultipartUploadRequest(bucket=bucket, key="mp/aborted")).upload_id
    client.upload_part(oss.UploadPartRequest(bucket=bucket, key="mp/aborted", upload_id=uid, part_number=1, body=b"x"))
    r = client.abort_multipart_upload(oss.AbortMultipartUploadRequest(bucket=bucket, key="mp/aborted", upload_id=uid))
    out["abort"] = {"ok": True, "status": r.status_code}
    client.complete_multipart_upload(oss.CompleteMultipartUploadRequest(
        bucket=bucket, key="mp/aborted", upload_id=uid,
        complete_multipart_upload=oss.CompleteMultipartUpload(parts=[oss.UploadPart(part_number=1, etag="x")])))


def delete():
    r = client.delete_object(oss.DeleteObjectRequest(bucket=bucket, key="dir/a.txt"))
    return {"status": r.status_code, "gone": not client.is_object_exist(bucket, "dir/a.txt")}


def delete_missing():
    return {"status": client.delete_object(oss.DeleteObjectRequest(bucket=bucket, key="dir/never")).status_code}


def wrong_secret():
    make_client(sk + "x").get_object(oss.GetObjectRequest(bucket=bucket, key="dir/once"))


def wrong_token():
    make_client(sk, (token or "none") + "x").get_object(oss.GetObjectRequest(bucket=bucket, key="dir/once"))


for name, fn in [("put", put), ("get", get), ("ranged_get", ranged), ("ranged_get_standard", ranged_standard),
                 ("head", head), ("head_missing", head_missing), ("get_missing", get_missing),
                 ("create_absent", create_absent), ("create_present", create_present), ("list", listing), ("list_odd", list_odd),
                 ("append", append), ("append_wrong_position", append_wrong), ("versioning", versioning),
                 ("multipart", multipart), ("multipart_abort", multipart_abort), ("delete", delete),
                 ("delete_missing", delete_missing), ("wrong_secret", wrong_secret),
                 ("wrong_token", wrong_token)]:
    step(name, fn)
json.dump(out, sys.stdout, indent=1, sort_keys=True)
