package scenarios

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
)

// Flow is one multi-hop flow (issue 12 item 4): services joined by hops
// over a transport, fed by the scenario's load at its entry service. Every
// generated event enters the entry, is processed there, then travels every
// hop out of each service it reaches, keeping its id and its first
// intended time, so each hop's latency and the flow's end-to-end latency
// are measured from the same intended time. The services and hops form a
// tree rooted at the entry (every other service has exactly one hop into
// it), so each event reaches each service at most once and the path to any
// service is unique. A service an event passes through twice in real life
// (the order service that publishes order.created and later handles the
// payment webhook) is declared as two services, one per stage.
type Flow struct {
	// Name identifies the flow in results.
	Name string `yaml:"name" json:"name"`
	// Entry is the service that receives the generated events (default:
	// the first service).
	Entry string `yaml:"entry,omitempty" json:"entry"`
	// Services are the flow's services (stages).
	Services []FlowService `yaml:"services" json:"services"`
	// Hops join the services.
	Hops []Hop `yaml:"hops" json:"hops"`
	// Routes are named parts of the flow reported on their own: the hops
	// from the entry to each of the route's end services. Default: one
	// route per leaf service.
	Routes []Route `yaml:"routes,omitempty" json:"routes,omitempty"`
}

// FlowService is one service (or stage of a service) in a flow.
type FlowService struct {
	// Name is unique within the flow.
	Name string `yaml:"name" json:"name"`
	// Processing is the time the service works on each event before
	// sending it on (default fixed 0); not compressed by time_scale.
	Processing Dist `yaml:"processing,omitempty" json:"processing_ns"`
	// Delay is time that passes in the story after processing and before
	// the service sends the event on (a payment confirmed a minute later,
	// a parcel delivered days later); it is on the scenario's timeline, so
	// time_scale compresses it (default fixed 0).
	Delay Dist `yaml:"delay,omitempty" json:"delay_ns"`
}

// hopKinds are the transports a hop may use (Hop.Via), in registration
// order: the flow runner registers the ones it implements
// (RegisterHopKind), so the loader names no system.
var (
	hopMu    sync.RWMutex
	hopKinds []string
)

// RegisterHopKind adds a transport flows: hops may use (`via:`). It is
// called from the flow runner's init; a second registration of a kind
// panics (a programming error).
func RegisterHopKind(kind string) {
	hopMu.Lock()
	defer hopMu.Unlock()
	if contains(hopKinds, kind) {
		panic(fmt.Sprintf("scenarios: hop kind %q registered twice", kind))
	}
	hopKinds = append(hopKinds, kind)
}

// HopKinds returns the registered hop transports in registration order.
func HopKinds() []string {
	hopMu.RLock()
	defer hopMu.RUnlock()
	return slices.Clone(hopKinds)
}

// Hop is one hop of a flow: after processing an event, From sends it to
// every service in To (fan-out) over Via.
type Hop struct {
	// Name is unique within the flow (and names the hop's topic).
	Name string `yaml:"name" json:"name"`
	// From is the sending service.
	From string `yaml:"from" json:"from"`
	// To lists the receiving services (fan-out: each receives every event).
	To []string `yaml:"to" json:"to"`
	// Via is a registered hop kind (HopKinds; runners/flow registers
	// webhook, kafka and bridge). Each uses its systems block's settings
	// when present, the defaults otherwise.
	Via string `yaml:"via" json:"via"`
	// Faults are injected at the hop's receiving end (every target's sink
	// or consumer group), on the timeline of subscribers[].faults.
	Faults []Fault `yaml:"faults,omitempty" json:"faults,omitempty"`
}

// Route is a named part of a flow: the hops from the entry to each of To.
type Route struct {
	Name string   `yaml:"name" json:"name"`
	To   []string `yaml:"to" json:"to"`
}

// Flow limits: a flow is a handful of services; MaxFlowCells bounds the
// runner's memory (two 8-byte times per event and service, and the event's
// intended time: 128 MiB).
const (
	MaxFlows        = 8
	MaxFlowServices = 32
	MaxFlowCells    = 1 << 24
)

var (
	flowKeys    = []string{"name", "entry", "services", "hops", "routes"}
	flowSvcKeys = []string{"name", "processing", "delay"}
	hopKeys     = []string{"name", "from", "to", "via", "faults"}
	routeKeys   = []string{"name", "to"}
)

// flows decodes the flows list.
func (d *decoder) flows(n *node) []Flow {
	const path = "flows"
	items, ok := d.list(n, path, "flows")
	if !ok {
		return nil
	}
	out := []Flow{}
	for i, it := range items {
		p := index(path, i)
		o := d.object(it, p, flowKeys)
		if o == nil {
			return nil
		}
		o.require(nil, "every flow needs a name, services and hops", "name", "services", "hops")
		var f Flow
		o.str("name", &f.Name)
		o.str("entry", &f.Entry)
		if sl, ok := d.list(o.val("services"), o.p("services"), "services"); ok {
			for j, sn := range sl {
				so := d.object(sn, index(o.p("services"), j), flowSvcKeys)
				if so == nil {
					return nil
				}
				so.require(nil, "every service needs a name", "name")
				s := FlowService{Processing: Dist{Kind: DistFixed}, Delay: Dist{Kind: DistFixed}}
				so.str("name", &s.Name)
				if so.has("processing") {
					s.Processing, _ = d.distOf(so.val("processing"), so.p("processing"), unitTime)
				}
				if so.has("delay") {
					s.Delay, _ = d.distOf(so.val("delay"), so.p("delay"), unitTime)
				}
				f.Services = append(f.Services, s)
			}
		}
		if hl, ok := d.list(o.val("hops"), o.p("hops"), "hops"); ok {
			for j, hn := range hl {
				hp := index(o.p("hops"), j)
				ho := d.object(hn, hp, hopKeys)
				if ho == nil {
					return nil
				}
				ho.require(nil, "every hop needs a name, from, to and via", "name", "from", "to", "via")
				var h Hop
				ho.str("name", &h.Name)
				ho.str("from", &h.From)
				h.To = d.names(ho.val("to"), ho.p("to"))
				ho.enumv("via", &h.Via, HopKinds()...)
				if fl, ok := d.list(ho.val("faults"), ho.p("faults"), "faults"); ok {
					for k, fn := range fl {
						ft, ok := d.fault(fn, index(ho.p("faults"), k))
						if !ok {
							return nil
						}
						h.Faults = append(h.Faults, ft)
					}
				}
				f.Hops = append(f.Hops, h)
			}
		}
		if rl, ok := d.list(o.val("routes"), o.p("routes"), "routes"); ok {
			for j, rn := range rl {
				ro := d.object(rn, index(o.p("routes"), j), routeKeys)
				if ro == nil {
					return nil
				}
				ro.require(nil, "every route needs a name and the services it ends at", "name", "to")
				var r Route
				ro.str("name", &r.Name)
				r.To = d.names(ro.val("to"), ro.p("to"))
				f.Routes = append(f.Routes, r)
			}
		}
		if !d.ok() {
			return nil
		}
		if f.Entry == "" && len(f.Services) > 0 {
			f.Entry = f.Services[0].Name
		}
		out = append(out, f)
	}
	return out
}

// names reads a list of strings (a single string is a list of one).
func (d *decoder) names(n *node, path string) []string {
	if n == nil || !d.ok() {
		return nil
	}
	if n.kind == kindScalar && n.stype == scalarString {
		d.vpos[path] = n.pos
		return []string{n.text}
	}
	items, ok := d.list(n, path, "service names")
	if !ok {
		return nil
	}
	var out []string
	for i, it := range items {
		if it.kind != kindScalar || it.stype != scalarString {
			d.fail(it, index(path, i), "must be a service name, got "+it.describe(), "")
			return nil
		}
		out = append(out, it.text)
	}
	return out
}

// flows validates the flows of a resolved scenario.
func (c *Checker) flows(s *Scenario) {
	if s.Flows == nil {
		return
	}
	if len(s.Flows) == 0 {
		c.add("flows", "an empty flows list: declare at least one flow or remove the key", "a list of {name, services, hops}")
		return
	}
	if len(s.Flows) > MaxFlows {
		c.add("flows", fmt.Sprintf("%d flows is more than the maximum %d", len(s.Flows), MaxFlows), "")
	}
	if s.Sweep != nil {
		c.add("flows", "flows run once with the scenario's load; they cannot be combined with a sweep", "a scenario without sweep")
	}
	seen := map[string]int{}
	for i, f := range s.Flows {
		c.flow(index("flows", i), f, s, seen, i)
	}
}

func (c *Checker) flow(p string, f Flow, s *Scenario, seen map[string]int, i int) {
	before := len(c.probs)
	if !subscriberName.MatchString(f.Name) {
		c.add(p+".name", fmt.Sprintf("%q is not a valid flow name", f.Name), "letters, digits, '.', '_', '-', starting with a letter or digit, at most 100 characters")
	} else if j, dup := seen[f.Name]; dup {
		c.add(p+".name", fmt.Sprintf("flow name %q is already used by flows[%d]", f.Name, j), "unique names")
	}
	seen[f.Name] = i
	if len(f.Services) < 2 {
		c.add(p+".services", fmt.Sprintf("%d services: a flow needs an entry and at least one service it sends to", len(f.Services)), fmt.Sprintf("2 to %d services", MaxFlowServices))
		return
	}
	if len(f.Services) > MaxFlowServices {
		c.add(p+".services", fmt.Sprintf("%d services is more than the maximum %d", len(f.Services), MaxFlowServices), "")
		return
	}
	svc := map[string]int{}
	for j, sv := range f.Services {
		sp := index(p+".services", j)
		if !subscriberName.MatchString(sv.Name) {
			c.add(sp+".name", fmt.Sprintf("%q is not a valid service name", sv.Name), "letters, digits, '.', '_', '-', starting with a letter or digit, at most 100 characters")
		} else if k, dup := svc[sv.Name]; dup {
			c.add(sp+".name", fmt.Sprintf("service name %q is already used by %s.services[%d] (a service an event passes twice is declared once per stage)", sv.Name, p, k), "unique names within the flow")
		}
		svc[sv.Name] = j
		c.dist(sp+".processing", sv.Processing, unitTime, float64(MaxProcessing))
		c.dist(sp+".delay", sv.Delay, unitTime, float64(MaxDuration))
	}
	names := strings.Join(sortedKeys(svc), ", ")
	if _, ok := svc[f.Entry]; !ok {
		c.add(p+".entry", fmt.Sprintf("%q is not a service of this flow", f.Entry), names)
		return
	}
	// 1.5: warm-up and Poisson variance; per event two times per service
	// (processed, sent on) and its intended time.
	if cells := s.Load.expectedEvents() * 1.5 * float64(2*len(f.Services)+1); cells > MaxFlowCells {
		c.addAt(p+".services", rateKey(s.Load), fmt.Sprintf("about %.0f events x (2 x %d services + 1) is more than the %d times a flow may keep (8 bytes each)", s.Load.expectedEvents(), len(f.Services), MaxFlowCells), "a lower rate, a shorter duration or fewer services")
	}
	if len(f.Hops) == 0 {
		c.add(p+".hops", "no hops: a flow needs at least one hop", "a list of {name, from, to, via}")
		return
	}
	parent := map[string]string{} // service -> the hop into it
	hops := map[string]int{}
	end := s.Load.Duration + s.Load.Drain
	for j, h := range f.Hops {
		hp := index(p+".hops", j)
		if !subscriberName.MatchString(h.Name) {
			c.add(hp+".name", fmt.Sprintf("%q is not a valid hop name", h.Name), "letters, digits, '.', '_', '-', starting with a letter or digit, at most 100 characters")
		} else if k, dup := hops[h.Name]; dup {
			c.add(hp+".name", fmt.Sprintf("hop name %q is already used by %s.hops[%d]", h.Name, p, k), "unique names within the flow")
		}
		hops[h.Name] = j
		if _, ok := svc[h.From]; !ok {
			c.add(hp+".from", fmt.Sprintf("%q is not a service of this flow", h.From), names)
		}
		c.enum(hp+".via", h.Via, HopKinds()...)
		if len(h.To) == 0 {
			c.add(hp+".to", "no receiving service", names)
		}
		for k, t := range h.To {
			tp := index(hp+".to", k)
			switch _, ok := svc[t]; {
			case !ok:
				c.add(tp, fmt.Sprintf("%q is not a service of this flow", t), names)
			case t == f.Entry:
				c.add(tp, fmt.Sprintf("%q is the flow's entry: events enter it from the load, no hop may lead back to it (declare the later stage as a service of its own)", t), "a service other than the entry")
			case parent[t] != "":
				c.add(tp, fmt.Sprintf("%q already receives from hop %q: a service has one hop into it, so every event reaches it once (declare another stage as a service of its own)", t, parent[t]), "a service no other hop sends to")
			default:
				parent[t] = h.Name
			}
		}
		for k, ft := range h.Faults {
			if ft.Kind == FaultPartition {
				c.add(index(hp+".faults", k)+".kind", "a partition black-holes an emulated network link, and flow hops run on loopback without one", "down, errors, slow, pause, hang")
				continue
			}
			c.fault(index(hp+".faults", k), ft, end)
		}
	}
	if len(c.probs) > before {
		return
	}
	from := map[string]string{}
	for _, h := range f.Hops {
		for _, t := range h.To {
			from[t] = h.From
		}
	}
	// Every service must be reachable from the entry (the single-parent
	// rule above then makes the graph a tree).
	for j, sv := range f.Services {
		cur, steps := sv.Name, 0
		for cur != f.Entry && steps <= len(f.Services) {
			nx, ok := from[cur]
			if !ok {
				break
			}
			cur, steps = nx, steps+1
		}
		if cur != f.Entry {
			c.add(index(p+".services", j)+".name", fmt.Sprintf("service %q is not reached from the entry %q by any chain of hops", sv.Name, f.Entry), "every service reached from the entry")
			return
		}
	}
	rseen := map[string]int{}
	for j, r := range f.Routes {
		rp := index(p+".routes", j)
		if !subscriberName.MatchString(r.Name) {
			c.add(rp+".name", fmt.Sprintf("%q is not a valid route name", r.Name), "letters, digits, '.', '_', '-', starting with a letter or digit, at most 100 characters")
		} else if k, dup := rseen[r.Name]; dup {
			c.add(rp+".name", fmt.Sprintf("route name %q is already used by %s.routes[%d]", r.Name, p, k), "unique names within the flow")
		}
		rseen[r.Name] = j
		if len(r.To) == 0 {
			c.add(rp+".to", "no end service", names)
		}
		for k, t := range r.To {
			if _, ok := svc[t]; !ok || t == f.Entry {
				c.add(index(rp+".to", k), fmt.Sprintf("%q is not a service of this flow other than its entry", t), names)
			}
		}
	}
}

// compressFlows divides the flows' timeline durations (service delays,
// hop fault windows) by time_scale, like compress does for the rest.
func (s *Scenario) compressFlows() {
	if !s.Compressed() {
		return
	}
	f := s.TimeScale
	c := func(d *Duration) { *d = Duration(math.Round(float64(*d) / f)) }
	for i := range s.Flows {
		fl := &s.Flows[i]
		for j := range fl.Services {
			dl := &fl.Services[j].Delay
			for _, v := range []*float64{&dl.Value, &dl.Min, &dl.Max, &dl.Median, &dl.P99, &dl.Mean} {
				*v = math.Round(*v / f)
			}
		}
		for j := range fl.Hops {
			for k := range fl.Hops[j].Faults {
				c(&fl.Hops[j].Faults[k].At)
				c(&fl.Hops[j].Faults[k].For)
			}
		}
	}
}

// cloneFlows deep-copies flows.
func cloneFlows(in []Flow) []Flow {
	if in == nil {
		return nil
	}
	out := make([]Flow, len(in))
	for i, f := range in {
		c := f
		c.Services = slices.Clone(f.Services)
		c.Hops = make([]Hop, len(f.Hops))
		for j, h := range f.Hops {
			h.To = slices.Clone(h.To)
			h.Faults = slices.Clone(h.Faults)
			c.Hops[j] = h
		}
		c.Routes = make([]Route, len(f.Routes))
		for j, r := range f.Routes {
			r.To = slices.Clone(r.To)
			c.Routes[j] = r
		}
		if f.Routes == nil {
			c.Routes = nil
		}
		out[i] = c
	}
	return out
}

// Parent returns the service that sends to svc and the hop it uses ("" for
// the entry). The flow must be valid.
func (f *Flow) Parent(svc string) (from string, hop int) {
	for i, h := range f.Hops {
		if slices.Contains(h.To, svc) {
			return h.From, i
		}
	}
	return "", -1
}

// Leaves are the services no hop leaves from, in declaration order.
func (f *Flow) Leaves() []string {
	var out []string
	for _, s := range f.Services {
		sends := false
		for _, h := range f.Hops {
			sends = sends || h.From == s.Name
		}
		if !sends {
			out = append(out, s.Name)
		}
	}
	return out
}

// ResolvedRoutes returns the routes, or the default: one route per leaf,
// named after it.
func (f *Flow) ResolvedRoutes() []Route {
	if len(f.Routes) > 0 {
		return f.Routes
	}
	var out []Route
	for _, l := range f.Leaves() {
		out = append(out, Route{Name: l, To: []string{l}})
	}
	return out
}

// PathTo lists the hop indexes from the entry to svc, in order.
func (f *Flow) PathTo(svc string) []int {
	var rev []int
	for cur := svc; cur != f.Entry; {
		from, hop := f.Parent(cur)
		if hop < 0 {
			break
		}
		rev = append(rev, hop)
		cur = from
	}
	slices.Reverse(rev)
	return rev
}
