package handler_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/fcsync/fcsync/functions/batch/handler"
	"github.com/fcsync/fcsync/functions/platform"
	"github.com/fcsync/fcsync/shared/sink/maxcompute/mctest"
	"github.com/fcsync/fcsync/shared/window"
)

var shanghai, _ = time.LoadLocation("Asia/Shanghai")

// writerJob is an hourly job writing table t_<name>, with extra writer lines: the 10:05 tick reads [09:00, 10:00).
func writerJob(name, writer string) string {
	return `name: ` + name + `
timezone: Asia/Shanghai
schedule: "0 5 * * * *"
parameters: startTime=$[yyyymmddhh24-1/24]0000 endTime=$[yyyymmddhh24]0000 partition=$[yyyymmddhh24]
datasources:
  audit_mc: {project: audit}
reader:
  type: kafka
  datasource: shop_kafka
  topic: orders
  column: [__key__, __value__]
  keyType: STRING
  valueType: STRING
  beginDateTime: ${startTime}
  endDateTime: ${endTime}
writer:
  type: odps
  table: t_` + name + `
  partition: ds=${partition}
  column: [k, v]
` + writer
}

// dataworksJob is the same job in DataWorks script mode, naming its project.
const dataworksJob = `{"type":"job","version":"2.0","name":"dw_project",
 "schedule":"0 5 * * * *","timezone":"Asia/Shanghai",
 "parameters":"startTime=$[yyyymmddhh24-1/24]0000 endTime=$[yyyymmddhh24]0000",
 "steps":[
  {"stepType":"kafka","category":"reader","name":"Reader","parameter":{"datasource":"shop_kafka","topic":"orders",
   "column":["__key__","__value__"],"keyType":"STRING","valueType":"STRING","beginDateTime":"${startTime}","endDateTime":"${endTime}"}},
  {"stepType":"odps","category":"writer","name":"Writer","parameter":{"datasource":"odps_first","project":"finance",
   "table":"t_dw_project","partition":"ds=${startTime}","column":["k","v"]}}]}`

// TestWriterProjectDecidesWhereRowsLand runs one window of each job against a MaxCompute test
// server holding several projects: the rows land in the project the job's writer names (its own
// project, a data source from FCSYNC_ODPS_DATASOURCES or from the job's datasources block), in
// FCSYNC_ODPS_PROJECT's only when it names none, and a data source nobody configured fails the
// window naming the job and the field. compress: false sends uncompressed blocks.
func TestWriterProjectDecidesWhereRowsLand(t *testing.T) {
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "orders"))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	cl, err := kgo.NewClient(kgo.SeedBrokers(cluster.ListenAddrs()...), kgo.RequiredAcks(kgo.AllISRAcks()))
	if err != nil {
		t.Fatal(err)
	}
	ts := time.Date(2022, 11, 22, 9, 30, 0, 0, shanghai)
	if err := cl.ProduceSync(context.Background(), &kgo.Record{Topic: "orders", Key: []byte("o-1"), Value: []byte("v"), Timestamp: ts}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	cl.Close()
	projects := []string{mctest.DefaultProject, "sales", "finance", "audit"}
	mc := mctest.New(t, mctest.WithProjects(projects...))

	dir := t.TempDir()
	jobs := map[string]string{
		"default_project.yaml": writerJob("default_project", ""),
		"named_ds.yaml":        writerJob("named_ds", "  datasource: sales_mc\n"),
		"job_ds.yaml":          writerJob("job_ds", "  datasource: audit_mc\n"),
		"unknown_ds.yaml":      writerJob("unknown_ds", "  datasource: nowhere_mc\n"),
		"dw_project.json":      dataworksJob,
		"uncompressed.yaml":    writerJob("uncompressed", "  compress: false\n"),
		"compressed.yaml":      writerJob("compressed", "  compress: true\n  consistencyCommit: true\n"),
	}
	for name, text := range jobs {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env := map[string]string{
		"FCSYNC_JOBS":             dir,
		"FCSYNC_STATE":            filepath.Join(dir, "state"),
		"FCSYNC_DATASOURCES":      `{"shop_kafka":{"server":"` + cluster.ListenAddrs()[0] + `"}}`,
		"FCSYNC_ODPS_PROJECT":     mctest.DefaultProject,
		"FCSYNC_ODPS_ENDPOINT":    mc.Endpoint(),
		"FCSYNC_ODPS_DATASOURCES": `{"sales_mc":{"project":"sales"}}`,
	}
	cfg, err := handler.ConfigFromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	h := handler.New(cfg, nil)
	creds := platform.Credentials{AccessKeyID: mctest.DefaultAccessKeyID, AccessKeySecret: mctest.DefaultAccessKeySecret}
	tick := time.Date(2022, 11, 22, 10, 5, 0, 0, shanghai)
	cases := []struct {
		job, project, partition, wantErr string
		codec                            string // Content-Encoding of the blocks
	}{
		{"default_project", mctest.DefaultProject, "ds=2022112210", "", "x-snappy-framed"},
		{"named_ds", "sales", "ds=2022112210", "", "x-snappy-framed"},
		{"job_ds", "audit", "ds=2022112210", "", "x-snappy-framed"},
		{"dw_project", "finance", "ds=20221122090000", "", "x-snappy-framed"},
		{"unknown_ds", "", "", `job unknown_ds: writer.datasource: MaxCompute data source "nowhere_mc" is not configured`, ""},
		// compress: false is honoured (uncompressed blocks), true is the default.
		{"uncompressed", mctest.DefaultProject, "ds=2022112210", "", ""},
		{"compressed", mctest.DefaultProject, "ds=2022112210", "", "x-snappy-framed"},
	}
	for _, tc := range cases {
		t.Run(tc.job, func(t *testing.T) {
			spec, err := h.LoadJob(tc.job)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			_, err = h.Run(ctx, spec, tick, nil, creds)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				if !window.Permanent(err) {
					t.Errorf("error %v is not permanent: a rerun would fail the same", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			table := "t_" + tc.job
			for _, p := range projects {
				tables, err := mc.Tables(p)
				if err != nil {
					t.Fatal(err)
				}
				if has := slices.Contains(tables, table); has != (p == tc.project) {
					t.Errorf("project %s has table %s: %v, want %v", p, table, has, p == tc.project)
				}
			}
			uploads := mc.Uploads(tc.project, table)
			if len(uploads) == 0 {
				t.Errorf("no upload session into %s.%s", tc.project, table)
			}
			for _, u := range uploads {
				for _, c := range u.Codecs {
					if c != tc.codec {
						t.Errorf("upload %s: block Content-Encoding %q, want %q", u.ID, c, tc.codec)
					}
				}
			}
			rows, err := mc.Rows(tc.project, table, tc.partition)
			if err != nil || len(rows) != 1 {
				t.Errorf("project %s partition %s: rows %v (%v), want the one order", tc.project, tc.partition, rows, err)
			}
		})
	}
}
