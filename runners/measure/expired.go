package measure

// Expired records that the record of measured event id was deleted by the
// topic's retention (retention.ms) before this subscriber's consumer group
// read it. If the event is never delivered, its loss is attributed to
// retention (results.LossCauses.RetentionExpired) instead of "not
// delivered by the end of the drain". Recording an id twice counts once;
// the caller has already excluded warm-up events.
func (s *Subscriber) Expired(id uint64) {
	q, ok := s.seq(id)
	if !ok {
		return
	}
	s.mu.Lock()
	s.expired.set(q)
	s.mu.Unlock()
}

// expiredLost counts ids recorded as Expired that were neither delivered
// nor dead-lettered (a dead-lettered one keeps its dead-letter cause). The
// caller holds s.mu.
func (s *Subscriber) expiredLost() int64 {
	var n int64
	s.expired.each(0, uint64(len(s.expired.w))*64, func(q uint64) {
		if !s.done.has(q) && !s.dead.has(q) {
			n++
		}
	})
	return n
}
