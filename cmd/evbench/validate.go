package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/evbench/evbench/scenarios"
)

func init() { addCommand(newValidateCmd) }

func newValidateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "validate FILE",
		Short: "Check a scenario file strictly; exit 2 with file:line:column on the first problem",
		Long: `validate loads a scenario exactly as run would and reports the first problem
as file:line:column, the key, and what is allowed. Exit 0 when valid, 2 when not.
FILE may also name a built-in example (quickstart, ecommerce, sweep).`,
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
			fmt.Fprintf(cmd.OutOrStdout(), "%s: valid (scenario %q, systems %v, %d subscriber(s), %d point(s) per system)\n",
				args[0], sc.Name, sc.Systems.Names(), len(sc.Subscribers), len(specs))
			return nil
		},
	}
}
