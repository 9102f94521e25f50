package scenarios

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/evbench/evbench/internal/limitedfile"
)

// LoadFile reads and validates the scenario file at path. Every error is an
// *Error naming the file, line and column, the key and what is allowed.
// (It is not called Load because Load is the schema's load-block type.)
func LoadFile(path string) (*Scenario, error) {
	data, err := limitedfile.Read(path, maxFileBytes)
	if errors.Is(err, limitedfile.ErrTooLarge) {
		return nil, &Error{File: path, Msg: fmt.Sprintf("file is larger than %d bytes, the most a scenario may be (a scenario is a few KiB; declare many alike subscribers with count: N)", maxFileBytes), Err: err}
	}
	if err != nil {
		return nil, &Error{File: path, Msg: "cannot read scenario: " + errText(err), Err: err}
	}
	return LoadBytes(path, data)
}

func errText(err error) string {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err.Error()
	}
	return err.Error()
}

// LoadBytes parses and validates a scenario held in memory; file is used in
// error messages, for the default scenario name (its base name without
// extension) and to resolve relative TLS file paths.
func LoadBytes(file string, data []byte) (*Scenario, error) {
	s, err := load(file, file, data)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// load is LoadBytes with the recorded Scenario.File separate from the name
// used in messages (embedded examples record "").
func load(msgFile, recordFile string, data []byte) (*Scenario, *Error) {
	name := msgFile
	if name == "" {
		name = "<scenario>"
	}
	root, perr := parseTree(name, data)
	if perr != nil {
		return nil, perr
	}
	d := newDecoder(name)
	s, origin := d.scenario(root, msgFile, recordFile)
	if d.err != nil {
		return nil, d.err
	}
	s.File = recordFile
	if probs := check(s, true); len(probs) > 0 {
		return nil, d.locate(probs, origin)
	}
	return s, nil
}

var topKeys = []string{"name", "description", "load", "event", "subscribers", "systems", "thresholds", "sweep", "cost", "time_scale", "flows"}

// scenario decodes the root mapping. origin maps each expanded subscriber
// to the index of the entry it came from.
// file names the default scenario name; dir is the recorded path whose
// directory relative TLS file paths are resolved against.
func (d *decoder) scenario(root *node, file, recorded string) (*Scenario, []int) {
	o := d.object(root, "", topKeys)
	if o == nil {
		return nil, nil
	}
	s := &Scenario{Load: defaultLoad(), Event: defaultEvent()}
	if !o.str("name", &s.Name) {
		s.Name = defaultName(file)
	}
	o.str("description", &s.Description)
	if d.ok() {
		d.load(o.val("load"), "load", &s.Load)
	}
	if d.ok() {
		d.event(o.val("event"), "event", &s.Event)
	}
	var origin []int
	d.dir = recorded
	if d.ok() {
		s.Subscribers, origin, s.tmpl = d.subscribers(o.val("subscribers"))
	}
	if d.ok() {
		d.systems(o.val("systems"), "systems", &s.Systems)
	}
	if d.ok() {
		d.thresholds(o.val("thresholds"), s)
	}
	if d.ok() && o.has("sweep") {
		s.Sweep = d.sweep(o.val("sweep"), "sweep")
	}
	if d.ok() && o.has("cost") {
		s.Cost = d.cost(o.val("cost"), "cost")
	}
	if d.ok() && o.has("time_scale") {
		if o.floatv("time_scale", &s.TimeScale) && !(s.TimeScale >= 1 && s.TimeScale <= MaxTimeScale) {
			d.fail(o.val("time_scale"), "time_scale", fmt.Sprintf("%v is out of range: the factor every scenario duration is divided by", s.TimeScale), fmt.Sprintf("1 to %d", MaxTimeScale))
		}
	}
	if d.ok() && o.has("flows") {
		s.Flows = d.flows(o.val("flows"))
	}
	if !d.ok() {
		return nil, nil
	}
	// A constant or Poisson load may leave its rate to the sweep.
	if s.Sweep != nil && len(s.Sweep.Rate) > 0 && s.Load.Rate == 0 &&
		(s.Load.Arrival == ArrivalConstant || s.Load.Arrival == ArrivalPoisson) {
		s.Load.Rate = s.Sweep.Rate[0]
	}
	if fm := s.Sweep.findMax(); fm != nil {
		if fm.Start == 0 {
			fm.Start = s.Load.PeakRate()
		}
		if fm.Duration == 0 {
			fm.Duration = s.Load.Duration
		}
	}
	s.compress()
	s.compressFlows()
	return s, origin
}

func (sw *Sweep) findMax() *FindMax {
	if sw == nil {
		return nil
	}
	return sw.FindMax
}

var nameSanitize = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// defaultName is the file's base name without extension, made safe for
// folder, topic and group names.
func defaultName(file string) string {
	base := filepath.Base(file)
	base = strings.TrimSuffix(base, filepath.Ext(base))
	base = strings.Trim(nameSanitize.ReplaceAllString(base, "-"), "-._")
	if base == "" || base == "." {
		return "scenario"
	}
	if len(base) > 100 {
		base = base[:100]
	}
	return base
}

var (
	loadKeys     = []string{"arrival", "rate", "from", "to", "steps", "base", "peak", "at", "for", "duration", "warmup", "drain"}
	arrivalKeys  = map[string][]string{ArrivalConstant: {"rate"}, ArrivalPoisson: {"rate"}, ArrivalRamp: {"from", "to"}, ArrivalSteps: {"steps"}, ArrivalSpike: {"base", "peak", "at", "for"}}
	shapeKeys    = []string{"rate", "from", "to", "steps", "base", "peak", "at", "for"}
	arrivalNames = []string{ArrivalConstant, ArrivalRamp, ArrivalSteps, ArrivalSpike, ArrivalPoisson}
)

func (d *decoder) load(n *node, path string, l *Load) {
	if n == nil {
		d.failAt(pos{1, 1}, path, "missing load: every scenario needs a load block (for example load: {rate: 200/s})", "")
		return
	}
	o := d.object(n, path, loadKeys)
	if o == nil {
		return
	}
	o.enumv("arrival", &l.Arrival, arrivalNames...)
	if !d.ok() {
		return
	}
	used := arrivalKeys[l.Arrival]
	var unused []string
	for _, k := range shapeKeys {
		if !contains(used, k) {
			unused = append(unused, k)
		}
	}
	o.notFor(unused, "not used by arrival "+l.Arrival, l.Arrival+" uses "+strings.Join(used, ", "))
	if l.Arrival == ArrivalSteps && o.has("duration") {
		d.fail(o.keyNode("duration"), o.p("duration"), "not used by arrival steps: its duration is the sum of the steps' for", "steps")
	}
	at := o.val("arrival")
	switch l.Arrival {
	case ArrivalRamp:
		o.require(at, "a ramp goes linearly from one rate to another over the duration", "from", "to")
	case ArrivalSpike:
		o.require(at, "a spike runs at base, jumps to peak at `at` for `for`, then returns to base", "base", "peak", "at", "for")
	case ArrivalSteps:
		o.require(at, "a steps arrival is a list of {rate, for}", "steps")
	}
	o.ratev("rate", &l.Rate)
	o.ratev("from", &l.From)
	o.ratev("to", &l.To)
	o.ratev("base", &l.Base)
	o.ratev("peak", &l.Peak)
	o.durv("at", &l.At)
	o.durv("for", &l.For)
	o.durv("duration", &l.Duration)
	o.durv("warmup", &l.Warmup)
	o.durv("drain", &l.Drain)
	if items, ok := d.list(o.val("steps"), o.p("steps"), "{rate, for} steps"); ok {
		l.Steps = []Step{}
		var total Duration
		for i, it := range items {
			p := index(o.p("steps"), i)
			so := d.object(it, p, []string{"rate", "for"})
			if so == nil {
				return
			}
			so.require(nil, "every step needs a rate and a duration (for)", "rate", "for")
			var st Step
			so.ratev("rate", &st.Rate)
			so.durv("for", &st.For)
			l.Steps = append(l.Steps, st)
			total += st.For
		}
		l.Duration = total
	}
}

var eventKeys = []string{"size", "keys", "seed", "type"}

func (d *decoder) event(n *node, path string, e *Event) {
	if n == nil {
		return
	}
	o := d.object(n, path, eventKeys)
	if o == nil {
		return
	}
	if o.has("size") {
		e.Size, _ = d.distOf(o.val("size"), o.p("size"), unitSize)
	}
	o.intv("keys", &e.Keys, anyLo, anyHi)
	var seed int
	if o.intv("seed", &seed, 0, 1<<62) {
		e.Seed = uint64(seed)
	}
	o.str("type", &e.Type)
}

var (
	subscriberKeys = []string{"name", "processing", "ack", "tls", "count", "members", "faults", "join_at", "url", "headers", "keep_alive", "sink_ledger", "network", "consumer_network", "retry"}
	faultKeys      = []string{"kind", "at", "for", "status", "probability", "retry_after", "add"}
	faultKinds     = []string{FaultDown, FaultErrors, FaultSlow, FaultPause, FaultHang, FaultPartition}
	faultKindKeys  = map[string][]string{
		FaultDown:      {"at", "for"},
		FaultErrors:    {"at", "for", "status", "probability", "retry_after"},
		FaultSlow:      {"at", "for", "add"},
		FaultPause:     {"at", "for"},
		FaultHang:      {"at", "for"},
		FaultPartition: {"at", "for"},
	}
)

// MaxSubscribers bounds the subscriber list after count expansion.
const MaxSubscribers = 10_000

// subscribers decodes the list and expands count: N entries. It returns the
// expanded list, the declared index of each, and the template for sweeps
// (the only declared entry, when there is exactly one).
func (d *decoder) subscribers(n *node) ([]Subscriber, []int, *Subscriber) {
	const path = "subscribers"
	if n == nil {
		d.failAt(pos{1, 1}, path, "missing subscribers: declare at least one downstream service", "")
		return nil, nil, nil
	}
	items, ok := d.list(n, path, "subscribers")
	if !ok {
		return nil, nil, nil
	}
	var out []Subscriber
	var origin []int
	var declared []Subscriber
	owner := map[string]int{} // expanded name -> declared index
	for i, it := range items {
		p := index(path, i)
		so := d.object(it, p, subscriberKeys)
		if so == nil {
			return nil, nil, nil
		}
		so.require(nil, "every subscriber needs a name", "name")
		sub := defaultSubscriber()
		so.str("name", &sub.Name)
		if so.has("processing") {
			sub.Processing, _ = d.distOf(so.val("processing"), so.p("processing"), unitTime)
		}
		so.enumv("ack", &sub.Ack, AckAfterProcessing, AckBeforeProcessing)
		d.endpoint(so, &sub, d.dir)
		so.intv("count", &sub.Count, 1, MaxSubscribers)
		// members: 0 would mean "use the system default" internally, so an
		// explicit value must be >= 1.
		so.intv("members", &sub.Members, 1, 1000)
		so.durv("join_at", &sub.JoinAt)
		d.network(so, "network", &sub.Network)
		d.network(so, "consumer_network", &sub.ConsumerNetwork)
		if so.has("retry") {
			sub.Retry = d.subscriberRetry(so.val("retry"), so.p("retry"))
		}
		if fl, ok := d.list(so.val("faults"), so.p("faults"), "faults"); ok {
			for j, fn := range fl {
				f, ok := d.fault(fn, index(so.p("faults"), j))
				if !ok {
					return nil, nil, nil
				}
				sub.Faults = append(sub.Faults, f)
			}
		}
		if !d.ok() {
			return nil, nil, nil
		}
		if !subscriberName.MatchString(sub.Name) {
			d.fail(so.val("name"), so.p("name"), fmt.Sprintf("%q is not a valid subscriber name", sub.Name), "letters, digits, '.', '_', '-', starting with a letter or digit, at most 100 characters")
			return nil, nil, nil
		}
		declared = append(declared, sub)
		for _, x := range expand(sub, sub.Count) {
			if prev, dup := owner[x.Name]; dup {
				msg := fmt.Sprintf("subscriber name %q is already used by subscribers[%d]", x.Name, prev)
				if sub.Count > 1 || declared[prev].Count > 1 {
					msg += " (count: N expands a name to name-1 ... name-N)"
				}
				d.fail(so.val("name"), so.p("name"), msg, "unique names")
				return nil, nil, nil
			}
			if len(out) >= MaxSubscribers {
				if so.has("count") {
					d.fail(so.val("count"), so.p("count"), fmt.Sprintf("more than %d subscribers after count expansion", MaxSubscribers), "")
				} else {
					d.fail(so.n, p, fmt.Sprintf("more than %d subscribers: this is entry %d", MaxSubscribers, i+1), fmt.Sprintf("at most %d subscribers; count: N declares many alike", MaxSubscribers))
				}
				return nil, nil, nil
			}
			owner[x.Name] = i
			out = append(out, x)
			origin = append(origin, i)
		}
	}
	var tmpl *Subscriber
	if len(declared) == 1 {
		t := cloneSubscriber(declared[0])
		t.Count = 1
		tmpl = &t
	}
	return out, origin, tmpl
}

var subscriberName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$`)

// expand replicates sub n times: name-1 ... name-n (n == 1 keeps the name).
func expand(sub Subscriber, n int) []Subscriber {
	if n <= 1 {
		c := cloneSubscriber(sub)
		c.Count = 1
		return []Subscriber{c}
	}
	out := make([]Subscriber, n)
	for i := range out {
		c := cloneSubscriber(sub)
		c.Name = sub.Name + "-" + strconv.Itoa(i+1)
		c.Count = 1
		out[i] = c
	}
	return out
}

func (d *decoder) fault(n *node, path string) (Fault, bool) {
	o := d.object(n, path, faultKeys)
	if o == nil {
		return Fault{}, false
	}
	o.require(nil, "every fault needs a kind", "kind")
	var f Fault
	if !o.enumv("kind", &f.Kind, faultKinds...) {
		return Fault{}, false
	}
	used := faultKindKeys[f.Kind]
	var unused []string
	for _, k := range faultKeys[1:] {
		if !contains(used, k) {
			unused = append(unused, k)
		}
	}
	o.notFor(unused, "not meaningful for a "+f.Kind+" fault", "kind, "+strings.Join(used, ", "))
	switch f.Kind {
	case FaultSlow:
		o.require(o.val("kind"), "a slow fault adds latency", "add")
	case FaultPause:
		o.require(o.val("kind"), "a pause holds requests for `for`, then answers them (a pause without an end is a hang)", "for")
	case FaultPartition:
		o.require(o.val("kind"), "a partition black-holes the link for `for`", "for")
	case FaultErrors:
		f.Status, f.Probability = DefaultFaultStatus, DefaultFaultProbability
	}
	o.durv("at", &f.At)
	o.durv("for", &f.For)
	o.intv("status", &f.Status, anyLo, anyHi)
	o.floatv("probability", &f.Probability)
	o.durv("retry_after", &f.RetryAfter)
	o.durv("add", &f.Add)
	return f, d.ok()
}

var (
	retryKeys   = []string{"preset", "max_attempts", "backoff", "schedule", "initial", "max", "jitter", "honour_retry_after"}
	signingKeys = []string{"enabled", "secret_env"}
)

func (d *decoder) retry(n *node, path string, r *Retry) {
	o := d.object(n, path, retryKeys)
	if o == nil {
		return
	}
	if o.has("preset") {
		var name string
		if !o.enumv("preset", &name, RetryPresetNames()...) {
			return
		}
		o.notFor([]string{"backoff", "schedule", "initial", "max"}, "not used with a preset (the preset is the provider's schedule; write your own schedule without preset instead)", "preset, max_attempts, jitter, honour_retry_after")
		p, _ := LookupRetryPreset(name)
		p.apply(r)
		o.intv("max_attempts", &r.MaxAttempts, anyLo, anyHi)
		o.floatv("jitter", &r.Jitter)
		o.boolp("honour_retry_after", &r.HonourRetryAfter)
		return
	}
	o.enumv("backoff", &r.Backoff, BackoffExponential, BackoffLinear, BackoffSchedule)
	if !o.has("backoff") && o.has("schedule") {
		r.Backoff = BackoffSchedule
	}
	if r.Backoff == BackoffSchedule {
		o.notFor([]string{"initial", "max"}, "not used by backoff schedule (the schedule lists every delay)", "max_attempts, backoff, schedule, jitter, honour_retry_after")
	}
	o.intv("max_attempts", &r.MaxAttempts, anyLo, anyHi)
	if items, ok := d.list(o.val("schedule"), o.p("schedule"), "delays"); ok {
		r.Schedule = []Duration{}
		for i, it := range items {
			v, ok := d.durationOf(it, index(o.p("schedule"), i))
			if !ok {
				return
			}
			r.Schedule = append(r.Schedule, v)
		}
		if !o.has("max_attempts") && r.Backoff == BackoffSchedule {
			r.MaxAttempts = len(r.Schedule) + 1
		}
	}
	o.durv("initial", &r.Initial)
	o.durv("max", &r.Max)
	o.floatv("jitter", &r.Jitter)
	o.boolp("honour_retry_after", &r.HonourRetryAfter)
}

func (d *decoder) signing(n *node, path string, s *Signing) {
	o := d.object(n, path, signingKeys)
	if o == nil {
		return
	}
	o.boolp("enabled", &s.Enabled)
	o.str("secret_env", &s.SecretEnv)
}

var ()

func (d *decoder) thresholds(n *node, s *Scenario) {
	items, ok := d.list(n, "thresholds", "expressions such as \"e2e.p99 < 500ms\"")
	if !ok {
		return
	}
	for i, it := range items {
		p := index("thresholds", i)
		if it.kind != kindScalar || it.stype != scalarString {
			d.fail(it, p, "must be an expression string such as \"e2e.p99 < 500ms\", got "+it.describe(), "")
			return
		}
		t, err := ParseThreshold(it.text)
		if err != nil {
			d.exprError(it, p, err)
			return
		}
		s.Thresholds = append(s.Thresholds, t)
	}
}

func (d *decoder) exprError(n *node, path string, err error) {
	if e, ok := err.(*Error); ok {
		d.fail(n, path, e.Msg, e.Allowed)
		return
	}
	d.fail(n, path, err.Error(), "")
}

var (
	sweepKeys   = []string{"rate", "subscribers", "params", "repeats", "find_max"}
	findMaxKeys = []string{"slo", "max_loss", "start", "limit", "tolerance", "duration", "confirm"}
)

func (d *decoder) sweep(n *node, path string) *Sweep {
	o := d.object(n, path, sweepKeys)
	if o == nil {
		return nil
	}
	sw := &Sweep{Repeats: DefaultRepeats}
	if items, ok := d.list(o.val("rate"), o.p("rate"), "rates"); ok {
		for i, it := range items {
			r, ok := d.rateOf(it, index(o.p("rate"), i))
			if !ok {
				return nil
			}
			sw.Rate = append(sw.Rate, r)
		}
	}
	if items, ok := d.list(o.val("subscribers"), o.p("subscribers"), "subscriber counts"); ok {
		for i, it := range items {
			v, ok := d.intOf(it, index(o.p("subscribers"), i), 1, MaxSubscribers)
			if !ok {
				return nil
			}
			sw.Subscribers = append(sw.Subscribers, int(v))
		}
	}
	o.intv("repeats", &sw.Repeats, anyLo, anyHi)
	if o.has("params") && d.ok() {
		pn := o.val("params")
		if pn.kind != kindMap && pn.kind != kindNull {
			d.fail(pn, o.p("params"), "must be a mapping of setting path to a list of numbers, e.g. {kafka.topic.partitions: [3, 12]}", sweepablePaths())
			return nil
		}
		sw.Params = map[string][]float64{}
		for i, k := range pn.keys {
			kp := join(o.p("params"), k.text)
			d.record(kp, k, pn.vals[i])
			if _, ok := sweepables()[k.text]; !ok {
				msg := fmt.Sprintf("%q is not a sweepable setting", k.text)
				if s := suggest(k.text, sweepableList()); s != "" {
					msg += fmt.Sprintf(" (did you mean %q?)", s)
				}
				d.fail(k, kp, msg, sweepablePaths())
				return nil
			}
			items, ok := d.list(pn.vals[i], kp, "numbers")
			if !ok {
				return nil
			}
			var vals []float64
			for j, it := range items {
				v, ok := d.floatOf(it, index(kp, j))
				if !ok {
					return nil
				}
				vals = append(vals, v)
			}
			sw.Params[k.text] = vals
		}
	}
	if o.has("find_max") && d.ok() {
		fo := d.object(o.val("find_max"), o.p("find_max"), findMaxKeys)
		if fo == nil {
			return nil
		}
		fo.require(nil, "the saturation search needs an SLO such as \"e2e.p99 < 100ms\"", "slo")
		fm := &FindMax{Tolerance: DefaultFindMaxTolerance}
		var slo string
		if fo.str("slo", &slo) {
			var err error
			if fm.SLO, err = ParseThreshold(slo); err != nil {
				d.exprError(fo.val("slo"), fo.p("slo"), err)
				return nil
			}
		}
		var loss int
		if fo.intv("max_loss", &loss, 0, 1<<62) {
			fm.MaxLoss = int64(loss)
		}
		fo.ratev("start", &fm.Start)
		fo.ratev("limit", &fm.Limit)
		fo.floatv("tolerance", &fm.Tolerance)
		fo.durv("duration", &fm.Duration)
		fo.intv("confirm", &fm.Confirm, 0, MaxFindMaxConfirm)
		sw.FindMax = fm
	}
	return sw
}

func (d *decoder) cost(n *node, path string) *Cost {
	o := d.object(n, path, []string{"profile", "overrides"})
	if o == nil {
		return nil
	}
	c := &Cost{}
	o.str("profile", &c.Profile)
	if o.has("overrides") && d.ok() {
		on := o.val("overrides")
		if on.kind != kindMap && on.kind != kindNull {
			d.fail(on, o.p("overrides"), "must be a mapping of cost keys to numbers", "")
			return nil
		}
		c.Overrides = map[string]float64{}
		for i, k := range on.keys {
			kp := join(o.p("overrides"), k.text)
			d.record(kp, k, on.vals[i])
			v, ok := d.floatOf(on.vals[i], kp)
			if !ok {
				return nil
			}
			c.Overrides[k.text] = v
		}
	}
	return c
}

// locate turns the first problem (in file order) into a positioned *Error.
// Subscriber indexes in problem keys refer to the expanded list; origin
// maps them back to the entry written in the file.
func (d *decoder) locate(probs []problem, origin []int) *Error {
	var best *Error
	for _, pr := range probs {
		key := mapSubscriberIndex(pr.key, origin)
		p, ok := d.vpos[key]
		if !ok && pr.at != "" {
			p, ok = d.vpos[mapSubscriberIndex(pr.at, origin)]
		}
		if !ok {
			p = d.position(key)
		}
		e := &Error{File: d.file, Line: p.line, Column: p.col, Key: key, Msg: pr.msg, Allowed: pr.allowed}
		if best == nil || e.Line < best.Line || (e.Line == best.Line && e.Column < best.Column) {
			best = e
		}
	}
	return best
}

// position finds where path was written: the value itself, or the key of
// its closest written ancestor (a default-filled value was not written).
func (d *decoder) position(path string) pos {
	if p, ok := d.vpos[path]; ok {
		return p
	}
	for path != "" {
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			path = ""
		} else {
			path = path[:i]
		}
		if p, ok := d.kpos[path]; ok {
			return p
		}
	}
	return pos{1, 1}
}

var subIndexRe = regexp.MustCompile(`^subscribers\[(\d+)\]`)

func mapSubscriberIndex(key string, origin []int) string {
	m := subIndexRe.FindStringSubmatchIndex(key)
	if m == nil {
		return key
	}
	i, err := strconv.Atoi(key[m[2]:m[3]])
	if err != nil || i >= len(origin) {
		return key
	}
	return "subscribers[" + strconv.Itoa(origin[i]) + "]" + key[m[1]:]
}

// sortedKeys returns a map's keys in order (stable output everywhere).
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
