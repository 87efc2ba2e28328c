"""Reads Hudi tables with hudi-rs (PyPI hudi) and prints their snapshots as JSON lines.

Usage: python snapshot.py NAME=DIR ...

For every table, in the order given, it prints one line {"table": NAME, "types": {column:
Arrow type}} and then one line {"table": NAME, "row": {column: value}} per row, or, when hudi-rs
fails, a single line {"table": NAME, "error": "..."}. Values are JSON: null, integers, floats
(NaN and infinities as the strings "NaN", "+Inf", "-Inf"), booleans, strings; binary is base64,
timestamps are integer microseconds since the epoch, dates integer days since the epoch,
decimals their exact text, lists arrays, structs objects, maps arrays of [key, value].
shared/lake/hudi/hudirs_test.go compares them with fcsync's own reader.
"""

import base64
import datetime
import decimal
import json
import math
import sys

import hudi
import pyarrow as pa

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def value(typ, v):
    if v is None:
        return None
    if pa.types.is_timestamp(typ):
        if v.tzinfo is None:
            v = v.replace(tzinfo=datetime.timezone.utc)
        d = v - EPOCH
        return (d.days * 86400 + d.seconds) * 1000000 + d.microseconds
    if pa.types.is_date(typ):
        return (v - datetime.date(1970, 1, 1)).days
    if pa.types.is_boolean(typ):
        return bool(v)
    if pa.types.is_floating(typ):
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "+Inf" if v > 0 else "-Inf"
        return float(v)
    if pa.types.is_decimal(typ):
        return str(v)
    if isinstance(v, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(v)).decode("ascii")
    if pa.types.is_map(typ):
        return [[value(typ.key_type, k), value(typ.item_type, x)] for k, x in v]
    if pa.types.is_list(typ) or pa.types.is_large_list(typ):
        return [value(typ.value_type, x) for x in v]
    if pa.types.is_struct(typ):
        return {typ.field(i).name: value(typ.field(i).type, v.get(typ.field(i).name)) for i in range(typ.num_fields)}
    return v


def read(name, path):
    table = hudi.HudiTableBuilder.from_base_uri(path).build()
    batches = table.read()
    if not batches:
        # No rows: the schema still tells the column types.
        schema = table.get_schema_with_meta_fields()
        print(json.dumps({"table": name, "types": {f.name: str(f.type) for f in schema}}))
        return
    data = pa.Table.from_batches(batches)
    print(json.dumps({"table": name, "types": {f.name: str(f.type) for f in data.schema}}))
    fields = list(data.schema)
    for row in data.to_pylist():
        print(json.dumps({"table": name, "row": {f.name: value(f.type, row[f.name]) for f in fields}}))


def main(args):
    for arg in args:
        name, _, path = arg.partition("=")
        try:
            read(name, path)
        except Exception as e:  # every failure is a finding, reported per table
            print(json.dumps({"table": name, "error": f"{type(e).__name__}: {e}"}))
        sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv[1:])
