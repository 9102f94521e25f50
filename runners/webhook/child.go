package webhook

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/evbench/evbench/runners/internal/childproc"
	"github.com/evbench/evbench/runners/load"
	"github.com/evbench/evbench/runners/measure"
	"github.com/evbench/evbench/scenarios"
)

// The webhook sender as a child process (issue 10 item 4, sender-crash).
// The runner starts evbench's own executable (or the test binary) with
// ChildEnv set; this package's init sees it and runs the dispatcher on
// stdin/stdout instead of the program, so any binary that links the runner
// can be its sender. The parent (crash.go) kills it with SIGKILL to crash
// it: its queue, retry timers and attempts in flight die with it.
//
// Protocol, one byte of frame type then fixed-size big-endian fields (the
// 'C' frame is runners/internal/childproc's):
//
//	parent -> child: 'C' config (u32 length + gob childConfig), first
//	                 'E' event: id u64, intended i64, key i32, payload (u32 + bytes)
//	                 'S' measured start i64
//	                 'Q' stop: finish attempts in progress, report 'Z', exit
//	child -> parent: 'A' n u32: the next n events are accepted (queued in
//	                 memory, or committed to the outbox with durable_queue)
//	                 'D' ep u16, id u64: the sender is done with a delivery
//	                 (2xx or dead-lettered; after its 'x' or 'v' frame)
//	                 'a' ep, attempt latency i64; 'n' ep, attempts u32;
//	                 'e' ep, class u8; 'r' ep (retry); 'o' ep (disabled 410);
//	                 'u' ep, id (not subscribed); 'v' ep, id, key i32,
//	                 intended i64, done i64 (2xx of a url subscriber);
//	                 'x' ep, id, cause u8, line (u32 + bytes) (dead letter)
//	                 'G' in flight, queued, retries waiting, bytes sent,
//	                 outbox commits, outbox bytes (i64 each, every 50 ms)
//	                 'Z' the same six, last frame of a clean stop
//
// 'A' and 'D' are the sender's checkpoint: what the parent handed it and it
// has not finished is exactly what it holds (queued, waiting for a retry or
// in flight). A frame the child wrote before it was killed is still read
// from the pipe.

// ChildEnv is the environment variable that makes a binary linking this
// package run as a webhook sender child process.
const ChildEnv = "EVBENCH_WEBHOOK_SENDER_CHILD"

func init() {
	if os.Getenv(ChildEnv) == "1" {
		os.Exit(runChild(os.Stdin, os.Stdout))
	}
}

// childConfig is everything the child needs to build its dispatcher.
type childConfig struct {
	Webhook       Config
	Secret        string // Secret.Encode(); empty: unsigned
	RootCAPEM     []byte // trusted for https sinks
	Targets       []childTarget
	Outbox        string // bbolt file; empty: queue in memory
	MeasuredStart int64
}

type childTarget struct {
	Name      string
	URL       string
	JoinAt    time.Duration
	Headers   map[string]string
	ClientTLS *scenarios.ClientTLS
	KeepAlive *bool
	Acks      bool
	Retry     *scenarios.Retry // subscribers[].retry (subscriber_retry.go)
}

// frameWriter encodes the child's frames for childproc.FrameWriter, which
// writes them out promptly (coalescing bursts), so a kill loses at most the
// frames of the last moment, which the parent's accounting tolerates (a
// delivery it still thinks held but the sink processed counts as
// delivered).
type frameWriter struct {
	mu  sync.Mutex // guards b
	b   [64]byte
	out *childproc.FrameWriter
}

func newFrameWriter(w io.Writer) *frameWriter {
	return &frameWriter{out: childproc.NewFrameWriter(w)}
}

// frame writes typ and the fields, then extra bytes (length-prefixed when
// withExtra).
func (fw *frameWriter) frame(typ byte, fields []uint64, sizes []int, extra []byte, withExtra bool) {
	fw.mu.Lock()
	b := append(fw.b[:0], typ)
	for i, f := range fields {
		switch sizes[i] {
		case 1:
			b = append(b, byte(f))
		case 2:
			b = binary.BigEndian.AppendUint16(b, uint16(f))
		case 4:
			b = binary.BigEndian.AppendUint32(b, uint32(f))
		default:
			b = binary.BigEndian.AppendUint64(b, f)
		}
	}
	if withExtra {
		b = binary.BigEndian.AppendUint32(b, uint32(len(extra)))
	} else {
		extra = nil
	}
	fw.out.Write(b, extra)
	fw.mu.Unlock()
}

func (fw *frameWriter) sync() error { return fw.out.Sync() }

var (
	sz2  = []int{2}
	sz21 = []int{2, 1}
	sz24 = []int{2, 4}
	sz28 = []int{2, 8}
	sz4  = []int{4}
	sz6  = []int{8, 8, 8, 8, 8, 8}
	szV  = []int{2, 8, 4, 8, 8}
	szX  = []int{2, 8, 1}
)

// frameRecorder is a SenderRecorder that reports to the parent.
type frameRecorder struct {
	fw *frameWriter
	ep uint64
}

func (r *frameRecorder) Attempt(d time.Duration) {
	r.fw.frame('a', []uint64{r.ep, uint64(d)}, sz28, nil, false)
}
func (r *frameRecorder) Attempts(n int) { r.fw.frame('n', []uint64{r.ep, uint64(n)}, sz24, nil, false) }
func (r *frameRecorder) Error(c measure.ErrClass) {
	r.fw.frame('e', []uint64{r.ep, uint64(c)}, sz21, nil, false)
}
func (r *frameRecorder) Retry() { r.fw.frame('r', []uint64{r.ep}, sz2, nil, false) }

// DeadLetterCause is unused in a child: OnDeadLetter sends the 'x' frame.
func (r *frameRecorder) DeadLetterCause(id uint64, cause measure.Cause) {
	r.fw.frame('x', []uint64{r.ep, id, uint64(cause)}, szX, nil, true)
}
func (r *frameRecorder) NotSubscribed(id uint64) {
	r.fw.frame('u', []uint64{r.ep, id}, sz28, nil, false)
}
func (r *frameRecorder) Disable() { r.fw.frame('o', []uint64{r.ep}, sz2, nil, false) }
func (r *frameRecorder) Delivered(id uint64, key int, intended, done int64) {
	r.fw.frame('v', []uint64{r.ep, id, uint64(int64(key)), uint64(intended), uint64(done)}, szV, nil, false)
}

// runChild is the sender child's main: it returns the exit code.
func runChild(in io.Reader, out io.Writer) int {
	if err := child(in, out); err != nil {
		fmt.Fprintf(os.Stderr, "evbench webhook sender: %v\n", err)
		return 1
	}
	return 0
}

func child(in io.Reader, out io.Writer) error {
	r := bufio.NewReaderSize(in, 1<<16)
	var cfg childConfig
	err := childproc.ReadConfig(r, &cfg)
	if err != nil {
		return err
	}
	fw := newFrameWriter(out)
	var ob *Outbox
	if cfg.Outbox != "" {
		if ob, err = OpenOutbox(cfg.Outbox, len(cfg.Targets)); err != nil {
			return err
		}
	}
	var bytesSent atomic.Int64
	dcfg := DispatcherConfig{Webhook: cfg.Webhook, AddBytes: func(n int) { bytesSent.Add(int64(n)) },
		OnDone: func(ep int, id uint64) {
			if ob != nil {
				ob.Done(ep, id)
			}
			fw.frame('D', []uint64{uint64(ep), id}, sz28, nil, false)
		},
		OnDeadLetter: func(ep int, id uint64, cause measure.Cause, line []byte) {
			fw.frame('x', []uint64{uint64(ep), id, uint64(cause)}, szX, line, true)
		}}
	if cfg.Secret != "" {
		if dcfg.Secret, err = ParseSecret(cfg.Secret); err != nil {
			return err
		}
	}
	if len(cfg.RootCAPEM) > 0 {
		pool, err := poolFromPEM(cfg.RootCAPEM)
		if err != nil {
			return err
		}
		dcfg.RootCAs = pool
	}
	targets := make([]Target, len(cfg.Targets))
	for i, t := range cfg.Targets {
		targets[i] = Target{Name: t.Name, URL: t.URL, Sub: &frameRecorder{fw: fw, ep: uint64(i)}, JoinAt: t.JoinAt,
			Headers: t.Headers, KeepAlive: t.KeepAlive, Acks: t.Acks, Retry: t.Retry}
		if t.ClientTLS != nil {
			if targets[i].TLS, err = clientTLS(t.ClientTLS); err != nil {
				return fmt.Errorf("subscriber %s: %w", t.Name, err)
			}
		}
	}
	d, err := NewDispatcher(dcfg, targets)
	if err != nil {
		return err
	}
	d.SetMeasuredStart(cfg.MeasuredStart)
	if ob != nil {
		pend, err := ob.Recover()
		if err != nil {
			return err
		}
		for _, p := range pend {
			d.Requeue(p.Ep, p.Ev)
		}
	}
	gauges := func() []uint64 {
		var c, b int64
		if ob != nil {
			c, b = ob.Stats()
		}
		return []uint64{uint64(d.InFlight()), uint64(d.QueueDepth()), uint64(d.RetriesWaiting()), uint64(bytesSent.Load()), uint64(c), uint64(b)}
	}
	stopG := make(chan struct{})
	go func() {
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stopG:
				return
			case <-t.C:
				fw.frame('G', gauges(), sz6, nil, false)
			}
		}
	}()
	finish := func() error {
		d.Stop()
		errs := []error{d.Close()}
		close(stopG)
		if ob != nil {
			errs = append(errs, ob.Close())
		}
		fw.frame('Z', gauges(), sz6, nil, false)
		errs = append(errs, fw.sync())
		return errors.Join(errs...)
	}
	batch := make([]load.Event, 0, 256)
	for {
		typ, err := r.ReadByte()
		if err != nil {
			// The parent is gone (or closed stdin): stop like 'Q'.
			return finish()
		}
		switch typ {
		case 'S':
			var b [8]byte
			if _, err := io.ReadFull(r, b[:]); err != nil {
				return finish()
			}
			d.SetMeasuredStart(int64(binary.BigEndian.Uint64(b[:])))
		case 'Q':
			return finish()
		case 'E':
			batch = batch[:0]
			for {
				ev, err := readEvent(r)
				if err != nil {
					return errors.Join(fmt.Errorf("event frame: %w", err), finish())
				}
				batch = append(batch, ev)
				// Take every event already buffered: with an outbox they
				// share one transaction (one fsync).
				if len(batch) == cap(batch) || r.Buffered() == 0 {
					break
				}
				if next, _ := r.Peek(1); len(next) == 0 || next[0] != 'E' {
					break
				}
				_, _ = r.ReadByte()
			}
			if ob != nil {
				if err := ob.Put(batch); err != nil {
					return errors.Join(err, finish())
				}
			}
			fw.frame('A', []uint64{uint64(len(batch))}, sz4, nil, false)
			for _, ev := range batch {
				d.Dispatch(ev)
			}
		default:
			return errors.Join(fmt.Errorf("unknown frame %q", typ), finish())
		}
	}
}

// readExtra reads a u32 length and that many bytes (at most 64 MiB).
func readExtra(r *bufio.Reader) ([]byte, error) {
	var b [4]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(b[:])
	if n > 64<<20 {
		return nil, fmt.Errorf("frame of %d bytes", n)
	}
	out := make([]byte, n)
	_, err := io.ReadFull(r, out)
	return out, err
}

func readEvent(r *bufio.Reader) (load.Event, error) {
	var b [20]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return load.Event{}, err
	}
	p, err := readExtra(r)
	if err != nil {
		return load.Event{}, err
	}
	return load.Event{ID: binary.BigEndian.Uint64(b[:]), Intended: int64(binary.BigEndian.Uint64(b[8:])),
		Key: int(int32(binary.BigEndian.Uint32(b[16:]))), Payload: p}, nil
}

// appendEvent encodes an 'E' frame.
func appendEvent(b []byte, ev load.Event) []byte {
	b = append(b, 'E')
	b = binary.BigEndian.AppendUint64(b, ev.ID)
	b = binary.BigEndian.AppendUint64(b, uint64(ev.Intended))
	b = binary.BigEndian.AppendUint32(b, uint32(int32(ev.Key)))
	b = binary.BigEndian.AppendUint32(b, uint32(len(ev.Payload)))
	return append(b, ev.Payload...)
}
