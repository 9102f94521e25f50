package kafka

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/evbench/evbench/runners/behave"
	"github.com/evbench/evbench/runners/internal/childproc"
	"github.com/evbench/evbench/runners/load"
	"github.com/evbench/evbench/runners/measure"
)

// The group process (isolate.go): a binary linking this package runs it
// instead of its program when groupsChildEnv is set.
//
// Protocol, one byte of frame type then fixed-size big-endian fields (the
// 'C' frame is runners/internal/childproc's):
//
//	parent -> child: 'C' config (u32 length + gob groupsChildConfig), first
//	                 'S' measured start i64
//	                 'Q' stop: stop the members in order, report 'Z', exit
//	child -> parent: 'R' every group has every partition: per group, the
//	                 time it had them all (unix ns i64)
//	                 'F' setup failed (u32 length + message), last frame
//	                 'v' g u16, id u64, key i32, intended i64, done i64:
//	                 a first delivery (processing ended at done)
//	                 'd' g, id, intended: a duplicate; 'e' g, class u8;
//	                 'r' g (retry)
//	                 'Z' per group: received i64, abandoned i64; last frame
func init() {
	if os.Getenv(groupsChildEnv) == "1" {
		os.Exit(runGroupsChild(os.Stdin, os.Stdout))
	}
}

func runGroupsChild(in io.Reader, out io.Writer) int {
	if err := groupsChild(in, out); err != nil {
		fmt.Fprintf(os.Stderr, "evbench kafka group process: %v\n", err)
		return 1
	}
	return 0
}

func groupsChild(in io.Reader, out io.Writer) error {
	r := bufio.NewReaderSize(in, 1<<12)
	var cc groupsChildConfig
	if err := childproc.ReadConfig(r, &cc); err != nil {
		return err
	}
	fw := childproc.NewFrameWriter(out)
	fail := func(err error) error {
		msg := []byte(err.Error())
		fw.Write(binary.BigEndian.AppendUint32([]byte{'F'}, uint32(len(msg))), msg)
		return fw.Sync()
	}
	renice(cc.Nice)
	load.ShiftClock(cc.ClockShift)
	conn, err := cc.Settings.ConnOpts(cc.Settings.Brokers)
	if err != nil {
		return fail(err)
	}
	gs := &Groups{cfg: GroupsConfig{Settings: cc.Settings, Topic: cc.Topic, Conn: conn, GroupPrefix: cc.GroupPrefix,
		Subscribers: cc.Subscribers, External: true,
		Logf: func(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }},
		stop: make(chan struct{}), iso: &isolation{inChild: true, base: cc.IDBase}}
	for i, spec := range cc.Subscribers {
		beh := behave.New(spec, cc.Seed)
		gs.cfg.Behaviours = append(gs.cfg.Behaviours, beh)
		g := &Group{ID: cc.GroupPrefix + "." + sanitize(spec.Name), Name: spec.Name, gs: gs, beh: beh,
			sub: &forwarder{fw: fw, g: uint16(i), base: cc.IDBase, claimed: map[uint64]*[claimWords]uint64{}}}
		m := spec.Members
		if m <= 0 {
			m = cc.Settings.Members
		}
		for j := 0; j < m; j++ {
			g.members = append(g.members, &member{g: g, idx: j, quit: make(chan struct{}), done: make(chan struct{})})
		}
		gs.groups = append(gs.groups, g)
	}
	for _, g := range gs.groups {
		for _, m := range g.members {
			go m.run()
		}
	}
	var cpu0 atomic.Pointer[[2]time.Duration] // CPU time at the measured start
	if err := childReady(gs); err != nil {
		gs.Close()
		return fail(err)
	}
	ready := []byte{'R'}
	for _, g := range gs.groups {
		ready = binary.BigEndian.AppendUint64(ready, uint64(g.fullAt.Load()))
	}
	fw.Write(ready, nil)
	for {
		typ, err := r.ReadByte()
		if err != nil || typ == 'Q' {
			break // the parent is gone or asks to stop
		}
		if typ != 'S' {
			gs.Close()
			return fail(fmt.Errorf("unknown frame %q", typ))
		}
		var b [8]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			break
		}
		start := int64(binary.BigEndian.Uint64(b[:]))
		gs.iso.start.Store(start)
		time.AfterFunc(time.Duration(start-load.Now()), func() { cpu0.Store(cpuNow()) })
		for _, beh := range gs.cfg.Behaviours {
			beh.SetStart(start)
		}
	}
	gs.Close()
	end := []byte{'Z'}
	for _, g := range gs.groups {
		end = binary.BigEndian.AppendUint64(end, uint64(g.received.Load()))
		end = binary.BigEndian.AppendUint64(end, uint64(g.abandoned.Load()))
	}
	var u [2]time.Duration // zero when stopped before the measured start
	if u0 := cpu0.Load(); u0 != nil {
		now := cpuNow()
		u = [2]time.Duration{now[0] - u0[0], now[1] - u0[1]}
	}
	end = binary.BigEndian.AppendUint64(end, uint64(u[0]))
	end = binary.BigEndian.AppendUint64(end, uint64(u[1]))
	fw.Write(end, nil)
	return fw.Sync()
}

// childReady waits until every group has every partition and as many
// members with partitions as it can (waitReady of one process).
func childReady(gs *Groups) error {
	parts := gs.cfg.Settings.Partitions
	deadline := time.Now().Add(groupReadyTimeout)
	for {
		ready, detail := true, ""
		for _, g := range gs.groups {
			want := min(int32(len(g.members)), parts)
			var busy int32
			for _, m := range g.members {
				if m.nAssigned.Load() > 0 {
					busy++
				}
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
		time.Sleep(20 * time.Millisecond)
	}
}

// cpuNow is this process's user and system CPU time.
func cpuNow() *[2]time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return &[2]time.Duration{}
	}
	return &[2]time.Duration{time.Duration(ru.Utime.Nano()), time.Duration(ru.Stime.Nano())}
}

// renice lowers the priority of every thread of this process (on Linux
// setpriority applies to one thread; threads started later inherit it).
func renice(nice int) {
	if nice == 0 {
		return
	}
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		_ = syscall.Setpriority(syscall.PRIO_PROCESS, 0, nice)
		return
	}
	for _, t := range tasks {
		if tid, err := strconv.Atoi(t.Name()); err == nil {
			_ = syscall.Setpriority(syscall.PRIO_PROCESS, tid, nice)
		}
	}
}

// claimWords is the size of one chunk of a forwarder's claimed set (64 Ki
// ids, 8 KiB).
const claimWords = 1024

// forwarder is a group's recorder in a child: it decides duplicates
// (Claim) for the group's members, which all run in this process, and
// forwards what the point's accounting records to the parent.
type forwarder struct {
	fw      *childproc.FrameWriter
	g       uint16
	base    uint64
	mu      sync.Mutex
	claimed map[uint64]*[claimWords]uint64
}

func (f *forwarder) seq(id uint64) (uint64, bool) {
	q := id - f.base
	return q, id >= f.base && q < 1<<40
}

// mark sets (or clears) q in the claimed set; it reports whether q was
// unset before.
func (f *forwarder) mark(q uint64, set bool) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.claimed[q/(64*claimWords)]
	if c == nil {
		if !set {
			return true
		}
		c = new([claimWords]uint64)
		f.claimed[q/(64*claimWords)] = c
	}
	w, bit := &c[q/64%claimWords], uint64(1)<<(q%64)
	was := *w&bit != 0
	if set {
		*w |= bit
	} else {
		*w &^= bit
	}
	return !was
}

func (f *forwarder) Claim(id uint64) bool {
	q, ok := f.seq(id)
	return ok && f.mark(q, true)
}

func (f *forwarder) Release(id uint64) {
	if q, ok := f.seq(id); ok {
		f.mark(q, false)
	}
}

func (f *forwarder) Duplicate(id uint64, intended int64) {
	b := binary.BigEndian.AppendUint16([]byte{'d'}, f.g)
	b = binary.BigEndian.AppendUint64(b, id)
	f.fw.Write(binary.BigEndian.AppendUint64(b, uint64(intended)), nil)
}

func (f *forwarder) Delivered(id uint64, key int, intended, done int64) {
	if q, ok := f.seq(id); ok {
		f.mark(q, true)
	}
	var a [31]byte
	b := binary.BigEndian.AppendUint16(append(a[:0], 'v'), f.g)
	b = binary.BigEndian.AppendUint64(b, id)
	b = binary.BigEndian.AppendUint32(b, uint32(int32(key)))
	b = binary.BigEndian.AppendUint64(b, uint64(intended))
	f.fw.Write(binary.BigEndian.AppendUint64(b, uint64(done)), nil)
}

func (f *forwarder) Error(c measure.ErrClass) {
	f.fw.Write(append(binary.BigEndian.AppendUint16([]byte{'e'}, f.g), byte(c)), nil)
}

func (f *forwarder) Retry() { f.fw.Write(binary.BigEndian.AppendUint16([]byte{'r'}, f.g), nil) }
