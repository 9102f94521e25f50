package results

// NetworkLink is the emulated network one link of a point had
// (docs/network.md): the profile's name ("" for an inline spec) and the
// spec in its inline form, e.g. "{latency: 39ms, jitter: 5ms}". Latency is
// one-way, added in each direction.
type NetworkLink struct {
	Profile string `json:"profile,omitempty"`
	Spec    string `json:"spec"`
	// Partitions lists the partition windows applied to the link, as
	// "at+for" from the start of the measured period (e.g. "2s+2s").
	Partitions []string `json:"partitions,omitempty"`
}

// Link names used as keys of Point.Network.
const (
	// LinkWebhookPrefix + subscriber: webhook sender -> subscriber.
	LinkWebhookPrefix = "webhook->"
	// LinkProducer: Kafka producer clients <-> brokers.
	LinkProducer = "producer<->brokers"
	// LinkGroupPrefix + subscriber: that consumer group <-> brokers.
	LinkGroupPrefix = "group:"
	// LinkIngress: the bridge's upstream sender -> ingress.
	LinkIngress = "sender->ingress"
)
