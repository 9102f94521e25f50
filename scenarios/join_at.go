package scenarios

import "fmt"

// joinAt checks a late subscriber's registration time: inside the measured
// period, and only for systems that model late subscribers (webhooks so
// far; a Kafka group that joins late and replays is not implemented yet).
func (c *checker) joinAt(key string, d Duration, s *Scenario) {
	if d == 0 {
		return
	}
	c.durRange(key, d, false, MaxDuration)
	if d >= s.Load.Duration {
		c.add(key, fmt.Sprintf("%v is at or after the end of the measured period (%v): the subscriber would receive nothing", d, s.Load.Duration), fmt.Sprintf("less than %v", s.Load.Duration))
	}
	for _, sys := range []string{"kafka", "bridge"} {
		if (sys == "kafka" && s.Systems.Kafka != nil) || (sys == "bridge" && s.Systems.Bridge != nil) {
			c.add(key, fmt.Sprintf("late subscribers are not supported yet for %s (a consumer group that joins late and replays from the earliest retained offset is not implemented); run join_at with systems: {webhook: {}} only", sys), "join_at with the webhook system only")
			return
		}
	}
}
