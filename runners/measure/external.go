package measure

import "math/bits"

// DeadLetteredSeqs calls fn with the sequence number (event id minus the
// point's id base) of every event dead-lettered for this subscriber, in
// order. A runner that accounts for a remote receiver from its own ledger
// (the webhook runner's sink_ledger subscribers) uses it to tell which
// dead-lettered events the receiver processed anyway.
func (s *Subscriber) DeadLetteredSeqs(fn func(seq uint64)) {
	s.mu.Lock()
	w := append([]uint64(nil), s.dead.w...)
	s.mu.Unlock()
	for i, x := range w {
		for x != 0 {
			b := bits.TrailingZeros64(x)
			fn(uint64(i)*64 + uint64(b))
			x &= x - 1
		}
	}
}

// IDBase is the id of the point's event with sequence number 0.
func (p *Point) IDBase() uint64 { return p.idBase }
