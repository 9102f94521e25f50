package main

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/runners"
	"github.com/evbench/evbench/runners/engine"
)

func init() { addCommand(newVersionCmd) }

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, revision, results schema and registered systems",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			env := engine.Environment()
			fmt.Fprintf(cmd.OutOrStdout(), "evbench %s (revision %s, %s %s/%s)\nresults schema: %s\nsystems: %v\n",
				engine.Version, orNone(env.Revision), runtime.Version(), runtime.GOOS, runtime.GOARCH, results.Schema, runners.Systems())
			return nil
		},
	}
}

func orNone(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
