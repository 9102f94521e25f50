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
	"strings"

	"github.com/spf13/cobra"

	// Runners register themselves with the runner registry.
	_ "github.com/evbench/evbench/runners/bridge"
	_ "github.com/evbench/evbench/runners/flow"
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
	root.SetFlagErrorFunc(usageError)
	// The root runs (printing help) only so that its argument check runs:
	// cobra's built-in unknown-command error is an untyped error returned
	// before any hook, which could only be recognised by its English text.
	root.Args = func(c *cobra.Command, args []string) error {
		if len(args) > 0 {
			msg := fmt.Sprintf("unknown command %q for %q", args[0], c.CommandPath())
			if s := c.SuggestionsFor(args[0]); len(s) > 0 {
				msg += fmt.Sprintf(" (did you mean %s?)", strings.Join(s, ", "))
			}
			return errors.New(msg)
		}
		return nil
	}
	root.RunE = func(c *cobra.Command, _ []string) error { return c.Help() }
	root.SuggestionsMinimumDistance = 2
	for _, c := range subcommands {
		root.AddCommand(c())
	}
	return root
}

// subcommands are registered by each subcommand's file in init.
var subcommands []func() *cobra.Command

func addCommand(f func() *cobra.Command) { subcommands = append(subcommands, f) }

func main() {
	stop := startProfiling() // profile.go: EVBENCH_CPUPROFILE, EVBENCH_TRACE
	code := run(os.Args[1:])
	stop()
	os.Exit(code)
}

func run(args []string) int {
	root := newRootCmd()
	root.SetArgs(args)
	// Create cobra's own help and completion commands now (Execute would
	// add them later) so that their argument checks are typed too.
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd(args...)
	typeArgErrors(root)
	err := root.Execute()
	if err == nil {
		return exitOK
	}
	fmt.Fprintln(os.Stderr, "evbench:", err)
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return exitRunError
}

// typeArgErrors wraps every command's positional-argument check so that a
// wrong number of arguments or an unknown command is bad input (exit 2).
// With flag errors (SetFlagErrorFunc) these are all the usage errors cobra
// reports; anything else a command returns untyped is a run error, whatever
// its text says.
func typeArgErrors(c *cobra.Command) {
	if check := c.Args; check != nil {
		c.Args = func(c *cobra.Command, args []string) error {
			if err := check(c, args); err != nil {
				return usageError(c, err)
			}
			return nil
		}
	}
	for _, sub := range c.Commands() {
		typeArgErrors(sub)
	}
}

// usageError marks err as bad input and points at the command's help.
func usageError(c *cobra.Command, err error) error {
	return badInput(fmt.Errorf("%w\nrun '%s --help' for usage", err, c.CommandPath()))
}
