package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/scenarios"
)

// printFlows prints the multi-hop flows of a run (scenario flows:): per
// flow a row per hop (its ledger and its own latency) and a row per route
// and for the whole flow (end-to-end latency from the first intended time,
// loss on the path, critical path).
func printFlows(w io.Writer, flows []results.Flow) {
	for _, f := range flows {
		fmt.Fprintf(w, "\nflow %s — status %s, %d measured events entered at %s%s\n", f.Name, f.Status, f.Events, f.Entry, errorSuffix(f.Error))
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "hop\tvia\tto\thop p50\thop p99\tsince intended p50\tp99\tsent\tdelivered\tlost\tdup\tdead-lettered\t")
		for _, h := range f.Hops {
			l, s := h.Latency.LatencyUS, h.SinceIntended.LatencyUS
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t\n", h.Name, h.Via, strings.Join(h.To, ","),
				us(l.P50), us(l.P99), us(s.P50), us(s.P99), h.Sent, h.Delivered, h.Lost, h.Duplicates, h.DeadLettered)
		}
		_ = tw.Flush()
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "route\te2e p50\tp99\tmax\tcompleted\tlost\tcritical path\t")
		for _, r := range append([]results.FlowRoute{f.Whole}, f.Routes...) {
			e := r.E2E.LatencyUS
			crit := strings.Join(append(append([]string{}, r.CriticalPath...), r.CriticalEnd), " > ")
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%s (%.0f%%)\t\n", r.Name, us(e.P50), us(e.P99), us(e.Max), r.Completed, r.Lost, crit, 100*r.CriticalShare)
		}
		_ = tw.Flush()
	}
}

// printFlowsPlan tells `evbench validate` what flows the scenario runs
// after its points.
func printFlowsPlan(w io.Writer, file string, sc *scenarios.Scenario) {
	for _, f := range sc.Flows {
		fmt.Fprintf(w, "%s: flow %s: %d services, %d hops from %s, run once after the points\n", file, f.Name, len(f.Services), len(f.Hops), f.Entry)
	}
}
