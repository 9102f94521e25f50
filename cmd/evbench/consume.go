package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/runners/engine"
	"github.com/evbench/evbench/runners/kafka"
	"github.com/evbench/evbench/runners/load"
	"github.com/evbench/evbench/scenarios"
)

func init() { addCommand(newConsumeCmd) }

// consumeFlags are consume's flags.
type consumeFlags struct {
	out, startAt, brokers, name, duration, rate string
	shards, members                             int
	clockShift                                  time.Duration
}

// newConsumeCmd is `evbench consume`: members of a scenario's Kafka
// consumer groups as a separate process, for runs whose shards only
// produce (`evbench run --external-consumers`, docs/kubernetes.md).
func newConsumeCmd() *cobra.Command {
	var f consumeFlags
	c := &cobra.Command{
		Use:   "consume SCENARIO --start-at TIME",
		Short: "Run members of a scenario's Kafka consumer groups and record what they processed",
		Long: `consume joins the scenario's consumer groups (one per subscriber, --members
members each in this process) on the scenario's named topic, processes records
as the in-process Kafka runner does (simulated processing, faults, commits,
duplicates skipped as an idempotent receiver would), and records per subscriber
the id set of the measured events it processed, duplicates and the end-to-end
latency from the intended time each record carries. It stops when the schedule
that starts at --start-at and its drain are over, and writes results.json.

The load comes from 'evbench run SCENARIO --external-consumers --start-at TIME'
(with --shard I/N on several hosts): start the consume processes first (each
prints "ready" when its members have partitions), with the same --start-at,
--rate and --duration, and --shards N. Then 'evbench merge' the producers' and
the consumers' results.json: delivered, duplicates and lost are computed from
the union of their id sets. Every process must reach the same brokers; the
topic needs at least as many partitions as members in all processes together.`,
		Example: `  evbench consume scenario.yaml --start-at 2026-03-14T09:00:00Z --shards 3 --out results/consumer-0`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return consume(cmd, args[0], f)
		},
	}
	c.Flags().StringVar(&f.out, "out", "", "output folder for results.json (required)")
	c.Flags().StringVar(&f.startAt, "start-at", "", "the producers' start instant (RFC 3339, required)")
	c.Flags().IntVar(&f.shards, "shards", 1, "number of producer shards (their --shard I/N's N)")
	c.Flags().IntVar(&f.members, "members", 0, "members per consumer group in this process (0: the scenario's)")
	c.Flags().StringVar(&f.name, "name", "", "this process's name in results (default: the host name)")
	c.Flags().StringVar(&f.brokers, "brokers", "", "Kafka bootstrap brokers host:port,... (default: the scenario's)")
	c.Flags().StringVar(&f.duration, "duration", "", "the producers' --duration, if they were given one")
	c.Flags().StringVar(&f.rate, "rate", "", "the producers' --rate, if they were given one")
	addClockShiftFlag(c, &f.clockShift) // shard.go
	return c
}

// checkExternal checks run's --external-consumers against the scenario:
// one point of the kafka system alone, on a named topic, from a start
// instant the consume processes know.
func checkExternal(f shardFlags, sc *scenarios.Scenario) error {
	if f.startAt == "" {
		return errors.New("--external-consumers needs --start-at: the consume processes derive the event ids and the measured period from it")
	}
	if names := sc.Systems.Names(); !slices.Equal(names, []string{kafka.System}) {
		return fmt.Errorf("--external-consumers runs the kafka system alone; the scenario enables %v", names)
	}
	if k := kafka.ConfigOf(sc); k == nil || k.Topic.Name == "" {
		return errors.New("--external-consumers: producers and consumers share one topic: set systems.kafka.topic.name")
	}
	if len(sc.Flows) > 0 {
		// A flow's hops and their consumers all run in one process.
		return errors.New("--external-consumers: the scenario has flows, whose consumers run in the evbench run process; remove them from the scenario")
	}
	return nil
}

func consume(cmd *cobra.Command, arg string, f consumeFlags) error {
	if f.out == "" {
		return badInput(errors.New("--out is required"))
	}
	if f.shards < 1 || f.shards > load.MaxShards {
		return badInput(fmt.Errorf("--shards %d: want 1 to %d", f.shards, load.MaxShards))
	}
	if f.members < 0 || f.members > scenarios.MaxClients {
		return badInput(fmt.Errorf("--members %d: want 0 to %d", f.members, scenarios.MaxClients))
	}
	sc, err := scenarios.Open(arg)
	if err != nil {
		return badInput(err)
	}
	if sc, err = applyOverrides(sc, runFlags{brokers: f.brokers, duration: f.duration, rate: f.rate}); err != nil {
		return badInput(err)
	}
	points, err := sc.Expand()
	if err != nil {
		return badInput(err)
	}
	if _, err := shardPlan(shardFlags{startAt: f.startAt, external: true, clockShift: f.clockShift}, sc, points, time.Now()); err != nil {
		return badInput(err)
	}
	at, _ := time.Parse(time.RFC3339Nano, f.startAt) // checked by shardPlan
	name := f.name
	if name == "" {
		if name, err = os.Hostname(); err != nil || name == "" {
			name = "consumer"
		}
	}
	if err := prepareOutDir(f.out); err != nil {
		return badInput(err)
	}
	ctx, stop, _ := interruptContext(cmd.ErrOrStderr())
	defer stop()
	res := &results.Results{Schema: results.Schema, Status: results.StatusComplete, Command: commandLine(), Environment: engine.Environment(), Points: []results.Point{}}
	if b, err := sc.Redacted().JSON(); err == nil {
		res.Scenario = b
	} else {
		return fmt.Errorf("encode scenario: %w", err)
	}
	spec := points[0]
	out := cmd.OutOrStdout()
	p, runErr := kafka.Consume(ctx, kafka.ConsumeConfig{
		Scenario: spec.Scenario, Params: spec.Params, Brokers: f.brokers, StartAt: at, Shards: f.shards,
		Members: f.members, Name: name,
		Logf: func(format string, args ...any) { fmt.Fprintf(cmd.ErrOrStderr(), format+"\n", args...) },
		Ready: func() {
			fmt.Fprintf(out, "ready: %s consuming until the schedule from %s and its drain are over\n", name, at.Format(time.RFC3339Nano))
		},
	})
	if p == nil {
		var bi interface{ BadInput() bool }
		if errors.As(runErr, &bi) && bi.BadInput() {
			return badInput(runErr)
		}
		return fmt.Errorf("consume: %w", runErr)
	}
	p.Repeat = spec.Repeat
	if d := load.ClockShift(); d != 0 {
		p.Notes = append(p.Notes, clockShiftNote(d)) // shard.go
	}
	res.Points = append(res.Points, *p)
	res.Environment.BrokerKind, res.Environment.Embedded = p.BrokerKind, p.BrokerEmbedded
	res.Environment.FinishedAt = time.Now().UTC()
	res.Status = p.Status
	res.Error = p.Error
	path := filepath.Join(f.out, "results.json")
	if err := results.WriteFile(path, res); err != nil {
		return fmt.Errorf("write results: %w", err)
	}
	for _, s := range p.Subscribers {
		fmt.Fprintf(out, "%s: processed %d measured events, %d duplicates, e2e p50 %v p99 %v\n", s.Name, s.Accounting.Delivered, s.Accounting.Duplicates,
			time.Duration(s.E2E.LatencyUS.P50)*time.Microsecond, time.Duration(s.E2E.LatencyUS.P99)*time.Microsecond)
	}
	fmt.Fprintf(out, "\nresults: %s\n", path)
	switch {
	case p.Status == results.StatusInterrupted:
		return interrupted(errors.New("interrupted: partial results written with status \"interrupted\""))
	case runErr != nil:
		return runErr
	}
	return nil
}
