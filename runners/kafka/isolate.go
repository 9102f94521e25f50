package kafka

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/runners/internal/childproc"
	"github.com/evbench/evbench/runners/load"
	"github.com/evbench/evbench/runners/measure"
	"github.com/evbench/evbench/scenarios"
)

// Consumer groups in child processes (issue 15 item 4). Go has no
// goroutine priorities: with 100 groups in the generator's process, every
// record wakes about 200 member and worker goroutines at once, and the
// generator's goroutine waited up to 258 ms for a CPU behind them (a
// runtime trace at 200 events/s). So a point with many groups runs their
// members in child processes of the same executable (isolate_child.go),
// at a lower OS priority (nice IsolateNice), and the generator's process
// keeps only the schedule, the producers and the accounting.
//
// What is measured does not change: the members are the same code with the
// same client options (consumerOpts), each child records the processing
// end time (load.Now(), wall clock based, the same clock in every process
// of the machine) and forwards every first delivery, duplicate, error and
// retry to the parent, which records them in the point's own subscribers:
// counts add up and losses and duplicates come from the same id sets as in
// one process. A group lives wholly in one child, so the child decides
// duplicates (Claim) for its members exactly as one process would. The
// parent commits the groups' start offsets, samples their lag (Groups.Lag,
// MaxLag, the embedded broker's trimming and produce gate) and deletes the
// groups at the end, as for groups in its own process.
//
// With the embedded broker (kfake) the members connect to its listeners
// like any client, but the broker itself, fetch sessions and all, still
// runs in the generator's process: its share of the consumers' work is not
// isolated, and results notes say so.

// IsolateEnv chooses where consumer groups run: "auto" (or unset) runs
// them in child processes when a point has at least IsolateFrom groups,
// "off" keeps them in the generator's process, "on" always isolates, and a
// number N isolates from N groups.
const IsolateEnv = "EVBENCH_KAFKA_GROUP_PROCESSES"

// IsolateFrom is the number of groups from which "auto" isolates them.
const IsolateFrom = 8

// IsolateNice is the niceness of the group processes: the OS prefers the
// generator's process (nice 0) when both want a CPU.
const IsolateNice = 10

// groupsPerProcess bounds the groups of one child process.
const groupsPerProcess = 50

// groupsChildEnv makes a binary linking this package run as a group
// process (isolate_child.go).
const groupsChildEnv = "EVBENCH_KAFKA_GROUPS_CHILD"

// groupRecorder is what a group's members record into: the point's
// *measure.Subscriber in the generator's process, a forwarder in a child.
type groupRecorder interface {
	Claim(id uint64) bool
	Release(id uint64)
	Duplicate(id uint64, intended int64)
	Delivered(id uint64, key int, intended, done int64)
	Error(c measure.ErrClass)
	Retry()
}

// isolation is Groups' link to child processes: on the parent's side the
// processes, in a child the id base and measured start it got from the
// parent.
type isolation struct {
	procs []*groupProc
	logf  func(string, ...any)
	note  func(string)

	inChild bool
	base    uint64
	start   atomic.Int64

	stopOnce sync.Once
}

func (gs *Groups) idBase() uint64 {
	if gs.iso != nil && gs.iso.inChild {
		return gs.iso.base
	}
	return gs.cfg.Point.Gen.IDBase()
}

func (gs *Groups) measuredStart() int64 {
	if gs.iso != nil && gs.iso.inChild {
		return gs.iso.start.Load()
	}
	return gs.cfg.Point.MeasuredStart()
}

// Isolated is the number of child processes the groups' members run in
// (0: in this process).
func (gs *Groups) Isolated() int {
	if gs.iso == nil || gs.iso.inChild {
		return 0
	}
	return len(gs.iso.procs)
}

// SetStart hands the measured start to the groups' child processes (their
// members' fault timelines and warm-up); in-process groups get it from
// their behaviours' SetStart.
func (gs *Groups) SetStart(measuredStart int64) {
	if gs.Isolated() == 0 {
		return
	}
	for _, p := range gs.iso.procs {
		p.send(binary.BigEndian.AppendUint64([]byte{'S'}, uint64(measuredStart)))
	}
}

// isolateThreshold reads IsolateEnv: the number of groups from which they
// are isolated (0: never).
func isolateThreshold() (int, error) {
	v := strings.TrimSpace(os.Getenv(IsolateEnv))
	switch v {
	case "", "auto":
		return IsolateFrom, nil
	case "off":
		return 0, nil
	case "on":
		return 1, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("%s=%q: want auto, on, off or a number of groups >= 1", IsolateEnv, v)
	}
	return n, nil
}

// isolateBlocker says why these groups cannot run in child processes ("":
// they can): what needs the members in this process.
func isolateBlocker(cfg GroupsConfig, hooked bool) string {
	switch {
	case hooked:
		return "a caller drives the members (Runner.OnGroups)"
	case cfg.External:
		return "the members already run in evbench consume processes"
	case len(cfg.GroupConn) > 0:
		return "a consumer network link (consumer_network) is emulated in this process"
	case cfg.OnDelivered != nil:
		return "deliveries feed the next hop of a flow"
	}
	for _, s := range cfg.Subscribers {
		if s.JoinAt > 0 {
			return "subscriber " + s.Name + " joins late (join_at), which samples this process's producers"
		}
	}
	return ""
}

// startGroups is StartGroups for the kafka runner: many groups run in child
// processes (isolate.go), others in this process. brokers are the
// addresses every client connects to (Env.Brokers); seed is the scenario's
// (the members' behaviours).
func (r *Runner) startGroups(ctx context.Context, brokers []string, seed uint64, cfg GroupsConfig) (*Groups, error) {
	from, err := isolateThreshold()
	if err != nil {
		return nil, err
	}
	n := len(cfg.Subscribers)
	if from == 0 || n < from {
		return StartGroups(ctx, cfg)
	}
	if why := isolateBlocker(cfg, r.OnGroups != nil); why != "" {
		cfg.Point.Note("kafka: the %d consumer groups run in the generator's process, not in child processes: %s; their goroutines compete with the generator's for CPU (generator lag)", n, why)
		return StartGroups(ctx, cfg)
	}
	return startIsolated(ctx, brokers, seed, cfg)
}

// groupsChildConfig is what a group process needs (gob, its first frame).
type groupsChildConfig struct {
	Settings    Settings // Brokers: the addresses to connect to
	Topic       string
	GroupPrefix string
	Subscribers []scenarios.Subscriber
	Seed        uint64
	IDBase      uint64
	Nice        int
	// ClockShift is the parent's load.ClockShift (--clock-shift drill):
	// processing end times stay on the parent's timeline.
	ClockShift time.Duration
}

// startIsolated commits the groups' start offsets, starts their members in
// child processes, waits until every group has every partition, and
// samples the lag from this process.
func startIsolated(ctx context.Context, brokers []string, seed uint64, cfg GroupsConfig) (*Groups, error) {
	if len(cfg.Subscribers) > len(cfg.Point.Subs) || len(cfg.Behaviours) != len(cfg.Subscribers) {
		return nil, fmt.Errorf("kafka groups: %d subscribers, %d accounting entries, %d behaviours",
			len(cfg.Subscribers), len(cfg.Point.Subs), len(cfg.Behaviours))
	}
	gs := &Groups{cfg: cfg, stop: make(chan struct{})}
	for i, spec := range cfg.Subscribers {
		gs.groups = append(gs.groups, &Group{ID: cfg.GroupPrefix + "." + sanitize(spec.Name), Name: spec.Name, gs: gs, sub: cfg.Point.Subs[i], beh: cfg.Behaviours[i]})
	}
	if err := gs.commitStartOffsets(ctx); err != nil {
		return nil, err
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("kafka group processes: %w", err)
	}
	iso := &isolation{logf: gs.logf, note: func(s string) { cfg.Point.Note("%s", s) }}
	gs.iso = iso
	set := cfg.Settings
	set.Brokers, set.Embedded = brokers, false
	n := len(gs.groups)
	k := (n + groupsPerProcess - 1) / groupsPerProcess
	for c := 0; c < k; c++ {
		lo, hi := c*n/k, (c+1)*n/k
		p, err := startGroupProc(exe, c, gs.groups[lo:hi], groupsChildConfig{
			Settings: set, Topic: cfg.Topic, GroupPrefix: cfg.GroupPrefix, Subscribers: cfg.Subscribers[lo:hi],
			Seed: seed, IDBase: cfg.Point.Gen.IDBase(), Nice: IsolateNice, ClockShift: load.ClockShift(),
		})
		if err != nil {
			gs.Close() // stops the children, deletes the groups
			return nil, err
		}
		iso.procs = append(iso.procs, p)
	}
	deadline := time.NewTimer(groupReadyTimeout + 10*time.Second)
	defer deadline.Stop()
	for _, p := range iso.procs {
		select {
		case <-p.ready:
		case <-p.done:
			gs.Close() // stops the children, deletes the groups
			return nil, p.err
		case <-ctx.Done():
			gs.Close() // stops the children, deletes the groups
			return nil, fmt.Errorf("kafka consumer groups: %w", ctx.Err())
		case <-deadline.C:
			gs.Close() // stops the children, deletes the groups
			return nil, fmt.Errorf("kafka group process %d: not ready after %s", p.idx, groupReadyTimeout)
		}
	}
	gs.wg.Add(1)
	go gs.lagLoop()
	how := "the broker's own work for the groups is outside evbench (on a broker local to this machine it still competes for the CPUs)"
	if cfg.TrimConsumed {
		how = "the embedded broker (kfake) still runs in the generator's process, so its share of the consumers' work (fetches, commits, group coordination) is not isolated"
	}
	cfg.Point.Note("kafka: the %d consumer groups ran in %d child process(es) at nice %d, isolated from the generator (issue 15 item 4; %s=off keeps them in-process); each child forwarded every delivery, duplicate and error to this point's accounting, processing end times read on the same wall clock; %s",
		n, k, IsolateNice, IsolateEnv, how)
	return gs, nil
}

// groupProc is one child process running the members of some groups.
type groupProc struct {
	idx    int
	cmd    *exec.Cmd
	groups []*Group
	inMu   sync.Mutex
	stdin  io.WriteCloser
	stderr lockedBuffer
	ready  chan struct{} // closed at 'R'
	done   chan struct{} // closed when the reader ended; err set before
	err    error
	ended  bool // 'Z' read
	// CPU time the child used from the measured start to its end.
	cpuUser, cpuSys time.Duration
}

func startGroupProc(exe string, idx int, groups []*Group, cc groupsChildConfig) (*groupProc, error) {
	p := &groupProc{idx: idx, groups: groups, ready: make(chan struct{}), done: make(chan struct{})}
	cp, err := childproc.Start(exe, groupsChildEnv, cc, &p.stderr)
	if err != nil {
		return nil, fmt.Errorf("kafka group process: %w", err)
	}
	p.cmd, p.stdin = cp.Cmd, cp.Stdin
	go p.read(cp.Stdout)
	return p, nil
}

// send writes a frame to the child (errors show when it ends).
func (p *groupProc) send(b []byte) {
	p.inMu.Lock()
	if p.stdin != nil {
		_, _ = p.stdin.Write(b)
	}
	p.inMu.Unlock()
}

// read replays the child's frames on the groups' accounting until it ends.
func (p *groupProc) read(out io.Reader) {
	defer close(p.done)
	r := bufio.NewReaderSize(out, 1<<16)
	err := p.replay(r)
	_, _ = io.Copy(io.Discard, r)
	werr := p.cmd.Wait()
	switch {
	case p.ended && werr == nil:
	case err != nil:
		p.err = fmt.Errorf("kafka group process %d: %w (stderr: %s)", p.idx, err, p.stderr.tail())
	default:
		p.err = fmt.Errorf("kafka group process %d ended before its members stopped: %v (stderr: %s)", p.idx, werr, p.stderr.tail())
	}
}

func (p *groupProc) replay(r *bufio.Reader) error {
	var b [34]byte
	field := func(n int) ([]byte, error) {
		_, err := io.ReadFull(r, b[:n])
		return b[:n], err
	}
	group := func(f []byte) (*Group, error) {
		i := int(binary.BigEndian.Uint16(f))
		if i >= len(p.groups) {
			return nil, fmt.Errorf("frame for group %d of %d", i, len(p.groups))
		}
		return p.groups[i], nil
	}
	u64 := func(f []byte) uint64 { return binary.BigEndian.Uint64(f) }
	for {
		typ, err := r.ReadByte()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		switch typ {
		case 'v': // g, id, key i32, intended, done
			f, err := field(30)
			if err != nil {
				return err
			}
			g, err := group(f)
			if err != nil {
				return err
			}
			g.sub.Delivered(u64(f[2:]), int(int32(binary.BigEndian.Uint32(f[10:]))), int64(u64(f[14:])), int64(u64(f[22:])))
		case 'd': // g, id, intended
			f, err := field(18)
			if err != nil {
				return err
			}
			g, err := group(f)
			if err != nil {
				return err
			}
			g.sub.Duplicate(u64(f[2:]), int64(u64(f[10:])))
		case 'e': // g, class
			f, err := field(3)
			if err != nil {
				return err
			}
			g, err := group(f)
			if err != nil {
				return err
			}
			g.sub.Error(measure.ErrClass(f[2]))
		case 'r': // g
			f, err := field(2)
			if err != nil {
				return err
			}
			g, err := group(f)
			if err != nil {
				return err
			}
			g.sub.Retry()
		case 'R', 'Z': // per group: 'R' fully assigned at (unix ns); 'Z' received, abandoned
			for _, g := range p.groups {
				if typ == 'R' {
					f, err := field(8)
					if err != nil {
						return err
					}
					g.fullAt.Store(int64(u64(f)))
					continue
				}
				f, err := field(16)
				if err != nil {
					return err
				}
				g.received.Store(int64(u64(f)))
				g.abandoned.Store(int64(u64(f[8:])))
			}
			if typ == 'R' {
				close(p.ready)
				continue
			}
			f, err := field(16) // 'Z': CPU user, system (ns)
			if err != nil {
				return err
			}
			p.cpuUser, p.cpuSys = time.Duration(u64(f)), time.Duration(u64(f[8:]))
			p.ended = true
		case 'F': // setup failed: u32 length, message
			f, err := field(4)
			if err != nil {
				return err
			}
			msg := make([]byte, min(binary.BigEndian.Uint32(f), 1<<16))
			if _, err := io.ReadFull(r, msg); err != nil {
				return err
			}
			return errors.New(string(msg))
		default:
			return fmt.Errorf("unknown frame %q", typ)
		}
	}
}

// stop has every child stop its members in order (they commit what they
// processed), waits for their last frames and reports a child that failed
// in the point's notes and with a broker error on its groups.
func (iso *isolation) stop() {
	if iso == nil || iso.inChild {
		return
	}
	iso.stopOnce.Do(func() {
		for _, p := range iso.procs {
			p.send([]byte{'Q'})
			p.inMu.Lock()
			_ = p.stdin.Close()
			p.stdin = nil
			p.inMu.Unlock()
		}
		for _, p := range iso.procs {
			select {
			case <-p.done:
			case <-time.After(time.Minute):
				_ = p.cmd.Process.Kill()
				<-p.done
			}
			if p.err != nil {
				iso.logf("%v", p.err)
				if iso.note != nil {
					iso.note("kafka: " + p.err.Error())
				}
				for _, g := range p.groups {
					g.sub.Error(measure.ErrBroker)
				}
			}
		}
	})
}

// attachProcesses adds the group processes' CPU time (from the measured
// start, as the point's own) to the point's resources: the consumers' work
// is the system's, wherever it ran.
func (gs *Groups) attachProcesses(res *results.Point) {
	if gs.Isolated() == 0 {
		return
	}
	var user, sys time.Duration
	for _, p := range gs.iso.procs {
		user += p.cpuUser
		sys += p.cpuSys
	}
	res.Resources.CPUUserS += user.Seconds()
	res.Resources.CPUSysS += sys.Seconds()
	res.Notes = append(res.Notes, fmt.Sprintf("kafka: resources include the consumer group processes' CPU time from the measured start (%.2f s user, %.2f s system; it includes forwarding every delivery to this process, harness work a one-process run does not do); max RSS is this process's", user.Seconds(), sys.Seconds()))
}

// lockedBuffer keeps the last 64 KiB of a child's stderr.
type lockedBuffer struct {
	mu sync.Mutex
	b  []byte
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	l.b = append(l.b, p...)
	if len(l.b) > 64<<10 {
		l.b = append(l.b[:0], l.b[len(l.b)-64<<10:]...)
	}
	l.mu.Unlock()
	return len(p), nil
}

func (l *lockedBuffer) tail() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := strings.TrimSpace(string(l.b))
	if len(s) > 2000 {
		s = "..." + s[len(s)-2000:]
	}
	return s
}
