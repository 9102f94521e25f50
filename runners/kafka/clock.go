package kafka

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/runners/load"
)

// Clock offsets against the broker (issue 13 item 5). The processes of a
// sharded run stamp intended times (producer shards) and completion times
// (`evbench consume` processes) with their own hosts' clocks, so an e2e
// latency between two hosts is off by as much as their clocks are apart.
// Kafka shards have no sink to compare clocks with, but every process
// reaches the brokers: each produces a few probe records to ClockTopic,
// whose message.timestamp.type is LogAppendTime, so the partition leader
// stamps every record with its own clock when it appends it. The append
// happened between the produce request leaving (local time s) and its ack
// arriving (local time a), and the stamp m is in whole milliseconds
// (truncated), so this host's clock is ahead of the broker's by an offset
// in [s - (m + 1 ms), a - m]. The intersection of the probes' intervals
// bounds the offset (EstimateClock); `evbench merge` compares the offsets
// of all processes against the one broker (reports/compare/mergeclock.go).

// ClockTopic is the topic clock probes are produced to: one partition,
// replication factor 1, LogAppendTime, an hour of retention. Every process
// of every run shares it (its records are a few bytes each).
const ClockTopic = "evbench-clock"

// ClockReference names the broker's clock in results (Shard and Consumer
// ClockReference).
const ClockReference = "kafka broker"

// clockProbes is the number of probe records per estimate, after one to
// warm up the connection; clockTimeout bounds the whole estimate.
const (
	clockProbes  = 16
	clockTimeout = 10 * time.Second
)

// ErrClockEmbedded says that the embedded broker cannot serve as a clock
// reference: it runs inside this process, on this process's clock.
var ErrClockEmbedded = errors.New("the embedded broker runs inside this process, on its clock: no offset to measure")

// ClockSample is one probe: this process's clock (load.Now, Unix ns) just
// before the produce request and just after its ack, and the record's
// LogAppendTime from the broker (Unix ms).
type ClockSample struct {
	SentNs, AckedNs, BrokerMs int64
}

// interval is the range of offsets (this clock minus the broker's, ns)
// the sample allows.
func (s ClockSample) interval() (lo, hi int64) {
	ms := int64(time.Millisecond)
	return s.SentNs - (s.BrokerMs+1)*ms, s.AckedNs - s.BrokerMs*ms
}

// ClockEstimate is how far this process's clock is ahead of the broker's
// (negative: behind): the true offset is within Bound of Offset, as long
// as neither clock was stepped during the probes.
type ClockEstimate struct {
	Offset, Bound time.Duration
	// Probes is the number of samples used.
	Probes int
	// Consistent is false when the samples' intervals do not all overlap
	// (a clock stepped, or a broker that stamps another way): the estimate
	// is then the narrowest single sample's.
	Consistent bool
}

// EstimateClock combines probe samples. Each sample allows the offsets
// [s - (m + 1 ms), a - m] (see the comment at the top of this file): half
// the round trip plus half a millisecond of stamp resolution either way.
// The intersection of all samples' intervals holds the offset too, and is
// narrower than any one of them when the probes' sends fall at different
// points of the broker's millisecond: Offset is its middle, Bound half its
// width (rounded up to the microsecond, as results store both in µs).
func EstimateClock(samples []ClockSample) (ClockEstimate, error) {
	if len(samples) == 0 {
		return ClockEstimate{}, errors.New("clock: no probe samples")
	}
	lo, hi := int64(-1<<62), int64(1<<62)
	best, bestW := 0, int64(1<<62)
	for i, s := range samples {
		if s.AckedNs < s.SentNs {
			return ClockEstimate{}, fmt.Errorf("clock: probe %d acked before it was sent", i)
		}
		l, h := s.interval()
		lo, hi = max(lo, l), min(hi, h)
		if h-l < bestW {
			best, bestW = i, h-l
		}
	}
	e := ClockEstimate{Probes: len(samples), Consistent: lo <= hi}
	if !e.Consistent {
		lo, hi = samples[best].interval()
	}
	e.Offset = time.Duration(lo + (hi-lo)/2)
	// Half the width, rounded up, plus the µs the offset loses when stored.
	e.Bound = time.Duration(hi-lo+1)/2 + time.Microsecond
	return e, nil
}

// ProbeClock estimates this process's clock offset against the brokers of
// env: it makes sure ClockTopic exists, produces clockProbes records to
// it one at a time (acks from the leader only, so the round trip is one
// append), reads them back for their LogAppendTime and combines the
// samples (EstimateClock). A broker that stamps CreateTime (the topic's
// config not honoured) is an error, not an offset of zero.
func ProbeClock(ctx context.Context, env *Env) (ClockEstimate, error) {
	if env.Embedded {
		return ClockEstimate{}, ErrClockEmbedded
	}
	ctx, cancel := context.WithTimeout(ctx, clockTimeout)
	defer cancel()
	if _, err := EnsureTopic(ctx, env.Admin, TopicSpec{Name: ClockTopic, Partitions: 1, ReplicationFactor: 1,
		Configs: map[string]string{"message.timestamp.type": "LogAppendTime", "retention.ms": "3600000"}}); err != nil {
		return ClockEstimate{}, fmt.Errorf("clock probe topic: %w", err)
	}
	prod, err := kgo.NewClient(append(append([]kgo.Opt{}, env.Conn...), kgo.ClientID("evbench-clock"),
		kgo.DefaultProduceTopic(ClockTopic), kgo.RequiredAcks(kgo.LeaderAck()), kgo.DisableIdempotentWrite(),
		kgo.ProducerLinger(0))...)
	if err != nil {
		return ClockEstimate{}, fmt.Errorf("clock probe producer: %w", err)
	}
	defer prod.Close()
	sent := make(map[int64]ClockSample, clockProbes)
	first := int64(-1)
	for i := range clockProbes + 1 {
		rec := &kgo.Record{Value: []byte(strconv.Itoa(i))}
		s := load.Now()
		if err := prod.ProduceSync(ctx, rec).FirstErr(); err != nil {
			return ClockEstimate{}, fmt.Errorf("clock probe %d: %w", i, err)
		}
		a := load.Now()
		if i > 0 { // the first one opened the connection and fetched metadata
			sent[rec.Offset] = ClockSample{SentNs: s, AckedNs: a}
			if first < 0 {
				first = rec.Offset
			}
		}
		// Spread the sends over the broker's millisecond (see EstimateClock).
		time.Sleep(time.Millisecond + time.Duration(i*137%1000)*time.Microsecond)
	}
	cons, err := kgo.NewClient(append(append([]kgo.Opt{}, env.Conn...), kgo.ClientID("evbench-clock"),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{ClockTopic: {0: kgo.NewOffset().At(first)}}),
		kgo.FetchMaxWait(100*time.Millisecond))...)
	if err != nil {
		return ClockEstimate{}, fmt.Errorf("clock probe consumer: %w", err)
	}
	defer cons.Close()
	var samples []ClockSample
	for len(samples) < len(sent) {
		fs := cons.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return ClockEstimate{}, fmt.Errorf("clock probe: read back %d of %d records: %w", len(samples), len(sent), err)
		}
		var ferr error
		fs.EachError(func(_ string, _ int32, err error) { ferr = err })
		if ferr != nil {
			return ClockEstimate{}, fmt.Errorf("clock probe: read back: %w", ferr)
		}
		for _, r := range fs.Records() {
			s, ok := sent[r.Offset]
			if !ok {
				continue
			}
			if r.Attrs.TimestampType() != 1 {
				return ClockEstimate{}, fmt.Errorf("clock probe: the broker stamped topic %s's records with the producer's time, not LogAppendTime", ClockTopic)
			}
			s.BrokerMs = r.Timestamp.UnixMilli()
			samples = append(samples, s)
			delete(sent, r.Offset)
			if len(sent) == 0 {
				break
			}
		}
		if len(sent) == 0 {
			break
		}
	}
	return EstimateClock(samples)
}

// RecordClock is the hook of a point of a sharded run (res.Shard set) or
// of an `evbench consume` process (res.Consumer set): it estimates this
// process's clock offset against the broker (ProbeClock, at most
// clockTimeout) and records it there with its bound, and a note; when the
// estimate fails, the note says why. After an interruption (ctx done) it
// measures nothing: the process is to exit within its interrupt drain.
// Other points are left alone.
func RecordClock(ctx context.Context, env *Env, res *results.Point, logf func(string, ...any)) {
	if res == nil || (res.Shard == nil && res.Consumer == nil) {
		return
	}
	if ctx.Err() != nil {
		res.Notes = append(res.Notes, "clock: not measured against the kafka broker: the run was interrupted")
		return
	}
	e, err := ProbeClock(ctx, env)
	if err != nil {
		res.Notes = append(res.Notes, fmt.Sprintf("clock: not measured against the kafka broker: %v", err))
		if logf != nil {
			logf("kafka: clock offset not measured: %v", err)
		}
		return
	}
	if res.Shard != nil {
		res.Shard.SetClockOffset(e.Offset, e.Bound, ClockReference)
	}
	if res.Consumer != nil {
		res.Consumer.SetClockOffset(e.Offset, e.Bound, ClockReference)
	}
	how := "the intersection of the probes' intervals"
	if !e.Consistent {
		how = "the narrowest probe's interval (the probes' intervals did not all overlap: a clock may have been stepped)"
	}
	res.Notes = append(res.Notes, fmt.Sprintf("clock: this process's clock is %v ahead of the kafka broker's (negative: behind), within %v: %d probe records to topic %s stamped with the broker's LogAppendTime (ms), from %s",
		e.Offset.Round(time.Microsecond), e.Bound.Round(time.Microsecond), e.Probes, ClockTopic, how))
}
