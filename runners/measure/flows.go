package measure

// Accessors for runners that account for several hops of one event
// (runners/flow): each hop has its own Point whose subscribers deduplicate
// and count what the transports report, while the flow runner keeps the
// sent and delivered counts itself, since a hop's sent is not the
// generator's.

// SetMeasuredStart sets the start of the measured period without starting
// the per-second sampler (Start does both): warm-up events are then told
// apart by Duplicate, Delivered and the Kafka consumer as usual.
func (p *Point) SetMeasuredStart(t int64) { p.measuredStart = t }

// Duplicates is the repeated deliveries of measured events counted so far.
func (s *Subscriber) Duplicates() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.acc.Duplicates
}
