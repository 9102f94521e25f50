package webhook

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/evbench/evbench/runners/load"
	bolt "go.etcd.io/bbolt"
)

// Outbox is the sender's on-disk queue (systems.webhook.durable_queue): an
// event is committed (fsynced) to a bbolt file before the sender accepts it,
// and forgotten once every endpoint is done with it (answered 2xx or
// dead-lettered). A sender process killed with SIGKILL finds on restart
// everything it had not finished and delivers it again, so a crash loses
// nothing; deliveries finished but not yet forgotten are sent twice
// (at-least-once, counted as duplicates by the sinks).
//
// Layout: bucket "ev" maps id (8 bytes, big endian) to intended (8) + key
// (4) + payload; bucket "ep<N>" holds the ids endpoint N still has to
// deliver. Forgetting is batched (one transaction per flush interval), as
// a real outbox deletes or marks rows asynchronously.
type Outbox struct {
	db  *bolt.DB
	eps int

	mu      sync.Mutex
	left    map[uint64]int // endpoints still to finish, per live event
	done    []epID         // finished deliveries not yet removed on disk
	stop    chan struct{}
	stopped chan struct{}

	commits, bytes int64 // guarded by mu: put transactions and bytes put
}

type epID struct {
	ep int
	id uint64
}

var bucketEv = []byte("ev")

func bucketEp(i int) []byte { return []byte("ep" + strconv.Itoa(i)) }

// outboxFlush is how often finished deliveries are removed from the file.
const outboxFlush = 20 * time.Millisecond

// OpenOutbox opens (or creates) the outbox at path for eps endpoints.
func OpenOutbox(path string, eps int) (*Outbox, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("outbox %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		if _, err := tx.CreateBucketIfNotExists(bucketEv); err != nil {
			return err
		}
		for i := range eps {
			if _, err := tx.CreateBucketIfNotExists(bucketEp(i)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("outbox %s: %w", path, err)
	}
	o := &Outbox{db: db, eps: eps, left: map[uint64]int{}, stop: make(chan struct{}), stopped: make(chan struct{})}
	go o.loop()
	return o, nil
}

// Pending is one delivery the outbox still holds: event ev to endpoint Ep.
type Pending struct {
	Ep int
	Ev load.Event
}

// Recover returns every delivery a previous sender process left unfinished,
// and registers them as live.
func (o *Outbox) Recover() ([]Pending, error) {
	var out []Pending
	err := o.db.View(func(tx *bolt.Tx) error {
		ev := tx.Bucket(bucketEv)
		for i := range o.eps {
			c := tx.Bucket(bucketEp(i)).Cursor()
			for k, _ := c.First(); k != nil; k, _ = c.Next() {
				v := ev.Get(k)
				if len(v) < 12 {
					return fmt.Errorf("outbox: event %x for endpoint %d has no record", k, i)
				}
				id := binary.BigEndian.Uint64(k)
				out = append(out, Pending{Ep: i, Ev: load.Event{ID: id, Intended: int64(binary.BigEndian.Uint64(v)),
					Key: int(int32(binary.BigEndian.Uint32(v[8:]))), Payload: append([]byte(nil), v[12:]...)}})
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("outbox recover: %w", err)
	}
	o.mu.Lock()
	for _, p := range out {
		o.left[p.Ev.ID]++
	}
	o.mu.Unlock()
	return out, nil
}

// Put commits evs, each for every endpoint, in one fsynced transaction.
func (o *Outbox) Put(evs []load.Event) error {
	var n int64
	err := o.db.Update(func(tx *bolt.Tx) error {
		eb := tx.Bucket(bucketEv)
		var k [8]byte
		for _, ev := range evs {
			binary.BigEndian.PutUint64(k[:], ev.ID)
			v := make([]byte, 12+len(ev.Payload))
			binary.BigEndian.PutUint64(v, uint64(ev.Intended))
			binary.BigEndian.PutUint32(v[8:], uint32(int32(ev.Key)))
			copy(v[12:], ev.Payload)
			if err := eb.Put(k[:], v); err != nil {
				return err
			}
			n += int64(len(v))
			for i := range o.eps {
				if err := tx.Bucket(bucketEp(i)).Put(k[:], nil); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("outbox put: %w", err)
	}
	o.mu.Lock()
	for _, ev := range evs {
		o.left[ev.ID] += o.eps
	}
	o.commits++
	o.bytes += n
	o.mu.Unlock()
	return nil
}

// Done records that endpoint ep is finished with id; the file forgets it at
// the next flush.
func (o *Outbox) Done(ep int, id uint64) {
	o.mu.Lock()
	o.done = append(o.done, epID{ep, id})
	o.mu.Unlock()
}

func (o *Outbox) loop() {
	defer close(o.stopped)
	t := time.NewTicker(outboxFlush)
	defer t.Stop()
	for {
		select {
		case <-o.stop:
			return
		case <-t.C:
			_ = o.flush()
		}
	}
}

// flush removes finished deliveries, and events every endpoint finished.
func (o *Outbox) flush() error {
	o.mu.Lock()
	done := o.done
	o.done = nil
	var gone []uint64
	for _, d := range done {
		if n, ok := o.left[d.id]; ok {
			if n <= 1 {
				delete(o.left, d.id)
				gone = append(gone, d.id)
			} else {
				o.left[d.id] = n - 1
			}
		}
	}
	o.mu.Unlock()
	if len(done) == 0 {
		return nil
	}
	return o.db.Update(func(tx *bolt.Tx) error {
		var k [8]byte
		for _, d := range done {
			binary.BigEndian.PutUint64(k[:], d.id)
			if err := tx.Bucket(bucketEp(d.ep)).Delete(k[:]); err != nil {
				return err
			}
		}
		eb := tx.Bucket(bucketEv)
		for _, id := range gone {
			binary.BigEndian.PutUint64(k[:], id)
			if err := eb.Delete(k[:]); err != nil {
				return err
			}
		}
		return nil
	})
}

// Stats are the put transactions (one fsync each) and bytes committed.
func (o *Outbox) Stats() (commits, bytes int64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.commits, o.bytes
}

// Close flushes and closes the file.
func (o *Outbox) Close() error {
	close(o.stop)
	<-o.stopped
	return errors.Join(o.flush(), o.db.Close())
}
