package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/scenarios"
)

// printSummary prints one table per point: a row per subscriber with the
// achieved rate, e2e percentiles and the accounting.
func printSummary(w io.Writer, res *results.Results) {
	fmt.Fprintf(w, "\nevbench %s — status %s\n", orNone(res.Environment.Version), res.Status)
	if res.Environment.BrokerKind != "" {
		fmt.Fprintf(w, "kafka broker: %s\n", res.Environment.BrokerKind)
		if res.Environment.Embedded {
			fmt.Fprintln(w, "** kafka and bridge ran on the in-memory embedded broker: no disk, no replication; not a real cluster's numbers (use --brokers) **")
		}
	}
	if n := scenarios.CompressionNote(res.Scenario); n != "" {
		fmt.Fprintln(w, "** "+n+" **")
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "system\tsubscriber\tachieved/s\tp50\tp90\tp99\tp99.9\tmax\tdelivered\tlost\tdup\tretries\tdead-lettered\t")
	for _, p := range res.Points {
		name := p.System
		if len(res.Points) > 3 {
			name += " " + fmtParams(p.Params)
		}
		if p.Status != results.StatusComplete {
			fmt.Fprintf(tw, "%s\t(%s)\t%.0f\t\t\t\t\t\t\t\t\t\t\t\n", name, p.Status, p.AchievedPerS)
		}
		for _, s := range p.Subscribers {
			l, a := s.E2E.LatencyUS, s.Accounting
			fmt.Fprintf(tw, "%s\t%s\t%.0f\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t\n", name, s.Name, p.AchievedPerS,
				us(l.P50), us(l.P90), us(l.P99), us(l.P999), us(l.Max), a.Delivered, a.Lost, a.Duplicates, a.Retries, a.DeadLettered)
		}
		if p.Publish != nil && p.Publish.LatencyUS.Count > 0 {
			l := p.Publish.LatencyUS
			fmt.Fprintf(tw, "%s\t(publish)\t\t%s\t%s\t%s\t%s\t%s\t\t\t\t\t\t\n", name, us(l.P50), us(l.P90), us(l.P99), us(l.P999), us(l.Max))
		}
	}
	tw.Flush()
	for _, p := range res.Points {
		printCrashes(w, p)
		for _, s := range p.Subscribers {
			if n := s.Accounting.NotSubscribed; n > 0 {
				fmt.Fprintf(w, "not subscribed %s %s: %d events from before it joined (join_at), never sent to it and not counted as lost\n", p.System, s.Name, n)
			}
			if c := s.Accounting.LostBy; c.Total() > 0 {
				crash := ""
				if c.SenderCrash > 0 {
					crash = fmt.Sprintf(" + %d sender crash", c.SenderCrash)
				}
				if c.BridgeCrash > 0 {
					crash += fmt.Sprintf(" + %d bridge crash", c.BridgeCrash)
				}
				if c.RetentionExpired > 0 {
					crash += fmt.Sprintf(" + %d retention expired", c.RetentionExpired)
				}
				fault := ""
				if c.BrokerFault > 0 {
					fault = fmt.Sprintf(" + %d never acknowledged by Kafka during a broker fault", c.BrokerFault)
				}
				fmt.Fprintf(w, "loss %s %s: %d lost = %d retries exhausted + %d endpoint gone (410) + %d queue overflow%s + %d not delivered by end of drain%s\n",
					p.System, s.Name, s.Accounting.Lost, c.RetriesExhausted, c.EndpointGone, c.QueueOverflow, crash, c.NotDelivered, fault)
			}
			if c := s.CatchUp; c != nil {
				fmt.Fprintln(w, catchUpLine(p.System, s.Name, c))
			}
		}
		for _, r := range p.ParallelRun {
			fmt.Fprintln(w, parallelLine(p.System, r))
		}
	}
	for _, p := range res.Points {
		if p.Overloaded {
			fmt.Fprintf(w, "** OVERLOADED %s at %.0f/s offered: achieved only %.0f/s; %s. These figures do not describe the offered load. **\n", p.System, p.OfferedPerS, p.AchievedPerS, p.OverloadReason)
		}
	}
	printFaults(w, res)
	for _, p := range res.Points {
		if p.GeneratorLagUS.P99 > 1000 {
			fmt.Fprintf(w, "note: %s generator lag p99 %s, max %s: the load generator fell behind its schedule\n", p.System, us(p.GeneratorLagUS.P99), us(p.GeneratorLagUS.Max))
		}
		for _, s := range p.Subscribers {
			if ep := s.Endpoint; ep != nil {
				how := "delivered counts 2xx acknowledgements, e2e is intended -> 2xx"
				if ep.Mode == results.EndpointSinkLedger {
					how = "an evbench sink accounted from its ledger, e2e is intended -> processing done"
				}
				fmt.Fprintf(w, "note: %s subscriber %s is a real receiver (%s)\n", p.System, s.Name, how)
				if ep.InsecureSkipVerify {
					fmt.Fprintf(w, "** INSECURE %s subscriber %s: its TLS certificate was not verified (insecure_skip_verify) **\n", p.System, s.Name)
				}
			}
		}
		for _, t := range p.Thresholds {
			mark := "PASS"
			if !t.Pass {
				mark = "FAIL"
			}
			fmt.Fprintf(w, "threshold %s %s: %s (measured %s)\n", mark, p.System, t.Expr, thresholdValue(t))
		}
	}
	printFlows(w, res.Flows)
	for _, m := range res.MaxSustainable {
		bound := ""
		if !m.Bounded {
			bound = " (search limit reached; true maximum is higher)"
		}
		reruns := ""
		if m.Reruns > 0 {
			reruns = fmt.Sprintf(" (%d of them reruns of a failed rate)", m.Reruns)
		}
		fmt.Fprintf(w, "max sustainable %s subscribers=%d: %.0f/s under %q after %d probes%s%s\n", m.System, m.Subscribers, m.RatePerS, m.SLO, m.Probes, reruns, bound)
	}
}

// us formats microseconds as a latency.
func us(v int64) string { return fmtLatency(time.Duration(v) * time.Microsecond) }

// thresholdValue formats a threshold's measured value in the expression's unit.
func thresholdValue(t results.Threshold) string {
	if t.NoData {
		return "no data"
	}
	switch scenarios.MetricUnit(t.Expr) {
	case scenarios.UnitMicros:
		return us(int64(t.Value))
	case scenarios.UnitPerSecond:
		return fmt.Sprintf("%.0f/s", t.Value)
	case scenarios.UnitRatio:
		return fmt.Sprintf("%.4g%%", t.Value*100)
	}
	return fmt.Sprintf("%g", t.Value)
}

// printCrashes prints every crash of a system's child process (issue 10
// item 4): when, for how long, and what the process held.
func printCrashes(w io.Writer, p results.Point) {
	for _, cp := range []*results.ChildProcess{p.SenderProcess, p.BridgeProcess} {
		if cp != nil {
			printProcessCrashes(w, p.System, cp)
		}
	}
}

func printProcessCrashes(w io.Writer, system string, cp *results.ChildProcess) {
	for _, c := range cp.Crashes {
		restart := "not restarted before the end"
		if c.EndS > 0 {
			restart = fmt.Sprintf("restarted at %.2fs", c.EndS)
		}
		fmt.Fprintf(w, "%s %s: killed at %.2fs, %s; %s\n", c.Kind, system, c.StartS, restart, cp.CrashOutcome(c))
	}
}

// printFaults prints each point's infrastructure fault windows and how the
// system lived through them (results.Availability).
func printFaults(w io.Writer, res *results.Results) {
	var real, emulated, notApplied []string
	seen := map[string]bool{}
	for _, p := range res.Points {
		for _, f := range p.AllFaultWindows() {
			k := p.System + " " + f.Kind
			if seen[k] {
				continue
			}
			seen[k] = true
			switch {
			case !f.Applied:
				notApplied = append(notApplied, k)
			case f.Emulated:
				emulated = append(emulated, k)
			default:
				real = append(real, k)
			}
		}
	}
	if len(emulated)+len(notApplied) > 0 {
		fmt.Fprintf(w, "** faults applied for real: %s; emulated (no process stopped): %s; not applied: %s **\n",
			noneIfEmpty(real), noneIfEmpty(emulated), noneIfEmpty(notApplied))
	}
	for _, p := range res.Points {
		for _, f := range p.FaultWindows {
			how := fmt.Sprintf("node %d, %s", f.Node, f.Method)
			if !f.Applied {
				how = f.Method
			} else if f.Emulated {
				how = fmt.Sprintf("embedded node %d, %s", f.Node, f.Method)
			}
			fmt.Fprintf(w, "fault %s: %s of %s %.1f-%.1f s (%s)\n", p.System, f.Kind, f.Target, f.StartS, f.EndS, how)
		}
		if av := p.Availability; av != nil {
			rec := "-"
			if av.RecoveryS != nil {
				rec = fmt.Sprintf("%.1f s", *av.RecoveryS)
				if *av.RecoveryS < 0 {
					rec = "lag not back to its pre-fault level by the end"
				}
			}
			pub := fmt.Sprintf("longest without a produce ack %.1f s, without", av.LongestPublishGapS)
			if !p.Caps().Publish {
				pub = "longest without" // no publish step
			}
			fmt.Fprintf(w, "availability %s: %s a delivery %.1f s; recovery %s\n", p.System, pub, av.LongestDeliveryGapS, rec)
		}
	}
}

// noneIfEmpty joins a list for a sentence, "none" when it is empty.
func noneIfEmpty(l []string) string {
	if len(l) == 0 {
		return "none"
	}
	return strings.Join(l, ", ")
}
