package bridge

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/runners"
	"github.com/evbench/evbench/runners/internal/childproc"
	"github.com/evbench/evbench/runners/internal/crashsched"
	"github.com/evbench/evbench/runners/kafka"
	"github.com/evbench/evbench/runners/load"
	"github.com/evbench/evbench/runners/measure"
	"github.com/evbench/evbench/scenarios"
)

// bridgeProc is the bridge run as a child process (child.go) so that
// systems.bridge.faults can kill it with SIGKILL and start it again on the
// same address. From its 'H' and 'O' frames the parent knows at every
// moment which records the bridge holds (handed to its producer, Kafka's
// outcome unknown). At a kill with ack: before-produce those were already
// answered 202, so the upstream sender will not send them again: they are
// recorded lost to the crash (measure.Subscriber.CrashLost), unless Kafka
// stored one anyway and a group consumes it. With after-produce they were
// not answered 200, and the retrying sender sends them again.
type bridgeProc struct {
	cfg    childConfig
	exe    string
	ack    string
	subs   []*measure.Subscriber
	obs    kafka.Observer
	faults []scenarios.InfraFault
	logf   func(string, ...any)

	mu     sync.Mutex
	held   map[uint64]int64 // id -> intended
	cur    *bridgeChild
	closed bool
	err    error
	info   results.ChildProcess
	// crashTook are, per crash, the records recorded lost to it
	// (results.Crash.Completed and Lost are counted from them).
	crashTook [][]uint64
	startNs   int64
	unacked   int64

	quit       chan struct{}
	faultsDone chan struct{}
	started    bool
}

type bridgeChild struct {
	cmd        *exec.Cmd
	stdin      io.WriteCloser
	ready      chan struct{}
	readerDone chan struct{}
	stderr     childproc.Stderr
	finished   bool
	unacked    int64
}

// startBridgeProc starts the first bridge on a free 127.0.0.1 port.
func startBridgeProc(cfg childConfig, faults []scenarios.InfraFault, subs []*measure.Subscriber, obs kafka.Observer, logf func(string, ...any)) (*bridgeProc, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("bridge process: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("bridge process: pick a port: %w", err)
	}
	cfg.Addr = ln.Addr().String()
	_ = ln.Close()
	p := &bridgeProc{cfg: cfg, exe: exe, ack: cfg.Ack, subs: subs, obs: obs, faults: faults, logf: logf,
		held: map[uint64]int64{}, quit: make(chan struct{}), faultsDone: make(chan struct{})}
	c, err := p.start()
	if err != nil {
		return nil, err
	}
	p.cur = c
	return p, nil
}

// Addr is the ingress's host:port; URL its webhook endpoint.
func (p *bridgeProc) Addr() string { return p.cfg.Addr }

// URL is the ingress's webhook endpoint.
func (p *bridgeProc) URL() string { return "http://" + p.cfg.Addr + "/webhooks" }

// InFlight is the number of records the bridge holds.
func (p *bridgeProc) InFlight() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return int64(len(p.held))
}

// start runs a new incarnation and waits until it listens.
func (p *bridgeProc) start() (*bridgeChild, error) {
	c := &bridgeChild{ready: make(chan struct{}), readerDone: make(chan struct{})}
	cp, err := childproc.Start(p.exe, ChildEnv, p.cfg, &c.stderr)
	if err != nil {
		return nil, fmt.Errorf("bridge process: %w", err)
	}
	c.cmd, c.stdin = cp.Cmd, cp.Stdin
	go p.read(c, cp.Stdout)
	// Ready once it accepts connections (the ingress listens before it
	// serves), or it died.
	deadline := time.Now().Add(30 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", p.cfg.Addr, time.Second)
		if err == nil {
			_ = conn.Close()
			return c, nil
		}
		select {
		case <-c.readerDone:
			_ = c.cmd.Wait()
			return nil, fmt.Errorf("bridge process exited at start: %s", bytes.TrimSpace(c.stderr.Bytes()))
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = c.cmd.Process.Kill()
			<-c.readerDone
			_ = c.cmd.Wait()
			return nil, fmt.Errorf("bridge process: not listening on %s after 30s: %s", p.cfg.Addr, bytes.TrimSpace(c.stderr.Bytes()))
		}
	}
}

func (p *bridgeProc) read(c *bridgeChild, stdout io.Reader) {
	defer close(c.readerDone)
	r := bufio.NewReader(stdout)
	var b [16]byte
	get := func(n int) bool { _, err := io.ReadFull(r, b[:n]); return err == nil }
	u64 := func(off int) uint64 { return binary.BigEndian.Uint64(b[off:]) }
	for {
		typ, err := r.ReadByte()
		if err != nil {
			return
		}
		switch typ {
		case 'H':
			if !get(16) {
				return
			}
			p.mu.Lock()
			p.held[u64(0)] = int64(u64(8))
			p.mu.Unlock()
		case 'O':
			if !get(9) {
				return
			}
			p.mu.Lock()
			delete(p.held, u64(0))
			p.mu.Unlock()
		case 'P':
			if !get(16) {
				return
			}
			p.obs.Published(int64(u64(0)), int64(u64(8)))
		case 'E':
			if !get(1) {
				return
			}
			p.obs.PublishError(measure.ErrClass(b[0]))
		case 'F':
			if !get(8) {
				return
			}
			if f, ok := p.obs.(interface{ PublishFailed(id uint64) }); ok {
				f.PublishFailed(u64(0))
			}
		case 'B':
			if !get(4) {
				return
			}
			p.obs.AddBytes(int(binary.BigEndian.Uint32(b[:4])))
		case 'Z':
			if !get(8) {
				return
			}
			c.unacked = int64(u64(0))
			c.finished = true
		default:
			p.fail(fmt.Errorf("bridge process: unknown frame %q", typ))
			return
		}
	}
}

func (p *bridgeProc) fail(err error) {
	p.mu.Lock()
	if p.err == nil {
		p.err = err
	}
	p.mu.Unlock()
}

// reap waits for an incarnation that exited or was killed and adds its CPU.
func (p *bridgeProc) reap(c *bridgeChild) {
	<-c.readerDone
	_ = c.cmd.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	if ru, ok := c.cmd.ProcessState.SysUsage().(*syscall.Rusage); ok && ru != nil {
		p.info.CPUUserS += float64(ru.Utime.Sec) + float64(ru.Utime.Usec)/1e6
		p.info.CPUSysS += float64(ru.Stime.Sec) + float64(ru.Stime.Usec)/1e6
	}
}

// SetMeasuredStart starts the fault schedule.
func (p *bridgeProc) SetMeasuredStart(t int64) {
	p.mu.Lock()
	p.startNs = t
	p.started = true
	p.mu.Unlock()
	go p.schedule(t)
}

func (p *bridgeProc) crash(kind string) error {
	p.mu.Lock()
	c := p.cur
	p.cur = nil
	p.mu.Unlock()
	if c == nil {
		return nil
	}
	at := load.Now()
	if err := c.cmd.Process.Kill(); err != nil {
		return fmt.Errorf("bridge process: kill: %w", err)
	}
	p.reap(c) // every frame written before the kill is applied
	p.mu.Lock()
	defer p.mu.Unlock()
	cr := results.Crash{Kind: kind, StartS: float64(at-p.startNs) / 1e9, Held: int64(len(p.held))}
	var took []uint64
	if p.ack == AckBeforeProduce {
		for id, intended := range p.held {
			rec := false
			for _, s := range p.subs {
				rec = s.CrashLost(id, intended) || rec
			}
			if rec {
				took = append(took, id)
			}
		}
	}
	cr.Recorded = int64(len(took))
	p.crashTook = append(p.crashTook, took)
	clear(p.held)
	p.info.Crashes = append(p.info.Crashes, cr)
	if p.logf != nil {
		p.logf("bridge: %s at %.3fs: the bridge held %d records (%d recorded lost, ack %s)", kind, cr.StartS, cr.Held, cr.Recorded, p.ack)
	}
	return nil
}

func (p *bridgeProc) restart() error {
	c, err := p.start()
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		_ = c.cmd.Process.Kill()
		go p.reap(c)
		return nil
	}
	p.cur = c
	p.info.Restarts++
	if n := len(p.info.Crashes); n > 0 {
		p.info.Crashes[n-1].EndS = float64(load.Now()-p.startNs) / 1e9
	}
	return nil
}

func (p *bridgeProc) schedule(start int64) {
	defer close(p.faultsDone)
	if err := crashsched.Run(start, p.faults, p.quit, p.crash, p.restart); err != nil {
		p.fail(err)
	}
}

// Close stops the fault schedule and the bridge (bounded wait, then a
// kill). It returns the records the last bridge never had acknowledged.
func (p *bridgeProc) Close() (unacked int64, err error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return p.unacked, nil
	}
	p.closed = true
	started := p.started
	p.mu.Unlock()
	close(p.quit)
	if started {
		<-p.faultsDone
	}
	p.mu.Lock()
	c := p.cur
	p.cur = nil
	p.mu.Unlock()
	var errs []error
	if c != nil {
		_, _ = c.stdin.Write([]byte{'Q'})
		select {
		case <-c.readerDone:
		case <-time.After(15 * time.Second):
			_ = c.cmd.Process.Kill()
			errs = append(errs, errors.New("bridge process: still running after stop, killed"))
		}
		p.reap(c)
		if !c.finished {
			errs = append(errs, fmt.Errorf("bridge process: exited without its final report: %s", bytes.TrimSpace(c.stderr.Bytes())))
		}
		p.unacked = c.unacked
	}
	p.mu.Lock()
	errs = append(errs, p.err)
	p.mu.Unlock()
	return p.unacked, errors.Join(errs...)
}

// Info is the process's record for results.
func (p *bridgeProc) Info() *results.ChildProcess {
	p.mu.Lock()
	defer p.mu.Unlock()
	in := p.info
	in.Ack = p.ack
	in.Crashes = append([]results.Crash(nil), p.info.Crashes...)
	for i := range in.Crashes {
		if i < len(p.crashTook) {
			for _, id := range p.crashTook[i] {
				// Kafka stored it before the kill: the groups consume it.
				if slices.ContainsFunc(p.subs, func(s *measure.Subscriber) bool { return s.HasProcessed(id) }) {
					in.Crashes[i].Completed++
				}
			}
		}
		in.Crashes[i].Lost = in.Crashes[i].Recorded - in.Crashes[i].Completed
	}
	return &in
}

// crashRetryEvery is how often the upstream sender retries a failed
// request when the bridge can crash.
const crashRetryEvery = 100 * time.Millisecond

// startCrashing is Start's second half for a bridge that runs as a child
// process (systems.bridge.faults): the ingress in the child, a sender that
// retries.
func (p *point) startCrashing(ctx context.Context, r *runners.Run) error {
	pt, sc, mp, bc := r.Point, r.Point.Scenario, r.Measure, p.bc
	cfg := childConfig{Ack: bc.Ack, Settings: p.set, Brokers: p.env.Brokers, Topic: p.env.Topic, Keys: sc.Event.Keys, ProduceTimeout: bc.Timeout}
	if p.secret != nil {
		cfg.Secret = p.secret.Encode()
	}
	mp.CrashIsBridge()
	mp.ExpectCrashes()
	proc, err := startBridgeProc(cfg, bc.Faults, mp.Subs, mp, pt.Log)
	if err != nil {
		return err
	}
	p.proc = proc
	r.Defer(func() { _, _ = proc.Close() })
	r.AtBegin(proc.SetMeasuredStart)
	pt.Log("bridge: ingress child process on %s (ack %s)", proc.URL(), bc.Ack)
	r.Note("bridge: the ingress ran as a child process (its CPU is included in resources), killed with SIGKILL by systems.bridge.faults; the upstream sender retried failed requests every %v", crashRetryEvery)
	if p.env.Embedded {
		r.Note("bridge: with the bridge in a child process the embedded broker's unconsumed budget does not hold requests back")
	}
	p.snd = NewSender(proc.URL(), proc.Addr(), p.secret, bc.MaxInFlight, bc.Timeout, mp)
	r.Defer(func() { p.snd.Close() })
	p.snd.RetryEvery(crashRetryEvery)
	p.snd.StopOn(ctx.Done())
	mp.SetGauges(measure.Gauges{
		InFlight:   func() int64 { return p.snd.InFlight() + proc.InFlight() },
		QueueDepth: p.snd.QueueDepth,
		Lag:        p.groups.Lag,
	})
	return nil
}

// stopCrashing is Stop for the child-process bridge: the sender, the
// child, the broker faults, then the groups.
func (p *point) stopCrashing(r *runners.Run) {
	mp := r.Measure
	unsent := p.snd.Close()
	var unacked int64
	unacked, p.procErr = p.proc.Close()
	p.faultErr = p.bf.Stop()
	p.stopWatch()
	for range unsent {
		// Never acknowledged by the bridge by the end of the drain: they
		// never reached Kafka through it.
		mp.PublishError(measure.ErrOther)
	}
	if n := unacked + unsent; n > 0 {
		p.unackedErr = &kafka.UnackedError{System: System, N: n, Why: fmt.Sprintf("%d not acknowledged by Kafka when the bridge stopped, %d never acknowledged by the bridge", unacked, unsent)}
	}
	p.unackedErr = kafka.ExcuseUnacked(p.unackedErr, p.bf, mp)
	p.groups.Close()
}

// finishCrashing records the bridge process on the point (its CPU added
// to the point's resources) and its crash recovery; a failed child with
// nothing else wrong fails the point.
func (p *point) finishCrashing(res *results.Point, err error) error {
	if res != nil {
		in := p.proc.Info()
		res.BridgeProcess = in
		res.Resources.CPUUserS += in.CPUUserS
		res.Resources.CPUSysS += in.CPUSysS
		measure.CrashRecovery(res)
		if p.procErr != nil {
			res.Notes = append(res.Notes, "bridge process: "+p.procErr.Error())
		}
	}
	if err == nil && p.procErr != nil && p.unackedErr == nil {
		p.unackedErr = p.procErr
	}
	return err
}
