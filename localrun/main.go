// Command localrun is fcsync's local harness and operator CLI: an embedded Kafka broker, an
// emulated FC timer driving the real batch function, and the tools to inspect what a job does
// (params, ddl, preview, query). Run `localrun help` for the commands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
)

type command struct {
	name    string
	args    string
	summary string
	run     func(ctx context.Context, args []string, out io.Writer) error
}

var commands []command

func init() {
	commands = []command{
		{"demo", "[--fast]", "embedded broker, a shop-order stream, the batch function over several windows, a summary", runDemo},
		{"broker", "--addr 127.0.0.1:9092 [--data DIR] [--topic NAME:PARTITIONS]...", "run the embedded kfake Kafka broker until interrupted", runBroker},
		{"produce", "--brokers B --topic T --count N [--start TIME --step DURATION] [--file FILE.jsonl]", "produce records (generated shop orders, or one JSON record per line)", runProduce},
		{"params", "--at TIME [--tz ZONE] EXPR...", "evaluate scheduling parameters; EXPR is an expression or name=value assignments", runParams},
		{"batch", "--job FILE --at TIME [--brokers B] [--warehouse DIR] [--state DIR]", "run one window exactly as the timer would fire it at TIME", runBatch},
		{"backfill", "--job FILE --from T1 --to T2 [--brokers B] [--warehouse DIR] [--state DIR]", "run every scheduled tick in [T1, T2], with a progress bar", runBackfill},
		{"ddl", "--job FILE [--input RECORDS.jsonl [--at TIME]]", "print the MaxCompute DDL DataWorks would generate for a batch job; for a stream job, the destination table it creates (Hudi properties and columns, or MaxCompute CREATE TABLE) and the ALTERs a batch of RECORDS would make", runDDL},
		{"preview", "--job FILE --input RECORDS.jsonl [--at TIME]", "run the job's columns (batch) or processing chain and mapping (stream) on given Kafka records; print rows and dirty records", runPreview},
		{"stream", "--job FILE [--brokers B] [--lake DIR] [--runs DIR] [--count-window N] [--time-window D] [--shapes S,...] [--duplicate-every N] [--ack-loss-every N] [--consumer-tasks N] [--follow]", "drive the stream function with an emulated Kafka trigger (EventBridge batching, retries, redeliveries)", runStream},
		{"sample", "--brokers B --topic T [--from TIME] [--count N]", "print N records of a topic from TIME on, as preview --input reads them", runSample},
		{"simulate", "--job FILE [--brokers B] [--from TIME] [--count N]", "sample the stream job's topic, process and show what would be written; writes nothing", runSimulate},
		{"query", "--table DIR [--partition ds=...]", "print a table's rows as JSON lines (a Hudi snapshot, or a warehouse table)", runQuery},
		{"invoke", "--function batch|stream --job FILE --event EVENT.json [--binary PATH]", "pass a raw platform event through the real handler (or a built function binary under the emulated FC runtime API)", runInvoke},
		{"gen-workload", "[--records 200000] [--seed 20260101] [--out DIR]", "write the stream benchmark's workload (input.jsonl, input.meta.json): the peers' generator's shop orders, byte for byte", runGenWorkload},
		{"bench-stream", "--input input.jsonl [--batch 10000] [--batches N]", "stream benchmark: the peers' workload through the stream function's handler into Hudi; prints records/s, per core and peak RSS", runBenchStream},
		{"status", "[--store DIR|oss://BUCKET/PREFIX] [--job NAME] [--limit N] [--alerts RULES.yaml [--from T1] [--at T2]] [--tz ZONE]", "recent runs from the run records as a table; with --alerts, what the alert rules would have sent", runStatus},
		{"cdc", "--job FILE [--dsn DSN] [--brokers B] [--state DIR] [--budget D] [--follow] | bench [--events N]", "run a database-to-Kafka job through the cdc function (snapshot, then binlog changes); `cdc bench` measures events/s", runCDC},
		{"bench", "[--records N]", "window-read benchmark: fcsync vs franz-go on one broker, and peak RSS of a full window", runBench},
		{"bench-kafka4", "[--records N] [--rounds N]", "window-read benchmark on a real Kafka 4 broker: fcsync vs franz-go vs Kafka's Java consumer", runBenchKafka4},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := dispatch(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "localrun:", err)
		var ue usageError
		if errors.As(err, &ue) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func dispatch(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(out)
		return nil
	}
	for _, c := range commands {
		if c.name == args[0] {
			return c.run(ctx, args[1:], out)
		}
	}
	return usageError{fmt.Sprintf("unknown command %q (try localrun help)", args[0])}
}

func usage(out io.Writer) {
	fmt.Fprintln(out, "localrun: fcsync's local harness and operator CLI")
	fmt.Fprintln(out)
	fmt.Fprintln(out, "commands:")
	names := make([]string, len(commands))
	for i, c := range commands {
		names[i] = c.name
	}
	sort.Strings(names)
	for _, c := range commands {
		fmt.Fprintf(out, "  %-9s %s\n            %s\n", c.name, c.args, c.summary)
	}
	fmt.Fprintln(out)
	fmt.Fprintln(out, "Without --brokers, Kafka is the embedded broker persisted in ./.fcsync/broker;")
	fmt.Fprintln(out, "the warehouse and state default to ./.fcsync/warehouse and ./.fcsync/state.")
}

// flags makes a FlagSet that returns errors instead of exiting.
func flags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		var b strings.Builder
		fs.SetOutput(&b)
		fs.PrintDefaults()
		return usageError{fmt.Sprintf("%s: %v\n%s", fs.Name(), err, b.String())}
	}
	return nil
}

// multi is a repeatable string flag.
type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }
