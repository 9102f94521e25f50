package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/evbench/evbench/reports/cost"
	"github.com/evbench/evbench/scenarios"
)

func init() { addCommand(newValidateCmd) }

func newValidateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "validate FILE",
		Short: "Check a scenario file strictly; exit 2 with file:line:column on the first problem",
		Long: `validate loads a scenario exactly as run would and reports the first problem
as file:line:column, the key, and what is allowed. Exit 0 when valid, 2 when not.
FILE may also name a built-in example (` + strings.Join(scenarios.Examples(), ", ") + `).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			sc, err := scenarios.Open(args[0])
			if err != nil {
				return badInput(err)
			}
			specs, err := sc.Expand()
			if err != nil {
				return badInput(err)
			}
			if err := checkCost(sc); err != nil {
				return badInput(fmt.Errorf("%s: %w", args[0], err))
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: valid (scenario %q, systems %v, %d subscriber(s), %d point(s) per system)\n",
				args[0], sc.Name, sc.Systems.Names(), len(sc.Subscribers), len(specs))
			printFlowsPlan(cmd.OutOrStdout(), args[0], sc)
			return nil
		},
	}
}

// checkCost resolves the scenario's cost block now, so an unknown profile
// or override key fails before a long run rather than in its report.
func checkCost(sc *scenarios.Scenario) error {
	if sc.Cost == nil {
		return nil
	}
	name := sc.Cost.Profile
	if name == "" {
		name = cost.DefaultProfile
	}
	p, err := cost.LoadProfile(name)
	if err != nil {
		return fmt.Errorf("cost.profile: %w", err)
	}
	if _, err := p.WithOverrides(sc.Cost.Overrides, "cost.overrides"); err != nil {
		return fmt.Errorf("cost.overrides: %w", err)
	}
	return nil
}
