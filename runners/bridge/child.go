package bridge

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/evbench/evbench/runners/internal/childproc"
	"github.com/evbench/evbench/runners/kafka"
	"github.com/evbench/evbench/runners/measure"
	"github.com/evbench/evbench/runners/webhook"
)

// The bridge as a child process (issue 10 item 4, bridge-crash). The runner
// starts its own executable with ChildEnv set; this package's init sees it
// and runs the ingress and its producers instead of the program. The parent
// (bridgeproc.go) kills it with SIGKILL to crash it: records answered but
// not yet produced die with it.
//
// Protocol: the parent writes one 'C' frame (u32 length + gob childConfig;
// runners/internal/childproc writes and reads it) then 'Q' to stop; closing stdin stops too. The child writes, one type
// byte then big-endian fields:
//
//	'H' id u64, intended i64: a verified record handed to the producer
//	    (written through before the HTTP answer: the bridge's checkpoint)
//	'O' id u64, acked u8: Kafka's outcome for it
//	'P' intended i64, acked i64: a publish ack (publish latency)
//	'E' class u8: a publish error
//	'B' n u32: bytes handed to the producer
//	'F' id u64: a record Kafka never acknowledged (lost_by.broker_fault)
//	'Z' unacked i64: the last frame of a clean stop (records never
//	    acknowledged, already counted by class in 'E' frames)

// ChildEnv is the environment variable that makes a binary linking this
// package run as a bridge child process.
const ChildEnv = "EVBENCH_BRIDGE_CHILD"

func init() {
	if os.Getenv(ChildEnv) == "1" {
		os.Exit(runChild(os.Stdin, os.Stdout))
	}
}

// childConfig is what the child needs to run the ingress.
type childConfig struct {
	Secret         string // webhook.Secret.Encode(); empty: unsigned
	Ack            string
	Settings       kafka.Settings
	Brokers        []string // where clients connect (the embedded broker's addresses included)
	Topic          string
	Keys           int
	ProduceTimeout time.Duration
	Addr           string
}

// frameOut serialises frames to the parent; every frame is written through
// at once (the bridge's checkpoint must precede its HTTP answer).
type frameOut struct {
	mu  sync.Mutex
	w   *bufio.Writer
	b   [32]byte
	err error
}

func (f *frameOut) frame(typ byte, fields ...uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b := append(f.b[:0], typ)
	switch typ {
	case 'O', 'E':
		if typ == 'O' {
			b = binary.BigEndian.AppendUint64(b, fields[0])
			b = append(b, byte(fields[1]))
		} else {
			b = append(b, byte(fields[0]))
		}
	case 'B':
		b = binary.BigEndian.AppendUint32(b, uint32(fields[0]))
	default:
		for _, v := range fields {
			b = binary.BigEndian.AppendUint64(b, v)
		}
	}
	if f.err == nil {
		_, f.err = f.w.Write(b)
	}
	if f.err == nil {
		f.err = f.w.Flush()
	}
}

// frameObs is the kafka.Observer of a child's ingress.
type frameObs struct{ f *frameOut }

func (o frameObs) Published(intended, acked int64) {
	o.f.frame('P', uint64(intended), uint64(acked))
}
func (o frameObs) PublishError(c measure.ErrClass) { o.f.frame('E', uint64(c)) }
func (o frameObs) AddBytes(n int)                  { o.f.frame('B', uint64(n)) }

// PublishFailed tells the parent that Kafka never acknowledged the record
// of event id, so a loss during a broker fault is attributed to the fault
// (lost_by.broker_fault; kafka.MarkUnacked) as with the in-process bridge.
func (o frameObs) PublishFailed(id uint64) { o.f.frame('F', id) }

func runChild(in io.Reader, out io.Writer) int {
	if err := child(in, out); err != nil {
		fmt.Fprintf(os.Stderr, "evbench bridge: %v\n", err)
		return 1
	}
	return 0
}

func child(in io.Reader, out io.Writer) error {
	r := bufio.NewReader(in)
	var cfg childConfig
	if err := childproc.ReadConfig(r, &cfg); err != nil {
		return err
	}
	fo := &frameOut{w: bufio.NewWriter(out)}
	var secret *webhook.Secret
	if cfg.Secret != "" {
		var err error
		if secret, err = webhook.ParseSecret(cfg.Secret); err != nil {
			return err
		}
	}
	conn, err := cfg.Settings.ConnOpts(cfg.Brokers)
	if err != nil {
		return err
	}
	ing, err := StartIngress(IngressConfig{Secret: secret, Ack: cfg.Ack, Settings: cfg.Settings, Topic: cfg.Topic, Conn: conn,
		Keys: cfg.Keys, Obs: frameObs{fo}, ProduceTimeout: cfg.ProduceTimeout, ListenAddr: cfg.Addr,
		OnHandOff: func(id uint64, intended int64) { fo.frame('H', id, uint64(intended)) },
		OnOutcome: func(id uint64, acked bool) {
			var a uint64
			if acked {
				a = 1
			}
			fo.frame('O', id, a)
		}})
	if err != nil {
		return err
	}
	// Serve until 'Q' or the parent closes stdin.
	for {
		typ, err := r.ReadByte()
		if err != nil || typ == 'Q' {
			break
		}
	}
	unacked := ing.Close()
	fo.frame('Z', uint64(unacked))
	return fo.err
}
