// Package crashsched runs a child process's crash faults (sender-crash,
// bridge-crash) on the generator's clock: kill at At, start again after
// For. The webhook sender (runners/webhook/senderproc.go) and the bridge
// (runners/bridge/bridgeproc.go) supply only how to crash and restart.
package crashsched

import (
	"time"

	"github.com/evbench/evbench/runners/load"
	"github.com/evbench/evbench/scenarios"
)

// Run applies faults in order, timed from start (a load.Now instant, the
// measured start): crash(kind) at start+At, restart() at start+At+For. It
// returns nil when every fault ran or quit closed, and the first error of
// crash or restart otherwise.
func Run(start int64, faults []scenarios.InfraFault, quit <-chan struct{}, crash func(kind string) error, restart func() error) error {
	wait := func(t int64) bool {
		d := time.Duration(t - load.Now())
		if d <= 0 {
			return true
		}
		tm := time.NewTimer(d)
		defer tm.Stop()
		select {
		case <-tm.C:
			return true
		case <-quit:
			return false
		}
	}
	for _, f := range faults {
		if !wait(start + int64(f.At)) {
			return nil
		}
		if err := crash(f.Kind); err != nil {
			return err
		}
		if !wait(start + int64(f.At+f.For)) {
			return nil
		}
		if err := restart(); err != nil {
			return err
		}
	}
	return nil
}
