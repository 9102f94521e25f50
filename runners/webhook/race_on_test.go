//go:build race

package webhook

// raceEnabled is true under the race detector, which slows crypto, pools
// and scheduling by an order of magnitude: latency bounds are then
// meaningless and the tests that assert them skip (accounting still runs).
const raceEnabled = true
