package kafka

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/evbench/evbench/runners/behave"
	"github.com/evbench/evbench/runners/load"
	"github.com/evbench/evbench/runners/measure"
	"github.com/evbench/evbench/scenarios"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// How the consumer side works (documented here because results depend on it):
//
// Every subscriber is its own consumer group (classic protocol,
// cooperative-sticky assignment) with `members` kgo clients. A member runs
// one goroutine per partition assigned to it; each processes that
// partition's records sequentially, in offset order, applying the
// subscriber's processing time per record. So a member that owns k
// partitions processes up to k records at once, and a group processes up to
// min(partitions, sum over members) records at once. The member's poll loop
// hands each fetched partition batch to that partition's goroutine
// (BlockRebalanceOnPoll: a rebalance waits until the batch is handed over;
// a full hand-off queue, i.e. a slow partition, delays the next poll).
//
// Per record: the event id is claimed for the subscriber (an idempotent
// receiver: a record whose id was already claimed, such as a redelivery
// after a rebalance, is counted as a duplicate and skipped), then processed
// (behave.Sleep for the sampled processing time plus active slow faults), then
// delivered: e2e = intended time -> processed, and per-key order is checked.
//
// Faults: down = every member leaves the group (closes its client) for the
// window and rejoins after it, resuming from committed offsets; pause = the
// members stop polling (they stay in the group; records already handed to
// partition goroutines are still processed) and resume after the window;
// slow = added to each record's processing time; errors = after processing,
// the record fails with the fault's probability and is retried in place
// after RetryBackoff (one error and one retry counted per failure); hang =
// a record whose processing starts in the window does not finish before
// the window ends.
//
// Commits: processed records are marked; commit: auto commits the marks
// every DefaultAutoCommitInterval in the background (Kafka's
// enable.auto.commit with processing inside the poll loop: at-least-once);
// commit: after-processing commits after each processed batch, blocking the
// partition's goroutine (commit_mode: sync) or in a per-member background
// committer (async). On a revoke the member stops the revoked partitions'
// goroutines (an unfinished record is abandoned and released, to be
// redelivered) and commits what was processed, so an orderly rebalance
// causes no duplicates; a member that crashes (Groups.Leave with crash)
// commits nothing more, and what it processed since its last commit is
// delivered again to the new owner: duplicates, counted.
//
// Offsets: groups are fresh per point. Before any member joins, each group's
// starting offsets are committed (log start for start_offset: earliest, log
// end for latest), and the load starts only once every group has all
// partitions assigned, so no event is skipped whatever the start offset.

// RetryBackoff is the pause before a record that failed (errors fault) is
// processed again.
const RetryBackoff = 10 * time.Millisecond

// groupReadyTimeout bounds the wait for every group to be assigned every
// partition before the load starts.
const groupReadyTimeout = 60 * time.Second

// FetchMaxWait is how long the broker may hold a fetch waiting for data
// (Kafka's fetch.max.wait.ms default).
const FetchMaxWait = 500 * time.Millisecond

// autoCommitInterval is DefaultAutoCommitInterval; tests lengthen it.
var autoCommitInterval = DefaultAutoCommitInterval

// testHookClientCreated, when set (tests only), runs right after a member's
// group client is created, while the client is joining: a slow hook lets
// the join and the partitions-assigned callback run first, as a loaded
// machine can.
var testHookClientCreated func(m *member)

// pollTimeout bounds one poll so the member notices faults and stop requests.
const pollTimeout = 200 * time.Millisecond

// GroupsConfig configures the consumer groups of a point.
type GroupsConfig struct {
	Settings Settings
	Topic    string
	// Conn are the connection options (Settings.ConnOpts).
	Conn []kgo.Opt
	// GroupConn overrides Conn for a subscriber's group (its network
	// link, network.go).
	GroupConn map[string][]kgo.Opt
	// Admin is used for offsets, lag and deleting the groups afterwards.
	Admin *kadm.Client
	// GroupPrefix names the groups: <GroupPrefix>.<subscriber name>.
	GroupPrefix string
	// Point provides the subscribers' accounting (Point.Subs[i] belongs to
	// Subscribers[i]; entries after them are not the groups') and the id
	// range of this point's events.
	Point       *measure.Point
	Subscribers []scenarios.Subscriber
	Behaviours  []*behave.Subscriber
	// Logf prints diagnostics; may be nil.
	Logf func(format string, args ...any)
	// TrimConsumed deletes records every group has committed, as the run
	// goes (the embedded broker: its records live in evbench's memory).
	TrimConsumed bool
	// OnDelivered, when set, is called after a record's first processing
	// was recorded, with the subscriber's name (runners/flow forwards the
	// event to the next hop). It must not block for long.
	OnDelivered func(subscriber string, m RecordMeta, done int64)
	// External: members in other processes share the groups (`evbench
	// consume`, consume.go): start offsets are committed only for groups
	// that have none, this process is ready once its members have
	// partitions, and Close leaves the groups in place.
	External bool
	// Published counts the records the broker acknowledged so far; late
	// groups (join_at) sample their lag against it (latejoin.go). May be nil.
	Published func() int64
	// TimeScale is the scenario's time_scale (catch-up in scenario time).
	TimeScale float64
}

// Groups is the consumer side of a point: one consumer group per subscriber.
type Groups struct {
	cfg    GroupsConfig
	groups []*Group
	lag    atomic.Int64
	maxLag atomic.Int64
	stop   chan struct{}
	wg     sync.WaitGroup
	closed atomic.Bool
	iso    *isolation // members in child processes (isolate.go), or nil
}

// Group is one subscriber's consumer group.
type Group struct {
	// ID is the Kafka group id.
	ID string
	// Name is the subscriber's name.
	Name    string
	gs      *Groups
	sub     groupRecorder // *measure.Subscriber, or a child's forwarder (isolate_child.go)
	beh     *behave.Subscriber
	members []*member
	late    *lateJoin // join_at > 0 (latejoin.go)

	assigned  atomic.Int32
	fullAt    atomic.Int64 // time.Now().UnixNano() when all partitions were first assigned
	received  atomic.Int64 // measured records received
	abandoned atomic.Int64 // measured records whose processing was interrupted
	lag       atomic.Int64
}

// StartGroups creates every group, joins all members and returns once every
// group has every partition assigned (or fails after groupReadyTimeout).
func StartGroups(ctx context.Context, cfg GroupsConfig) (*Groups, error) {
	// The groups record into the point's first len(Subscribers) entries;
	// a bridge parallel run adds its legacy webhook entries after them.
	if len(cfg.Subscribers) > len(cfg.Point.Subs) || len(cfg.Behaviours) != len(cfg.Subscribers) {
		return nil, fmt.Errorf("kafka groups: %d subscribers, %d accounting entries, %d behaviours",
			len(cfg.Subscribers), len(cfg.Point.Subs), len(cfg.Behaviours))
	}
	gs := &Groups{cfg: cfg, stop: make(chan struct{})}
	for i, spec := range cfg.Subscribers {
		g := &Group{ID: cfg.GroupPrefix + "." + sanitize(spec.Name), Name: spec.Name, gs: gs, sub: cfg.Point.Subs[i], beh: cfg.Behaviours[i]}
		if spec.JoinAt > 0 {
			g.late = newLateJoin(spec.JoinAt.D(), time.Duration(spec.Processing.MeanValue()), cfg.Settings.Partitions, cfg.TimeScale)
		}
		n := spec.Members
		if n <= 0 {
			n = cfg.Settings.Members
		}
		for j := 0; j < n; j++ {
			g.members = append(g.members, &member{g: g, idx: j, quit: make(chan struct{}), done: make(chan struct{})})
		}
		gs.groups = append(gs.groups, g)
	}
	if err := gs.commitStartOffsets(ctx); err != nil {
		return nil, err
	}
	for _, g := range gs.groups {
		for _, m := range g.members {
			go m.run()
		}
	}
	if err := gs.waitReady(ctx); err != nil {
		gs.Close()
		return nil, err
	}
	gs.wg.Add(1)
	go gs.lagLoop()
	for _, g := range gs.groups {
		if g.late != nil && cfg.Published != nil {
			gs.wg.Add(1)
			go func() {
				defer gs.wg.Done()
				g.late.sampleLag(g, cfg.Published, gs.stop)
			}()
		}
	}
	return gs, nil
}

func (gs *Groups) logf(format string, args ...any) {
	if gs.cfg.Logf != nil {
		gs.cfg.Logf(format, args...)
	}
}

// commitStartOffsets commits each fresh group's starting offsets, so members
// never depend on an offset reset that could race with the first records.
func (gs *Groups) commitStartOffsets(ctx context.Context) error {
	adm := gs.cfg.Admin
	var listed kadm.ListedOffsets
	end := gs.cfg.Settings.StartOffset == StartLatest
	err := retryStep(ctx, fmt.Sprintf("list %s offsets of %s", gs.cfg.Settings.StartOffset, gs.cfg.Topic), func(ctx context.Context) error {
		var err error
		listed, err = ListOffsets(ctx, adm, gs.cfg.Topic, end, gs.cfg.Settings.Partitions)
		return err
	})
	if err != nil {
		return err
	}
	offs := listed.Offsets()
	for _, g := range gs.groups {
		if gs.cfg.External && gs.hasCommits(ctx, g.ID) { // consume.go
			continue
		}
		err := retryStep(ctx, "commit start offsets of group "+g.ID, func(ctx context.Context) error {
			resp, err := adm.CommitOffsets(ctx, g.ID, offs)
			if err != nil {
				return err
			}
			return resp.Error()
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func (gs *Groups) waitReady(ctx context.Context) error {
	parts := gs.cfg.Settings.Partitions
	deadline := time.Now().Add(groupReadyTimeout)
	for {
		ready := true
		var detail string
		for _, g := range gs.groups {
			if g.late != nil {
				continue // joins at join_at
			}
			want := int32(len(g.members))
			if want > parts {
				want = parts
			}
			var busy int32
			for _, m := range g.members {
				if m.nAssigned.Load() > 0 {
					busy++
				}
			}
			if gs.cfg.External && busy > 0 {
				// The other partitions are other processes' (consume.go).
				continue
			}
			if a := g.assigned.Load(); a != parts || busy < want {
				ready = false
				detail = fmt.Sprintf("group %s: %d of %d partitions assigned, %d of %d members with partitions", g.ID, a, parts, busy, want)
				break
			}
		}
		if ready {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("kafka consumer groups not ready after %s: %s", groupReadyTimeout, detail)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("kafka consumer groups: %w", ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (gs *Groups) lagLoop() {
	defer gs.wg.Done()
	ids := make([]string, len(gs.groups))
	byID := map[string]*Group{}
	for i, g := range gs.groups {
		ids[i] = g.ID
		byID[g.ID] = g
	}
	every := time.Second
	if gs.cfg.TrimConsumed {
		// The producers' gate (EmbeddedUnconsumedBudget) reads MaxLag.
		every = 250 * time.Millisecond
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-gs.stop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 900*time.Millisecond)
		lags, err := gs.cfg.Admin.Lag(ctx, ids...)
		if err != nil {
			cancel()
			continue
		}
		var total, most int64
		// committed[p] is the lowest offset every group committed.
		committed := map[int32]int64{}
		complete := true
		for _, l := range lags {
			if l.Error() != nil {
				complete = false
				continue
			}
			v := l.Lag.Total()
			if g := byID[l.Group]; g != nil {
				g.lag.Store(v)
			}
			total += v
			most = max(most, v)
			for _, ml := range l.Lag[gs.cfg.Topic] {
				if ml.Err != nil || ml.Commit.At < 0 {
					complete = false
					continue
				}
				if c, ok := committed[ml.Partition]; !ok || ml.Commit.At < c {
					committed[ml.Partition] = ml.Commit.At
				}
			}
		}
		gs.lag.Store(total)
		gs.maxLag.Store(most)
		if gs.cfg.TrimConsumed && complete && len(lags) == len(ids) {
			offs := kadm.Offsets{}
			for p, at := range committed {
				offs.Add(kadm.Offset{Topic: gs.cfg.Topic, Partition: p, At: at, LeaderEpoch: -1})
			}
			dctx, dcancel := context.WithTimeout(context.Background(), 2*time.Second)
			_, _ = gs.cfg.Admin.DeleteRecords(dctx, offs) // retried at the next sample
			dcancel()
		}
		cancel()
	}
}

// MaxLag is the largest consumer lag of one group, in records, at the last
// sample: what the slowest group has not committed yet.
func (gs *Groups) MaxLag() int64 { return gs.maxLag.Load() }

// Lag is the consumer lag summed over the groups, in records: for each
// partition the log end offset minus the group's committed offset, as
// Kafka's tools report it. It is refreshed once a second; with commit: auto
// it includes up to one auto-commit interval of processed records.
func (gs *Groups) Lag() int64 { return gs.lag.Load() }

// Groups lists the groups in subscriber order.
func (gs *Groups) Groups() []*Group { return gs.groups }

// Group returns the group of the named subscriber, or nil.
func (gs *Groups) Group(subscriber string) *Group {
	for _, g := range gs.groups {
		if g.Name == subscriber {
			return g
		}
	}
	return nil
}

// Leave makes member i of the subscriber's group leave mid-run. With crash
// false it leaves in order (stops, commits what it processed, leaves);
// with crash true it stops at once and commits nothing more, as a process
// that died would (it still tells the coordinator it left, so the
// rebalance starts now instead of after the session timeout).
func (gs *Groups) Leave(subscriber string, i int, crash bool) error {
	g := gs.Group(subscriber)
	if g == nil {
		return fmt.Errorf("kafka groups: no subscriber %q", subscriber)
	}
	if i < 0 || i >= len(g.members) {
		return fmt.Errorf("kafka group %s: no member %d (have %d)", g.ID, i, len(g.members))
	}
	m := g.members[i]
	m.crash.Store(crash)
	m.stopOnce.Do(func() { close(m.quit) })
	<-m.done
	return nil
}

// Close stops every member (in order: processed work is committed), deletes
// the groups (they are per point) and stops the lag sampler.
func (gs *Groups) Close() {
	if gs.closed.Swap(true) {
		return
	}
	close(gs.stop)
	var wg sync.WaitGroup
	for _, g := range gs.groups {
		for _, m := range g.members {
			wg.Add(1)
			go func() {
				defer wg.Done()
				m.stopOnce.Do(func() { close(m.quit) })
				<-m.done
			}()
		}
	}
	wg.Wait()
	gs.iso.stop() // isolate.go: the child processes' members, in order
	gs.wg.Wait()
	ids := make([]string, 0, len(gs.groups))
	for _, g := range gs.groups {
		ids = append(ids, g.ID)
	}
	if len(ids) > 0 && gs.cfg.Admin != nil && !gs.cfg.External {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if _, err := gs.cfg.Admin.DeleteGroups(ctx, ids...); err != nil {
			gs.logf("kafka: delete consumer groups: %v", err)
		}
		cancel()
	}
}

// Received is the number of measured records the group's members received
// from Kafka, counted independently of the accounting: every one is a first
// delivery, a duplicate, or abandoned (its processing was interrupted by a
// revoke or stop and it was received again later), so Received ==
// Delivered + Duplicates + Abandoned once the group has drained.
func (g *Group) Received() int64 { return g.received.Load() }

// Abandoned is the number of measured records whose processing was
// interrupted (revoke, leave, stop) and released for redelivery.
func (g *Group) Abandoned() int64 { return g.abandoned.Load() }

// FullyAssignedAt is when every partition was first assigned to one of the
// group's members: consumption starts then (the zero time before).
func (g *Group) FullyAssignedAt() time.Time {
	if ns := g.fullAt.Load(); ns != 0 {
		return time.Unix(0, ns)
	}
	return time.Time{}
}

// Lag is the group's consumer lag at the last sample.
func (g *Group) Lag() int64 { return g.lag.Load() }

// Members is the number of members the group started with.
func (g *Group) Members() int { return len(g.members) }

// member is one consumer client of a group; it reconnects after down faults.
type member struct {
	g        *Group
	idx      int
	quit     chan struct{} // closed to stop the member for good
	stopOnce sync.Once
	done     chan struct{}
	crash    atomic.Bool

	nAssigned atomic.Int32
}

func (m *member) logf(format string, args ...any) { m.g.gs.logf(format, args...) }

func (m *member) stopped() bool {
	select {
	case <-m.quit:
		return true
	default:
		return false
	}
}

// run keeps a session going until the member is stopped, sitting out down
// faults between sessions.
func (m *member) run() {
	defer close(m.done)
	if !m.waitJoin() {
		return
	}
	beh := m.g.beh
	for !m.stopped() {
		if f, ok := beh.Find(load.Now(), scenarios.FaultDown); ok {
			if !m.sleepUntil(beh.End(f)) {
				return
			}
			continue
		}
		if err := m.session(); err != nil {
			m.logf("kafka group %s member %d: %v", m.g.ID, m.idx, err)
			m.g.sub.Error(measure.ErrBroker)
			if !m.sleepFor(time.Second) {
				return
			}
		}
	}
}

// sleepUntil waits until the load.Now() timestamp end (0: forever); false
// when the member was stopped first.
func (m *member) sleepUntil(end int64) bool {
	for {
		if m.stopped() {
			return false
		}
		d := 100 * time.Millisecond
		if end != 0 {
			left := time.Duration(end - load.Now())
			if left <= 0 {
				return true
			}
			if left < d {
				d = left
			}
		}
		if !m.sleepFor(d) {
			return false
		}
	}
}

func (m *member) sleepFor(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-m.quit:
		return false
	case <-t.C:
		return true
	}
}

// session is one membership's state: the workers of the partitions it
// owns and its commit signal. It is fully built before the group client
// exists, because the client starts joining as soon as it is created and
// its assigned/revoked/lost callbacks (methods of session) may run before
// the code after kgo.NewClient. Each membership gets its own session, so a
// late callback of one membership can never touch the next one's state.
type session struct {
	m         *member
	mu        sync.Mutex
	workers   map[int32]*worker
	commitSig chan struct{}
}

func newSession(m *member) *session {
	return &session{m: m, workers: map[int32]*worker{}, commitSig: make(chan struct{}, 1)}
}

// consumerOpts are the group client's options for one membership; the
// rebalance callbacks belong to ss.
func (m *member) consumerOpts(ss *session) []kgo.Opt {
	opts := append([]kgo.Opt{}, m.g.conn()...)
	return append(opts,
		kgo.ClientID(fmt.Sprintf("evbench-%s-%d", sanitize(m.g.Name), m.idx)),
		kgo.ConsumerGroup(m.g.ID),
		kgo.ConsumeTopics(m.g.gs.cfg.Topic),
		// start_offset never reaches the client: commitStartOffsets
		// commits every group's start before the load, so the client
		// resets only mid-run, when the broker cannot place the cursor (an
		// OFFSET_OUT_OF_RANGE fetch, or an OffsetForLeaderEpoch answer of
		// UNDEFINED_EPOCH_OFFSET after a leader change). Resetting to the
		// end there skips acknowledged records that are still in the log
		// and reports them lost (TestResetAfterLeaderChangeSkipsNothing).
		// The start never resumes past a record still in the log (kgo
		// resumes no earlier than the log start and reports an ErrDataLoss
		// fetch error, which the member counts); what is read twice counts
		// as a duplicate. Late groups (latejoin.go) and retention
		// (retention.go) rely on it too: a committed offset below the log
		// start resumes at the earliest retained record.
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.BlockRebalanceOnPoll(),
		// Java's fetch.max.wait.ms default; kgo's 5 s would leave partitions
		// gained in a rebalance idle behind a fetch parked on quiet ones.
		kgo.FetchMaxWait(FetchMaxWait),
		kgo.AutoCommitMarks(),
		kgo.AutoCommitInterval(autoCommitInterval),
		kgo.OnPartitionsAssigned(ss.assigned),
		kgo.OnPartitionsRevoked(ss.revoked),
		kgo.OnPartitionsLost(ss.lost),
		kgo.WithPools(records), // recordpool.go; worker.run recycles
	)
}

// session is one membership: join, poll and hand off until stopped or a
// down fault begins, then leave.
func (m *member) session() error {
	s := m.g.gs.cfg.Settings
	ss := newSession(m)
	cl, err := kgo.NewClient(m.consumerOpts(ss)...)
	if err != nil {
		return fmt.Errorf("new consumer: %w", err)
	}
	if testHookClientCreated != nil {
		testHookClientCreated(m)
	}
	cdone := make(chan struct{})
	var cwg sync.WaitGroup
	if s.Commit == CommitAfterProcessing && s.CommitMode == CommitAsync {
		cwg.Add(1)
		go ss.committer(cl, cdone, &cwg)
	}
	defer func() {
		// A crash abandons in-flight records without a final commit; an
		// orderly stop commits in the revoke callback that Close triggers.
		if m.crash.Load() {
			ss.stopWorkers(nil)
		}
		cl.CloseAllowingRebalance()
		// Whatever the client did not revoke on close (a lost session)
		// still has workers: stop them so none outlives its membership.
		ss.stopWorkers(nil)
		close(cdone)
		cwg.Wait()
	}()

	beh := m.g.beh
	for {
		if m.stopped() {
			return nil
		}
		now := load.Now()
		if _, ok := beh.Find(now, scenarios.FaultDown); ok {
			return nil
		}
		if f, ok := beh.Find(now, scenarios.FaultPause); ok {
			end := beh.End(f)
			d := 50 * time.Millisecond
			if end != 0 && time.Duration(end-now) < d {
				d = time.Duration(end - now)
			}
			if d > 0 && !m.sleepFor(d) {
				return nil
			}
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), pollTimeout)
		fetches := cl.PollFetches(ctx)
		cancel()
		if fetches.IsClientClosed() {
			cl.AllowRebalance()
			return nil
		}
		fetches.EachError(func(_ string, _ int32, err error) {
			if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) && !errors.Is(err, kgo.ErrClientClosed) {
				m.g.sub.Error(Classify(err))
			}
		})
		fetches.EachPartition(func(p kgo.FetchTopicPartition) {
			if len(p.Records) == 0 {
				return
			}
			ss.mu.Lock()
			w := ss.workers[p.Partition]
			ss.mu.Unlock()
			if w == nil {
				return // not ours any more: not marked, so redelivered to the owner
			}
			select {
			case w.in <- p.Records:
			case <-w.quit:
			case <-m.quit:
			}
		})
		cl.AllowRebalance()
	}
}

func (ss *session) assigned(_ context.Context, cl *kgo.Client, a map[string][]int32) {
	m := ss.m
	ss.mu.Lock()
	defer ss.mu.Unlock()
	for _, ps := range a {
		for _, p := range ps {
			if _, ok := ss.workers[p]; ok {
				continue
			}
			w := newWorker(ss, cl, p)
			ss.workers[p] = w
			m.nAssigned.Add(1)
			if m.g.assigned.Add(1) == m.g.gs.cfg.Settings.Partitions {
				m.g.fullAt.CompareAndSwap(0, time.Now().UnixNano())
				if m.g.late != nil {
					m.g.late.assignedAll(load.Now())
				}
			}
			go w.run()
		}
	}
}

func (ss *session) revoked(ctx context.Context, cl *kgo.Client, r map[string][]int32) {
	ss.stopWorkers(r)
	if !ss.m.crash.Load() {
		if err := cl.CommitMarkedOffsets(ctx); err != nil && !errors.Is(err, kgo.ErrClientClosed) {
			ss.m.g.sub.Error(measure.ErrBroker)
		}
	}
}

func (ss *session) lost(_ context.Context, _ *kgo.Client, l map[string][]int32) {
	ss.stopWorkers(l)
}

// stopWorkers stops the workers of the given partitions (all when ps is
// nil) and waits for them.
func (ss *session) stopWorkers(ps map[string][]int32) {
	m := ss.m
	ss.mu.Lock()
	var ws []*worker
	if ps == nil {
		for p, w := range ss.workers {
			ws = append(ws, w)
			delete(ss.workers, p)
		}
	} else {
		for _, parts := range ps {
			for _, p := range parts {
				if w, ok := ss.workers[p]; ok {
					ws = append(ws, w)
					delete(ss.workers, p)
				}
			}
		}
	}
	ss.mu.Unlock()
	for _, w := range ws {
		close(w.quit)
	}
	for _, w := range ws {
		<-w.done
		m.nAssigned.Add(-1)
		m.g.assigned.Add(-1)
	}
}

// committer commits marked offsets in the background after batches
// (commit: after-processing, commit_mode: async), coalescing requests.
func (ss *session) committer(cl *kgo.Client, done chan struct{}, wg *sync.WaitGroup) {
	defer wg.Done()
	for {
		select {
		case <-done:
			return
		case <-ss.commitSig:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := cl.CommitMarkedOffsets(ctx)
		cancel()
		if err != nil && !errors.Is(err, kgo.ErrClientClosed) && !errors.Is(err, context.Canceled) && !ss.m.crash.Load() {
			ss.m.g.sub.Error(Classify(err))
		}
	}
}

func (ss *session) requestCommit() {
	select {
	case ss.commitSig <- struct{}{}:
	default:
	}
}

// worker processes one partition's records for one member, in order.
type worker struct {
	m     *member
	ss    *session
	cl    *kgo.Client
	part  int32
	in    chan []*kgo.Record
	quit  chan struct{}
	done  chan struct{}
	timer *time.Timer
}

func newWorker(ss *session, cl *kgo.Client, p int32) *worker {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return &worker{m: ss.m, ss: ss, cl: cl, part: p, in: make(chan []*kgo.Record, 4), quit: make(chan struct{}), done: make(chan struct{}), timer: t}
}

func (w *worker) run() {
	defer close(w.done)
	s := w.m.g.gs.cfg.Settings
	for {
		var recs []*kgo.Record
		select {
		case <-w.quit:
			return
		case recs = <-w.in:
		}
		var last *kgo.Record
		finished := true
		for _, r := range recs {
			if !w.process(r) {
				finished = false
				break
			}
			last = r
		}
		if last != nil {
			w.cl.MarkCommitRecords(last)
			if s.Commit == CommitAfterProcessing {
				if s.CommitMode == CommitSync && finished {
					ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
					err := w.cl.CommitRecords(ctx, last)
					cancel()
					if err != nil && !errors.Is(err, kgo.ErrClientClosed) && !w.m.crash.Load() {
						w.m.g.sub.Error(Classify(err))
					}
				} else {
					w.ss.requestCommit()
				}
			}
		}
		if !finished {
			return // the unrecycled records' slice is left to the collector
		}
		// Nothing reads a record after it is processed and marked: the
		// parsed metadata is a copy, and the key and value bytes live in
		// the fetch buffer, not in the pooled slice.
		for _, r := range recs {
			r.Recycle()
		}
	}
}

// wait sleeps d unless the worker is told to quit; false when it was.
func (w *worker) wait(d time.Duration) bool {
	if d <= 0 {
		select {
		case <-w.quit:
			return false
		default:
			return true
		}
	}
	w.timer.Reset(d)
	select {
	case <-w.quit:
		if !w.timer.Stop() {
			<-w.timer.C
		}
		return false
	case <-w.timer.C:
		return true
	}
}

// abandon releases a record whose processing was interrupted, so its
// redelivery is processed normally; it returns false for process.
func (w *worker) abandon(id uint64, measured bool) bool {
	w.m.g.sub.Release(id)
	if measured {
		w.m.g.abandoned.Add(1)
	}
	return false
}

// process handles one record; false means the worker was told to quit and
// the record was abandoned (released, so its redelivery is processed).
func (w *worker) process(r *kgo.Record) bool {
	g := w.m.g
	meta, ok := ParseRecord(r)
	if !ok {
		return true // not an evbench record
	}
	base := g.gs.idBase() // isolate.go
	if meta.ID < base || meta.ID-base >= 1<<40 {
		return true // an event of another run on a reused topic
	}
	measured := meta.Intended >= g.gs.measuredStart()
	if measured {
		g.received.Add(1)
	}
	if !g.sub.Claim(meta.ID) {
		g.sub.Duplicate(meta.ID, meta.Intended)
		return true
	}
	beh := g.beh
	for {
		// The clock is read once per pass, and again only after a wait:
		// with no processing time and no fault the record's processing ends
		// when it starts, and at a million records a second each extra
		// reading costs about 3% of the consumer's CPU (kperf -cpuprofile).
		now := load.Now()
		waited := false
		if f, ok := beh.Find(now, scenarios.FaultHang); ok {
			end := beh.End(f)
			if end == 0 {
				<-w.quit
				return w.abandon(meta.ID, measured)
			}
			if !w.wait(time.Duration(end - now)) {
				return w.abandon(meta.ID, measured)
			}
			waited = true
		}
		d := beh.Processing()
		if f, ok := beh.Find(now, scenarios.FaultSlow); ok {
			d += f.Add.D()
		}
		// behave.Sleep: the same precise simulated processing time as the
		// webhook sinks, so no system looks slower by how it sleeps.
		if !behave.Sleep(d, w.quit) {
			return w.abandon(meta.ID, measured)
		}
		if waited || d > 0 {
			now = load.Now()
		}
		if f, ok := beh.Find(now, scenarios.FaultErrors); ok {
			p := f.Probability
			if p == 0 {
				p = 1
			}
			if beh.Chance(p) {
				if measured { // warm-up work is excluded, as in the webhook runner
					g.sub.Error(measure.ErrOther)
					g.sub.Retry()
				}
				if !w.wait(RetryBackoff) {
					return w.abandon(meta.ID, measured)
				}
				continue
			}
		}
		done := now
		g.sub.Delivered(meta.ID, meta.Key, meta.Intended, done)
		if h := g.gs.cfg.OnDelivered; h != nil {
			h(g.Name, meta, done)
		}
		if g.late != nil {
			g.late.observe(g, w.part, meta.Intended, done, measured)
		}
		return true
	}
}
