"""Apache Spark with a Hudi Spark bundle, serving the interop tests of shared/lake/hudi.

    python hudi_spark.py PORT BUNDLE_JAR

starts one local Spark session with the bundle, then answers POST requests on 127.0.0.1:PORT,
one at a time, each a JSON object with "op":

    {"op": "read", "path": DIR, "drop": [COLUMN...]}
        Hudi's snapshot read of the table at DIR, without the columns dropped (if any): {"columns": [{"name", "type"}], "rows": [[...]]}.
        TIMESTAMP columns come as microseconds since the epoch, DATE as yyyy-MM-dd, decimals as
        their exact text, binary as base64; the rest as JSON has them.
    {"op": "generate", "kind": KIND, "path": DIR}
        writes a table of that kind (see KINDS) at DIR, as a user's Spark job would.

Every answer is {"ok": true, ...} or {"ok": false, "error": TEXT}. The Go test starts this
script, waits for the port, and stops the process group when it is done.
"""

import base64
import datetime
import decimal
import json
import sys
import traceback
from http.server import BaseHTTPRequestHandler, HTTPServer

from pyspark.sql import SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T


def session(jar):
    return (
        SparkSession.builder.master("local[2]")
        .appName("fcsync-hudi-interop")
        .config("spark.jars", jar)
        .config("spark.serializer", "org.apache.spark.serializer.KryoSerializer")
        .config("spark.sql.extensions", "org.apache.spark.sql.hudi.HoodieSparkSessionExtension")
        .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.hudi.catalog.HoodieCatalog")
        .config("spark.kryo.registrator", "org.apache.spark.HoodieSparkKryoRegistrar")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.memory", "1g")
        # Short jobs: the C1 compiler only, which warms up faster.
        .config("spark.driver.extraJavaOptions", "-XX:TieredStopAtLevel=1")
        .getOrCreate()
    )


# ---- reading ----


def plain(v):
    """A collected value as JSON has it."""
    if isinstance(v, decimal.Decimal):
        return str(v)
    if isinstance(v, (bytes, bytearray)):
        return base64.b64encode(bytes(v)).decode("ascii")
    if isinstance(v, datetime.datetime):
        raise ValueError("nested timestamps are not rendered")
    if isinstance(v, datetime.date):
        return v.isoformat()
    if isinstance(v, list):
        return [plain(x) for x in v]
    if isinstance(v, dict):
        return {str(k): plain(x) for k, x in v.items()}
    if hasattr(v, "asDict"):
        return {k: plain(x) for k, x in v.asDict().items()}
    return v


def read(spark, req):
    df = spark.read.format("hudi").load(req["path"])
    if req.get("drop"):
        df = df.drop(*req["drop"])
    cols = []
    sel = []
    for f in df.schema.fields:
        c = F.col("`%s`" % f.name)
        if isinstance(f.dataType, T.TimestampType):
            c = F.unix_micros(c)
        elif isinstance(f.dataType, T.DateType):
            c = F.date_format(c, "yyyy-MM-dd")
        sel.append(c.alias(f.name))
        cols.append({"name": f.name, "type": f.dataType.simpleString()})
    rows = [[plain(v) for v in r] for r in df.select(*sel).collect()]
    return {"columns": cols, "rows": rows}


# ---- generating the tables users have ----

SCHEMA = T.StructType(
    [
        T.StructField("id", T.LongType(), False),
        T.StructField("name", T.StringType(), True),
        T.StructField("city", T.StringType(), True),
        T.StructField("qty", T.IntegerType(), True),
        T.StructField("price", T.DoubleType(), True),
        T.StructField("amount", T.DecimalType(10, 2), True),
        T.StructField("ok", T.BooleanType(), True),
        T.StructField("day", T.DateType(), True),
        T.StructField("at", T.TimestampType(), True),
        T.StructField("tags", T.ArrayType(T.StringType()), True),
        T.StructField("ts", T.LongType(), True),
    ]
)

CITIES = ["hangzhou", "beijing", "shanghai"]


def rows(ids, version, city=None):
    out = []
    for i in ids:
        out.append(
            (
                i,
                "n%d-v%d" % (i, version),
                city or CITIES[i % len(CITIES)],
                i * version,
                i + 0.25,
                decimal.Decimal("%d.%02d" % (i, version)),
                i % 2 == 0,
                datetime.date(2024, 6, 1 + i % 28),
                datetime.datetime(2024, 6, 1, 12, 0, 0, 250000) + datetime.timedelta(minutes=37 * i),
                ["t%d" % i, "v%d" % version],
                version,
            )
        )
    return out


def opts(name, **extra):
    o = {
        "hoodie.table.name": name,
        "hoodie.datasource.write.recordkey.field": "id",
        "hoodie.datasource.write.precombine.field": "ts",
        "hoodie.datasource.write.partitionpath.field": "city",
        "hoodie.datasource.write.table.type": "COPY_ON_WRITE",
        "hoodie.upsert.shuffle.parallelism": "2",
        "hoodie.insert.shuffle.parallelism": "2",
        "hoodie.delete.shuffle.parallelism": "2",
        "hoodie.bulkinsert.shuffle.parallelism": "2",
        "hoodie.embed.timeline.server": "false",
        # Only the plain copy-on-write table keeps Hudi's default metadata table: it costs
        # seconds per write, and fcsync's reader lists files instead.
        "hoodie.metadata.enable": "false",
    }
    o.update(extra)
    return o


def write(spark, path, data, o, operation, mode="append"):
    df = spark.createDataFrame(data, SCHEMA)
    df.write.format("hudi").options(**o).option("hoodie.datasource.write.operation", operation).mode(mode).save(path)


def gen_cow(spark, path):
    """Copy-on-write, partitioned by city (hive style): an insert, then an upsert."""
    o = opts("spark_cow", **{"hoodie.datasource.write.hive_style_partitioning": "true", "hoodie.metadata.enable": "true"})
    write(spark, path, rows(range(1, 9), 1), o, "insert", "overwrite")
    write(spark, path, rows([2, 3], 2) + rows([9, 10], 1), o, "upsert")


def gen_deletes(spark, path):
    """Copy-on-write: an insert, an upsert, then deletes of three keys."""
    o = opts("spark_deletes")
    write(spark, path, rows(range(1, 9), 1), o, "insert", "overwrite")
    write(spark, path, rows([4], 2), o, "upsert")
    write(spark, path, rows([1, 4, 5], 3), o, "delete")


def gen_mor(spark, path):
    """Merge-on-read: an insert (base files), then an upsert (log files)."""
    o = opts("spark_mor", **{"hoodie.datasource.write.table.type": "MERGE_ON_READ", "hoodie.compact.inline": "false"})
    write(spark, path, rows(range(1, 9), 1), o, "insert", "overwrite")
    write(spark, path, rows([2, 3], 2), o, "upsert")


def gen_insert_overwrite(spark, path):
    """Copy-on-write: an insert into three partitions, then insert_overwrite of one of them."""
    o = opts("spark_insert_overwrite")
    write(spark, path, rows(range(1, 10), 1), o, "insert", "overwrite")
    write(spark, path, rows([20, 21], 2, city="beijing"), o, "insert_overwrite")


def gen_clustering(spark, path):
    """Copy-on-write: three inserts into new small files, clustered inline after the third."""
    o = opts("spark_clustering", **{"hoodie.parquet.small.file.limit": "0"})
    write(spark, path, rows(range(1, 5), 1), o, "insert", "overwrite")
    write(spark, path, rows(range(5, 9), 1), o, "insert")
    c = dict(o)
    c.update(
        {
            "hoodie.clustering.inline": "true",
            "hoodie.clustering.inline.max.commits": "1",
            "hoodie.clustering.plan.strategy.sort.columns": "id",
        }
    )
    write(spark, path, rows(range(9, 13), 1) + rows([2], 2), c, "upsert")


KINDS = {
    "cow": gen_cow,
    "deletes": gen_deletes,
    "mor": gen_mor,
    "insert_overwrite": gen_insert_overwrite,
    "clustering": gen_clustering,
}


def generate(spark, req):
    KINDS[req["kind"]](spark, req["path"])
    return {}


OPS = {"read": read, "generate": generate}


def main():
    port, jar = int(sys.argv[1]), sys.argv[2]
    spark = session(jar)
    spark.sparkContext.setLogLevel("ERROR")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            try:
                req = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                out = {"ok": True}
                out.update(OPS[req["op"]](spark, req))
            except Exception as e:  # the test shows the error
                out = {"ok": False, "error": "%s\n%s" % (e, traceback.format_exc())}
            body = json.dumps(out).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, fmt, *args):
            sys.stderr.write("request: " + (fmt % args) + "\n")

    print("serving on 127.0.0.1:%d" % port, flush=True)
    HTTPServer(("127.0.0.1", port), Handler).serve_forever()


if __name__ == "__main__":
    main()
