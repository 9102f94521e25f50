package kafka

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/runners/load"
	"github.com/evbench/evbench/runners/measure"
	"github.com/evbench/evbench/scenarios"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Broker faults (systems.kafka.faults, scenarios/broker_faults.go) act on
// the cluster's broker processes during a point:
//
//   - against a cluster scripts/kafka.sh started (every broker the cluster
//     reports is a node under its cluster folder), by PID: the node's
//     broker.pid, checked against /proc/PID/cmdline (kafka.Kafka and the
//     node's server.properties) so a recycled PID is never signalled. A
//     killed or stopped node is started again with the command line it
//     ran, in its own session, its output appended to its broker.log, and
//     its new PID written to broker.pid (as scripts/kafka.sh start does);
//   - against any other cluster, with the fault's command (start and end
//     lines run with sh -c and a timeout, output in the point's notes), or
//     refused before the load starts;
//   - on the embedded broker (kfake: one in-process node, no process to
//     signal) emulated with kfake's control hooks (faults_embedded.go),
//     and the window and the notes say so.

// faultStopTimeout is how long a broker-stop waits for the broker to exit
// after SIGTERM before it sends SIGKILL (scripts/kafka.sh's STOP_TIMEOUT).
const faultStopTimeout = 30 * time.Second

// maxCommandOutput bounds the output of a fault command kept in notes.
const maxCommandOutput = 4 << 10

// BrokerFaultError refuses a scenario's broker faults against a cluster
// they cannot be applied to. It is bad input (exit 2).
type BrokerFaultError struct{ Msg string }

// Error is the message.
func (e *BrokerFaultError) Error() string { return e.Msg }

// BadInput marks the error as a problem of the scenario against this
// cluster, not of the run.
func (e *BrokerFaultError) BadInput() bool { return true }

// localNode is one node of a cluster scripts/kafka.sh started.
type localNode struct {
	id      int32
	port    string
	dir     string
	conf    string
	pidFile string
	log     string
}

// ClusterHome is the folder of the cluster scripts/kafka.sh starts:
// EVBENCH_KAFKA_CLUSTER_HOME, else EVBENCH_KAFKA_HOME/cluster, else
// ~/.cache/evbench/kafka-4.1.1/cluster (the script's defaults).
func ClusterHome() string {
	if d := os.Getenv("EVBENCH_KAFKA_CLUSTER_HOME"); d != "" {
		return d
	}
	home := os.Getenv("EVBENCH_KAFKA_HOME")
	if home == "" {
		h, err := os.UserHomeDir()
		if err != nil || h == "" {
			h = "/root"
		}
		home = filepath.Join(h, ".cache", "evbench", "kafka-4.1.1")
	}
	return filepath.Join(home, "cluster")
}

// localNodes reads the nodes of the cluster under dir by node.id.
func localNodes(dir string) (map[int32]localNode, error) {
	b, err := os.ReadFile(filepath.Join(dir, "nodes"))
	if err != nil {
		return nil, err
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || n < 1 || n > 9 {
		return nil, fmt.Errorf("%s: not a node count", filepath.Join(dir, "nodes"))
	}
	out := map[int32]localNode{}
	for i := 1; i <= n; i++ {
		nd := localNode{dir: filepath.Join(dir, "node-"+strconv.Itoa(i))}
		nd.conf = filepath.Join(nd.dir, "server.properties")
		nd.pidFile = filepath.Join(nd.dir, "broker.pid")
		nd.log = filepath.Join(nd.dir, "broker.log")
		props, err := readProperties(nd.conf)
		if err != nil {
			return nil, err
		}
		id, err := strconv.ParseInt(props["node.id"], 10, 32)
		if err != nil {
			return nil, fmt.Errorf("%s: node.id %q: %w", nd.conf, props["node.id"], err)
		}
		nd.id = int32(id)
		for _, l := range strings.Split(props["listeners"], ",") {
			if name, addr, ok := strings.Cut(strings.TrimSpace(l), "://"); ok && name != "CONTROLLER" {
				if _, port, err := net.SplitHostPort(addr); err == nil {
					nd.port = port
				}
			}
		}
		out[nd.id] = nd
	}
	return out, nil
}

func readProperties(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if l == "" || l[0] == '#' {
			continue
		}
		if k, v, ok := strings.Cut(l, "="); ok {
			out[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return out, sc.Err()
}

// BrokerFaults runs one point's broker faults. PrepareBrokerFaults checks
// they can be applied; Start schedules them on the measured clock; Stop
// ends any fault still active (a killed broker is started again, a paused
// one resumed) and must always be called.
type BrokerFaults struct {
	env    *Env
	faults []scenarios.BrokerFault
	local  map[int32]localNode
	mp     *measure.Point
	logf   func(string, ...any)

	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
	mu     sync.Mutex
	err    error
}

// PrepareBrokerFaults decides how the faults are applied to env's cluster
// and refuses (BrokerFaultError) those it cannot apply: a fault without a
// command on a cluster scripts/kafka.sh did not start. nil when there are
// no faults.
func PrepareBrokerFaults(ctx context.Context, env *Env, faults []scenarios.BrokerFault) (*BrokerFaults, error) {
	if len(faults) == 0 {
		return nil, nil
	}
	b := &BrokerFaults{env: env, faults: append([]scenarios.BrokerFault(nil), faults...), logf: env.logf}
	sort.SliceStable(b.faults, func(i, j int) bool { return b.faults[i].At < b.faults[j].At })
	if env.Embedded {
		return b, nil
	}
	needLocal := false
	for _, f := range b.faults {
		needLocal = needLocal || f.Command == nil
	}
	if !needLocal {
		return b, nil
	}
	dir := ClusterHome()
	refuse := func(why string) error {
		return &BrokerFaultError{Msg: fmt.Sprintf("systems.kafka.faults: cannot apply broker faults to the cluster at %s: %s. Give each fault a command: {start: ..., end: ...} (for example kubectl or systemctl lines) for a cluster evbench did not start, or run against the cluster `scripts/kafka.sh up --nodes 3` started (--brokers $(scripts/kafka.sh brokers))",
			strings.Join(env.Brokers, ","), why)}
	}
	nodes, err := localNodes(dir)
	if err != nil {
		return nil, refuse(fmt.Sprintf("no cluster started by scripts/kafka.sh in %s (%v)", dir, err))
	}
	meta, err := freshMetadata(ctx, env)
	if err != nil {
		return nil, fmt.Errorf("kafka: broker faults: reading the cluster's brokers: %w", err)
	}
	for _, br := range meta.Brokers {
		nd, ok := nodes[br.NodeID]
		local := br.Host == "127.0.0.1" || br.Host == "localhost" || br.Host == "::1"
		if !ok || !local || nd.port != strconv.Itoa(int(br.Port)) {
			return nil, refuse(fmt.Sprintf("broker %d at %s:%d is not a node of the cluster scripts/kafka.sh started in %s", br.NodeID, br.Host, br.Port, dir))
		}
	}
	b.local = nodes
	return b, nil
}

// Start schedules the faults from the measured start (load.Now()
// timeline) and records their windows into mp.
func (b *BrokerFaults) Start(mp *measure.Point) {
	if b == nil {
		return
	}
	b.mp = mp
	b.ctx, b.cancel = context.WithCancel(context.Background())
	b.done = make(chan struct{})
	if b.env.Embedded {
		go b.runEmulated(mp.MeasuredStart())
		return
	}
	go b.run(mp.MeasuredStart())
}

// Stop ends the fault in progress at once (restarting or resuming its
// broker), skips those not yet started, and waits. It returns the first
// error applying or undoing a fault: a fault that did not happen as
// scheduled fails the point.
func (b *BrokerFaults) Stop() error {
	if b == nil || b.done == nil {
		return nil
	}
	b.cancel()
	<-b.done
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.err
}

func (b *BrokerFaults) fail(err error) {
	b.mu.Lock()
	if b.err == nil {
		b.err = err
	}
	b.mu.Unlock()
	b.logf("kafka: %v", err)
}

// sleepUntil waits until t (load.Now() timeline); false when stopped.
func (b *BrokerFaults) sleepUntil(t int64) bool {
	d := time.Duration(t - load.Now())
	if d <= 0 {
		return b.ctx.Err() == nil
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return true
	case <-b.ctx.Done():
		return false
	}
}

func (b *BrokerFaults) run(start int64) {
	defer close(b.done)
	for i, f := range b.faults {
		if !b.sleepUntil(start + int64(f.At)) {
			for _, g := range b.faults[i:] {
				b.mp.Note("kafka: broker fault %s of %s at %v did not start: the point ended before it", g.Kind, g.Target, g.At)
			}
			return
		}
		b.one(f, start)
	}
}

// one applies fault f, waits for its end (or Stop) and undoes it.
func (b *BrokerFaults) one(f scenarios.BrokerFault, start int64) {
	name := fmt.Sprintf("%s of %s at %v", f.Kind, f.Target, f.At)
	node, err := b.resolve(f.ParsedTarget())
	if err != nil {
		b.fail(fmt.Errorf("broker fault %s: %w", name, err))
		return
	}
	var undo func() error
	method := "command"
	// The window opens when the fault is sent: a broker-stop's controlled
	// shutdown (seconds) is part of it.
	at := load.Now()
	if f.Command != nil {
		err = b.command(f, node, "start", f.Command.Start)
		undo = func() error { return b.command(f, node, "end", f.Command.End) }
	} else {
		method, undo, err = b.signal(f.Kind, node)
	}
	if err != nil {
		b.fail(fmt.Errorf("broker fault %s on node %d: %w", name, node, err))
		return
	}
	b.logf("kafka: broker fault %s: node %d (%s) at %.1fs", name, node, method, b.mp.SinceStart(at))
	if f.For > 0 {
		b.sleepUntil(start + int64(f.At+f.For))
	} else {
		<-b.ctx.Done()
	}
	err = undo()
	end := load.Now()
	b.mp.AddFaultWindow(results.FaultWindow{Kind: f.Kind, Target: f.Target, Node: node, StartS: b.mp.SinceStart(at), EndS: b.mp.SinceStart(end), Applied: true, Method: method})
	if err != nil {
		b.fail(fmt.Errorf("broker fault %s: ending it on node %d: %w", name, node, err))
		return
	}
	b.logf("kafka: broker fault %s ended: node %d at %.1fs", name, node, b.mp.SinceStart(end))
	if f.Kind != scenarios.FaultBrokerPause {
		b.waitRejoin(node, end)
	}
}

// resolve maps the target to a broker node.id now.
func (b *BrokerFaults) resolve(t scenarios.BrokerTarget) (int32, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	switch t.Kind {
	case scenarios.TargetNode:
		if b.local != nil {
			if _, ok := b.local[t.Node]; !ok {
				return 0, fmt.Errorf("node %d is not a node of the cluster in %s", t.Node, ClusterHome())
			}
		}
		return t.Node, nil
	case scenarios.TargetLeader:
		m, err := freshMetadata(ctx, b.env, b.env.Topic)
		if err != nil {
			return 0, fmt.Errorf("reading the leader of partition %d: %w", t.Partition, err)
		}
		for _, tp := range m.Topics {
			for _, p := range tp.Partitions {
				if p.Partition == t.Partition && p.ErrorCode == 0 && p.Leader >= 0 {
					return p.Leader, nil
				}
			}
		}
		return 0, fmt.Errorf("partition %d of %s has no leader", t.Partition, b.env.Topic)
	default:
		return ActiveController(ctx, b.env)
	}
}

// ActiveController is the node.id of the active KRaft controller: the
// leader of the metadata quorum (DescribeQuorum on __cluster_metadata).
// Metadata's controller id is no use here: KRaft brokers answer it with a
// random live broker.
func ActiveController(ctx context.Context, env *Env) (int32, error) {
	req := kmsg.NewPtrDescribeQuorumRequest()
	t := kmsg.NewDescribeQuorumRequestTopic()
	t.Topic = "__cluster_metadata"
	p := kmsg.NewDescribeQuorumRequestTopicPartition()
	t.Partitions = append(t.Partitions, p)
	req.Topics = append(req.Topics, t)
	resp, err := req.RequestWith(ctx, env.adminCl)
	if err != nil {
		return 0, fmt.Errorf("describing the metadata quorum: %w", err)
	}
	if len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 1 {
		return 0, errors.New("describing the metadata quorum: no partition in the answer")
	}
	qp := resp.Topics[0].Partitions[0]
	if qp.ErrorCode != 0 || qp.LeaderID < 0 {
		return 0, fmt.Errorf("describing the metadata quorum: error code %d, leader %d", qp.ErrorCode, qp.LeaderID)
	}
	return qp.LeaderID, nil
}

// command runs one of a fault's command lines with sh -c, its timeout and
// the fault in the environment; its output goes into the point's notes.
func (b *BrokerFaults) command(f scenarios.BrokerFault, node int32, phase, line string) error {
	ctx, cancel := context.WithTimeout(context.Background(), f.Command.Timeout.D())
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-c", line)
	cmd.Env = append(os.Environ(), "EVBENCH_FAULT_KIND="+f.Kind, "EVBENCH_FAULT_TARGET="+f.Target,
		"EVBENCH_FAULT_NODE="+strconv.Itoa(int(node)), "EVBENCH_FAULT_PHASE="+phase)
	cmd.WaitDelay = time.Second
	t0 := time.Now()
	out, err := cmd.CombinedOutput()
	text := strings.TrimSpace(string(out))
	if len(text) > maxCommandOutput {
		text = text[:maxCommandOutput] + " ... (cut)"
	}
	status := "exit 0"
	if err != nil {
		status = err.Error()
		if ctx.Err() != nil {
			status = fmt.Sprintf("timed out after %v", f.Command.Timeout)
		}
	}
	b.mp.Note("kafka: broker fault %s of %s (node %d) %s command %q: %s in %.1fs; output: %s", f.Kind, f.Target, node, phase, line, status, time.Since(t0).Seconds(), text)
	if err != nil {
		return fmt.Errorf("%s command %q: %s: %s", phase, line, status, text)
	}
	return nil
}

// signal applies kind to the local node by PID and returns the undo.
func (b *BrokerFaults) signal(kind string, node int32) (string, func() error, error) {
	nd, ok := b.local[node]
	if !ok {
		return "", nil, fmt.Errorf("node %d is not a node of the cluster in %s", node, ClusterHome())
	}
	pid, argv, cwd, err := nd.process()
	if err != nil {
		return "", nil, err
	}
	method := fmt.Sprintf("signal pid %d", pid)
	switch kind {
	case scenarios.FaultBrokerPause:
		if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
			return "", nil, fmt.Errorf("SIGSTOP pid %d: %w", pid, err)
		}
		waitState(pid, func(st byte) bool { return st == 'T' })
		return method, func() error {
			if err := syscall.Kill(pid, syscall.SIGCONT); err != nil {
				return fmt.Errorf("SIGCONT pid %d: %w", pid, err)
			}
			return nil
		}, nil
	case scenarios.FaultBrokerKill, scenarios.FaultBrokerStop:
		sig, wait := syscall.SIGKILL, 5*time.Second
		if kind == scenarios.FaultBrokerStop {
			sig, wait = syscall.SIGTERM, faultStopTimeout
		}
		if err := syscall.Kill(pid, sig); err != nil {
			return "", nil, fmt.Errorf("%v pid %d: %w", sig, pid, err)
		}
		if !waitGone(pid, wait) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			if !waitGone(pid, 5*time.Second) {
				return "", nil, fmt.Errorf("pid %d did not exit after %v and SIGKILL", pid, sig)
			}
			b.mp.Note("kafka: node %d (pid %d) did not stop within %v of SIGTERM: sent SIGKILL", node, pid, wait)
		}
		_ = os.Remove(nd.pidFile)
		return method, func() error { return nd.launch(argv, cwd) }, nil
	}
	return "", nil, fmt.Errorf("unknown broker fault kind %q", kind)
}

// process reads the node's PID file and checks the process is this node's
// broker; it returns its command line and working directory for a restart.
func (nd localNode) process() (pid int, argv []string, cwd string, err error) {
	b, err := os.ReadFile(nd.pidFile)
	if err != nil {
		return 0, nil, "", fmt.Errorf("node %d is not running (no %s: start it with scripts/kafka.sh start %s)", nd.id, nd.pidFile, filepath.Base(nd.dir)[len("node-"):])
	}
	pid, err = strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 1 {
		return 0, nil, "", fmt.Errorf("%s: not a PID", nd.pidFile)
	}
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return 0, nil, "", fmt.Errorf("node %d (pid %d from %s) is not running", nd.id, pid, nd.pidFile)
	}
	argv = strings.Split(strings.TrimRight(string(raw), "\x00"), "\x00")
	joined := strings.Join(argv, " ")
	if !strings.Contains(joined, "kafka.Kafka") || !strings.Contains(joined, nd.conf) {
		return 0, nil, "", fmt.Errorf("pid %d from %s is not node %d's broker (its command line does not name kafka.Kafka and %s)", pid, nd.pidFile, nd.id, nd.conf)
	}
	if st := procState(pid); st == 'Z' {
		return 0, nil, "", fmt.Errorf("node %d (pid %d) has exited", nd.id, pid)
	}
	cwd, _ = os.Readlink(fmt.Sprintf("/proc/%d/cwd", pid))
	return pid, argv, cwd, nil
}

// launch starts the node again with its former command line, in its own
// session (it outlives evbench, as scripts/kafka.sh's nodes do), appending
// to its log, and records the new PID.
func (nd localNode) launch(argv []string, cwd string) error {
	log, err := os.OpenFile(nd.log, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("node %d: %w", nd.id, err)
	}
	defer log.Close()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = cwd
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting node %d again: %w", nd.id, err)
	}
	if err := os.WriteFile(nd.pidFile, []byte(strconv.Itoa(cmd.Process.Pid)+"\n"), 0o644); err != nil {
		return fmt.Errorf("node %d: %w", nd.id, err)
	}
	go func() { _ = cmd.Wait() }() // reaped if it exits while evbench runs
	return nil
}

// procState is the one-letter state of pid from /proc (0 when gone).
func procState(pid int) byte {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 || i+2 >= len(b) {
		return 0
	}
	return b[i+2]
}

func waitState(pid int, ok func(byte) bool) {
	for i := 0; i < 100 && !ok(procState(pid)); i++ {
		time.Sleep(20 * time.Millisecond)
	}
}

// waitGone waits until pid has exited (gone or a zombie).
func waitGone(pid int, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if st := procState(pid); st == 0 || st == 'Z' {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

// StartClusterMonitor reads the topic's replication state once a second
// into mp (under-replicated partitions, smallest ISR) until the returned
// stop is called. Real clusters only.
func StartClusterMonitor(env *Env, mp *measure.Point) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			rctx, rcancel := context.WithTimeout(ctx, 900*time.Millisecond)
			m, err := freshMetadata(rctx, env, env.Topic)
			rcancel()
			if err == nil && len(m.Topics) == 1 && m.Topics[0].ErrorCode == 0 && len(m.Topics[0].Partitions) > 0 {
				var urp int64
				isrMin := int64(-1)
				for _, p := range m.Topics[0].Partitions {
					if len(p.ISR) < len(p.Replicas) {
						urp++
					}
					if isrMin < 0 || int64(len(p.ISR)) < isrMin {
						isrMin = int64(len(p.ISR))
					}
				}
				mp.ClusterState(load.Now(), urp, isrMin)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return func() { cancel(); <-done }
}

// Applied reports whether any fault was applied to a broker.
func (b *BrokerFaults) Applied() bool {
	return b != nil && b.mp != nil && len(b.faults) > 0
}

// FaultsOf is the scenario's broker faults (none without systems.kafka).
func FaultsOf(sc *scenarios.Scenario) []scenarios.BrokerFault {
	if ConfigOf(sc) == nil {
		return nil
	}
	return ConfigOf(sc).Faults
}

// WatchCluster starts the replication monitor when the point runs on a
// real cluster with broker faults or replicas to watch; the returned stop
// is never nil.
func WatchCluster(env *Env, mp *measure.Point, faults []scenarios.BrokerFault) (stop func()) {
	if env.Embedded || (len(faults) == 0 && env.Settings.ReplicationFactor <= 1) {
		return func() {}
	}
	return StartClusterMonitor(env, mp)
}

// ExcuseUnacked keeps records never acknowledged during a point with an
// applied broker fault from failing the point: losing them is what the
// fault measures (they are counted as publish errors and as lost_by
// broker_fault), and the notes say so.
func ExcuseUnacked(unacked error, b *BrokerFaults, mp *measure.Point) error {
	if unacked == nil || !b.Applied() {
		return unacked
	}
	mp.Note("%v: the point had a broker fault, so they are its measured loss (lost_by.broker_fault), not a run error", unacked)
	return nil
}

// FaultStatus fails the point when a broker fault could not be applied or
// undone as scheduled.
func FaultStatus(res *results.Point, err, faultErr error) (*results.Point, error) {
	if faultErr == nil || res == nil {
		return res, err
	}
	res.Status = results.StatusFailed
	if res.Error == "" {
		res.Error = faultErr.Error()
	}
	if err == nil {
		err = fmt.Errorf("kafka: %w", faultErr)
	}
	return res, err
}

// MarkUnacked tells obs (when it records them: *measure.Point does) that
// record r was never acknowledged by Kafka, so a loss on a point with a
// broker fault is attributed to the fault exactly.
func MarkUnacked(obs any, r *kgo.Record) {
	f, ok := obs.(failedObserver)
	if !ok {
		return
	}
	if m, ok := ParseRecord(r); ok {
		f.PublishFailed(m.ID)
	}
}

// freshMetadata asks the cluster directly for its brokers and the topic's
// partitions. kadm's metadata calls answer from the client's cache (the
// broker list can stay stale for minutes), which is no use for watching a
// broker leave and come back.
func freshMetadata(ctx context.Context, env *Env, topics ...string) (*kmsg.MetadataResponse, error) {
	req := kmsg.NewPtrMetadataRequest()
	for _, t := range topics {
		rt := kmsg.NewMetadataRequestTopic()
		rt.Topic = kmsg.StringPtr(t)
		req.Topics = append(req.Topics, rt)
	}
	if len(topics) == 0 {
		req.Topics = []kmsg.MetadataRequestTopic{}
	}
	return req.RequestWith(ctx, env.adminCl)
}

// rejoinTimeout bounds the wait for a restarted broker to be back in the
// cluster's metadata (a JVM start on a loaded machine takes 10-30 s).
const rejoinTimeout = 3 * time.Minute

// waitRejoin waits until node is listed in the cluster's metadata again
// (registered and unfenced), so the next point starts with the whole
// cluster, and notes how long it took.
func (b *BrokerFaults) waitRejoin(node int32, restarted int64) {
	deadline := time.Now().Add(rejoinTimeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		m, err := freshMetadata(ctx, b.env)
		cancel()
		if err == nil {
			for _, br := range m.Brokers {
				if br.NodeID == node {
					b.mp.Note("kafka: node %d back in the cluster's metadata %.1fs after it was started again", node, float64(load.Now()-restarted)/1e9)
					return
				}
			}
		}
		if time.Now().After(deadline) {
			b.mp.Note("kafka: node %d was started again but is not back in the cluster's metadata after %v (last error: %v)", node, rejoinTimeout, err)
			return
		}
		time.Sleep(250 * time.Millisecond)
	}
}
