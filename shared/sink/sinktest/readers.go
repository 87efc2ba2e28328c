package sinktest

import (
	"context"

	"github.com/fcsync/fcsync/shared/schema"
	"github.com/fcsync/fcsync/shared/sink/maxcompute/mctest"
	"github.com/fcsync/fcsync/shared/sink/warehouse"
)

// WarehouseReader reads a warehouse table with Scan.
func WarehouseReader(w *warehouse.Warehouse) Reader {
	return func(ctx context.Context, table string) (Contents, error) {
		c := Contents{}
		parts, err := w.Partitions(ctx, table)
		if err != nil {
			return nil, err
		}
		for _, p := range parts {
			c[p.String()] = []map[string]any{}
		}
		err = w.Scan(ctx, table, nil, func(p schema.Partition, row map[string]any) error {
			c[p.String()] = append(c[p.String()], row)
			return nil
		})
		return c, err
	}
}

// ServerReader reads a table of a MaxCompute test server's project.
func ServerReader(srv *mctest.Server, project string) Reader {
	return func(ctx context.Context, table string) (Contents, error) {
		info, err := srv.Table(project, table)
		if err != nil {
			return nil, err
		}
		parts, err := srv.Partitions(project, table)
		if err != nil {
			return nil, err
		}
		c := Contents{}
		for _, p := range parts {
			rows, err := srv.Rows(project, table, p)
			if err != nil {
				return nil, err
			}
			c[p] = make([]map[string]any, len(rows))
			for i, r := range rows {
				m := make(map[string]any, len(info.Columns))
				for j, col := range info.Columns {
					m[col.Name] = r[j]
				}
				c[p][i] = m
			}
		}
		return c, nil
	}
}
