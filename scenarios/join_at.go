package scenarios

import "fmt"

// joinAt checks a late subscriber's registration time: inside the measured
// period. Webhooks never send it events from before join_at
// (not_subscribed); a Kafka or bridge consumer group joins at join_at and
// replays from the earliest retained offset (runners/kafka/latejoin.go).
func (c *Checker) joinAt(key string, d Duration, s *Scenario) {
	if d == 0 {
		return
	}
	c.durRange(key, d, false, MaxDuration)
	if d >= s.Load.Duration {
		c.add(key, fmt.Sprintf("%v is at or after the end of the measured period (%v): the subscriber would receive nothing", d, s.Load.Duration), fmt.Sprintf("less than %v", s.Load.Duration))
	}
}
