package html

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/evbench/evbench/reports/chart"
	"github.com/evbench/evbench/reports/plot"
	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/scenarios"
)

// Thresholds for the generator-lag honesty label: the generator is "late"
// when its p99 lag exceeds 1 ms or 10% of the fastest subscriber's e2e p50.
const (
	GenLagAbsUS    = 1000
	GenLagRelOfP50 = 0.10
)

// page is the template's view of a results document.
type page struct {
	Title       string
	Scenario    string
	Description string
	Status      string
	StatusError string
	Sweep       bool
	Verdict     []verdictRow
	// Durability opens the report when a point had fault windows
	// (durability.go).
	Durability *tableView
	Findings   []string
	MaxRates   []maxRow
	Honesty    []label
	// RunnerNotes are the detail points' notes (configuration facts and
	// warnings from the runners), shown under the caveats.
	RunnerNotes []string
	Env         [][2]string
	Thresholds  []thresholdRow
	ThreshFail  int
	// ThreshBySystem summarises long threshold lists (sweeps); the full
	// table is then collapsed.
	ThreshBySystem []threshCount
	Systems        []systemView
	Points         []pointRow
	Figures        []figure
	Extra          []extraSection
	ScenarioJS     string
	Command        string
	Files          []string
	SystemCSS      []systemCSS
	Generated      string
}

type systemCSS struct{ Name, Color string }

// cell is a displayed number with its machine-readable value, so the
// browser test (and scripts) can read the exact figure behind the text.
type cell struct {
	System string
	Metric string
	Value  string
	Text   string
	Bad    bool
}

type verdictRow struct {
	System     string
	Color      string
	Point      string
	Status     string
	Embedded   bool
	Achieved   cell
	Offered    string
	P99        cell
	WorstSub   string
	Lost       cell
	Duplicates cell
	// Overload is the reason the generator could not keep its schedule
	// (results.Point.OverloadReason); empty when it could.
	Overload string
}

type maxRow struct {
	System      string
	Color       string
	Subscribers int
	Rate        cell
	SLO         string
	Probes      int
	Reruns      int
	Bounded     bool
}

type label struct {
	Level string // info | warn | error
	Text  string
}

type thresholdRow struct {
	System, Point, Expr, Value string
	Pass                       bool
}

type threshCount struct {
	System      string
	Pass, Total int
}

type latRow struct {
	Name                           string
	Count                          string
	P50, P90, P99, P999, Max, Mean string
}

type subRow struct {
	Name                                           string
	Lat                                            latRow
	Sent, Delivered, Duplicates, Lost, DeadLetters string
	Retries, OutOfOrder                            string
	BadLost, BadDup, BadDLQ, Disabled              bool
	Errors                                         string
	ErrorsBad                                      bool
	Attempts                                       string
}

type pointView struct {
	Index      int
	Label      string
	Status     string
	Error      string
	Summary    [][2]string
	BrokerLats []latRow
	Subs       []subRow
	// HasAttempts: the point's system delivers attempt by attempt
	// (capability Attempts), so the table shows attempts per delivery.
	HasAttempts bool
	Notes       []string
	// Phases splits each webhook subscriber's attempt latency (connect,
	// TLS, time to first byte); Endpoints describes url subscribers.
	Phases    []latRow
	Endpoints []endpointRow
	// Losses gives lost_by and not_subscribed; CatchUps the late consumer
	// groups (catchup.go).
	Losses   []lossRow
	CatchUps []catchUpRow
	Parallel []parallelRow
}

// endpointRow describes a subscriber that is a real receiver.
type endpointRow struct {
	Name, Text string
	Insecure   bool
}

type systemView struct {
	Name     string
	Color    string
	Embedded bool
	Detail   pointView
	Others   []pointView // sweeps: the other points, collapsed
}

type pointRow struct {
	System, Color, Label, Status       string
	Offered, Achieved, P99, Lost, Dups string
	Thresholds                         string
	Bad                                bool
}

// figure is one chart in the page.
type figure struct {
	Name    string
	Title   string
	Caption string
	SVG     []byte
	PNG     []byte // used inline only when there is no SVG
	File    string // PNG file name beside report.html
}

type extraSection struct {
	ID         string
	Title      string
	Paragraphs []string
	Tables     []tableView
	Figures    []figure
}

type tableView struct {
	Caption string
	Header  []tableCell
	Rows    [][]tableCell
}

// tableCell is one cell of a generic table: Class is "" for numbers
// (right-aligned), "text" for words (left-aligned) and "text long" for
// sentences, which get room to wrap instead of a one-word-wide column.
type tableCell struct {
	Text  string
	Class string
}

var numeric = regexp.MustCompile(`^[-+~≈<>]?\s?[$€£]?[-+]?[\d][\d.,]*(e[-+]?\d+)?\s?[%a-zA-Zµ/$]{0,12}$`)

// newTableView classifies each column of t: a column is text when any of
// its cells is not a number (with an optional unit), and long when a cell
// has more than 40 characters.
func newTableView(t chart.Table) tableView {
	cols := len(t.Header)
	for _, r := range t.Rows {
		cols = max(cols, len(r))
	}
	class := make([]string, cols)
	for c := 0; c < cols; c++ {
		text, long := false, false
		for _, r := range t.Rows {
			if c >= len(r) {
				continue
			}
			v := strings.TrimSpace(r[c])
			if v != "" && v != "-" && !numeric.MatchString(v) {
				text = true
			}
			if len([]rune(v)) > 40 {
				long = true
			}
		}
		switch {
		case long:
			class[c] = "text long"
		case text:
			class[c] = "text"
		}
	}
	tv := tableView{Caption: t.Caption}
	for c, h := range t.Header {
		tv.Header = append(tv.Header, tableCell{h, class[c]})
	}
	for _, r := range t.Rows {
		row := make([]tableCell, len(r))
		for c, v := range r {
			row[c] = tableCell{v, class[c]}
		}
		tv.Rows = append(tv.Rows, row)
	}
	return tv
}

// buildPage turns results into the template's view.
func buildPage(r *results.Results, figs []figure, extra []extraSection, files []string) (*page, error) {
	pg := &page{
		Status:      r.Status,
		StatusError: r.Error,
		Sweep:       plot.IsSweep(r),
		Figures:     figs,
		Extra:       extra,
		Command:     r.Command,
		Files:       files,
	}
	var sc struct {
		Name        string `json:"name"`
		Description string `json:"description"`
	}
	if len(r.Scenario) > 0 {
		_ = json.Unmarshal(r.Scenario, &sc) // a scenario we cannot read still gets a report
		var buf bytes.Buffer
		if err := json.Indent(&buf, r.Scenario, "", "  "); err == nil {
			pg.ScenarioJS = buf.String()
		} else {
			pg.ScenarioJS = string(r.Scenario)
		}
	}
	pg.Scenario = sc.Name
	pg.Description = sc.Description
	pg.Title = "evbench report"
	if sc.Name != "" {
		pg.Title += ": " + sc.Name
	}
	if !r.Environment.StartedAt.IsZero() {
		pg.Generated = r.Environment.StartedAt.UTC().Format("2006-01-02 15:04 MST")
	}

	det := plot.DetailPoints(r)
	ord := results.OrderOf(r.Points)
	seen := map[string]bool{}
	for _, p := range r.Points {
		if !seen[p.System] {
			seen[p.System] = true
			pg.SystemCSS = append(pg.SystemCSS, systemCSS{p.System, plot.SystemColorHexIn(ord, p.System)})
		}
	}
	sort.SliceStable(pg.SystemCSS, func(a, b int) bool { return ord.Less(pg.SystemCSS[a].Name, pg.SystemCSS[b].Name) })
	for _, i := range det {
		p := r.Points[i]
		pg.Verdict = append(pg.Verdict, verdict(r, p))
	}
	pg.Findings = findings(pg.Verdict)
	pg.Durability = durability(r)
	for _, m := range r.MaxSustainable {
		pg.MaxRates = append(pg.MaxRates, maxRow{
			System: m.System, Color: plot.SystemColorHexIn(ord, m.System), Subscribers: m.Subscribers,
			Rate: cell{System: m.System, Metric: "max_sustainable_per_s", Value: num(m.RatePerS), Text: rate(m.RatePerS)},
			SLO:  m.SLO, Probes: m.Probes, Reruns: m.Reruns, Bounded: m.Bounded,
		})
	}
	pg.Honesty = honesty(r)
	pg.Env = environment(r)
	for i, p := range r.Points {
		for _, th := range p.Thresholds {
			pg.Thresholds = append(pg.Thresholds, thresholdRow{
				System: p.System, Point: pointName(r, i), Expr: th.Expr, Value: thresholdValue(th), Pass: th.Pass,
			})
			if !th.Pass {
				pg.ThreshFail++
			}
		}
	}
	if len(pg.Thresholds) > 12 {
		idx := map[string]int{}
		for _, t := range pg.Thresholds {
			j, ok := idx[t.System]
			if !ok {
				j = len(pg.ThreshBySystem)
				idx[t.System] = j
				pg.ThreshBySystem = append(pg.ThreshBySystem, threshCount{System: t.System})
			}
			pg.ThreshBySystem[j].Total++
			if t.Pass {
				pg.ThreshBySystem[j].Pass++
			}
		}
	}
	for _, i := range det {
		p := r.Points[i]
		_, embedded := p.Broker(r.Environment)
		sv := systemView{Name: p.System, Color: plot.SystemColorHexIn(results.OrderOf(r.Points), p.System),
			Embedded: embedded, Detail: pointDetail(r, i)}
		sv.Detail.Notes = nil // shown with the caveats
		for _, n := range p.Notes {
			if strings.HasPrefix(n, "broker_kind: ") {
				continue // the environment shows the broker
			}
			// Runners often name themselves already ("kafka: fresh topic").
			pg.RunnerNotes = append(pg.RunnerNotes, p.System+": "+strings.TrimPrefix(n, p.System+": "))
		}
		if pg.Sweep {
			for j, q := range r.Points {
				if q.System == p.System && j != i {
					sv.Others = append(sv.Others, pointDetail(r, j))
				}
			}
		}
		pg.Systems = append(pg.Systems, sv)
	}
	if pg.Sweep {
		order := make([]int, len(r.Points))
		for i := range order {
			order[i] = i
		}
		sort.SliceStable(order, func(a, b int) bool {
			pa, pb := r.Points[order[a]], r.Points[order[b]]
			if pa.System != pb.System {
				return ord.Less(pa.System, pb.System)
			}
			return false
		})
		for _, i := range order {
			pg.Points = append(pg.Points, pointRowOf(r, i))
		}
	}
	return pg, nil
}

func pointName(r *results.Results, i int) string {
	if !plot.IsSweep(r) {
		return ""
	}
	return plot.PointLabel(r.Points[i])
}

// worst returns the subscriber with the highest e2e p99 (first on ties).
func worst(p results.Point) (name string, p99 int64) {
	p99 = -1
	for _, s := range p.Subscribers {
		if s.E2E.LatencyUS.P99 > p99 {
			name, p99 = s.Name, s.E2E.LatencyUS.P99
		}
	}
	return name, max(p99, 0)
}

func totals(p results.Point) (lost, dups, dlq int64) {
	for _, s := range p.Subscribers {
		lost += s.Accounting.Lost
		dups += s.Accounting.Duplicates
		dlq += s.Accounting.DeadLettered
	}
	return
}

func verdict(r *results.Results, p results.Point) verdictRow {
	name, p99 := worst(p)
	lost, dups, _ := totals(p)
	_, embedded := p.Broker(r.Environment)
	v := verdictRow{
		System:     p.System,
		Color:      plot.SystemColorHexIn(results.OrderOf(r.Points), p.System),
		Status:     p.Status,
		Embedded:   embedded,
		Achieved:   cell{System: p.System, Metric: "achieved_per_s", Value: num(p.AchievedPerS), Text: rate(p.AchievedPerS)},
		Offered:    rate(p.OfferedPerS),
		P99:        cell{System: p.System, Metric: "p99_us", Value: strconv.FormatInt(p99, 10), Text: ms(p99)},
		WorstSub:   name,
		Lost:       cell{System: p.System, Metric: "lost", Value: strconv.FormatInt(lost, 10), Text: count(lost), Bad: lost > 0},
		Duplicates: cell{System: p.System, Metric: "duplicates", Value: strconv.FormatInt(dups, 10), Text: count(dups), Bad: dups > 0},
	}
	if plot.IsSweep(r) {
		v.Point = plot.PointLabel(p)
	}
	if p.Overloaded {
		v.Overload = p.OverloadReason
		if v.Overload == "" {
			v.Overload = "the generator could not keep its schedule"
		}
		v.Achieved.Bad = true
	}
	return v
}

// findings are short factual sentences comparing the systems.
func findings(v []verdictRow) []string {
	if len(v) < 2 {
		return nil
	}
	var out []string
	best := 0
	for i := range v {
		a, _ := strconv.ParseInt(v[i].P99.Value, 10, 64)
		b, _ := strconv.ParseInt(v[best].P99.Value, 10, 64)
		if a < b {
			best = i
		}
	}
	var others []string
	for i := range v {
		if i != best {
			others = append(others, v[i].System+" "+v[i].P99.Text)
		}
	}
	out = append(out, fmt.Sprintf("Lowest worst-subscriber p99: %s (%s); %s.", v[best].System, v[best].P99.Text, strings.Join(others, ", ")))
	var lost, dup []string
	for _, r := range v {
		if r.Lost.Bad {
			lost = append(lost, r.System+" "+r.Lost.Text)
		}
		if r.Duplicates.Bad {
			dup = append(dup, r.System+" "+r.Duplicates.Text)
		}
	}
	if len(lost) == 0 {
		out = append(out, "No system lost an event.")
	} else {
		out = append(out, "Lost events (summed over subscribers): "+strings.Join(lost, ", ")+".")
	}
	if len(dup) == 0 {
		out = append(out, "No duplicates.")
	} else {
		out = append(out, "Duplicate deliveries: "+strings.Join(dup, ", ")+".")
	}
	return out
}

func honesty(r *results.Results) []label {
	var out []label
	switch r.Status {
	case results.StatusInterrupted:
		out = append(out, label{"error", "This run was interrupted: the numbers cover only the part that ran, with a shortened drain, so lost counts may include events still in flight."})
	case results.StatusFailed:
		msg := "This run failed"
		if r.Error != "" {
			msg += ": " + r.Error
		}
		out = append(out, label{"error", msg + ". Numbers below are incomplete."})
	}
	if n := scenarios.CompressionNote(r.Scenario); n != "" {
		out = append(out, label{"warn", n})
	}
	onEmbedded := false
	for _, p := range r.Points {
		if _, e := p.Broker(r.Environment); e {
			onEmbedded = true
		}
	}
	if onEmbedded {
		out = append(out, label{"warn", "Kafka and bridge numbers were measured on an embedded in-memory broker, not a disk-backed one: " +
			"it does not write to disk, does not replicate and adds no network hop, so a real cluster is slower. " +
			"Run with --brokers host:port against a real cluster for production-like numbers. Broker: " + r.Environment.BrokerKind + "."})
	}
	// Generator lag is judged per point but reported once per system, so a
	// sweep does not repeat the same caveat for every point.
	type lagged struct {
		n, of            int
		p99, max, minP50 int64
		where            []string
	}
	lags := map[string]*lagged{}
	var lagOrder []string
	for _, p := range r.Points {
		name := p.System
		if plot.IsSweep(r) {
			name += " at " + plot.PointLabel(p)
		}
		if p.Status != "" && p.Status != results.StatusComplete {
			msg := fmt.Sprintf("%s: point %s", name, p.Status)
			if p.Error != "" {
				msg += ": " + p.Error
			}
			out = append(out, label{"error", msg + "."})
		}
		minP50 := int64(-1)
		for _, s := range p.Subscribers {
			if s.E2E.LatencyUS.Count > 0 && (minP50 < 0 || s.E2E.LatencyUS.P50 < minP50) {
				minP50 = s.E2E.LatencyUS.P50
			}
		}
		lg := lags[p.System]
		if lg == nil {
			lg = &lagged{}
			lags[p.System] = lg
			lagOrder = append(lagOrder, p.System)
		}
		lg.of++
		lag := p.GeneratorLagUS
		if lag.P99 > GenLagAbsUS || (minP50 > 0 && float64(lag.P99) > GenLagRelOfP50*float64(minP50)) {
			lg.n++
			if lag.P99 > lg.p99 {
				lg.p99, lg.minP50 = lag.P99, max(minP50, 0)
			}
			lg.max = max(lg.max, lag.Max)
			lg.where = append(lg.where, plot.PointLabel(p))
		}
		if p.OfferedPerS > 0 && p.AchievedPerS < 0.99*p.OfferedPerS {
			out = append(out, label{"warn", fmt.Sprintf("%s: only %s of the %s offered were sent: the schedule could not be kept.",
				name, rate(p.AchievedPerS), rate(p.OfferedPerS))})
		}
	}
	var late []string
	for _, sys := range lagOrder {
		lg := lags[sys]
		if lg.n == 0 {
			continue
		}
		where := ""
		if lg.of > 1 {
			where = fmt.Sprintf(" at %d of %d points", lg.n, lg.of)
		}
		late = append(late, fmt.Sprintf("%s%s: p99 %s, max %s (fastest subscriber's e2e p50 %s)", sys, where, ms(lg.p99), ms(lg.max), ms(lg.minP50)))
	}
	if len(late) > 0 {
		out = append(out, label{"warn", fmt.Sprintf("The load generator ran late (p99 lag above %s or above %.0f%% of the fastest subscriber's e2e p50) for %s. "+
			"Latency is still measured from the intended send time, so the delay is counted, not hidden, but part of it is the harness machine, "+
			"not the system under test.", ms(GenLagAbsUS), 100*GenLagRelOfP50, strings.Join(late, "; "))})
	}
	return out
}

// thresholdValue shows a threshold's measured value in its metric's unit:
// latencies (microseconds in results) as milliseconds, rates per second,
// counts as integers.
func thresholdValue(th results.Threshold) string {
	if th.NoData {
		return "no data"
	}
	metric := strings.TrimSpace(th.Expr)
	if i := strings.IndexAny(metric, " <>=!"); i >= 0 {
		metric = metric[:i]
	}
	group, _, _ := strings.Cut(metric, ".")
	switch {
	case group == "e2e" || group == "attempt" || group == "publish" || group == "ingress" || group == "generator_lag":
		return msf(th.Value)
	case strings.HasSuffix(metric, "_per_s"):
		return rate(th.Value)
	case th.Value == math.Trunc(th.Value) && math.Abs(th.Value) < 1e15:
		return count(int64(th.Value))
	default:
		return strconv.FormatFloat(th.Value, 'g', 6, 64)
	}
}

func environment(r *results.Results) [][2]string {
	e := r.Environment
	var out [][2]string
	add := func(k, v string) {
		if v != "" {
			out = append(out, [2]string{k, v})
		}
	}
	add("Go", e.Go)
	add("OS / arch", strings.Trim(e.OS+" / "+e.Arch, " /"))
	cpu := ""
	if e.CPUs > 0 {
		cpu = strconv.Itoa(e.CPUs) + " cores"
	}
	if e.CPUModel != "" {
		cpu = strings.TrimSpace(cpu + " (" + e.CPUModel + ")")
	}
	add("CPU", cpu)
	add("Broker", e.BrokerKind)
	add("evbench version", e.Version)
	add("Revision", e.Revision)
	if !e.StartedAt.IsZero() {
		add("Started", e.StartedAt.UTC().Format(time.RFC3339))
	}
	if !e.FinishedAt.IsZero() {
		add("Finished", e.FinishedAt.UTC().Format(time.RFC3339))
		if !e.StartedAt.IsZero() {
			add("Wall time", e.FinishedAt.Sub(e.StartedAt).Round(time.Second).String())
		}
	}
	add("Points", strconv.Itoa(len(r.Points)))
	return out
}

func lat(name string, s results.Summary) latRow {
	return latRow{Name: name, Count: count(s.Count), P50: ms(s.P50), P90: ms(s.P90), P99: ms(s.P99), P999: ms(s.P999), Max: ms(s.Max),
		Mean: msf(s.Mean)}
}

func pointDetail(r *results.Results, i int) pointView {
	p := r.Points[i]
	pv := pointView{Index: i, Label: plot.PointLabel(p), Status: p.Status, Error: p.Error, HasAttempts: p.Caps().Attempts, Notes: p.Notes}
	pv.Summary = [][2]string{
		{"Offered", rate(p.OfferedPerS)},
		{"Sent (achieved)", rate(p.AchievedPerS)},
		{"Measured period", strconv.FormatFloat(p.DurationS, 'f', -1, 64) + " s"},
		{"Generator lag p99 / max", ms(p.GeneratorLagUS.P99) + " / " + ms(p.GeneratorLagUS.Max)},
		{"Harness CPU user + sys", fmt.Sprintf("%.2f s + %.2f s", p.Resources.CPUUserS, p.Resources.CPUSysS)},
		{"Harness max RSS", bytesHuman(p.Resources.MaxRSSBytes)},
		{"Bytes sent", bytesHuman(p.Resources.BytesSent)},
	}
	if p.Publish != nil {
		pv.BrokerLats = append(pv.BrokerLats, lat("publish (intended → acked)", p.Publish.LatencyUS))
	}
	if p.Ingress != nil {
		pv.BrokerLats = append(pv.BrokerLats, lat("ingress (intended → HTTP ack)", p.Ingress.LatencyUS))
	}
	if p.PublishErrors != nil && p.PublishErrors.Total() > 0 {
		pv.Summary = append(pv.Summary, [2]string{"Publish errors", errorsText(*p.PublishErrors)})
	}
	for _, s := range p.Subscribers {
		a := s.Accounting
		sr := subRow{
			Name: s.Name, Lat: lat(s.Name, s.E2E.LatencyUS),
			Sent: count(a.Sent), Delivered: count(a.Delivered), Duplicates: count(a.Duplicates), Lost: count(a.Lost),
			DeadLetters: count(a.DeadLettered), Retries: count(a.Retries), OutOfOrder: count(a.OutOfOrder),
			BadLost: a.Lost > 0, BadDup: a.Duplicates > 0, BadDLQ: a.DeadLettered > 0, Disabled: s.Disabled,
			Errors: errorsText(s.Errors), ErrorsBad: s.Errors.Total() > 0,
		}
		if c := s.AttemptsPerDelivery; c != nil && c.Count > 0 {
			sr.Attempts = fmt.Sprintf("mean %.3f, p99 %d, max %d", c.Mean, c.P99, c.Max)
		}
		pv.Subs = append(pv.Subs, sr)
		pv.Phases = append(pv.Phases, phaseRows(s)...)
		if ep := endpointRowOf(s); ep != nil {
			pv.Endpoints = append(pv.Endpoints, *ep)
		}
		if l := lossRowOf(s); l != nil {
			pv.Losses = append(pv.Losses, *l)
		}
		if s.CatchUp != nil {
			pv.CatchUps = append(pv.CatchUps, catchUpRowOf(s.Name, s.CatchUp))
		}
	}
	for _, r := range p.ParallelRun {
		pv.Parallel = append(pv.Parallel, parallelRowOf(r))
	}
	return pv
}

func pointRowOf(r *results.Results, i int) pointRow {
	p := r.Points[i]
	_, p99 := worst(p)
	lost, dups, _ := totals(p)
	pass, n := 0, len(p.Thresholds)
	for _, t := range p.Thresholds {
		if t.Pass {
			pass++
		}
	}
	th := ""
	if n > 0 {
		th = fmt.Sprintf("%d/%d pass", pass, n)
	}
	return pointRow{System: p.System, Color: plot.SystemColorHexIn(results.OrderOf(r.Points), p.System), Label: plot.PointLabel(p), Status: p.Status,
		Offered: rate(p.OfferedPerS), Achieved: rate(p.AchievedPerS), P99: ms(p99), Lost: count(lost), Dups: count(dups),
		Thresholds: th, Bad: lost > 0 || dups > 0 || pass < n || p.Status != results.StatusComplete}
}

func errorsText(e results.Errors) string {
	var parts []string
	add := func(n int64, what string) {
		if n > 0 {
			parts = append(parts, what+" "+count(n))
		}
	}
	add(e.Timeout, "timeout")
	add(e.Refused, "refused")
	add(e.HTTP4xx, "4xx")
	add(e.HTTP5xx, "5xx")
	add(e.SignatureFailures, "signature")
	add(e.Broker, "broker")
	add(e.Other, "other")
	if len(parts) == 0 {
		return "0"
	}
	return strings.Join(parts, ", ")
}

// num is the exact machine-readable form of a float.
func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// count formats an integer with thousands separators: 29,988.
func count(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// grouped formats v with thousands separators and the given decimals.
func grouped(v float64, decimals int) string {
	s := strconv.FormatFloat(math.Abs(v), 'f', decimals, 64)
	intPart, frac, _ := strings.Cut(s, ".")
	n, _ := strconv.ParseInt(intPart, 10, 64)
	out := count(n)
	if frac != "" {
		out += "." + frac
	}
	if v < 0 {
		out = "-" + out
	}
	return out
}

// rate formats events per second: 1,000/s, 52.5/s.
func rate(v float64) string {
	d := 0
	if math.Abs(v) < 100 {
		d = 1
	}
	return grouped(v, d) + "/s"
}

// ms formats microseconds as milliseconds with 3 significant digits (at
// least the integer part): 0.412 ms, 4.12 ms, 41.2 ms, 412 ms, 14,335 ms.
func ms(us int64) string { return msf(float64(us)) }

func msf(us float64) string {
	v := us / 1000
	a := math.Abs(v)
	switch {
	case a == 0:
		return "0 ms"
	case a < 1:
		return grouped(v, 3) + " ms"
	case a < 10:
		return grouped(v, 2) + " ms"
	case a < 100:
		return grouped(v, 1) + " ms"
	default:
		return grouped(v, 0) + " ms"
	}
}

func bytesHuman(b int64) string {
	const unit = 1024
	if b < unit {
		return strconv.FormatInt(b, 10) + " B"
	}
	div, exp := int64(unit), 0
	for n := b / unit; n >= unit; n /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(b)/float64(div), "KMGTPE"[exp])
}

// phaseRows are a webhook subscriber's attempt latency and its split.
func phaseRows(s results.Subscriber) []latRow {
	ph := s.AttemptPhases
	if ph == nil || s.Attempt == nil {
		return nil
	}
	conns := "kept alive"
	if !ph.KeepAlive {
		conns = "a connection per attempt"
	}
	return []latRow{
		lat(fmt.Sprintf("%s: attempt (%s, %s new)", s.Name, conns, count(ph.NewConnections)), s.Attempt.LatencyUS),
		lat(s.Name+": connect (TCP)", ph.Connect.LatencyUS),
		lat(s.Name+": TLS handshake", ph.TLS.LatencyUS),
		lat(s.Name+": time to first byte", ph.TTFB.LatencyUS),
	}
}

// endpointRowOf describes a url subscriber, or returns nil.
func endpointRowOf(s results.Subscriber) *endpointRow {
	ep := s.Endpoint
	if ep == nil {
		return nil
	}
	text := "external receiver at " + ep.URL + ": delivered counts 2xx acknowledgements, e2e is intended → 2xx"
	if ep.Mode == results.EndpointSinkLedger {
		text = "evbench sink at " + ep.URL + ": accounted from its ledger, e2e is intended → processing done"
		if ep.ClockSkewUS != nil && ep.ClockSkewBoundUS != nil {
			text += fmt.Sprintf("; its clock differs by %s (± %s)", msf(float64(*ep.ClockSkewUS)), msf(float64(*ep.ClockSkewBoundUS)))
		}
	}
	if ep.ClientCertificate {
		text += "; client certificate presented"
	}
	return &endpointRow{Name: s.Name, Text: text, Insecure: ep.InsecureSkipVerify}
}
