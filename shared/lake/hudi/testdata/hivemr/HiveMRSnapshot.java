// HiveMRSnapshot reads Hudi tables through Hudi's Hive/MapReduce input format
// (org.apache.hudi.hadoop.HoodieParquetInputFormat, hudi-hadoop-mr), as Hive, and MaxCompute's
// Hudi external tables, read them: getSplits over the table's base path, then a record reader
// per split, with the table's columns declared as a Hive table declares them.
//
// Usage: java HiveMRSnapshot NAME DIR COLUMNS TYPES [NAME DIR COLUMNS TYPES ...]
//   COLUMNS: comma-separated column names; TYPES: colon-separated Hive types (Hive's
//   "columns" and "columns.types" table properties).
//
// Per table it prints one JSON line {"table": NAME, "types": {column: Hive type of the values
// read, "" if it read none}} and one {"table": NAME, "row": {column: value}} per row, or {"table": NAME, "error":
// "..."} when reading fails. Values as testdata/hudirs/snapshot.py prints them: integers,
// floats (NaN, +Inf, -Inf as strings), booleans, strings, base64 binary, dates as days and
// timestamps as microseconds since the epoch. shared/lake/hudi/hivemr_test.go compares them with
// fcsync's own reader.
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.hadoop.hive.serde2.io.DateWritable;
import org.apache.hadoop.hive.serde2.io.DoubleWritable;
import org.apache.hadoop.hive.serde2.io.ShortWritable;
import org.apache.hadoop.hive.serde2.io.ByteWritable;
import org.apache.hadoop.hive.serde2.io.TimestampWritable;
import org.apache.hadoop.io.ArrayWritable;
import org.apache.hadoop.io.BooleanWritable;
import org.apache.hadoop.io.BytesWritable;
import org.apache.hadoop.io.FloatWritable;
import org.apache.hadoop.io.IntWritable;
import org.apache.hadoop.io.LongWritable;
import org.apache.hadoop.io.NullWritable;
import org.apache.hadoop.io.Text;
import org.apache.hadoop.io.Writable;
import org.apache.hadoop.mapred.FileInputFormat;
import org.apache.hadoop.mapred.InputSplit;
import org.apache.hadoop.mapred.JobConf;
import org.apache.hadoop.mapred.RecordReader;
import org.apache.hadoop.mapred.Reporter;
import org.apache.hudi.hadoop.HoodieParquetInputFormat;

public class HiveMRSnapshot {
  // The JSON lines go to the real standard output; anything the libraries print (Parquet 1.8
  // logs to System.out) goes to standard error.
  static final java.io.PrintStream OUT = System.out;

  public static void main(String[] args) throws Exception {
    System.setOut(System.err);
    for (int i = 0; i + 3 < args.length; i += 4) {
      String name = args[i];
      try {
        read(name, args[i + 1], args[i + 2].split(","), args[i + 3].split(":"));
      } catch (Throwable e) {
        OUT.println("{\"table\":" + quote(name) + ",\"error\":" + quote(describe(e)) + "}");
      }
      OUT.flush();
    }
  }

  static void read(String name, String dir, String[] cols, String[] types) throws Exception {
    JobConf job = new JobConf();
    job.set("fs.defaultFS", "file:///");
    job.set("columns", String.join(",", cols));
    job.set("columns.types", String.join(":", types));
    StringBuilder ids = new StringBuilder();
    for (int i = 0; i < cols.length; i++) {
      ids.append(i == 0 ? "" : ",").append(i);
    }
    job.set("hive.io.file.readcolumn.names", String.join(",", cols));
    job.set("hive.io.file.readcolumn.ids", ids.toString());
    job.setBoolean("hive.io.file.read.all.columns", true);
    job.setBoolean("mapreduce.input.fileinputformat.input.dir.recursive", true);
    FileInputFormat.setInputPaths(job, new org.apache.hadoop.fs.Path("file://" + dir));
    HoodieParquetInputFormat format = new HoodieParquetInputFormat();
    format.setConf(job);
    InputSplit[] splits = format.getSplits(job, 1);
    Map<String, String> seen = new LinkedHashMap<>();
    List<String> rows = new ArrayList<>();
    for (InputSplit split : splits) {
      RecordReader<NullWritable, ArrayWritable> rr = format.getRecordReader(split, job, Reporter.NULL);
      NullWritable key = rr.createKey();
      ArrayWritable value = rr.createValue();
      while (rr.next(key, value)) {
        Writable[] vals = value.get();
        StringBuilder b = new StringBuilder("{\"table\":").append(quote(name)).append(",\"row\":{");
        for (int c = 0; c < cols.length; c++) {
          Writable w = c < vals.length ? vals[c] : null;
          if (w != null && !(w instanceof NullWritable) && !seen.containsKey(cols[c])) {
            seen.put(cols[c], hiveType(w));
          }
          b.append(c == 0 ? "" : ",").append(quote(cols[c])).append(':').append(json(w));
        }
        rows.add(b.append("}}").toString());
      }
      rr.close();
    }
    StringBuilder t = new StringBuilder("{\"table\":").append(quote(name)).append(",\"types\":{");
    for (int c = 0; c < cols.length; c++) {
      t.append(c == 0 ? "" : ",").append(quote(cols[c])).append(':').append(quote(seen.getOrDefault(cols[c], "")));
    }
    OUT.println(t.append("}}"));
    for (String r : rows) {
      OUT.println(r);
    }
  }

  static String hiveType(Writable w) {
    if (w instanceof LongWritable) return "bigint";
    if (w instanceof IntWritable) return "int";
    if (w instanceof ShortWritable) return "smallint";
    if (w instanceof ByteWritable) return "tinyint";
    if (w instanceof DoubleWritable || w instanceof org.apache.hadoop.io.DoubleWritable) return "double";
    if (w instanceof FloatWritable) return "float";
    if (w instanceof BooleanWritable) return "boolean";
    if (w instanceof Text) return "string";
    if (w instanceof BytesWritable) return "binary";
    if (w instanceof DateWritable) return "date";
    if (w instanceof TimestampWritable) return "timestamp";
    return w.getClass().getName();
  }

  static String json(Writable w) {
    if (w == null || w instanceof NullWritable) return "null";
    if (w instanceof LongWritable) return Long.toString(((LongWritable) w).get());
    if (w instanceof IntWritable) return Integer.toString(((IntWritable) w).get());
    if (w instanceof ShortWritable) return Short.toString(((ShortWritable) w).get());
    if (w instanceof ByteWritable) return Byte.toString(((ByteWritable) w).get());
    if (w instanceof DoubleWritable) return number(((DoubleWritable) w).get());
    if (w instanceof org.apache.hadoop.io.DoubleWritable) return number(((org.apache.hadoop.io.DoubleWritable) w).get());
    if (w instanceof FloatWritable) {
      float f = ((FloatWritable) w).get();
      return Float.isNaN(f) || Float.isInfinite(f) ? number(f) : Float.toString(f);
    }
    if (w instanceof BooleanWritable) return Boolean.toString(((BooleanWritable) w).get());
    if (w instanceof Text) return quote(new String(((Text) w).copyBytes(), StandardCharsets.UTF_8));
    if (w instanceof BytesWritable) return quote(Base64.getEncoder().encodeToString(((BytesWritable) w).copyBytes()));
    if (w instanceof DateWritable) return Integer.toString(((DateWritable) w).getDays());
    if (w instanceof TimestampWritable) {
      java.sql.Timestamp ts = ((TimestampWritable) w).getTimestamp();
      return Long.toString(Math.floorDiv(ts.getTime(), 1000L) * 1000000L + ts.getNanos() / 1000);
    }
    return quote("unknown " + w.getClass().getName() + ": " + w);
  }

  static String number(double d) {
    if (Double.isNaN(d)) return "\"NaN\"";
    if (Double.isInfinite(d)) return d > 0 ? "\"+Inf\"" : "\"-Inf\"";
    return Double.toString(d);
  }

  static String describe(Throwable e) {
    StringBuilder b = new StringBuilder();
    for (Throwable c = e; c != null; c = c.getCause()) {
      b.append(b.length() == 0 ? "" : " <- caused by ").append(c.getClass().getName()).append(": ").append(c.getMessage());
    }
    StringWriter sw = new StringWriter();
    e.printStackTrace(new PrintWriter(sw));
    String[] lines = sw.toString().split("\n");
    for (int i = 1; i < Math.min(lines.length, 8); i++) {
      b.append(" | ").append(lines[i].trim());
    }
    return b.toString();
  }

  static String quote(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (char ch : s.toCharArray()) {
      switch (ch) {
        case '"': b.append("\\\""); break;
        case '\\': b.append("\\\\"); break;
        case '\n': b.append("\\n"); break;
        case '\r': b.append("\\r"); break;
        case '\t': b.append("\\t"); break;
        default:
          if (ch < 0x20) b.append(String.format("\\u%04x", (int) ch)); else b.append(ch);
      }
    }
    return b.append('"').toString();
  }
}
