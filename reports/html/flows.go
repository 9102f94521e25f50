package html

import (
	"bytes"
	"fmt"
	"html"
	"slices"
	"strconv"
	"time"

	"github.com/evbench/evbench/reports/chart"
	"github.com/evbench/evbench/reports/plot"
	"github.com/evbench/evbench/reports/results"
)

// flowSections is the report's flows section (results.json flows): per
// flow an SVG diagram of its services and hops, each hop annotated with its
// p50/p99 (the hop alone) and its loss, the critical path drawn bold, and
// tables of the hops and routes. Nil when the run had no flows.
func flowSections(r *results.Results) []chart.Section {
	if len(r.Flows) == 0 {
		return nil
	}
	s := chart.Section{ID: "flows", Title: "Multi-hop flows",
		Paragraphs: []string{"Each flow's events enter at its entry service and travel every hop with their first intended time. " +
			"On the diagrams each hop is labelled with its own latency (the sender handing the event on -> the receiver finished processing it), p50 / p99, " +
			"and its loss (sent - delivered after the drain, red when not 0); the bold path is the whole flow's critical path (the branch that finished last most often). " +
			"End-to-end latency runs from the first intended time to the last end service finishing."}}
	for _, f := range r.Flows {
		if f.Status != results.StatusComplete {
			s.Paragraphs = append(s.Paragraphs, fmt.Sprintf("Flow %s: status %s %s", f.Name, f.Status, f.Error))
		}
		s.Charts = append(s.Charts, chart.Chart{Name: "flow-" + f.Name, Title: "Flow " + f.Name, SVG: flowSVG(f)})
		hops := chart.Table{Caption: "Flow " + f.Name + ": hops",
			Header: []string{"hop", "from -> to", "via", "sent", "delivered", "lost", "duplicates", "dead-lettered", "hop p50", "hop p99", "since intended p50", "since intended p99"}}
		for _, h := range f.Hops {
			hops.Rows = append(hops.Rows, []string{h.Name, h.From + " -> " + join(h.To), h.Via,
				itoa(h.Sent), itoa(h.Delivered), itoa(h.Lost), itoa(h.Duplicates), itoa(h.DeadLettered),
				fmtUS(h.Latency.LatencyUS.P50), fmtUS(h.Latency.LatencyUS.P99), fmtUS(h.SinceIntended.LatencyUS.P50), fmtUS(h.SinceIntended.LatencyUS.P99)})
		}
		routes := chart.Table{Caption: fmt.Sprintf("Flow %s: end to end (%d measured events)", f.Name, f.Events),
			Header: []string{"route", "ends", "completed", "lost", "e2e p50", "e2e p99", "e2e max", "critical path (to the end that finished last)", "share"}}
		for _, rt := range append([]results.FlowRoute{f.Whole}, f.Routes...) {
			name := rt.Name
			if name == f.Whole.Name {
				name += " (whole flow)"
			}
			routes.Rows = append(routes.Rows, []string{name, join(rt.To), itoa(rt.Completed), itoa(rt.Lost),
				fmtUS(rt.E2E.LatencyUS.P50), fmtUS(rt.E2E.LatencyUS.P99), fmtUS(rt.E2E.LatencyUS.Max),
				joinArrow(append(slices.Clone(rt.CriticalPath), rt.CriticalEnd)), fmt.Sprintf("%.0f%%", 100*rt.CriticalShare)})
		}
		s.Tables = append(s.Tables, hops, routes)
	}
	return []chart.Section{s}
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

func join(ss []string) string {
	var b bytes.Buffer
	for i, s := range ss {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(s)
	}
	return b.String()
}

func joinArrow(ss []string) string {
	var b bytes.Buffer
	for i, s := range ss {
		if i > 0 {
			b.WriteString(" -> ")
		}
		b.WriteString(s)
	}
	return b.String()
}

// fmtUS formats microseconds as a rounded duration ("-" for none).
func fmtUS(us int64) string {
	if us <= 0 {
		return "-"
	}
	d := time.Duration(us) * time.Microsecond
	switch {
	case d >= 10*time.Second:
		return d.Round(100 * time.Millisecond).String()
	case d >= time.Second:
		return d.Round(10 * time.Millisecond).String()
	case d >= time.Millisecond:
		return d.Round(100 * time.Microsecond).String()
	}
	return d.String()
}

// Diagram geometry (SVG user units).
const (
	boxW, boxH   = 150, 34
	colW, rowH   = 360, 80
	marginX      = 20
	marginY      = 30
	labelSpacing = 13
)

// flowSVG lays the flow's tree out left to right (depth = column, leaves
// one row each, a parent centred on its children) and draws it.
func flowSVG(f results.Flow) []byte {
	children := map[string][]string{}
	for _, h := range f.Hops {
		children[h.From] = append(children[h.From], h.To...)
	}
	crit := map[string]bool{}
	for _, n := range f.Whole.CriticalPath {
		crit[n] = true
	}
	type pos struct{ col, row float64 }
	at := map[string]pos{}
	var order []string // services in placement order, for stable output
	next := 0.0
	maxCol := 0.0
	var place func(n string, depth int, guard int) float64
	place = func(n string, depth int, guard int) float64 {
		if _, done := at[n]; done || guard > 64 {
			return at[n].row
		}
		maxCol = max(maxCol, float64(depth))
		order = append(order, n)
		kids := children[n]
		if len(kids) == 0 {
			at[n] = pos{float64(depth), next}
			next++
			return at[n].row
		}
		var sum float64
		for _, k := range kids {
			sum += place(k, depth+1, guard+1)
		}
		at[n] = pos{float64(depth), sum / float64(len(kids))}
		return at[n].row
	}
	place(f.Entry, 0, 0)
	w := marginX*2 + int(maxCol)*colW + boxW
	h := marginY*2 + int(max(next, 1)-1)*rowH + boxH
	xy := func(p pos) (float64, float64) {
		return marginX + p.col*colW, marginY + p.row*rowH
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="100%%" style="max-width:%dpx" font-family="sans-serif" font-size="11">`, w, h, w)
	fmt.Fprintf(&b, `<title>%s</title>`, html.EscapeString("flow "+f.Name))
	// Edges first, then labels (with a white halo), boxes on top.
	const halo = ` text-anchor="middle" stroke="#fff" stroke-width="4" paint-order="stroke"`
	var labels []string
	for _, hp := range f.Hops {
		from, ok := at[hp.From]
		if !ok {
			continue
		}
		x1, y1 := xy(from)
		x1 += boxW
		y1 += boxH / 2
		// A hop is drawn in the colour of the system it runs on, as
		// everywhere else in the report.
		colour := plot.SystemColorHex(hp.Via)
		width := 1.5
		if crit[hp.Name] {
			width = 3.5
		}
		for i, t := range hp.To {
			tp, ok := at[t]
			if !ok {
				continue
			}
			x2, y2 := xy(tp)
			y2 += boxH / 2
			fmt.Fprintf(&b, `<path d="M%.1f %.1f C%.1f %.1f %.1f %.1f %.1f %.1f" fill="none" stroke="%s" stroke-width="%.1f"/>`,
				x1, y1, (x1+x2)/2, y1, (x1+x2)/2, y2, x2, y2, colour, width)
			fmt.Fprintf(&b, `<polygon points="%.1f,%.1f %.1f,%.1f %.1f,%.1f" fill="%s"/>`, x2, y2, x2-7, y2-4, x2-7, y2+4, colour)
			if i > 0 {
				continue // one label per hop, on its first target's edge
			}
			lx, ly := (x1+x2)/2, (y1+y2)/2-2*labelSpacing-4
			lossColour := "#2f855a"
			if hp.Lost > 0 {
				lossColour = "#c53030"
			}
			labels = append(labels, fmt.Sprintf(`<text x="%.1f" y="%.1f" fill="%s" font-weight="bold"%s>%s (%s)</text>`, lx, ly, colour, halo, html.EscapeString(hp.Name), html.EscapeString(hp.Via)),
				fmt.Sprintf(`<text x="%.1f" y="%.1f" fill="#222"%s>p50 %s / p99 %s</text>`, lx, ly+labelSpacing, halo,
					fmtUS(hp.Latency.LatencyUS.P50), fmtUS(hp.Latency.LatencyUS.P99)),
				fmt.Sprintf(`<text x="%.1f" y="%.1f" fill="%s"%s>lost %d of %d</text>`, lx, ly+2*labelSpacing, lossColour, halo, hp.Lost, hp.Sent))
		}
	}
	for _, l := range labels {
		b.WriteString(l)
	}
	for _, n := range order {
		x, y := xy(at[n])
		stroke := "#444"
		if n == f.Entry {
			stroke = "#000"
		}
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%d" height="%d" rx="5" fill="#f7fafc" stroke="%s"/>`, x, y, boxW, boxH, stroke)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">%s</text>`, x+boxW/2, y+boxH/2+4, html.EscapeString(n))
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" fill="#222">end to end (whole flow): p50 %s / p99 %s, lost %d of %d</text>`, marginX, h-6,
		fmtUS(f.Whole.E2E.LatencyUS.P50), fmtUS(f.Whole.E2E.LatencyUS.P99), f.Whole.Lost, f.Events)
	b.WriteString(`</svg>`)
	return b.Bytes()
}
