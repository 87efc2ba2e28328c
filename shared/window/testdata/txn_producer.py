"""Transactional orders from librdkafka (confluent-kafka), for the window transaction tests.

Usage: txn_producer.py BOOTSTRAP TOPIC BASE_MS OUT_DIR

BASE_MS is 10:00 of the test's clock (epoch milliseconds); record timestamps are given relative
to it. Phase 1 writes, on partitions 0 and 1: plain records, a committed and an aborted
transaction whose multi-record, lz4-compressed batches interleave, and a transaction "slow" that
it leaves open, with plain records behind it. It writes OUT_DIR/phase1.json and waits for a line
on standard input. Phase 2 writes more of "slow", an aborted transaction begun after it, commits
"slow", writes a last plain record, and writes OUT_DIR/phase2.json. Each JSON file lists every
record written so far: id, partition, offset, timestamp (ms) and fate (plain, committed, aborted
or open).
"""

import json
import os
import sys

from confluent_kafka import KafkaException, Producer

bootstrap, topic, base_ms, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
records = {}  # id -> dict
open_txns = {}  # transactional id -> ids of its open transaction
producers = {}


def producer(txn):
    if txn not in producers:
        conf = {"bootstrap.servers": bootstrap, "compression.type": "lz4", "linger.ms": 100,
                "client.id": "fcsync-txn-test-" + (txn or "plain")}
        if txn:
            conf["transactional.id"] = txn
        p = Producer(conf)
        if txn:
            p.init_transactions(30)
        producers[txn] = p
    return producers[txn]


def write(txn, partition, ids, at_ms):
    """Produce ids (one batch: a single flush) to partition, stamped BASE_MS + at_ms."""
    p = producer(txn)
    if txn and txn not in open_txns:
        p.begin_transaction()
        open_txns[txn] = []
    errors = []

    def delivered(err, msg):
        if err is not None:
            errors.append(str(err))
            return
        rid = msg.key().decode()
        records[rid].update(partition=msg.partition(), offset=msg.offset())

    for rid in ids:
        records[rid] = {"id": rid, "timestamp": base_ms + at_ms, "fate": "open" if txn else "plain"}
        value = json.dumps({"order_id": rid, "amount": 7, "note": "n-" + rid})
        p.produce(topic, key=rid, value=value, partition=partition, timestamp=base_ms + at_ms, on_delivery=delivered)
    if p.flush(30) != 0 or errors:
        raise SystemExit("produce %s: %s" % (ids, errors or "not delivered"))
    if txn:
        open_txns[txn].extend(ids)


def end(txn, commit):
    p = producers[txn]
    if commit:
        p.commit_transaction(30)
    else:
        p.abort_transaction(30)
    for rid in open_txns.pop(txn):
        records[rid]["fate"] = "committed" if commit else "aborted"


def dump(name):
    tmp = os.path.join(out, name + ".tmp")
    with open(tmp, "w") as f:
        json.dump(sorted(records.values(), key=lambda r: (r["partition"], r["offset"])), f)
    os.rename(tmp, os.path.join(out, name))


S = 1000
M = 60 * S
try:
    for p in (0, 1):
        write("", p, ["plain-%d-0" % p], -2 * M)
        write("rk-good", p, ["good-%d-%d" % (p, i) for i in range(3)], -2 * M + 10 * S)
        write("rk-bad", p, ["bad-%d-%d" % (p, i) for i in range(3)], -2 * M + 20 * S)
        write("rk-good", p, ["good-%d-3" % p], -2 * M + 30 * S)
    end("rk-bad", False)
    end("rk-good", True)
    for p in (0, 1):
        write("rk-slow", p, ["slow-%d-0" % p, "slow-%d-1" % p], 0)
        write("", p, ["after-%d-0" % p], 1 * M)
        write("", p, ["next-%d-0" % p], 3 * M)
    dump("phase1.json")

    sys.stdin.readline()

    for p in (0, 1):
        write("rk-slow", p, ["slow-%d-2" % p], 4 * M)
        write("rk-bad", p, ["bad-%d-3" % p, "bad-%d-4" % p], 4 * M + 10 * S)
    end("rk-bad", False)
    end("rk-slow", True)
    for p in (0, 1):
        write("", p, ["plain-%d-1" % p], 4 * M + 20 * S)
    dump("phase2.json")
except KafkaException as e:
    raise SystemExit("librdkafka: %s" % e)
finally:
    for p in producers.values():
        p.flush(10)
