package measure

import (
	"math/bits"

	"github.com/evbench/evbench/reports/results"
)

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

// LossCausesExcept splits the lost events of a subscriber whose deliveries
// are known from elsewhere (a remote receiver's ledger) by cause: the
// dead-lettered events processed(seq) reports as not processed, by the
// cause of their first dead-lettering; lost minus those is "not delivered
// by the end of the drain". The counts add up to lost, as
// results.Accounting.Check requires.
func (s *Subscriber) LossCausesExcept(lost int64, processed func(seq uint64) bool) results.LossCauses {
	if lost <= 0 {
		return results.LossCauses{}
	}
	s.mu.Lock()
	var by [numCauses][]uint64
	for c := range s.deadBy {
		by[c] = append([]uint64(nil), s.deadBy[c].w...)
	}
	crash := append([]uint64(nil), s.crash.ids.w...)
	dead := append([]uint64(nil), s.dead.w...)
	s.mu.Unlock()
	var crashLost int64
	for i, x := range crash {
		if i < len(dead) {
			x &^= dead[i]
		}
		for x != 0 {
			b := bits.TrailingZeros64(x)
			if !processed(uint64(i)*64 + uint64(b)) {
				crashLost++
			}
			x &= x - 1
		}
	}
	var n [numCauses]int64
	for c, w := range by {
		for i, x := range w {
			for x != 0 {
				b := bits.TrailingZeros64(x)
				if !processed(uint64(i)*64 + uint64(b)) {
					n[c]++
				}
				x &= x - 1
			}
		}
	}
	c := results.LossCauses{
		RetriesExhausted: n[CauseRetriesExhausted],
		EndpointGone:     n[CauseEndpointGone],
		QueueOverflow:    n[CauseQueueOverflow],
	}
	if s.p.crashBridge {
		c.BridgeCrash = crashLost
	} else {
		c.SenderCrash = crashLost
	}
	c.NotDelivered = lost - c.RetriesExhausted - c.EndpointGone - c.QueueOverflow - c.SenderCrash - c.BridgeCrash
	return c
}
