package kafka

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/runners"
	"github.com/evbench/evbench/runners/load"
	"github.com/evbench/evbench/runners/measure"
	"github.com/evbench/evbench/scenarios"
	"github.com/twmb/franz-go/pkg/kadm"
)

// Consumer groups in separate processes (issue 13): the shards of a run
// (`evbench run --shard I/N --start-at T --external-consumers`) only
// produce, to one named topic, and `evbench consume` processes run the
// members of the scenario's consumer groups. Each consume process records
// what its members processed (an id set per subscriber, the e2e histogram
// from the intended time each record carries, duplicates) in a results
// document that `evbench merge` unions with the producers' exactly.
//
// Every process derives the same id base from the scenario's seed and the
// start instant (runners/load/shard.go), so the consumers key their id
// sets as the producers do, and the same measured period (intended times
// from the start instant plus the warm-up).

// ErrConsumeSetup marks a configuration of producers and consumers in
// separate processes that cannot work; it comes wrapped in a SetupError.
var ErrConsumeSetup = errors.New("consumers in separate processes")

// SetupError is a scenario or flag that does not fit consumers in
// separate processes: bad input (exit 2), like ClusterSizeError.
type SetupError struct{ Err error }

func (e *SetupError) Error() string { return e.Err.Error() }
func (e *SetupError) Unwrap() error { return e.Err }

// BadInput marks the error as a problem of the input, not of the run.
func (e *SetupError) BadInput() bool { return true }

func setupError(format string, args ...any) error {
	return &SetupError{Err: fmt.Errorf("%w: "+format, append([]any{ErrConsumeSetup}, args...)...)}
}

// ExternalConsumers reports whether this process's plan leaves the
// consumer groups to `evbench consume` processes (runners/load.Plan).
func ExternalConsumers() bool {
	p := load.ActivePlan()
	return p != nil && p.ExternalConsumers
}

// CheckExternal checks that settings allow producers and consumers in
// separate processes: one named topic on brokers every process reaches.
func CheckExternal(s Settings) error {
	if s.Embedded {
		return setupError("they need brokers every process reaches; the embedded broker lives inside one process (set systems.kafka.brokers or --brokers)")
	}
	if s.Topic == "" {
		return setupError("producers and consumers share one topic: set systems.kafka.topic.name")
	}
	return nil
}

// ConsumeConfig configures one `evbench consume` process.
type ConsumeConfig struct {
	// Scenario is the run's scenario (one point); Params its point's params.
	Scenario *scenarios.Scenario
	Params   map[string]float64
	// Brokers overrides the scenario's brokers ("" keeps them).
	Brokers string
	// StartAt is the run's start instant (the shards' --start-at).
	StartAt time.Time
	// Shards is the number of producer shards (the id sets' stride).
	Shards int
	// Members overrides the members per group in this process (0: the
	// scenario's).
	Members int
	// Name identifies this process in results (e.g. the pod name).
	Name string
	// Logf prints diagnostics; may be nil.
	Logf func(format string, args ...any)
	// Ready is called once this process's members have partitions (may
	// be nil): the producers may start.
	Ready func()
}

// consumeGroupPrefix names the groups of one run, the same in every
// consume process: the topic and the start instant.
func consumeGroupPrefix(topic string, at time.Time) string {
	return topic + ".consume." + strconv.FormatInt(at.UnixMilli(), 10)
}

// Consume runs this process's members of the scenario's consumer groups
// until the schedule that starts at cfg.StartAt has ended and its drain
// has passed (or ctx is cancelled: the point is then interrupted), and
// returns what they processed (results.Point.Consumer set).
func Consume(ctx context.Context, cfg ConsumeConfig) (*results.Point, error) {
	sc := cfg.Scenario
	logf := cfg.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	set, err := Resolve(ConfigOf(sc), cfg.Brokers)
	if err != nil {
		return nil, err
	}
	if err := CheckExternal(set); err != nil {
		return nil, err
	}
	n := max(cfg.Shards, 1)
	// The producers' plan, so the generator gets their id base.
	load.SetPlan(&load.Plan{Shard: load.Shard{Index: 0, Count: n}, StartAt: cfg.StartAt})
	gen, err := load.New(sc)
	load.SetPlan(nil)
	if err != nil {
		return nil, fmt.Errorf("kafka consume: load: %w", err)
	}
	fresh, err := load.NewSchedule(sc.Load, sc.Event.Seed)
	if err != nil {
		return nil, fmt.Errorf("kafka consume: schedule: %w", err)
	}
	lo, hi := measure.MeasuredSeqs(fresh)
	if time.Until(cfg.StartAt.Add(gen.Schedule().Total())) < 0 {
		return nil, setupError("the schedule that started at %s is over", cfg.StartAt.Format(time.RFC3339Nano))
	}
	mp := measure.NewPoint(System, gen, SubscriberNames(sc), sc.Event.Keys)
	sctx, cancel := context.WithTimeout(ctx, setupTimeout)
	defer cancel()
	env, err := Open(sctx, set, sc.Name, System, logf)
	if err != nil {
		return nil, err
	}
	defer env.Close()
	mp.SetBroker(env.Kind, env.Embedded)
	mp.Note("%s", env.Note())
	subs := append([]scenarios.Subscriber(nil), sc.Subscribers...)
	members := set.Members
	if cfg.Members > 0 {
		members = cfg.Members
		for i := range subs {
			subs[i].Members = cfg.Members
		}
	}
	behs := Behaviours(sc)
	nw, err := OpenNetwork(sc, env, logf)
	if err != nil {
		return nil, err
	}
	defer nw.Links.Close()
	groups, err := StartGroups(sctx, GroupsConfig{
		Settings: set, Topic: env.Topic, Conn: env.Conn, GroupConn: nw.Groups, Admin: env.Admin,
		GroupPrefix: consumeGroupPrefix(env.Topic, cfg.StartAt), Point: mp, Subscribers: subs, Behaviours: behs,
		Logf: logf, External: true,
	})
	if err != nil {
		return nil, err
	}
	defer groups.Close()
	mp.SetGauges(measure.Gauges{Lag: groups.Lag})
	start := gen.StartAt(load.Now())
	if late := gen.StartLate(); late > 0 {
		mp.Note("kafka consume: %s joined %v after the start instant: records produced before its members had partitions are read from the groups' committed (or start) offsets", cfg.Name, late.Round(time.Millisecond))
	}
	mp.MeasureFromSeq(lo)
	mp.Start(start)
	nw.Links.SetStart(mp.MeasuredStart())
	for _, b := range behs {
		b.SetStart(mp.MeasuredStart())
	}
	if cfg.Ready != nil {
		cfg.Ready()
	}
	end := load.ToTime(start + int64(gen.Schedule().Total()) + int64(sc.Load.Drain.D()))
	t := time.NewTimer(time.Until(end))
	interrupted := false
	select {
	case <-t.C:
	case <-ctx.Done():
		t.Stop()
		interrupted = true
	}
	// Members stop in order: what they processed is committed.
	groups.Close()
	res, err := mp.FinishConsumer(lo, hi, n, cfg.Params)
	if res != nil {
		res.Network = nw.Links.Record()
		res.Consumer = &results.Consumer{Name: cfg.Name, Members: members, Topic: env.Topic}
		RecordClock(ctx, env, res, logf) // clock.go
		res.Notes = append(res.Notes, fmt.Sprintf("kafka consume: %s ran %d member(s) per group of groups %s.*; its subscribers' sent is what it processed: evbench merge counts losses against the producers' sent sets; its time series has no offered load and no consumer lag (every consume process sees the whole groups' lag)", cfg.Name, members, consumeGroupPrefix(env.Topic, cfg.StartAt)))
		if interrupted && res.Status == results.StatusComplete {
			res.Status = results.StatusInterrupted
		}
	}
	return res, err
}

// hasCommits reports whether group has committed offsets (another consume
// process of the run started first): its start offsets are then not
// committed again, which would move its members back or ahead. On an
// error it reports false: the start offsets are committed, as for a fresh
// group.
func (gs *Groups) hasCommits(ctx context.Context, group string) bool {
	offs, err := gs.cfg.Admin.FetchOffsets(ctx, group)
	if err != nil {
		return false
	}
	found := false
	offs.Each(func(o kadm.OffsetResponse) {
		if o.Err == nil && o.Topic == gs.cfg.Topic && o.At >= 0 {
			found = true
		}
	})
	return found
}

// startProduceOnly is Start for a process whose consumer groups run
// elsewhere (`evbench run --external-consumers`): it produces the
// schedule, and the drain waits for the produce acks (bounded as every
// drain, also after Ctrl-C during it); the point has its sent set and
// publish figures; its subscribers delivered nothing here, and their
// losses are counted by `evbench merge` against the consume processes'
// documents, so no loss cause is given.
func (p *point) startProduceOnly(ctx context.Context, r *runners.Run) error {
	sc, mp := r.Point.Scenario, r.Measure
	var err error
	if p.nw, err = OpenNetwork(sc, p.env, r.Point.Log); err != nil {
		return err
	}
	r.Defer(func() { p.nw.Links.Close() })
	r.AtBegin(p.nw.Links.SetStart)
	if p.prod, err = NewProducer(p.set, p.env.Topic, p.nw.Producer, sc.Event.Keys, mp); err != nil {
		return err
	}
	r.Defer(func() { p.prod.Close() })
	p.prod.StopOn(ctx.Done())
	mp.SetGauges(measure.Gauges{InFlight: p.prod.InFlight, QueueDepth: p.prod.QueueDepth})
	r.Note("kafka: consumer groups run in evbench consume processes (--external-consumers): this document holds what was produced; merge it with theirs for deliveries")
	// The drain: until every record is acknowledged.
	r.DrainUntil(func() bool { return p.prod.InFlight()+p.prod.QueueDepth() == 0 })
	return nil
}

// finishProduceOnly settles a producers-only point: no loss cause is
// given (merge counts the losses).
func (p *point) finishProduceOnly(r *runners.Run, res *results.Point, err error) (*results.Point, error) {
	if res != nil {
		for i := range res.Subscribers {
			res.Subscribers[i].Accounting.LostBy = results.LossCauses{}
		}
		RecordClock(p.ctx, p.env, res, r.Point.Log) // clock.go
	}
	return FinishStatus(res, err, r.Interrupted, p.unackedErr)
}
