"""Drives Python's oss2 SDK against an osstest server, every operation fcsync's OSS store uses.

Usage: oss2_ops.py ENDPOINT BUCKET REGION SIGNING (v1 or v4), with the keys in OSS_ACCESS_KEY_ID
and OSS_ACCESS_KEY_SECRET, and an STS token in OSS_SECURITY_TOKEN if the server wants one. Prints one JSON object: for each step, what the SDK returned or the
error it raised (status, code, request id), for the Go test (sdk_test.go) to check.
"""
import json
import os
import sys
import time

import oss2

endpoint, bucket_name, region, signing = sys.argv[1:5]
ak, sk = os.environ["OSS_ACCESS_KEY_ID"], os.environ["OSS_ACCESS_KEY_SECRET"]
token = os.environ.get("OSS_SECURITY_TOKEN", "")


def make_bucket(secret, sts_token=token):
    if signing == "v4":
        auth = oss2.ProviderAuthV4(oss2.credentials.StaticCredentialsProvider(ak, secret, sts_token or None))
    elif sts_token:
        auth = oss2.StsAuth(ak, secret, sts_token)
    else:
        auth = oss2.Auth(ak, secret)
    # An IP endpoint makes oss2 address buckets path style; is_path_style says so anyway.
    return oss2.Bucket(auth, endpoint, bucket_name, region=region, is_path_style=True)


bucket = make_bucket(sk)
out = {}


def step(name, fn):
    t0 = time.monotonic()
    try:
        out[name] = {"ok": True, **(fn() or {})}
    except oss2.exceptions.OssError as e:
        out[name] = {"ok": False, "status": e.status, "code": e.code, "request_id": e.request_id,
                     "message": e.message}
    out[name]["ms"] = round((time.monotonic() - t0) * 1000)


def put():
    r = bucket.put_object("dir/a.txt", b"hello, oss", headers={"Content-Type": "text/plain"})
    return {"status": r.status, "etag": r.etag, "crc": r.crc}


def get():
    r = bucket.get_object("dir/a.txt")
    return {"status": r.status, "body": r.read().decode(), "content_type": r.headers.get("Content-Type"),
            "crc": r.server_crc}


def ranged():
    r = bucket.get_object("dir/a.txt", byte_range=(2, 5))
    return {"status": r.status, "body": r.read().decode(), "content_range": r.headers.get("Content-Range")}


def ranged_standard():
    # Past the end: with x-oss-range-behavior: standard OSS cuts the range at the end.
    r = bucket.get_object("dir/a.txt", byte_range=(7, 100), headers={"x-oss-range-behavior": "standard"})
    return {"status": r.status, "body": r.read().decode(), "content_range": r.headers.get("Content-Range")}


def head():
    r = bucket.head_object("dir/a.txt")
    return {"status": r.status, "size": r.content_length, "etag": r.etag, "type": r.object_type,
            "crc": r.server_crc}


def head_missing():
    bucket.head_object("dir/missing")


def get_missing():
    bucket.get_object("dir/missing")


def create_absent():
    r = bucket.put_object("dir/once", b"first", headers={"x-oss-forbid-overwrite": "true"})
    return {"status": r.status}


def create_present():
    bucket.put_object("dir/once", b"second", headers={"x-oss-forbid-overwrite": "true"})


def listing():
    for i in range(5):
        bucket.put_object("list/k%d" % i, b"x")
    bucket.put_object("list/sub/a", b"x")
    bucket.put_object("list/sub/b", b"x")
    pages, keys, prefixes, token = 0, [], [], ""
    while True:
        r = bucket.list_objects_v2(prefix="list/", delimiter="/", max_keys=2, continuation_token=token)
        pages += 1
        keys += [o.key for o in r.object_list]
        prefixes += r.prefix_list
        if not r.is_truncated:
            break
        token = r.next_continuation_token
    start = bucket.list_objects_v2(prefix="list/", start_after="list/k3")
    return {"pages": pages, "keys": keys, "prefixes": prefixes,
            "after_k3": [o.key for o in start.object_list]}


ODD_KEYS = ["odd/sp ace", "odd/plus+sign", "odd/pct%41", "odd/中文", "odd/amp&eq=q?"]


def list_odd():
    # Keys that URL encoding must not mangle: the listing asks for encoding-type=url.
    for k in ODD_KEYS:
        bucket.put_object(k, k.encode())
    listed = [o.key for o in bucket.list_objects_v2(prefix="odd/").object_list]
    return {"keys": listed, "bodies_match": all(bucket.get_object(k).read() == k.encode() for k in listed)}


def append():
    r1 = bucket.append_object("log/app", 0, b"one,")
    r2 = bucket.append_object("log/app", r1.next_position, b"two")
    return {"first_next": r1.next_position, "second_next": r2.next_position, "crc": r2.crc}


def append_wrong():
    bucket.append_object("log/app", 1, b"x")


def versioning():
    return {"status": bucket.get_bucket_versioning().status}


PART = 100 * 1024


def multipart():
    src = bytes(range(256)) * 800  # 204800 bytes
    bucket.put_object("mp/src", src)
    init = bucket.init_multipart_upload("mp/dst")
    uid = init.upload_id
    p1 = bucket.upload_part("mp/dst", uid, 1, b"a" * PART)
    p2 = bucket.upload_part_copy(bucket_name, "mp/src", (1000, 1000 + PART - 1), "mp/dst", uid, 2)
    p3 = bucket.upload_part("mp/dst", uid, 3, b"tail")
    parts = [oss2.models.PartInfo(1, p1.etag), oss2.models.PartInfo(2, p2.etag), oss2.models.PartInfo(3, p3.etag)]
    done = bucket.complete_multipart_upload("mp/dst", uid, parts)
    got = bucket.get_object("mp/dst").read()
    want = b"a" * PART + src[1000:1000 + PART] + b"tail"
    return {"upload_id": uid, "complete_status": done.status, "etag": done.etag, "size": len(got),
            "matches": got == want}


def multipart_abort():
    uid = bucket.init_multipart_upload("mp/aborted").upload_id
    bucket.upload_part("mp/aborted", uid, 1, b"x")
    out["abort"] = {"ok": True, "status": bucket.abort_multipart_upload("mp/aborted", uid).status}
    # The upload is gone: completing it is NoSuchUpload.
    bucket.complete_multipart_upload("mp/aborted", uid, [oss2.models.PartInfo(1, "x")])


def delete():
    r = bucket.delete_object("dir/a.txt")
    try:
        bucket.head_object("dir/a.txt")
        gone = False
    except oss2.exceptions.NoSuchKey:
        gone = True
    return {"status": r.status, "gone": gone and not bucket.object_exists("dir/a.txt")}


def delete_missing():
    return {"status": bucket.delete_object("dir/never").status}


def wrong_secret():
    make_bucket(sk + "x").get_object("dir/once")


def wrong_token():
    make_bucket(sk, (token or "none") + "x").get_object("dir/once")


for name, fn in [("put", put), ("get", get), ("ranged_get", ranged), ("ranged_get_standard", ranged_standard),
                 ("head", head), ("head_missing", head_missing), ("get_missing", get_missing),
                 ("create_absent", create_absent), ("create_present", create_present), ("list", listing), ("list_odd", list_odd),
                 ("append", append), ("append_wrong_position", append_wrong), ("versioning", versioning),
                 ("multipart", multipart), ("multipart_abort", multipart_abort), ("delete", delete),
                 ("delete_missing", delete_missing), ("wrong_secret", wrong_secret),
                 ("wrong_token", wrong_token)]:
    step(name, fn)
json.dump(out, sys.stdout, indent=1, sort_keys=True)
