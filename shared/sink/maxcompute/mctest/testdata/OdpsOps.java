// Drives the MaxCompute Java SDK (com.aliyun.odps:odps-sdk-core) against an mctest server, as
// pyodps_ops.py does for PyODPS: what fcsync does (table metadata, its DDL, partitions, tunnel
// uploads) and what a user does to read the result back (partition listing, tunnel downloads).
//
// Usage: java -cp JARS OdpsOps.java ENDPOINT TUNNEL_ENDPOINT PROJECT, with the keys in
// ODPS_ACCESS_ID and ODPS_ACCESS_KEY (and an STS token in ODPS_STS_TOKEN, or empty) and the statements to run in ODPS_SQL_CREATE,
// ODPS_SQL_ADD_PARTITION and ODPS_SQL_ADD_COLUMNS. Prints one JSON object for sdk_test.go.

import com.aliyun.odps.*;
import com.aliyun.odps.account.Account;
import com.aliyun.odps.account.AliyunAccount;
import com.aliyun.odps.account.StsAccount;
import com.aliyun.odps.data.Record;
import com.aliyun.odps.data.RecordReader;
import com.aliyun.odps.data.RecordWriter;
import com.aliyun.odps.task.SQLTask;
import com.aliyun.odps.tunnel.TableTunnel;
import com.aliyun.odps.tunnel.TunnelException;

import java.math.BigDecimal;
import java.text.SimpleDateFormat;
import java.util.*;

public class OdpsOps {
    static String endpoint, tunnelEndpoint, project, ak, sk, token;
    static Odps odps;
    static final Map<String, Object> out = new TreeMap<>();

    interface Step { Map<String, Object> run() throws Exception; }

    static Odps odps(String secret) {
        Account a = token.isEmpty() ? new AliyunAccount(ak, secret) : new StsAccount(ak, secret, token);
        Odps o = new Odps(a);
        o.setEndpoint(endpoint);
        o.setDefaultProject(project);
        return o;
    }

    static TableTunnel tunnel() {
        TableTunnel t = new TableTunnel(odps);
        t.setEndpoint(tunnelEndpoint);
        return t;
    }

    static void step(String name, Step s) {
        Map<String, Object> r = new TreeMap<>();
        long t0 = System.nanoTime();
        try {
            Map<String, Object> v = s.run();
            r.put("ok", true);
            if (v != null) r.putAll(v);
        } catch (TunnelException e) {
            r.put("ok", false);
            r.put("type", "TunnelException");
            r.put("code", e.getErrorCode());
            r.put("request_id", e.getRequestId());
            r.put("message", String.valueOf(e.getMessage()));
        } catch (OdpsException e) {
            r.put("ok", false);
            r.put("type", e.getClass().getSimpleName());
            r.put("code", e.getErrorCode());
            r.put("request_id", e.getRequestId());
            r.put("message", String.valueOf(e.getMessage()));
        } catch (Exception e) {
            r.put("ok", false);
            r.put("type", "client:" + e.getClass().getName());
            r.put("message", String.valueOf(e.getMessage()));
            List<Object> at = new ArrayList<>();
            for (StackTraceElement f : e.getStackTrace()) if (at.size() < 6) at.add(f.toString());
            r.put("at", at);
        }
        r.put("ms", (System.nanoTime() - t0) / 1000000);
        out.put(name, r);
    }

    static Map<String, Object> m(Object... kv) {
        Map<String, Object> r = new TreeMap<>();
        for (int i = 0; i < kv.length; i += 2) r.put((String) kv[i], kv[i + 1]);
        return r;
    }

    static Instance sql(String q) throws OdpsException {
        Instance i = SQLTask.run(odps, q);
        i.waitForSuccess();
        return i;
    }

    static Date at(String s) throws Exception {
        return new SimpleDateFormat("yyyy-MM-dd HH:mm:ss").parse(s); // local time, as the SDK sends it
    }

    static List<Object> values(Record r) {
        List<Object> v = new ArrayList<>();
        for (int i = 0; i < r.getColumnCount(); i++) {
            Object o = r.get(i);
            if (o instanceof byte[] b) o = new String(b, java.nio.charset.StandardCharsets.UTF_8);
            if (o instanceof Date d) o = d.getTime(); // epoch milliseconds
            if (o instanceof java.time.ZonedDateTime z) o = z.toInstant().toEpochMilli();
            v.add(o == null ? null : o.toString());
        }
        return v;
    }

    public static void main(String[] args) throws Exception {
        endpoint = args[0]; tunnelEndpoint = args[1]; project = args[2];
        ak = System.getenv("ODPS_ACCESS_ID"); sk = System.getenv("ODPS_ACCESS_KEY");
        token = Objects.requireNonNullElse(System.getenv("ODPS_STS_TOKEN"), "");
        odps = odps(sk);
        PartitionSpec p1 = new PartitionSpec("ds='20240601'");
        step("create_table", () -> m("successful", sql(System.getenv("ODPS_SQL_CREATE")).isSuccessful()));
        step("exists", () -> m("orders", odps.tables().exists("orders"), "missing", odps.tables().exists("missing")));
        step("schema", () -> {
            Table t = odps.tables().get("orders");
            t.reload();
            List<Object> cols = new ArrayList<>(), parts = new ArrayList<>();
            for (Column c : t.getSchema().getColumns()) cols.add(List.of(c.getName(), c.getTypeInfo().getTypeName().toLowerCase()));
            for (Column c : t.getSchema().getPartitionColumns()) parts.add(List.of(c.getName(), c.getTypeInfo().getTypeName().toLowerCase()));
            return m("columns", cols, "partitions", parts, "lifecycle", t.getLife(), "comment", t.getComment());
        });
        step("add_partition", () -> m("successful", sql(System.getenv("ODPS_SQL_ADD_PARTITION")).isSuccessful()));
        step("create_partition", () -> { odps.tables().get("orders").createPartition(new PartitionSpec("ds='20240602'"), true); return null; });
        step("partitions", () -> {
            Table t = odps.tables().get("orders");
            List<Object> listed = new ArrayList<>();
            for (Partition p : t.getPartitions()) listed.add(p.getPartitionSpec().toString());
            return m("listed", listed, "exists", t.hasPartition(p1), "exists_missing", t.hasPartition(new PartitionSpec("ds='19990101'")));
        });
        step("upload", () -> {
            TableTunnel.UploadSession up = tunnel().createUploadSession(project, "orders", p1);
            RecordWriter w = up.openRecordWriter(0);
            Record r = up.newRecord();
            r.setBigint("id", 1L); r.setString("name", "alice"); r.setDouble("amount", 1.5); r.setBoolean("paid", true);
            r.setDatetime("at", at("2024-06-01 10:00:00")); r.setDecimal("price", new BigDecimal("12.34"));
            r.set("note", new com.aliyun.odps.data.Varchar("中文"));
            w.write(r);
            r = up.newRecord();
            r.setBigint("id", 2L); r.setDouble("amount", -2.25); r.setBoolean("paid", false);
            r.setDatetime("at", at("2024-06-01 10:05:30")); r.setDecimal("price", new BigDecimal("-0.5"));
            r.set("note", new com.aliyun.odps.data.Varchar(""));
            w.write(r);
            w.close();
            w = up.openRecordWriter(1, true); // deflate
            r = up.newRecord();
            r.setBigint("id", 3L); r.setString("name", "carol"); r.setDouble("amount", 0.0);
            w.write(r);
            w.close();
            up.commit(new Long[]{0L, 1L});
            return m("status", up.getStatus().toString());
        });
        step("buffered_upload", () -> {
            // The buffered writer picks its block ids, and commit() asks the server for them.
            TableTunnel.UploadSession up = tunnel().createUploadSession(project, "orders", new PartitionSpec("ds='20240602'"));
            RecordWriter w = up.openBufferedWriter(true);
            for (long id = 20; id < 23; id++) {
                Record r = up.newRecord();
                r.setBigint("id", id);
                w.write(r);
            }
            w.close();
            up.commit();
            return m("status", up.getStatus().toString());
        });
        step("download", () -> {
            TableTunnel.DownloadSession d = tunnel().createDownloadSession(project, "orders", p1);
            List<Object> rows = new ArrayList<>();
            try (RecordReader rr = d.openRecordReader(0, d.getRecordCount())) {
                for (Record r; (r = rr.read()) != null; ) rows.add(values(r));
            }
            return m("count", d.getRecordCount(), "rows", rows);
        });
        step("download_part", () -> {
            TableTunnel.DownloadSession d = tunnel().createDownloadSession(project, "orders", p1);
            List<Column> cols = List.of(d.getSchema().getColumn("name"), d.getSchema().getColumn("id"));
            List<Object> rows = new ArrayList<>();
            try (RecordReader rr = d.openRecordReader(1, 2, true, cols)) {
                for (Record r; (r = rr.read()) != null; ) rows.add(values(r));
            }
            return m("rows", rows);
        });
        step("download_missing", () -> { tunnel().createDownloadSession(project, "orders", new PartitionSpec("ds='19990101'")); return null; });
        step("overwrite", () -> {
            PartitionSpec p4 = new PartitionSpec("ds='20240604'");
            odps.tables().get("orders").createPartition(p4, true); // the Java tunnel has no create_partition
            for (long[] ids : new long[][]{{10}, {11, 12}}) {
                TableTunnel.UploadSession up = tunnel().createUploadSession(project, "orders", p4, ids.length > 1);
                RecordWriter w = up.openRecordWriter(0);
                for (long id : ids) {
                    Record r = up.newRecord();
                    r.setBigint("id", id);
                    w.write(r);
                }
                w.close();
                up.commit(new Long[]{0L});
            }
            TableTunnel.DownloadSession d = tunnel().createDownloadSession(project, "orders", p4);
            List<Object> ids = new ArrayList<>();
            try (RecordReader rr = d.openRecordReader(0, d.getRecordCount())) {
                for (Record r; (r = rr.read()) != null; ) ids.add(r.getBigint("id"));
            }
            return m("ids", ids);
        });
        step("partition_meta", () -> {
            Partition p = odps.tables().get("orders").getPartition(p1);
            p.reload();
            return m("record_num", p.getRecordNum(), "size_positive", p.getSize() > 0, "created", p.getCreatedTime() != null);
        });
        step("drop_partition", () -> { odps.tables().get("orders").deletePartition(new PartitionSpec("ds='20240603'"), true); return null; });
        step("add_columns", () -> {
            sql(System.getenv("ODPS_SQL_ADD_COLUMNS"));
            Table t = odps.tables().get("orders");
            t.reload();
            List<Object> cols = new ArrayList<>();
            for (Column c : t.getSchema().getColumns()) cols.add(c.getName());
            return m("columns", cols);
        });
        step("unsupported_sql", () -> { sql("SELECT * FROM orders;"); return null; });
        // Through the SDK's REST client: Tables.exists drops the code, and an instance's creation
        // (a POST in streaming mode) cannot read a 401 through HttpURLConnection.
        step("wrong_secret", () -> { odps(sk + "x").getRestClient().request("/projects/" + project, "GET", null, null, null); return null; });
        step("wrong_secret_tunnel", () -> {
            TableTunnel bad = new TableTunnel(odps(sk + "x"));
            bad.setEndpoint(tunnelEndpoint);
            bad.createUploadSession(project, "orders", p1);
            return null;
        });
        System.out.println(json(out));
    }

    static String json(Object v) {
        if (v == null) return "null";
        if (v instanceof Boolean || v instanceof Number) return v.toString();
        if (v instanceof Map<?, ?> mp) {
            StringJoiner j = new StringJoiner(",", "{", "}");
            for (Map.Entry<?, ?> e : mp.entrySet()) j.add(json(e.getKey().toString()) + ":" + json(e.getValue()));
            return j.toString();
        }
        if (v instanceof Collection<?> c) {
            StringJoiner j = new StringJoiner(",", "[", "]");
            for (Object o : c) j.add(json(o));
            return j.toString();
        }
        StringBuilder b = new StringBuilder("\"");
        for (char ch : v.toString().toCharArray()) {
            if (ch == '"' || ch == '\\') b.append('\\').append(ch);
            else if (ch < 0x20) b.append(String.format("\\u%04x", (int) ch));
            else b.append(ch);
        }
        return b.append('"').toString();
    }
}
