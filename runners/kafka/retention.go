package kafka

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/evbench/evbench/runners/measure"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Retention (systems.kafka.topic.configs retention.ms, compressed by
// time_scale like every duration).
//
// The embedded broker (kfake) keeps records until they are deleted
// explicitly, and a real broker deletes only whole closed segments, and only
// every log.retention.check.interval.ms (5 minutes by default): neither
// would honour a compressed retention of seconds. So evbench enforces
// retention.ms itself, on both: every retentionCheckInterval it deletes
// (DeleteRecords) the records whose timestamp (produce time) is older than
// retention.ms. A record is therefore gone between retention.ms and
// retention.ms + the interval after it was produced (the precision, given
// in the point's notes). A real broker's own retention still applies; it
// can only delete records older than retention.ms too.
//
// Loss attribution: the producers record (partition, offset) -> event id
// for every measured record they publish. Whenever a partition's log start
// moves past tracked records (evbench's retention, the broker's own, or the
// embedded broker's trimming of records every group committed), those ids
// are recorded as Expired for every subscriber, and forgotten. An expired id
// that a subscriber never processed is lost to retention
// (lost_by.retention_expired); one it processed (read before the deletion,
// or trimmed after every group committed it) is delivered and counts
// nowhere. Groups reset to the earliest retained offset when their
// committed offset was deleted (consumerOpts, consumer.go), so they skip
// exactly the deleted records. Memory: 16 bytes per measured record still in
// the log.

// retentionCheckInterval is how often evbench deletes expired records:
// a 20th of retention.ms, between 10 ms and 1 s.
func retentionCheckInterval(ret time.Duration) time.Duration {
	return min(max(ret/20, 10*time.Millisecond), time.Second)
}

// RetentionOf returns the topic's retention.ms from the topic configs; ok
// is false when none is set or it is negative (Kafka's "keep forever").
func RetentionOf(s Settings) (time.Duration, bool, error) {
	v, set := s.TopicConfigs["retention.ms"]
	if !set {
		return 0, false, nil
	}
	ms, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil {
		return 0, false, fmt.Errorf("systems.kafka.topic.configs retention.ms %q: %w", v, err)
	}
	if ms < 0 {
		return 0, false, nil
	}
	return time.Duration(ms * float64(time.Millisecond)), true, nil
}

type ackedRec struct {
	off int64
	id  uint64
}

// Retention enforces a topic's retention.ms and attributes the records it
// (or anything else) deleted to the subscribers that never read them.
type Retention struct {
	adm      *kadm.Client
	topic    string
	ret      time.Duration
	interval time.Duration
	subs     []*measure.Subscriber
	measured func() int64 // the measured start (load.Now() timeline), 0 before

	mu      sync.Mutex
	tracked map[int32][]ackedRec
	start   map[int32]int64 // log start offsets seen
	passes  int64           // deletions made
	expired int64           // tracked measured records that left the log

	stop chan struct{}
	done chan struct{}
}

// NewRetention returns the enforcer of retention ret on topic; subs get
// the Expired marks. measuredStart returns the measured start (0 before).
func NewRetention(adm *kadm.Client, topic string, ret time.Duration, subs []*measure.Subscriber, measuredStart func() int64) *Retention {
	return &Retention{adm: adm, topic: topic, ret: ret, interval: retentionCheckInterval(ret), subs: subs, measured: measuredStart,
		tracked: map[int32][]ackedRec{}, start: map[int32]int64{}, stop: make(chan struct{}), done: make(chan struct{})}
}

// Interval is the enforcement period: the precision of the deletion time.
func (r *Retention) Interval() time.Duration { return r.interval }

// Acked records a published record (the producers' ack hook).
func (r *Retention) Acked(rec *kgo.Record, m RecordMeta) {
	ms := r.measured()
	if ms == 0 || m.Intended < ms {
		return // warm-up: not accounted
	}
	r.mu.Lock()
	r.tracked[rec.Partition] = append(r.tracked[rec.Partition], ackedRec{off: rec.Offset, id: m.ID})
	r.mu.Unlock()
}

// Start runs the enforcer until Stop.
func (r *Retention) Start() {
	go func() {
		defer close(r.done)
		t := time.NewTicker(r.interval)
		defer t.Stop()
		for {
			select {
			case <-r.stop:
				return
			case <-t.C:
			}
			r.pass(true)
		}
	}()
}

// Stop ends the enforcement and makes a last attribution pass (without
// deleting): call after the drain, before the point's results are built.
func (r *Retention) Stop() {
	close(r.stop)
	<-r.done
	r.pass(false)
}

// pass deletes the expired records (when del) and attributes every tracked
// record below the log start.
func (r *Retention) pass(del bool) {
	ctx, cancel := context.WithTimeout(context.Background(), max(r.interval, 2*time.Second))
	defer cancel()
	if del {
		cutoff := time.Now().Add(-r.ret).UnixMilli()
		listed, err := r.adm.ListOffsetsAfterMilli(ctx, cutoff, r.topic)
		if err == nil {
			offs := kadm.Offsets{}
			r.mu.Lock()
			listed.Each(func(o kadm.ListedOffset) {
				if o.Err == nil && o.Offset > r.start[o.Partition] {
					offs.Add(kadm.Offset{Topic: r.topic, Partition: o.Partition, At: o.Offset, LeaderEpoch: -1})
				}
			})
			r.mu.Unlock()
			if len(offs) > 0 {
				if resp, err := r.adm.DeleteRecords(ctx, offs); err == nil {
					r.mu.Lock()
					for _, ps := range resp {
						for _, d := range ps {
							if d.Err == nil && d.LowWatermark > r.start[d.Partition] {
								r.start[d.Partition] = d.LowWatermark
							}
						}
					}
					r.passes++
					r.mu.Unlock()
				}
			}
		}
	}
	if listed, err := r.adm.ListStartOffsets(ctx, r.topic); err == nil {
		r.mu.Lock()
		listed.Each(func(o kadm.ListedOffset) {
			if o.Err == nil && o.Offset > r.start[o.Partition] {
				r.start[o.Partition] = o.Offset
			}
		})
		r.mu.Unlock()
	}
	r.attribute()
}

// attribute marks tracked records below their partition's log start as
// expired for every subscriber and forgets them.
func (r *Retention) attribute() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for p, recs := range r.tracked {
		start := r.start[p]
		keep := recs[:0]
		for _, a := range recs {
			if a.off < start {
				r.expired++
				for _, s := range r.subs {
					s.Expired(a.id)
				}
				continue
			}
			keep = append(keep, a)
		}
		r.tracked[p] = keep
	}
}

// Note describes the enforcement for the point's notes.
func (r *Retention) Note() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return fmt.Sprintf("kafka: retention.ms %s enforced by evbench every %s (DeleteRecords of records older than retention.ms by produce timestamp; neither the embedded broker nor a real broker's segment-based check every log.retention.check.interval.ms honours a compressed retention): a record is deleted %s to %s after it was produced; %d deletions; %d measured records left the log (retention or, on the embedded broker, trimming after every group committed them); undelivered ones count as lost_by.retention_expired",
		r.ret, r.interval, r.ret, r.ret+r.interval, r.passes, r.expired)
}
