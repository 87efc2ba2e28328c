package platform

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"

	"github.com/fcsync/fcsync/shared/objstore"
	"github.com/fcsync/fcsync/shared/sink"
	"github.com/fcsync/fcsync/shared/sink/maxcompute"
	"github.com/fcsync/fcsync/shared/sink/warehouse"
)

// ODPS says where the MaxCompute sink writes. With Project empty, tables go to the local
// warehouse.
type ODPS struct {
	Project        string // FCSYNC_ODPS_PROJECT
	Endpoint       string // FCSYNC_ODPS_ENDPOINT, e.g. https://service.cn-hangzhou-vpc.maxcompute.aliyun-inc.com/api
	TunnelEndpoint string // FCSYNC_ODPS_TUNNEL_ENDPOINT (optional: asked from the project)
	Region         string // FCSYNC_ODPS_REGION (optional: signs with the v4 scheme)
	Codec          string // FCSYNC_ODPS_CODEC: snappy (default), deflate or zstd
	// Datasources are the named MaxCompute data sources a job's writer may name, as DataWorks'
	// data source list holds them (FCSYNC_ODPS_DATASOURCES:
	// {"name":{"project":"p","endpoint":"https://...","tunnelEndpoint":"https://...","region":"cn-hangzhou"}}).
	// A data source's empty fields fall back to the FCSYNC_ODPS_* values.
	Datasources map[string]ODPSDatasource
	// Err is a malformed FCSYNC_ODPS_DATASOURCES, reported by the first window.
	Err error
}

// ODPSDatasource is one named MaxCompute data source.
type ODPSDatasource struct {
	Project        string `json:"project"`
	Endpoint       string `json:"endpoint,omitempty"`
	TunnelEndpoint string `json:"tunnelEndpoint,omitempty"`
	Region         string `json:"region,omitempty"`
}

// DefaultODPSDatasource is DataWorks' name for a workspace's own MaxCompute project; unless
// FCSYNC_ODPS_DATASOURCES defines it, it means the FCSYNC_ODPS_* project.
const DefaultODPSDatasource = "odps_first"

// ODPSFromEnv reads the FCSYNC_ODPS_* variables.
func ODPSFromEnv(getenv func(string) string) ODPS {
	o := ODPS{Project: getenv("FCSYNC_ODPS_PROJECT"), Endpoint: getenv("FCSYNC_ODPS_ENDPOINT"),
		TunnelEndpoint: getenv("FCSYNC_ODPS_TUNNEL_ENDPOINT"), Region: getenv("FCSYNC_ODPS_REGION"), Codec: getenv("FCSYNC_ODPS_CODEC")}
	if ds := getenv("FCSYNC_ODPS_DATASOURCES"); ds != "" {
		dec := json.NewDecoder(strings.NewReader(ds))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&o.Datasources); err != nil {
			o.Err = fmt.Errorf("FCSYNC_ODPS_DATASOURCES: %w", err)
		}
	}
	return o
}

// Configured reports whether any MaxCompute project is configured; without one, tables go to
// the local warehouse.
func (o ODPS) Configured() bool {
	return o.Project != "" || o.Endpoint != "" || len(o.Datasources) > 0
}

// ForWriter returns where one job's odps writer writes: the writer's own project, endpoint
// (odpsServer) and tunnel endpoint (tunnelServer) first, then those of the data source it names,
// then the FCSYNC_ODPS_* values. A data source that is not configured is an error, except
// odps_first, DataWorks' default. Without any MaxCompute configured (the local warehouse) o is
// returned unchanged unless the writer names its own odpsServer.
func (o ODPS) ForWriter(datasource, project, endpoint, tunnel string) (ODPS, error) {
	if o.Err != nil {
		return o, &ODPSConfigError{o.Err.Error()}
	}
	if !o.Configured() && endpoint == "" {
		return o, nil
	}
	out := o
	out.Datasources = nil
	if datasource != "" {
		ds, ok := o.Datasources[datasource]
		switch {
		case ok:
			out.Project = ds.Project
			out.Endpoint = or(ds.Endpoint, o.Endpoint)
			out.TunnelEndpoint = or(ds.TunnelEndpoint, o.TunnelEndpoint)
			out.Region = or(ds.Region, o.Region)
		case datasource != DefaultODPSDatasource:
			return o, &ODPSConfigError{fmt.Sprintf("writer.datasource: MaxCompute data source %q is not configured (FCSYNC_ODPS_DATASOURCES, or the job's datasources with project/odpsServer/tunnelServer)", datasource)}
		}
	}
	out.Project = or(project, out.Project)
	if endpoint != "" {
		out.Endpoint, out.TunnelEndpoint = endpoint, "" // another service: its tunnel is its own
	}
	out.TunnelEndpoint = or(tunnel, out.TunnelEndpoint)
	if out.Project == "" {
		return o, &ODPSConfigError{"writer.project: no MaxCompute project: the writer names none, nor does its data source, and FCSYNC_ODPS_PROJECT is empty"}
	}
	if out.Endpoint == "" {
		return o, &ODPSConfigError{fmt.Sprintf("writer.odpsServer: no MaxCompute endpoint for project %s: set odpsServer, the data source's endpoint or FCSYNC_ODPS_ENDPOINT", out.Project)}
	}
	return out, nil
}

// ODPSConfigError is a job's writer that the configuration cannot place: a rerun fails the same.
type ODPSConfigError struct{ msg string }

func (e *ODPSConfigError) Error() string { return e.msg }

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// OpenSink returns the table sink: the MaxCompute project of o when it names one (signed
// with creds, the invocation's keys; its commit records in store), else the local warehouse
// at warehouseDir.
func OpenSink(o ODPS, warehouseDir string, store objstore.Store, creds Credentials, log *slog.Logger) (sink.Sink, error) {
	if o.Project == "" {
		wh, err := warehouse.Open(warehouseDir, warehouse.WithLogger(log))
		if err != nil {
			return nil, fmt.Errorf("warehouse %s: %w", warehouseDir, err)
		}
		return wh, nil
	}
	codec, err := maxcompute.ParseCodec(o.Codec)
	if err != nil {
		return nil, fmt.Errorf("FCSYNC_ODPS_CODEC: %w", err)
	}
	mc, err := maxcompute.New(maxcompute.Config{
		Endpoint: o.Endpoint, TunnelEndpoint: o.TunnelEndpoint, Project: o.Project, Region: o.Region, Codec: codec,
		Credentials: maxcompute.Credentials{AccessKeyID: creds.AccessKeyID, AccessKeySecret: creds.AccessKeySecret, SecurityToken: creds.SecurityToken},
	}, store, maxcompute.WithLogger(log))
	if err != nil {
		return nil, fmt.Errorf("FCSYNC_ODPS_*: %w", err)
	}
	return mc, nil
}
