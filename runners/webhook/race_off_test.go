//go:build !race

package webhook

// raceEnabled: see race_on_test.go.
const raceEnabled = false
