package behave

// Start is the measured start set by SetStart (load.Now() timeline), 0
// before: a late Kafka consumer group (join_at) waits for it to know when
// to join.
func (s *Subscriber) Start() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.start
}
