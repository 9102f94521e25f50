package scenarios

// systems.bridge.parallel_run: a migration's parallel run (issue 12 item
// 5). The bridge delivers every event it receives both to the legacy
// webhook subscribers (in-process sinks, through a webhook sender with
// systems.webhook's settings, or the defaults) and to the Kafka consumer
// groups; results compare the two delivery sets per subscriber
// (runners/bridge/parallel.go, reports/results/parallel.go).

// LegacySuffix names a subscriber's legacy webhook path in a parallel run's
// results: "orders" is the Kafka group, "orders@webhook" the legacy webhook
// endpoint ('@' cannot occur in a subscriber name, so the two never clash).
const LegacySuffix = "@webhook"
