package measure_test

import "github.com/evbench/evbench/reports/results"

// The capabilities of the two shapes of point the tests finish: a sender
// that delivers attempt by attempt, and a system that publishes to a
// broker its subscribers read.
var (
	direct    = results.Capabilities{Attempts: true, Retries: true, RetryQueue: true, DeadLetters: true}
	viaBroker = results.Capabilities{Publish: true, ConsumerLag: true, Broker: true, Retries: true, PerKeyOrder: true}
)
