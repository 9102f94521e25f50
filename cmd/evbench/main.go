// Command evbench measures webhook fan-out, Kafka and the webhook-to-Kafka
// bridge on the same declarative workload. Each subcommand lives in its own
// file; the work is done by the library packages.
//
// Exit codes are listed with their constants below and in README.md.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	// Runners register themselves with the runner registry.
	_ "github.com/evbench/evbench/runners/bridge"
	_ "github.com/evbench/evbench/runners/kafka"
	_ "github.com/evbench/evbench/runners/webhook"
)

// Exit codes. When several apply, the first in this order wins:
// bad input, interrupted, run error, overloaded, regression, thresholds.
// 99 for failed thresholds follows k6, so CI jobs can tell "the system
// under test missed its targets" from "the benchmark itself went wrong".
const (
	exitOK          = 0
	exitRunError    = 1 // a point failed, a harness bug, an output could not be written
	exitBadInput    = 2 // the scenario, a flag or an input file is invalid
	exitOverloaded  = 3 // results written, but the generator could not keep its schedule: the offered load was not applied
	exitRegression  = 4 // evbench compare: a significant regression beyond the tolerance
	exitThresholds  = 99
	exitInterrupted = 130
)

// exitError carries an exit code through cobra.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// badInput marks err as a user input problem (exit 2).
func badInput(err error) error { return &exitError{code: exitBadInput, err: err} }

// interrupted marks a run stopped by a signal (exit 130).
func interrupted(err error) error { return &exitError{code: exitInterrupted, err: err} }

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "evbench",
		Short: "Benchmark webhook fan-out against Kafka (and the bridge between them)",
		Long: `evbench runs declarative YAML scenarios against webhook fan-out, Kafka and a
webhook-to-Kafka bridge, with the same subscribers for every system, and records
latency from the intended send time, exact delivery accounting and resource use.

Start with:  evbench run quickstart`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return badInput(fmt.Errorf("%w\nrun '%s --help' for usage", err, c.CommandPath()))
	})
	for _, c := range subcommands {
		root.AddCommand(c())
	}
	return root
}

// subcommands are registered by each subcommand's file in init.
var subcommands []func() *cobra.Command

func addCommand(f func() *cobra.Command) { subcommands = append(subcommands, f) }

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	root := newRootCmd()
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return exitOK
	}
	fmt.Fprintln(os.Stderr, "evbench:", err)
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	// cobra reports unknown commands and bad args as plain errors.
	if isUsageError(err) {
		return exitBadInput
	}
	return exitRunError
}

func isUsageError(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "accepts ", "requires at least", "invalid argument", "unknown shorthand"} {
		if len(msg) >= len(p) && contains(msg, p) {
			return true
		}
	}
	return false
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
