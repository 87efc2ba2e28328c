"""Drives PyODPS (the vendor's Python SDK) against an mctest server: what fcsync does through the
Go SDK (table metadata, the DDL it emits, partitions, tunnel uploads) and what a user does to
read the result back (partition listing, tunnel downloads).

Usage: pyodps_ops.py CONFIG_JSON, an object with endpoint, tunnel_endpoint, project, access_id,
secret, token (an STS token, or empty) and the statements to run (sql). Prints one JSON object: for each step, what the SDK
returned or the error it raised (type, code, message), for sdk_test.go to check.
"""
import datetime
import decimal
import json
import sys
import time

from odps import ODPS, options
from odps import errors
from odps.accounts import AliyunAccount, StsAccount
from odps.tunnel import TableTunnel

cfg = json.loads(sys.argv[1])
options.retry_times = 1


def account(secret):
    if cfg["token"]:
        return StsAccount(cfg["access_id"], secret, cfg["token"])
    return AliyunAccount(cfg["access_id"], secret)


o = ODPS(account=account(cfg["secret"]), project=cfg["project"], endpoint=cfg["endpoint"],
         tunnel_endpoint=cfg["tunnel_endpoint"])
out = {}


def step(name, fn):
    t0 = time.monotonic()
    try:
        out[name] = {"ok": True, **(fn() or {})}
    except errors.ODPSError as e:
        out[name] = {"ok": False, "type": type(e).__name__, "code": e.code, "message": str(e)[:500],
                     "request_id": e.request_id}
    out[name]["ms"] = round((time.monotonic() - t0) * 1000)


def create_table():
    inst = o.execute_sql(cfg["sql"]["create"])
    return {"instance": inst.id, "status": inst.status.value, "successful": inst.is_successful()}


def exists():
    return {"orders": o.exist_table("orders"), "missing": o.exist_table("missing")}


def schema():
    t = o.get_table("orders")
    return {"columns": [[c.name, str(c.type).lower()] for c in t.table_schema.simple_columns],
            "partitions": [[c.name, str(c.type).lower()] for c in t.table_schema.partitions],
            "lifecycle": t.lifecycle, "comment": t.comment}


def add_partition():
    inst = o.execute_sql(cfg["sql"]["add_partition"])
    return {"successful": inst.is_successful()}


def create_partition():
    o.get_table("orders").create_partition("ds=20240602", if_not_exists=True)


def partitions():
    t = o.get_table("orders")
    return {"listed": [str(p.partition_spec) for p in t.partitions],
            "exists": t.exist_partition("ds=20240601"), "exists_missing": t.exist_partition("ds=19990101")}


ROWS = [
    [1, "alice", 1.5, True, datetime.datetime(2024, 6, 1, 10, 0, 0), decimal.Decimal("12.34"), "中文"],
    [2, None, -2.25, False, datetime.datetime(2024, 6, 1, 10, 5, 30), decimal.Decimal("-0.5"), ""],
    [3, "carol", 0.0, None, None, None, None],
]


def upload():
    tunnel = TableTunnel(o)
    session = tunnel.create_upload_session("orders", partition_spec="ds=20240601")
    with session.open_record_writer(0) as w:
        for r in ROWS[:2]:
            w.write(session.new_record(r))
    with session.open_record_writer(1, compress=True) as w:
        w.write(session.new_record(ROWS[2]))
    session.commit([0, 1])
    return {"session": session.id, "status": session.status.value}


def buffered_upload():
    # Without a block id PyODPS buffers and picks block ids; commit() takes the ids it used.
    session = TableTunnel(o).create_upload_session("orders", partition_spec="ds=20240602")
    with session.open_record_writer() as w:
        for i in range(20, 23):
            w.write(session.new_record([i, None, None, None, None, None, None]))
    session.commit(w.get_blocks_written())
    return {"status": session.status.value}


def download():
    tunnel = TableTunnel(o)
    session = tunnel.create_download_session("orders", partition_spec="ds=20240601")
    rows = []
    with session.open_record_reader(0, session.count) as r:
        for rec in r:
            rows.append([str(v) if v is not None else None for v in rec.values])
    return {"count": session.count, "rows": rows}


def download_part():
    # A row range, two columns, and the body deflate-compressed.
    session = TableTunnel(o).create_download_session("orders", partition_spec="ds=20240601")
    with session.open_record_reader(1, 2, columns=["name", "id"], compress=True) as r:
        rows = [list(rec.values) for rec in r]
    return {"rows": rows}


def download_missing():
    TableTunnel(o).create_download_session("orders", partition_spec="ds=19990101")


def write_read_table():
    # The high-level API: a session with create_partition=true, then overwrite, then read.
    o.write_table("orders", [[10, "x", 1.0, True, None, None, None]], partition="ds=20240604", create_partition=True)
    o.write_table("orders", [[11, "y", 2.0, False, None, None, None], [12, "z", 3.0, None, None, None, None]],
                  partition="ds=20240604", overwrite=True)
    rows = [[r["id"], r["name"]] for r in o.read_table("orders", partition="ds=20240604")]
    return {"rows": rows, "exists": o.get_table("orders").exist_partition("ds=20240604")}


def partition_meta():
    p = o.get_table("orders").get_partition("ds=20240601")
    return {"record_num": p.record_num, "size_positive": p.size > 0,
            "created": p.creation_time is not None}


def drop_partition():
    o.get_table("orders").delete_partition("ds=20240603", if_exists=True)


def add_columns():
    o.execute_sql(cfg["sql"]["add_columns"])
    t = o.get_table("orders")
    return {"columns": [c.name for c in t.table_schema.simple_columns]}


def unsupported_sql():
    o.execute_sql("SELECT * FROM orders")


def wrong_secret():
    ODPS(account=account(cfg["secret"] + "x"), project=cfg["project"], endpoint=cfg["endpoint"]).exist_table("orders")


def wrong_secret_tunnel():
    bad = ODPS(account=account(cfg["secret"] + "x"), project=cfg["project"], endpoint=cfg["endpoint"],
               tunnel_endpoint=cfg["tunnel_endpoint"])
    TableTunnel(bad).create_upload_session("orders", partition_spec="ds=20240601")


for name, fn in [("create_table", create_table), ("exists", exists), ("schema", schema),
                 ("add_partition", add_partition), ("create_partition", create_partition),
                 ("partitions", partitions), ("upload", upload), ("buffered_upload", buffered_upload), ("download", download),
                 ("download_part", download_part), ("download_missing", download_missing),
                 ("write_read_table", write_read_table), ("partition_meta", partition_meta),
                 ("drop_partition", drop_partition),
                 ("add_columns", add_columns), ("unsupported_sql", unsupported_sql),
                 ("wrong_secret", wrong_secret), ("wrong_secret_tunnel", wrong_secret_tunnel)]:
    step(name, fn)
json.dump(out, sys.stdout, indent=1, sort_keys=True)
