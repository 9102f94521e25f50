package results

// legacySystems describes the three systems evbench had before points
// recorded their capabilities, cost family and order (issue 8 item 1). It
// is the one place outside a system's own package that knows them by name,
// and it exists only so documents written before then still render and
// price exactly as they did: a point that records its capabilities
// (Point.Capabilities) never reads it. A new system has no entry and needs
// none.
var legacySystems = map[string]struct {
	caps   Capabilities
	family CostFamily
	order  int
}{
	"webhook": {Capabilities{Attempts: true, Retries: true, RetryQueue: true, DeadLetters: true}, FamilyPush, 1},
	"kafka":   {Capabilities{Publish: true, ConsumerLag: true, Broker: true, Retries: true, PerKeyOrder: true}, FamilyLog, 2},
	"bridge":  {Capabilities{Publish: true, Ingress: true, ConsumerLag: true, Broker: true, Retries: true}, FamilyPushToLog, 3},
}
