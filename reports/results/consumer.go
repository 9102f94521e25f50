package results

import "time"

// Consumer says a point was recorded by an `evbench consume` process: the
// members of the scenario's consumer groups that ran there, while the
// shards (`evbench run --external-consumers`) only produced. Its
// subscribers' Sent is what this process processed (so Lost is 0), its
// IDs carry the run's id base and stride with an empty sent set, and
// `evbench merge` unions its delivered sets with the producers' (an event
// processed by two consumer processes, e.g. after a rebalance, is one
// delivery and one duplicate).
type Consumer struct {
	// Name identifies the process (--name, e.g. the pod name).
	Name string `json:"name"`
	// Members is the number of group members per subscriber it ran.
	Members int `json:"members"`
	// Topic is the topic it consumed.
	Topic string `json:"topic"`
	// ClockOffsetUS, ClockOffsetBoundUS and ClockReference are as in
	// Shard: how far this process's clock was ahead of the reference's
	// (the Kafka broker's record timestamps), which its completion times
	// carry into e2e latencies against the producers' intended times.
	ClockOffsetUS      *int64 `json:"clock_offset_us,omitempty"`
	ClockOffsetBoundUS *int64 `json:"clock_offset_bound_us,omitempty"`
	ClockReference     string `json:"clock_reference,omitempty"`
}

// SetClockOffset records an offset estimate when it is the first or
// tighter than the one recorded (as Shard.SetClockOffset).
func (c *Consumer) SetClockOffset(offset, bound time.Duration, ref string) {
	if c == nil || (c.ClockOffsetBoundUS != nil && *c.ClockOffsetBoundUS <= bound.Microseconds()) {
		return
	}
	o, b := offset.Microseconds(), bound.Microseconds()
	c.ClockOffsetUS, c.ClockOffsetBoundUS, c.ClockReference = &o, &b, ref
}
