package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kfake"
)

// defaultBrokerDir is where the embedded broker keeps its data between localrun commands.
const defaultBrokerDir = ".fcsync/broker"

// startBroker starts an embedded kfake broker. addr "" picks a free port; dataDir "" keeps
// everything in memory.
func startBroker(addr, dataDir string, topics map[string]int32) (*kfake.Cluster, error) {
	opts := []kfake.Opt{kfake.NumBrokers(1), kfake.AllowAutoTopicCreation(), kfake.DefaultNumPartitions(3)}
	if addr != "" {
		host, portText, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, fmt.Errorf("--addr %q: %w", addr, err)
		}
		if host != "127.0.0.1" && host != "localhost" {
			return nil, fmt.Errorf("--addr %q: the embedded broker listens on 127.0.0.1 only", addr)
		}
		port, err := strconv.Atoi(portText)
		if err != nil {
			return nil, fmt.Errorf("--addr %q: bad port", addr)
		}
		opts = append(opts, kfake.Ports(port))
	}
	if dataDir != "" {
		if err := os.MkdirAll(dataDir, 0o755); err != nil {
			return nil, err
		}
		opts = append(opts, kfake.DataDir(dataDir))
	}
	for name, parts := range topics {
		opts = append(opts, kfake.SeedTopics(parts, name))
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		return nil, fmt.Errorf("embedded broker: %w", err)
	}
	return c, nil
}

// brokersOrEmbedded returns the given brokers, or starts the embedded persisted broker.
// The returned stop function closes what was started.
func brokersOrEmbedded(brokers string) ([]string, func(), error) {
	if brokers != "" {
		var out []string
		for _, b := range strings.Split(brokers, ",") {
			if b = strings.TrimSpace(b); b != "" {
				out = append(out, b)
			}
		}
		return out, func() {}, nil
	}
	c, err := startBroker("", defaultBrokerDir, nil)
	if err != nil {
		return nil, nil, err
	}
	return c.ListenAddrs(), c.Close, nil
}

func runBroker(ctx context.Context, args []string, out io.Writer) error {
	fs := flags("broker")
	addr := fs.String("addr", "127.0.0.1:9092", "listen address (127.0.0.1 only)")
	data := fs.String("data", "", "persist topics in this directory (default: memory)")
	var topics multi
	fs.Var(&topics, "topic", "NAME:PARTITIONS to create (repeatable)")
	if err := parse(fs, args); err != nil {
		return err
	}
	seed := map[string]int32{}
	for _, t := range topics {
		name, parts, ok := strings.Cut(t, ":")
		n := int64(3)
		if ok {
			var err error
			if n, err = strconv.ParseInt(parts, 10, 32); err != nil || n < 1 {
				return usageError{fmt.Sprintf("--topic %q: want NAME:PARTITIONS", t)}
			}
		}
		seed[name] = int32(n)
	}
	c, err := startBroker(*addr, *data, seed)
	if err != nil {
		return err
	}
	defer c.Close()
	fmt.Fprintf(out, "kfake broker listening on %s (Ctrl-C to stop)\n", strings.Join(c.ListenAddrs(), ","))
	<-ctx.Done()
	return nil
}
