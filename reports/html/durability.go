package html

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/evbench/evbench/reports/chart"
	"github.com/evbench/evbench/reports/results"
)

// durability is the table the report opens with when any point had an
// infrastructure fault (systems.kafka.faults): one row per system and
// fault, with what a reader compares across systems: events lost (and how
// many of them the fault took: never acknowledged by the broker),
// duplicates, unavailability (the longest time without a produce
// acknowledgement and without a delivery) and the time to recover. nil
// when no point had a fault window.
func durability(r *results.Results) *tableView {
	t := chart.Table{
		Caption: "Per system and fault, summed over subscribers. Unavailable: the longest time without a produce acknowledgement (publish) and without any delivery. " +
			"Recovery: from the end of the fault until the consumer lag was back to its level before it.",
		Header: []string{"System", "Fault", "Lost", "Lost to the fault", "Duplicates", "Publish errors", "Unavailable: publish", "Unavailable: delivery", "Recovery"},
	}
	for i, p := range r.Points {
		wins := p.AllFaultWindows()
		if len(wins) == 0 {
			continue
		}
		var faults []string
		for _, w := range wins {
			f := fmt.Sprintf("%s of %s at %s–%s s", w.Kind, w.Target, secs(w.StartS), secs(w.EndS))
			if w.Applied && w.Node >= 0 {
				f += fmt.Sprintf(" (node %d)", w.Node)
			}
			if w.Emulated || !w.Applied || w.Node < 0 {
				f += " — " + w.Method
			}
			faults = append(faults, f)
		}
		lost, dups, _ := totals(p)
		var toFault int64
		for _, s := range p.Subscribers {
			c := s.Accounting.LostBy
			toFault += c.BrokerFault + c.SenderCrash + c.BridgeCrash
		}
		pubErrs := "—"
		if p.PublishErrors != nil {
			pubErrs = errorsText(*p.PublishErrors)
		}
		unPub, unDel, rec := "—", "—", "—"
		if av := p.Availability; av != nil {
			if p.Caps().Publish { // no publish step, no publish gap
				unPub = secs(av.LongestPublishGapS) + " s"
			}
			unDel = secs(av.LongestDeliveryGapS) + " s"
			if av.RecoveryS != nil {
				rec = secs(*av.RecoveryS) + " s"
				if *av.RecoveryS < 0 {
					rec = "not back by the end"
				}
			}
		}
		sys := p.System
		if pn := pointName(r, i); pn != "" {
			sys += " " + pn
		}
		if p.Status != results.StatusComplete {
			sys += " (" + p.Status + ")"
		}
		t.Rows = append(t.Rows, []string{sys, strings.Join(faults, "; "), count(lost), count(toFault), count(dups), pubErrs, unPub, unDel, rec})
	}
	if len(t.Rows) == 0 {
		return nil
	}
	tv := newTableView(t)
	return &tv
}

func secs(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }
