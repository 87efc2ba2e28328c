package platform

import (
	"fmt"
	"log/slog"

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
}

// ODPSFromEnv reads the FCSYNC_ODPS_* variables.
func ODPSFromEnv(getenv func(string) string) ODPS {
	return ODPS{Project: getenv("FCSYNC_ODPS_PROJECT"), Endpoint: getenv("FCSYNC_ODPS_ENDPOINT"),
		TunnelEndpoint: getenv("FCSYNC_ODPS_TUNNEL_ENDPOINT"), Region: getenv("FCSYNC_ODPS_REGION"), Codec: getenv("FCSYNC_ODPS_CODEC")}
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
