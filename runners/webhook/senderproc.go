package webhook

import (
	"bufio"
	"bytes"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/runners"
	"github.com/evbench/evbench/runners/internal/childproc"
	"github.com/evbench/evbench/runners/internal/crashsched"
	"github.com/evbench/evbench/runners/load"
	"github.com/evbench/evbench/runners/measure"
	"github.com/evbench/evbench/scenarios"
)

// maxPendingBytes bounds the events the parent keeps for a sender that has
// not accepted them yet (a crashed sender's downtime, or a slow outbox):
// beyond it the point fails rather than grow without bound.
const maxPendingBytes = 512 << 20

// senderProc is the webhook sender run as a child process (child.go), so
// that systems.webhook.faults can kill it with SIGKILL and start it again.
// The parent plays the application that enqueues events: Dispatch keeps
// each event until the sender accepts it ('A'), and hands whatever was not
// accepted to the next incarnation, as an application retries a failed
// enqueue call. From 'A' and 'D' frames it knows at every moment what the
// sender holds; at a kill without an outbox those deliveries are recorded
// lost (measure.Subscriber.CrashLost), with an outbox the restarted sender
// delivers them.
type senderProc struct {
	cfg      childConfig
	subs     []*measure.Subscriber
	dl       *runners.LineWriter
	addBytes func(int)
	faults   []scenarios.InfraFault
	dir      string // the outbox's directory (removed by Close)
	exe      string
	logf     func(string, ...any)

	mu        sync.Mutex
	pending   []load.Event // not yet accepted by the sender, oldest first
	pendBytes int64
	sent      int                // how many of pending the current child was sent
	held      []map[uint64]int64 // per endpoint: id -> intended
	// crashTook are, per crash, the deliveries recorded lost to it
	// (results.Crash.Completed and Lost are counted from them).
	crashTook [][]crashDelivery
	cur       *childProc // nil while crashed
	closed    bool
	err       error
	info      results.ChildProcess
	startNs   int64

	inFlight, queued, retries atomic.Int64
	quit                      chan struct{}
	faultsDone                chan struct{}
}

// childProc is one incarnation of the sender.
type childProc struct {
	cmd        *exec.Cmd
	stdin      io.WriteCloser
	inMu       sync.Mutex    // guards bw: events and control frames
	bw         *bufio.Writer // to stdin
	wake       chan struct{}
	readerDone chan struct{}
	writerDone chan struct{}
	stderr     childproc.Stderr
	// Last cumulative gauges of this incarnation: bytes, commits, outbox bytes.
	bytes, commits, obBytes int64
	finished                bool // 'Z' read
}

// newSenderProc starts the first sender. targets must not use Dial or
// Phases (an emulated link or the connect split are not carried over).
func newSenderProc(w Config, secret *Secret, cert *Cert, targets []Target, specs []scenarios.Subscriber,
	subs []*measure.Subscriber, dl *runners.LineWriter, addBytes func(int), logf func(string, ...any)) (*senderProc, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("sender process: %w", err)
	}
	s := &senderProc{subs: subs, dl: dl, addBytes: addBytes, faults: w.Faults, exe: exe, logf: logf,
		quit: make(chan struct{}), faultsDone: make(chan struct{})}
	s.cfg.Webhook = w
	if secret != nil {
		s.cfg.Secret = secret.Encode()
	}
	if cert != nil {
		s.cfg.RootCAPEM, _ = cert.PEM()
	}
	for i, t := range targets {
		if t.Dial != nil {
			return nil, errors.New("sender process: an emulated network link cannot be used with a sender that runs as a child process (systems.webhook.faults, durable_queue)")
		}
		ct := childTarget{Name: t.Name, URL: t.URL, JoinAt: t.JoinAt, Headers: t.Headers, KeepAlive: t.KeepAlive, Acks: t.Acks, Retry: t.Retry}
		if i < len(specs) {
			ct.ClientTLS = specs[i].ClientTLS
		}
		s.cfg.Targets = append(s.cfg.Targets, ct)
		s.held = append(s.held, map[uint64]int64{})
	}
	s.info.DurableQueue = w.DurableQueue
	if w.DurableQueue {
		if s.dir, err = os.MkdirTemp("", "evbench-outbox-"); err != nil {
			return nil, fmt.Errorf("sender process: outbox: %w", err)
		}
		s.cfg.Outbox = filepath.Join(s.dir, "outbox.db")
	}
	c, err := s.start()
	if err != nil {
		s.removeDir()
		return nil, err
	}
	s.cur = c
	return s, nil
}

func (s *senderProc) removeDir() {
	if s.dir != "" {
		_ = os.RemoveAll(s.dir)
	}
}

// start runs a new incarnation and sends it the config.
func (s *senderProc) start() (*childProc, error) {
	c := &childProc{wake: make(chan struct{}, 1), readerDone: make(chan struct{}), writerDone: make(chan struct{})}
	p, err := childproc.Start(s.exe, ChildEnv, s.cfg, &c.stderr)
	if err != nil {
		return nil, fmt.Errorf("sender process: %w", err)
	}
	c.cmd, c.stdin = p.Cmd, p.Stdin
	c.bw = bufio.NewWriterSize(c.stdin, 1<<16)
	go s.read(c, p.Stdout)
	go s.write(c)
	return c, nil
}

// SetMeasuredStart implements the dispatcher's and starts the fault
// schedule.
func (s *senderProc) SetMeasuredStart(t int64) {
	s.mu.Lock()
	s.cfg.MeasuredStart = t
	s.startNs = t
	c := s.cur
	s.mu.Unlock()
	if c != nil {
		// Sent in order with events by the writer (it re-reads the start
		// before the first event); a direct frame is safe since no event
		// is written before the start is known.
		var b [9]byte
		b[0] = 'S'
		binary.BigEndian.PutUint64(b[1:], uint64(t))
		s.sendRaw(c, b[:])
	}
	go s.schedule(t)
}

// sendRaw writes a control frame between event frames.
func (s *senderProc) sendRaw(c *childProc, b []byte) {
	c.inMu.Lock()
	_, _ = c.bw.Write(b)
	_ = c.bw.Flush()
	c.inMu.Unlock()
}

// wakeWriter makes c's writer look at the pending events (or notice that
// c is no longer the current sender and return).
func wakeWriter(c *childProc) {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// Dispatch keeps ev until the sender accepts it. It never blocks.
func (s *senderProc) Dispatch(ev load.Event) {
	s.mu.Lock()
	if s.closed || s.err != nil {
		s.mu.Unlock()
		return
	}
	if s.pendBytes+int64(len(ev.Payload)) > maxPendingBytes {
		s.err = fmt.Errorf("sender process: more than %d MiB of events waiting for the sender to accept them", maxPendingBytes>>20)
		s.mu.Unlock()
		return
	}
	s.pending = append(s.pending, ev)
	s.pendBytes += int64(len(ev.Payload))
	c := s.cur
	s.mu.Unlock()
	if c != nil {
		wakeWriter(c)
	}
}

// write sends events the child has not been sent yet.
func (s *senderProc) write(c *childProc) {
	defer close(c.writerDone)
	var buf []byte
	for range c.wake {
		for {
			s.mu.Lock()
			if s.cur != c {
				s.mu.Unlock()
				return
			}
			evs := s.pending[s.sent:]
			if len(evs) > 256 {
				evs = evs[:256]
			}
			s.sent += len(evs)
			s.mu.Unlock()
			if len(evs) == 0 {
				break
			}
			buf = buf[:0]
			for _, ev := range evs {
				buf = appendEvent(buf, ev)
			}
			c.inMu.Lock()
			_, _ = c.bw.Write(buf)
			c.inMu.Unlock()
		}
		c.inMu.Lock()
		err := c.bw.Flush()
		c.inMu.Unlock()
		if err != nil {
			return // the child is gone: its reader and Kill handle it
		}
	}
}

// read applies the child's frames until its stdout closes.
func (s *senderProc) read(c *childProc, stdout io.Reader) {
	defer close(c.readerDone)
	r := bufio.NewReaderSize(stdout, 1<<16)
	var b [48]byte
	field := func(off, n int) uint64 {
		switch n {
		case 1:
			return uint64(b[off])
		case 2:
			return uint64(binary.BigEndian.Uint16(b[off:]))
		case 4:
			return uint64(binary.BigEndian.Uint32(b[off:]))
		}
		return binary.BigEndian.Uint64(b[off:])
	}
	get := func(n int) bool { _, err := io.ReadFull(r, b[:n]); return err == nil }
	sub := func(ep uint64) *measure.Subscriber {
		if ep < uint64(len(s.subs)) {
			return s.subs[ep]
		}
		return nil
	}
	for {
		typ, err := r.ReadByte()
		if err != nil {
			return
		}
		switch typ {
		case 'A':
			if !get(4) {
				return
			}
			n := int(field(0, 4))
			s.mu.Lock()
			n = min(n, len(s.pending))
			for _, ev := range s.pending[:n] {
				for _, h := range s.held {
					h[ev.ID] = ev.Intended
				}
				s.pendBytes -= int64(len(ev.Payload))
			}
			clear(s.pending[:n])
			s.pending = s.pending[n:]
			s.sent -= n
			s.mu.Unlock()
		case 'D':
			if !get(10) {
				return
			}
			ep, id := field(0, 2), field(2, 8)
			s.mu.Lock()
			if ep < uint64(len(s.held)) {
				delete(s.held[ep], id)
			}
			s.mu.Unlock()
		case 'a':
			if !get(10) {
				return
			}
			if sb := sub(field(0, 2)); sb != nil {
				sb.Attempt(time.Duration(field(2, 8)))
			}
		case 'n':
			if !get(6) {
				return
			}
			if sb := sub(field(0, 2)); sb != nil {
				sb.Attempts(int(field(2, 4)))
			}
		case 'e':
			if !get(3) {
				return
			}
			if sb := sub(field(0, 2)); sb != nil {
				sb.Error(measure.ErrClass(field(2, 1)))
			}
		case 'r', 'o':
			if !get(2) {
				return
			}
			if sb := sub(field(0, 2)); sb != nil {
				if typ == 'r' {
					sb.Retry()
				} else {
					sb.Disable()
				}
			}
		case 'u':
			if !get(10) {
				return
			}
			if sb := sub(field(0, 2)); sb != nil {
				sb.NotSubscribed(field(2, 8))
			}
		case 'v':
			if !get(30) {
				return
			}
			if sb := sub(field(0, 2)); sb != nil {
				sb.Delivered(field(2, 8), int(int32(field(10, 4))), int64(field(14, 8)), int64(field(22, 8)))
			}
		case 'x':
			if !get(11) {
				return
			}
			ep, id, cause := field(0, 2), field(2, 8), field(10, 1)
			line, err := readExtra(r)
			if err != nil {
				return
			}
			if sb := sub(ep); sb != nil {
				sb.DeadLetterCause(id, measure.Cause(cause))
			}
			if s.dl != nil && len(line) > 0 {
				_ = s.dl.WriteLine(line)
			}
		case 'G', 'Z':
			if !get(48) {
				return
			}
			s.inFlight.Store(int64(field(0, 8)))
			s.queued.Store(int64(field(8, 8)))
			s.retries.Store(int64(field(16, 8)))
			if by := int64(field(24, 8)); by > c.bytes {
				if s.addBytes != nil {
					s.addBytes(int(by - c.bytes))
				}
				c.bytes = by
			}
			c.commits, c.obBytes = int64(field(32, 8)), int64(field(40, 8))
			if typ == 'Z' {
				c.finished = true
			}
		default:
			s.fail(fmt.Errorf("sender process: unknown frame %q", typ))
			return
		}
	}
}

func (s *senderProc) fail(err error) {
	s.mu.Lock()
	if s.err == nil {
		s.err = err
	}
	s.mu.Unlock()
}

// reap waits for an incarnation that has exited or been killed and adds
// its CPU time and outbox counts.
func (s *senderProc) reap(c *childProc) {
	wakeWriter(c) // c is no longer current: its writer returns
	<-c.readerDone
	<-c.writerDone
	_ = c.cmd.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	if ru, ok := c.cmd.ProcessState.SysUsage().(*syscall.Rusage); ok && ru != nil {
		s.info.CPUUserS += float64(ru.Utime.Sec) + float64(ru.Utime.Usec)/1e6
		s.info.CPUSysS += float64(ru.Stime.Sec) + float64(ru.Stime.Usec)/1e6
	}
	s.info.OutboxCommits += c.commits
	s.info.OutboxBytes += c.obBytes
}

// crash kills the current sender with SIGKILL and settles what it held.
func (s *senderProc) crash(kind string) error {
	s.mu.Lock()
	c := s.cur
	s.cur = nil
	s.mu.Unlock()
	if c == nil {
		return nil
	}
	at := load.Now()
	if err := c.cmd.Process.Kill(); err != nil {
		return fmt.Errorf("sender process: kill: %w", err)
	}
	s.reap(c) // every frame the sender wrote before it died is applied
	s.mu.Lock()
	defer s.mu.Unlock()
	cr := results.Crash{Kind: kind, StartS: float64(at-s.startNs) / 1e9}
	var took []crashDelivery
	for ep, h := range s.held {
		cr.Held += int64(len(h))
		if s.cfg.Outbox == "" {
			for id, intended := range h {
				if s.subs[ep].CrashLost(id, intended) {
					took = append(took, crashDelivery{ep, id})
				}
			}
			clear(h)
		}
	}
	cr.Recorded = int64(len(took))
	s.crashTook = append(s.crashTook, took)
	s.sent = 0
	s.inFlight.Store(0)
	s.queued.Store(0)
	s.retries.Store(0)
	s.info.Crashes = append(s.info.Crashes, cr)
	if s.logf != nil {
		s.logf("webhook: %s at %.3fs: the sender held %d deliveries (%d measured ones recorded as taken by the crash; those the receiver completes anyway count as delivered)", kind, cr.StartS, cr.Held, cr.Recorded)
	}
	return nil
}

// restart starts a new incarnation, which is sent every event not yet
// accepted (and, with an outbox, recovers what the last one held).
func (s *senderProc) restart() error {
	s.mu.Lock()
	if s.closed || s.cur != nil {
		s.mu.Unlock()
		return nil
	}
	s.mu.Unlock()
	c, err := s.start()
	if err != nil {
		return err
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		_ = c.cmd.Process.Kill()
		s.reap(c)
		return nil
	}
	s.cur = c
	s.info.Restarts++
	if n := len(s.info.Crashes); n > 0 {
		s.info.Crashes[n-1].EndS = float64(load.Now()-s.startNs) / 1e9
	}
	s.mu.Unlock()
	wakeWriter(c)
	return nil
}

// schedule applies the faults, timed from the measured start.
func (s *senderProc) schedule(start int64) {
	defer close(s.faultsDone)
	if err := crashsched.Run(start, s.faults, s.quit, s.crash, s.restart); err != nil {
		s.fail(err)
	}
}

// Gauges for the time series: the sender's own, plus events it has not
// accepted yet as queued.
func (s *senderProc) gauges() measure.Gauges {
	return measure.Gauges{InFlight: s.inFlight.Load, RetriesWaiting: s.retries.Load,
		QueueDepth: func() int64 {
			s.mu.Lock()
			n := int64(len(s.pending))
			s.mu.Unlock()
			return n + s.queued.Load()
		}}
}

// Stop makes Dispatch a no-op and asks the sender to stop.
func (s *senderProc) Stop() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	c := s.cur
	s.mu.Unlock()
	close(s.quit)
	if c != nil {
		s.sendRaw(c, []byte{'Q'})
	}
}

// Close stops the sender, waits for it (bounded by the attempt timeout plus
// two seconds, then kills it), and removes the outbox.
func (s *senderProc) Close(timeout time.Duration) error {
	s.Stop()
	if s.faultsStarted() {
		<-s.faultsDone
	}
	s.mu.Lock()
	c := s.cur
	s.cur = nil
	s.mu.Unlock()
	var errs []error
	if c != nil {
		select {
		case <-c.readerDone:
		case <-time.After(timeout + 2*time.Second):
			_ = c.cmd.Process.Kill()
			errs = append(errs, errors.New("sender process: still running after stop, killed"))
		}
		s.reap(c)
		if !c.finished {
			errs = append(errs, fmt.Errorf("sender process: exited without its final report: %s", bytes.TrimSpace(c.stderr.Bytes())))
		}
	}
	s.removeDir()
	s.mu.Lock()
	errs = append(errs, s.err)
	s.mu.Unlock()
	return errors.Join(errs...)
}

func (s *senderProc) faultsStarted() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.startNs != 0
}

// Info is the process's record for results.
func (s *senderProc) Info() *results.ChildProcess {
	s.mu.Lock()
	defer s.mu.Unlock()
	in := s.info
	in.Crashes = append([]results.Crash(nil), s.info.Crashes...)
	for i := range in.Crashes {
		if i < len(s.crashTook) {
			for _, d := range s.crashTook[i] {
				if s.subs[d.ep].HasProcessed(d.id) {
					in.Crashes[i].Completed++
				}
			}
		}
		in.Crashes[i].Lost = in.Crashes[i].Recorded - in.Crashes[i].Completed
	}
	return &in
}

// crashDelivery is one delivery a crash took: endpoint and event id.
type crashDelivery struct {
	ep int
	id uint64
}

func poolFromPEM(pem []byte) (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, errors.New("sender process: bad root CA PEM")
	}
	return pool, nil
}

// sender is what the runner needs of the dispatcher, in-process or child.
type sender interface {
	SetMeasuredStart(t int64)
	Dispatch(ev load.Event)
	Stop()
	Close() error
}

// procSender adapts senderProc to sender.
type procSender struct {
	*senderProc
	timeout time.Duration
}

func (p procSender) Close() error { return p.senderProc.Close(p.timeout) }

// attach records the process on the point, and adds its CPU time to the
// point's resources (which measure only the harness's own process).
func (s *senderProc) attach(res *results.Point) {
	in := s.Info()
	res.SenderProcess = in
	res.Resources.CPUUserS += in.CPUUserS
	res.Resources.CPUSysS += in.CPUSysS
	measure.CrashRecovery(res)
}

// newSender builds the in-process dispatcher, or the sender child process
// when the scenario crashes the sender or asks for a durable queue.
func newSender(wh Config, secret *Secret, cert *Cert, targets []Target, specs []scenarios.Subscriber,
	mp *measure.Point, pt *runners.Point) (sender, *senderProc, error) {
	if len(wh.Faults) == 0 && !wh.DurableQueue {
		dcfg := DispatcherConfig{Webhook: wh, Secret: secret, DeadLetters: pt.DeadLetters, AddBytes: mp.AddBytes, Note: mp.Note}
		if cert != nil {
			dcfg.RootCAs = cert.Pool()
		}
		disp, err := NewDispatcher(dcfg, targets)
		if err != nil {
			return nil, nil, err
		}
		mp.SetGauges(measure.Gauges{InFlight: disp.InFlight, QueueDepth: disp.QueueDepth, RetriesWaiting: disp.RetriesWaiting})
		return disp, nil, nil
	}
	// Validate the configuration here, where errors are clear, rather than
	// in the child.
	probe := make([]Target, len(targets))
	for i, t := range targets {
		probe[i] = t
		probe[i].Sub = mp.Subs[i]
	}
	d, err := NewDispatcher(DispatcherConfig{Webhook: wh}, probe)
	if err != nil {
		return nil, nil, err
	}
	_ = d.Close()
	proc, err := newSenderProc(wh, secret, cert, targets, specs, mp.Subs, pt.DeadLetters, mp.AddBytes, pt.Logf)
	if err != nil {
		return nil, nil, err
	}
	mp.SetGauges(proc.gauges())
	if len(wh.Faults) > 0 {
		mp.ExpectCrashes()
	}
	mode := "in memory"
	if wh.DurableQueue {
		mode = "in an on-disk bbolt outbox committed (fsync) before each event is accepted"
	}
	mp.Note("the webhook sender ran as a child process (its CPU is included in resources) with its queue %s; connect/TLS phases are not recorded", mode)
	return procSender{senderProc: proc, timeout: Resolve(&wh).Timeout.D()}, proc, nil
}
