// Command kperf drives evbench's own Kafka producer and consumer code
// (runners/kafka: Producer, StartGroups) at maximum rate, so that
// scripts/bench-kafka.sh can put its rates next to Apache Kafka's
// ProducerPerformance and ConsumerPerformance on the same broker.
//
//	kperf -mode create  -brokers B -topic T -partitions P
//	kperf -mode both    -brokers B -topic T -records N -size S -acks 1|all -linger 5ms [-keep]
//	kperf -mode delete  -brokers B -topic T
//	kperf ... -cpuprofile FILE   (a pprof CPU profile of the run)
//	kperf -mode delete-prefix -brokers B -topic P   (every topic named P*:
//	      the fresh topics evbench run's points leave behind)
//
// -settings prints the producer and consumer settings evbench uses (one
// key=value per line) so scripts/bench-kafka.sh can give Java's tools the
// same ones and print both sides.
//
// "both" produces N records of S bytes as fast as the producer path takes
// them (one open-loop schedule handed over at once: Producer.Send for every
// event, then wait for every ack), then consumes them with one consumer
// group of one member (per-partition workers, zero processing time, commits
// after processing) until all N are processed. It prints one line per phase:
//
//	kperf produce records=N bytes=S seconds=X rate=R mb_per_s=M errors=E
//	kperf consume records=N seconds=X rate=R mb_per_s=M
//
// The consume time runs from the moment the group is assigned (as
// ConsumerPerformance's fetch.nMsg.sec excludes its rebalance time) to the
// last record processed. -brokers embedded runs both phases on an
// in-process kfake broker (in memory, not disk-backed).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/evbench/evbench/runners/behave"
	"github.com/evbench/evbench/runners/kafka"
	"github.com/evbench/evbench/runners/load"
	"github.com/evbench/evbench/runners/measure"
	"github.com/evbench/evbench/scenarios"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "kperf:", err)
		os.Exit(1)
	}
}

func run() error {
	mode := flag.String("mode", "both", "create | both | delete")
	brokers := flag.String("brokers", "127.0.0.1:9092", "host:port list or embedded")
	topic := flag.String("topic", "", "topic (default: a fresh name)")
	partitions := flag.Int("partitions", kafka.DefaultPartitions, "partitions of a created topic")
	records := flag.Int("records", 500000, "records to produce and consume")
	size := flag.Int("size", 100, "record value size in bytes")
	acks := flag.String("acks", "1", "0 | 1 | all")
	linger := flag.Duration("linger", 5*time.Millisecond, "producer linger")
	batch := flag.Int("batch-max-bytes", kafka.DefaultBatchMaxBytes, "producer batch size limit")
	keys := flag.Int("keys", 1000, "distinct record keys")
	keep := flag.Bool("keep", false, "keep the topic after -mode both (for ConsumerPerformance)")
	timeout := flag.Duration("timeout", 10*time.Minute, "give up after this long")
	settings := flag.Bool("settings", false, "print the producer/consumer settings in effect and exit")
	cpuprofile := flag.String("cpuprofile", "", "write a pprof CPU profile of -mode both to this file (for go tool pprof)")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return fmt.Errorf("-cpuprofile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("-cpuprofile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}

	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	bi := false
	k := &kafka.Config{
		Brokers: *brokers, Acks: *acks, Linger: scenarios.Duration(*linger), BatchMaxBytes: scenarios.ByteSize(*batch),
		Topic: scenarios.Topic{Name: *topic, Partitions: *partitions, ReplicationFactor: 1}, Producers: 1,
		Compression: "none", MaxBufferedRecords: kafka.DefaultMaxBufferedRecords, Members: 1,
		Commit: kafka.CommitAfterProcessing, CommitMode: kafka.CommitAsync, StartOffset: kafka.StartEarliest,
	}
	if *acks != kafka.AcksAll {
		k.Idempotent = &bi
	}
	set, err := kafka.Resolve(k, "")
	if err != nil {
		return err
	}
	if *linger == 0 {
		set.Linger = 0 // Resolve reads 0 as "default"; here 0 means 0
	}
	if *settings {
		idem := set.Idempotent
		fmt.Printf("acks=%s\nidempotence=%v\nlinger=%v\nbatch_max_bytes=%d\nmax_buffered_records=%d\n"+
			"max_request_bytes=%d\ncompression=%s\npartitioner=murmur2 of the key (%d keys), franz-go sticky-key\n"+
			"max_in_flight_per_broker=%s\nfetch_max_wait=%v\nfetch_max_bytes=%d\nfetch_max_partition_bytes=%d\npoll=all buffered records (PollFetches)\n",
			set.Acks, idem, set.Linger, set.BatchMaxBytes, set.MaxBufferedRecords, brokerMaxWriteBytes, set.Compression, *keys,
			map[bool]string{true: "5 (idempotent)", false: fmt.Sprint(kafka.MaxInflightNonIdempotent)}[idem],
			kafka.FetchMaxWait, fetchMaxBytes, fetchMaxPartitionBytes)
		return nil
	}
	switch *mode {
	case "create", "delete", "delete-prefix":
		if set.Embedded || *topic == "" {
			return fmt.Errorf("-mode %s needs real -brokers and -topic", *mode)
		}
		conn, err := set.ConnOpts(nil)
		if err != nil {
			return err
		}
		cl, err := kgo.NewClient(append(conn, kgo.MetadataMinAge(50*time.Millisecond))...)
		if err != nil {
			return err
		}
		defer cl.Close()
		adm := kadm.NewClient(cl)
		if *mode == "delete-prefix" {
			tds, err := adm.ListTopics(ctx)
			if err != nil {
				return fmt.Errorf("list topics: %w", err)
			}
			for _, name := range tds.Names() {
				if strings.HasPrefix(name, *topic) {
					if err := kafka.DeleteTopic(ctx, adm, name); err != nil {
						return err
					}
				}
			}
			return nil
		}
		if *mode == "delete" {
			return kafka.DeleteTopic(ctx, adm, *topic)
		}
		_, err = kafka.EnsureTopic(ctx, adm, kafka.TopicSpec{Name: *topic, Partitions: int32(*partitions), ReplicationFactor: 1})
		return err
	case "both":
		return both(ctx, set, *records, *size, *keys, *keep)
	default:
		return fmt.Errorf("-mode %q: want create, both or delete", *mode)
	}
}

// franz-go defaults evbench leaves in place (kgo.BrokerMaxWriteBytes,
// kgo.FetchMaxBytes, kgo.FetchMaxPartitionBytes), printed by -settings.
const (
	brokerMaxWriteBytes    = 100 << 20
	fetchMaxBytes          = 50 << 20
	fetchMaxPartitionBytes = 1 << 20
)

func both(ctx context.Context, set kafka.Settings, n, size, keys int, keep bool) error {
	sc := &scenarios.Scenario{
		Name:        "kperf",
		Load:        scenarios.Load{Arrival: scenarios.ArrivalConstant, Rate: 1, Duration: scenarios.Duration(time.Second)},
		Event:       scenarios.Event{Size: scenarios.Dist{Kind: scenarios.DistFixed, Value: float64(size)}, Keys: keys, Seed: 1},
		Subscribers: []scenarios.Subscriber{{Name: "perf", Processing: scenarios.Dist{Kind: scenarios.DistFixed}, Count: 1}},
	}
	gen, err := load.New(sc)
	if err != nil {
		return err
	}
	mp := measure.NewPoint("kafka", gen, []string{"perf"}, keys)
	env, err := kafka.Open(ctx, set, "kperf", "bench", nil)
	if err != nil {
		return err
	}
	defer env.Close()
	if !keep && !env.Embedded {
		defer func() {
			dctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_ = kafka.DeleteTopic(dctx, env.Admin, env.Topic)
		}()
	}
	fmt.Printf("kperf topic=%s broker=%q\n", env.Topic, env.Kind)

	payload := make([]byte, size)
	for i := range payload {
		payload[i] = 'a' + byte(i%26)
	}
	// The producer reports to the run's measure.Point, as in evbench run:
	// publish latencies go to its HdrHistogram and bytes to its counter.
	prod, err := kafka.NewProducer(set, env.Topic, env.Conn, keys, mp)
	if err != nil {
		return err
	}
	start := load.Now()
	mp.Start(start)
	base := gen.IDBase()
	t0 := time.Now()
	for i := 0; i < n; i++ {
		prod.Send(load.Event{ID: base + uint64(i), Seq: uint64(i), Key: i % keys, Intended: load.Now(), Payload: payload})
	}
	if err := prod.Flush(ctx); err != nil {
		prod.Close()
		return err
	}
	el := time.Since(t0)
	acked, failed := prod.Acked(), prod.Failed()
	prod.Close()
	fmt.Printf("kperf produce records=%d bytes=%d seconds=%.3f rate=%.0f mb_per_s=%.2f errors=%d\n",
		acked, size, el.Seconds(), float64(acked)/el.Seconds(), float64(acked)*float64(size)/1e6/el.Seconds(), failed)
	if acked != int64(n) {
		return fmt.Errorf("produced %d of %d records", acked, n)
	}

	beh := behave.New(sc.Subscribers[0], 1)
	groups, err := kafka.StartGroups(ctx, kafka.GroupsConfig{
		Settings: set, Topic: env.Topic, Conn: env.Conn, Admin: env.Admin, GroupPrefix: env.Topic + "-perf",
		Point: mp, Subscribers: sc.Subscribers, Behaviours: []*behave.Subscriber{beh},
	})
	if err != nil {
		return err
	}
	defer groups.Close()
	t0 = groups.Groups()[0].FullyAssignedAt()
	sub := mp.Subs[0]
	for sub.DeliveredCount() < int64(n) {
		if ctx.Err() != nil {
			return fmt.Errorf("consumed %d of %d records: %w", sub.DeliveredCount(), n, ctx.Err())
		}
		time.Sleep(time.Millisecond)
	}
	el = time.Since(t0)
	fmt.Printf("kperf consume records=%d seconds=%.3f rate=%.0f mb_per_s=%.2f\n",
		n, el.Seconds(), float64(n)/el.Seconds(), float64(n)*float64(size)/1e6/el.Seconds())
	return nil
}
