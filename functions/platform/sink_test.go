package platform

import (
	"strings"
	"testing"
)

func TestODPSForWriterTakesTheWriterThenItsDatasourceThenTheEnvironment(t *testing.T) {
	env := map[string]string{
		"FCSYNC_ODPS_PROJECT":         "base",
		"FCSYNC_ODPS_ENDPOINT":        "https://mc.example/api",
		"FCSYNC_ODPS_TUNNEL_ENDPOINT": "https://tunnel.example",
		"FCSYNC_ODPS_DATASOURCES":     `{"sales":{"project":"sales_p","tunnelEndpoint":"https://sales-tunnel.example"},"eu":{"project":"eu_p","endpoint":"https://eu.example/api","region":"eu-central-1"}}`,
	}
	o := ODPSFromEnv(func(k string) string { return env[k] })
	cases := []struct {
		name                        string
		ds, project, server, tunnel string
		want                        ODPS
		wantErr                     string
	}{
		{"nothing named: the environment", "", "", "", "", ODPS{Project: "base", Endpoint: "https://mc.example/api", TunnelEndpoint: "https://tunnel.example"}, ""},
		{"project only", "", "other", "", "", ODPS{Project: "other", Endpoint: "https://mc.example/api", TunnelEndpoint: "https://tunnel.example"}, ""},
		{"odps_first is the environment's", "odps_first", "", "", "", ODPS{Project: "base", Endpoint: "https://mc.example/api", TunnelEndpoint: "https://tunnel.example"}, ""},
		{"data source", "sales", "", "", "", ODPS{Project: "sales_p", Endpoint: "https://mc.example/api", TunnelEndpoint: "https://sales-tunnel.example"}, ""},
		{"data source with its own endpoint and region", "eu", "", "", "", ODPS{Project: "eu_p", Endpoint: "https://eu.example/api", TunnelEndpoint: "https://tunnel.example", Region: "eu-central-1"}, ""},
		{"writer project over the data source's", "sales", "mine", "", "", ODPS{Project: "mine", Endpoint: "https://mc.example/api", TunnelEndpoint: "https://sales-tunnel.example"}, ""},
		{"odpsServer drops the environment's tunnel", "", "", "https://other.example/api", "", ODPS{Project: "base", Endpoint: "https://other.example/api"}, ""},
		{"tunnelServer", "", "", "https://other.example/api", "https://t.example", ODPS{Project: "base", Endpoint: "https://other.example/api", TunnelEndpoint: "https://t.example"}, ""},
		{"unknown data source", "nope", "", "", "", ODPS{}, `writer.datasource: MaxCompute data source "nope"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := o.ForWriter(tc.ds, tc.project, tc.server, tc.tunnel)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Project != tc.want.Project || got.Endpoint != tc.want.Endpoint || got.TunnelEndpoint != tc.want.TunnelEndpoint || got.Region != tc.want.Region {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
	if _, err := ODPSFromEnv(func(k string) string {
		return map[string]string{"FCSYNC_ODPS_DATASOURCES": `{"x":{"projekt":"p"}}`}[k]
	}).ForWriter("", "", "", ""); err == nil || !strings.Contains(err.Error(), "FCSYNC_ODPS_DATASOURCES") {
		t.Errorf("a misspelt data source field: error %v, want one naming FCSYNC_ODPS_DATASOURCES", err)
	}
	// Without any MaxCompute configured the local warehouse serves every job.
	if got, err := (ODPS{}).ForWriter("odps_first", "analytics", "", ""); err != nil || got.Project != "" {
		t.Errorf("warehouse mode: %+v, %v; want the warehouse", got, err)
	}
}
