package results

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
}
