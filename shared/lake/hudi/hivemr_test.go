package hudi_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fcsync/fcsync/shared/counterpart"
	"github.com/fcsync/fcsync/shared/schema"
)

// hiveMRJars is Hudi's Hive/MapReduce reader as MaxCompute documents it for Hudi external
// tables (hudi-hadoop-mr 0.12.x), with the Hive it plugs into: hive-exec 2.3, a fat jar whose
// declared dependencies are bundled, and first on the classpath, so its own Parquet (1.8)
// reads the files as in a Hive 2.3 installation. Hudi's own classes need the Parquet and Avro
// versions it builds with (parquet-avro 1.12 brings them); the Hadoop 2.10 client comes with
// hudi-hadoop-mr. (hudi-hadoop-mr-bundle, which shades them, is not served here.) With
// Parquet 1.12 first instead, as in Spark 3's built-in Hive 2.3.9, every shape reads the same.
var hiveMRJars = []string{
	"org.apache.hudi:hudi-hadoop-mr:0.12.3",
	"org.apache.hive:hive-exec:2.3.9@jar",
	"org.apache.parquet:parquet-avro:1.12.2",
}

// hiveMROpens lets Hive 2.3 and Hadoop 2.10 reflect into the JDK as they did on Java 8.
var hiveMROpens = []string{"java.base/java.net", "java.base/java.lang", "java.base/java.util",
	"java.base/java.util.concurrent", "java.base/java.lang.reflect", "java.base/java.io", "java.base/java.nio", "java.sql/java.sql"}

// hiveType is the Hive column type a table over fcsync's files declares for t (meta columns:
// t is "").
func hiveType(t schema.Type) string {
	switch t {
	case schema.BigInt:
		return "bigint"
	case schema.Int:
		return "int"
	case schema.SmallInt:
		return "smallint"
	case schema.TinyInt:
		return "tinyint"
	case schema.Double:
		return "double"
	case schema.Float:
		return "float"
	case schema.Boolean:
		return "boolean"
	case schema.Date:
		return "date"
	case schema.Timestamp, schema.Datetime:
		return "timestamp"
	case schema.Binary:
		return "binary"
	}
	return "string" // text, JSON, DECIMAL (exact text) and the meta columns
}

// hiveReads is the type of the values Hive 2.3's Parquet reader returns for a column declared
// as hiveType(t): SMALLINT and TINYINT (Parquet INT32) come as int; TIMESTAMP and DATETIME
// (Parquet INT64 TIMESTAMP(MICROS)) as bigint microseconds since the epoch, because Hive 2.3
// reads only INT96 Parquet timestamps (Hive 3.1 and later read INT64 ones).
func hiveReads(t schema.Type) string {
	switch t {
	case schema.SmallInt, schema.TinyInt:
		return "int"
	case schema.Timestamp, schema.Datetime:
		return "bigint"
	}
	return hiveType(t)
}

// readWithHiveMR reads every table in one JVM through Hudi 0.12's HoodieParquetInputFormat (getSplits over the base
// path, a record reader per split), as Hive and MaxCompute's Hudi external tables read them,
// and requires the rows fcsync's reader returns, value for value. Hudi 0.12 writes table
// version 5; it reads fcsync's version 6 tables as they are.
func readWithHiveMR(t *testing.T, tables []*readerTable) {
	java := counterpart.Java(t)
	cp := classpath(t, counterpart.Jars(t, "hivemr", hiveMRJars...), "hive-exec-")
	for _, rt := range tables {
		// Hudi 0.12 knows table versions up to 5; its readers read version 6 tables.
		props, err := os.ReadFile(filepath.Join(rt.dir, ".hoodie", "hoodie.properties"))
		if err != nil || !strings.Contains(string(props), "\nhoodie.table.version=6\n") {
			t.Fatalf("%s: hoodie.properties is not table version 6 (%v):\n%s", rt.shape.name, err, props)
		}
	}
	args := []string{}
	for _, o := range hiveMROpens {
		args = append(args, "--add-opens="+o+"=ALL-UNNAMED")
	}
	args = append(args, "-cp", cp, filepath.Join("testdata", "hivemr", "HiveMRSnapshot.java"))
	for _, rt := range tables {
		var types []string
		for _, c := range rt.cols {
			types = append(types, hiveType(rt.sch[c]))
		}
		args = append(args, rt.dir, rt.dir, strings.Join(rt.cols, ","), strings.Join(types, ":"))
	}
	cmd := exec.CommandContext(t.Context(), java, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("Hive MR reader: %v\n%s", err, stderr.String())
	}
	t.Logf("Hive MR read %d tables in %s (one JVM, compiling the reader included)", len(tables), time.Since(start).Round(time.Millisecond))
	got := parseReaderOutput(t, out, tables, func(rt *readerTable, col, _ string) string { return rt.types[col] })
	for _, rt := range tables {
		t.Run(rt.shape.name, func(t *testing.T) {
			o := got[rt.dir]
			if rt.shape.hivemr != "" {
				if o == nil || !strings.Contains(o.err, rt.shape.hivemr) {
					t.Fatalf("Hive MR was expected to fail with %q (a documented limitation), got %+v", rt.shape.hivemr, o)
				}
				return
			}
			want := map[string]string{}
			for _, c := range rt.cols {
				want[c] = hiveReads(rt.sch[c])
			}
			rt.compare(t, "Hive MR", o, want)
		})
	}
}

// classpath expands a classpath of the form dir/* into its jars, those whose names start with
// first in front (a fat jar whose bundled libraries must win, as in the deployment it comes from).
func classpath(t *testing.T, glob, first string) string {
	t.Helper()
	jars, err := filepath.Glob(strings.TrimSuffix(glob, "*") + "*.jar")
	if err != nil || len(jars) == 0 {
		t.Fatalf("no jars in %s (%v)", glob, err)
	}
	slices.SortStableFunc(jars, func(a, b string) int {
		fa, fb := strings.HasPrefix(filepath.Base(a), first), strings.HasPrefix(filepath.Base(b), first)
		switch {
		case fa == fb:
			return 0
		case fa:
			return -1
		}
		return 1
	})
	return strings.Join(jars, string(filepath.ListSeparator))
}
