package scenarios_test

// These tests keep docs/scenarios.md true: every YAML example in it loads,
// every key, default, limit, allowed value, threshold metric, sweepable
// param and cost key the code knows is documented where a reader looks for
// it (and the doc lists nothing the code does not know), and the validation
// errors it quotes are the ones the loader prints. They read the doc from
// disk and load scenarios from memory only, so they take milliseconds.

import (
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/evbench/evbench/reports/cost"
	"github.com/evbench/evbench/runners/bridge"
	"github.com/evbench/evbench/runners/kafka"
	"github.com/evbench/evbench/runners/webhook"
	"github.com/evbench/evbench/scenarios"
)

const docPath = "../docs/scenarios.md"

func readDoc(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.FromSlash(docPath))
	if err != nil {
		t.Fatalf("read the scenario reference: %v", err)
	}
	return string(b)
}

// fence is one fenced code block of the doc.
type fence struct {
	info string // the info string's first word ("yaml", "console", ...)
	line int    // 1-based line of the opening fence
	body string
}

func fences(doc string) []fence {
	var out []fence
	var cur *fence
	var body []string
	for i, l := range strings.Split(doc, "\n") {
		if !strings.HasPrefix(l, "```") {
			if cur != nil {
				body = append(body, l)
			}
			continue
		}
		if cur == nil {
			info, _, _ := strings.Cut(strings.TrimSpace(strings.TrimPrefix(l, "```")), " ")
			cur = &fence{info: info, line: i + 1}
			body = nil
			continue
		}
		cur.body = strings.Join(body, "\n") + "\n"
		out = append(out, *cur)
		cur = nil
	}
	return out
}

// section returns the text under the heading line exactly equal to heading,
// up to the next heading of the same or a higher level (own: up to the next
// heading of any level). Lines inside code fences are never headings.
func section(t *testing.T, doc, heading string, own bool) string {
	t.Helper()
	level := strings.IndexByte(heading, ' ')
	lines := strings.Split(doc, "\n")
	start := -1
	inFence := false
	var out []string
	for _, l := range lines {
		if strings.HasPrefix(l, "```") {
			inFence = !inFence
		}
		isHeading := !inFence && strings.HasPrefix(l, "#")
		if start < 0 {
			if isHeading && l == heading {
				start = 0
			}
			continue
		}
		if isHeading {
			lv := strings.IndexByte(l, ' ')
			if own || (lv > 0 && lv <= level) {
				break
			}
		}
		out = append(out, l)
	}
	if start < 0 {
		t.Fatalf("docs/scenarios.md has no heading %q", heading)
	}
	return strings.Join(out, "\n")
}

// row is one table row split into trimmed cells (no leading/trailing empty cell).
type row []string

// table returns the rows of the first table in text whose header's first
// cell is header (separator row excluded).
func table(text, header string) []row {
	var out []row
	in := false
	for _, l := range strings.Split(text, "\n") {
		if !strings.HasPrefix(l, "|") {
			if in {
				break
			}
			continue
		}
		cells := strings.Split(strings.Trim(strings.TrimSpace(l), "|"), "|")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		if !in {
			if cells[0] == header {
				in = true
			}
			continue
		}
		if strings.HasPrefix(cells[0], "---") {
			continue
		}
		out = append(out, row(cells))
	}
	return out
}

var tick = regexp.MustCompile("`([^`]+)`")

// ticked returns the backticked tokens of s.
func ticked(s string) []string {
	var out []string
	for _, m := range tick.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	return out
}

// keyRows indexes a key table by the backticked key in its first cell.
func keyRows(t *testing.T, text, where string) map[string]row {
	t.Helper()
	rows := table(text, "Key")
	if len(rows) == 0 {
		t.Fatalf("%s: no table with a Key column", where)
	}
	m := map[string]row{}
	for _, r := range rows {
		k := ticked(r[0])
		if len(k) != 1 {
			t.Errorf("%s: key cell %q should hold exactly one `key`", where, r[0])
			continue
		}
		m[k[0]] = r
	}
	return m
}

// yamlName is the YAML key of a struct field ("" when it has none).
func yamlName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if name == "-" || !f.IsExported() {
		return ""
	}
	return name
}

// documentedElsewhere are struct types with their own section: a field of
// one of these types is a single key in its parent's table.
var documentedElsewhere = map[reflect.Type]bool{
	reflect.TypeOf(scenarios.Dist{}):     true,
	reflect.TypeOf(webhook.Config{}):     true,
	reflect.TypeOf(kafka.Config{}):       true,
	reflect.TypeOf(bridge.BlockConfig{}): true,
	reflect.TypeOf(scenarios.FindMax{}):  true,
	reflect.TypeOf(scenarios.Network{}):  true,
	// A threshold expression is one string, documented under `thresholds`.
	reflect.TypeOf(scenarios.Threshold{}): true,
}

// leafKeys lists the YAML keys of t as dotted paths, descending into nested
// blocks (retry.max_attempts) but not into lists or separately documented
// types.
func leafKeys(t reflect.Type, prefix string) []string {
	var out []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name := yamlName(f)
		if name == "" {
			continue
		}
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct && !documentedElsewhere[ft] {
			out = append(out, leafKeys(ft, prefix+name+".")...)
			continue
		}
		out = append(out, prefix+name)
	}
	return out
}

// keySections maps each schema block to the heading of its section.
var keySections = []struct {
	heading string
	typ     any
}{
	{"## `load`", scenarios.Load{}},
	{"## `event`", scenarios.Event{}},
	{"## `subscribers`", scenarios.Subscriber{}},
	{"### `subscribers[].faults`", scenarios.Fault{}},
	{"### `systems.kafka.faults`", scenarios.BrokerFault{}},
	{"## `sweep`", scenarios.Sweep{}},
	{"### `sweep.find_max`", scenarios.FindMax{}},
	{"## `cost`", scenarios.Cost{}},
}

func TestDocYAMLExamplesLoad(t *testing.T) {
	doc := readDoc(t)
	n := 0
	for _, f := range fences(doc) {
		if f.info != "yaml" {
			continue
		}
		n++
		name := "docs-example-" + strconv.Itoa(f.line) + ".yaml"
		sc, err := scenarios.LoadBytes(name, []byte(f.body))
		if err == nil {
			_, err = sc.Expand()
		}
		if err != nil {
			t.Errorf("docs/scenarios.md:%d: the yaml example does not load: %v", f.line, err)
		}
	}
	if n < 3 {
		t.Fatalf("found %d yaml examples in docs/scenarios.md, want at least 3 (minimal, sweep, complete)", n)
	}
}

// TestDocCompleteExampleUsesEveryKey checks that the last yaml block, the
// complete example, writes (or shows in a comment) every key of the schema.
func TestDocCompleteExampleUsesEveryKey(t *testing.T) {
	var last fence
	for _, f := range fences(readDoc(t)) {
		if f.info == "yaml" {
			last = f
		}
	}
	if last.body == "" {
		t.Fatal("no yaml example in docs/scenarios.md")
	}
	seen := func(key string) bool {
		return regexp.MustCompile(`(^|[\s{,#-])` + regexp.QuoteMeta(key) + `:`).MatchString(last.body)
	}
	keys := map[string]bool{}
	var walk func(reflect.Type)
	walk = func(t reflect.Type) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name := yamlName(f)
			if name == "" {
				continue
			}
			keys[name] = true
			ft := f.Type
			for ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct && ft != reflect.TypeOf(scenarios.Dist{}) {
				walk(ft)
			}
		}
	}
	walk(reflect.TypeOf(scenarios.Scenario{}))
	for _, name := range scenarios.SystemNames() {
		keys[name] = true
		walk(blockType(t, name))
	}
	for _, k := range distKeys() {
		keys[k] = true
	}
	for k := range keys {
		if !seen(k) {
			t.Errorf("the complete example (docs/scenarios.md:%d) never writes %q, not even in a comment", last.line, k+":")
		}
	}
}

// blockType is the Go type of system name's block, as the loader resolves
// systems.<name>: {}.
func blockType(t *testing.T, name string) reflect.Type {
	t.Helper()
	sc, err := scenarios.LoadBytes("block.yaml", []byte("load: {rate: 1/s}\nsubscribers: [{name: a}]\nsystems: {"+name+": {}}\n"))
	if err != nil {
		t.Fatalf("systems.%s: {} does not load: %v", name, err)
	}
	return reflect.TypeOf(sc.Systems.Get(name)).Elem()
}

// distKeys are the keys of a distribution mapping (json tags of Dist).
func distKeys() []string {
	var out []string
	dt := reflect.TypeOf(scenarios.Dist{})
	for i := 0; i < dt.NumField(); i++ {
		name, _, _ := strings.Cut(dt.Field(i).Tag.Get("json"), ",")
		out = append(out, name)
	}
	return out
}

func TestDocCoversSchema(t *testing.T) {
	doc := readDoc(t)

	t.Run("top-level keys have sections", func(t *testing.T) {
		top := map[string]bool{}
		st := reflect.TypeOf(scenarios.Scenario{})
		for i := 0; i < st.NumField(); i++ {
			if name := yamlName(st.Field(i)); name != "" {
				top[name] = true
				section(t, doc, "## `"+name+"`", true)
			}
		}
		// And no section for a top-level key that does not exist.
		for _, l := range strings.Split(doc, "\n") {
			if k, ok := strings.CutPrefix(l, "## `"); ok {
				k = strings.TrimSuffix(k, "`")
				if !strings.Contains(k, ".") && !top[k] {
					t.Errorf("section %q documents a top-level key the loader does not accept", l)
				}
			}
		}
	})

	type keySection struct {
		heading string
		want    []string
	}
	var sections []keySection
	for _, ks := range keySections {
		sections = append(sections, keySection{ks.heading, leafKeys(reflect.TypeOf(ks.typ), "")})
	}
	// systems: one row per registered system, and each system's block
	// (its registered Go type) in a section of its own.
	sections = append(sections, keySection{"## `systems`", scenarios.SystemNames()})
	for _, name := range scenarios.SystemNames() {
		sections = append(sections, keySection{"## `systems." + name + "`", leafKeys(blockType(t, name), "")})
	}
	for _, ks := range sections {
		t.Run(ks.heading, func(t *testing.T) {
			sec := section(t, doc, ks.heading, true)
			rows := keyRows(t, sec, ks.heading)
			want := ks.want
			for _, k := range want {
				if _, ok := rows[k]; !ok {
					t.Errorf("key %q is not in the table", k)
				}
			}
			for k := range rows {
				if !contains(want, k) {
					t.Errorf("the table documents %q, which the loader does not accept here (keys: %v)", k, want)
				}
			}
			cols := len(table(sec, "Key")[0])
			for k, r := range rows {
				if len(r) != cols {
					t.Errorf("row %q has %d cells, want %d like the first row (a stray | in a cell?)", k, len(r), cols)
				}
			}
		})
	}

	t.Run("distribution keys", func(t *testing.T) {
		sec := section(t, doc, "### Distributions", true)
		for _, k := range distKeys() {
			if !strings.Contains(sec, "`"+k+"`") {
				t.Errorf("distribution key %q is not in the Distributions section", k)
			}
		}
	})
}

// TestDocAllowedValues checks that every value of every enumerated setting
// is listed in its section.
func TestDocAllowedValues(t *testing.T) {
	doc := readDoc(t)
	cases := []struct {
		heading string
		values  []string
	}{
		{"## `load`", []string{scenarios.ArrivalConstant, scenarios.ArrivalRamp, scenarios.ArrivalSteps, scenarios.ArrivalSpike, scenarios.ArrivalPoisson}},
		{"### Distributions", []string{scenarios.DistFixed, scenarios.DistUniform, scenarios.DistLognormal, scenarios.DistExponential}},
		{"## `subscribers`", []string{scenarios.AckAfterProcessing, scenarios.AckBeforeProcessing}},
		{"### `subscribers[].faults`", []string{scenarios.FaultDown, scenarios.FaultErrors, scenarios.FaultSlow, scenarios.FaultPause, scenarios.FaultHang}},
		{"## Faults by system", []string{scenarios.FaultDown, scenarios.FaultErrors, scenarios.FaultSlow, scenarios.FaultPause, scenarios.FaultHang}},
		{"## `systems.webhook`", []string{scenarios.BackoffExponential, scenarios.BackoffLinear, scenarios.BackoffSchedule, scenarios.ConnKeepalive, scenarios.ConnPerDelivery}},
		{"## `systems.kafka`", append(append([]string{scenarios.DefaultBrokers, scenarios.AcksNone, scenarios.AcksLeader, scenarios.AcksAll,
			scenarios.CommitAuto, scenarios.CommitAfterProcessing, scenarios.CommitModeSync, scenarios.CommitModeAsync,
			scenarios.OffsetEarliest, scenarios.OffsetLatest}, scenarios.Compressions...), scenarios.SASLMechanisms...)},
		{"### `systems.kafka.faults`", scenarios.BrokerFaultKinds},
		{"## `systems.bridge`", []string{scenarios.BridgeAckAfterProduce, scenarios.BridgeAckBeforeProduce}},
		{"## `cost`", cost.Builtins()},
	}
	for _, c := range cases {
		sec := section(t, doc, c.heading, false)
		for _, v := range c.values {
			if !strings.Contains(sec, "`"+v+"`") {
				t.Errorf("%s: allowed value %q is not listed", c.heading, v)
			}
		}
	}
}

// TestDocDefaults checks each documented default against what the loader
// actually fills in for a scenario that leaves everything out.
func TestDocDefaults(t *testing.T) {
	doc := readDoc(t)
	sc, err := scenarios.LoadBytes("defaults.yaml", []byte(`load: {rate: 1/s}
subscribers: [{name: a, faults: [{kind: errors}]}]
systems: {webhook: {}, kafka: {}, bridge: {}}
sweep: {find_max: {slo: "lost == 0"}}
cost: {}
`))
	if err != nil {
		t.Fatal(err)
	}
	itoa := strconv.Itoa
	ftoa := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	btoa := strconv.FormatBool
	dur := func(d scenarios.Duration) string { return d.String() }
	w, k, b := webhook.ConfigOf(sc), kafka.ConfigOf(sc), bridge.ConfigOf(sc)
	sub, f := sc.Subscribers[0], sc.Subscribers[0].Faults[0]
	if sub.Processing.Kind != scenarios.DistFixed || sc.Event.Size.Kind != scenarios.DistFixed {
		t.Fatalf("default distributions are not fixed: processing %+v, size %+v", sub.Processing, sc.Event.Size)
	}
	profile := sc.Cost.Profile
	if profile == "" {
		profile = cost.DefaultProfile
	}
	cases := []struct{ heading, key, want string }{
		{"## `load`", "arrival", sc.Load.Arrival},
		{"## `load`", "duration", dur(sc.Load.Duration)},
		{"## `load`", "warmup", dur(sc.Load.Warmup)},
		{"## `load`", "drain", dur(sc.Load.Drain)},
		{"## `event`", "size", scenarios.ByteSize(sc.Event.Size.Value).String()},
		{"## `event`", "keys", itoa(sc.Event.Keys)},
		{"## `event`", "seed", strconv.FormatUint(sc.Event.Seed, 10)},
		{"## `event`", "type", sc.Event.Type},
		{"## `subscribers`", "processing", dur(scenarios.Duration(sub.Processing.Value))},
		{"## `subscribers`", "ack", sub.Ack},
		{"## `subscribers`", "tls", btoa(sub.TLS)},
		{"## `subscribers`", "count", itoa(len(sc.Subscribers))},
		{"### `subscribers[].faults`", "at", dur(f.At)},
		{"### `subscribers[].faults`", "for", dur(f.For)},
		{"### `subscribers[].faults`", "status", itoa(f.Status)},
		{"### `subscribers[].faults`", "probability", ftoa(f.Probability)},
		{"## `systems.webhook`", "timeout", dur(w.Timeout)},
		{"## `systems.webhook`", "max_in_flight", itoa(w.MaxInFlight)},
		{"## `systems.webhook`", "queue_limit", itoa(w.QueueLimit)},
		{"## `systems.webhook`", "connections", w.Connections},
		{"## `systems.webhook`", "retry.max_attempts", itoa(w.Retry.MaxAttempts)},
		{"## `systems.webhook`", "retry.backoff", w.Retry.Backoff},
		{"## `systems.webhook`", "retry.initial", dur(w.Retry.Initial)},
		{"## `systems.webhook`", "retry.max", dur(w.Retry.Max)},
		{"## `systems.webhook`", "retry.jitter", ftoa(w.Retry.Jitter)},
		{"## `systems.webhook`", "retry.honour_retry_after", btoa(*w.Retry.HonourRetryAfter)},
		{"## `systems.webhook`", "signing.enabled", btoa(w.Signing.On())},
		{"## `systems.kafka`", "brokers", k.Brokers},
		{"## `systems.kafka`", "topic.partitions", itoa(k.Topic.Partitions)},
		{"## `systems.kafka`", "topic.replication_factor", itoa(k.Topic.ReplicationFactor)},
		{"## `systems.kafka`", "topic.delete_after", btoa(k.Topic.DeleteAfter)},
		{"## `systems.kafka`", "tls.insecure_skip_verify", "false"},
		{"## `systems.kafka`", "producers", itoa(k.Producers)},
		{"## `systems.kafka`", "acks", k.Acks},
		{"## `systems.kafka`", "idempotent", btoa(*k.Idempotent)}, // with the default acks
		{"## `systems.kafka`", "linger", dur(k.Linger)},
		{"## `systems.kafka`", "batch_max_bytes", k.BatchMaxBytes.String()},
		{"## `systems.kafka`", "compression", k.Compression},
		{"## `systems.kafka`", "max_buffered_records", itoa(k.MaxBufferedRecords)},
		{"## `systems.kafka`", "members", itoa(k.Members)},
		{"## `systems.kafka`", "commit", k.Commit},
		{"## `systems.kafka`", "commit_mode", k.CommitMode},
		{"## `systems.kafka`", "start_offset", k.StartOffset},
		{"## `systems.bridge`", "ack", b.Ack},
		{"## `systems.bridge`", "timeout", dur(b.Timeout)},
		{"## `systems.bridge`", "max_in_flight", itoa(b.MaxInFlight)},
		{"## `systems.bridge`", "signing.enabled", btoa(b.Signing.On())},
		{"## `sweep`", "repeats", itoa(sc.Sweep.Repeats)},
		{"### `sweep.find_max`", "max_loss", strconv.FormatInt(sc.Sweep.FindMax.MaxLoss, 10)},
		{"### `sweep.find_max`", "tolerance", ftoa(sc.Sweep.FindMax.Tolerance)},
		{"## `cost`", "profile", profile},
	}
	for _, c := range cases {
		rows := keyRows(t, section(t, doc, c.heading, true), c.heading)
		r, ok := rows[c.key]
		if !ok {
			t.Errorf("%s: no row for %q", c.heading, c.key)
			continue
		}
		// Columns: Key | Type | Default | Allowed | Meaning.
		if len(r) < 3 || !strings.Contains(r[2], "`"+c.want+"`") {
			t.Errorf("%s: %s: the default column says %q; the loader's default is `%s`", c.heading, c.key, r[2], c.want)
		}
	}
}

// num renders a number as the doc writes ranges: thousands separated by
// commas for whole numbers, plain decimals otherwise.
func num(v float64) string {
	if v != math.Trunc(v) || math.Abs(v) < 1000 {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	s := strconv.FormatInt(int64(v), 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// hasNumber reports whether text contains s not followed by more digits
// (so "1 to 100" does not match "1 to 100,000").
func hasNumber(text, s string) bool {
	return regexp.MustCompile(regexp.QuoteMeta(s) + `([^0-9,]|,\D|$)`).MatchString(text)
}

func TestDocLimits(t *testing.T) {
	doc := readDoc(t)
	rowOf := func(heading, key string) string {
		r, ok := keyRows(t, section(t, doc, heading, true), heading)[key]
		if !ok {
			t.Fatalf("%s: no row for %q", heading, key)
		}
		return strings.Join(r, " | ")
	}
	cases := []struct{ where, text, want string }{
		{"Units: rates", section(t, doc, "## Units", true), "`" + num(float64(scenarios.MaxRate)) + "/s`"},
		{"event.keys", rowOf("## `event`", "keys"), "1 to " + num(scenarios.MaxKeys)},
		{"event.size", rowOf("## `event`", "size"), "`" + scenarios.MaxEventSize.String() + "`"},
		{"subscribers[].count", rowOf("## `subscribers`", "count"), "1 to " + num(scenarios.MaxSubscribers)},
		{"subscribers[].members", rowOf("## `subscribers`", "members"), "1 to " + num(scenarios.MaxClients)},
		{"subscribers", section(t, doc, "## `subscribers`", true), num(scenarios.MaxSubscribers)},
		{"webhook.max_in_flight", rowOf("## `systems.webhook`", "max_in_flight"), "1 to " + num(scenarios.MaxInFlight)},
		{"webhook.queue_limit", rowOf("## `systems.webhook`", "queue_limit"), "1 to " + num(scenarios.MaxQueueLimit)},
		{"webhook.retry.max_attempts", rowOf("## `systems.webhook`", "retry.max_attempts"), "1 to " + num(scenarios.MaxAttempts)},
		{"kafka.topic.partitions", rowOf("## `systems.kafka`", "topic.partitions"), "1 to " + num(scenarios.MaxPartitions)},
		{"kafka.topic.replication_factor", rowOf("## `systems.kafka`", "topic.replication_factor"), "1 to " + num(scenarios.MaxReplication)},
		{"kafka.producers", rowOf("## `systems.kafka`", "producers"), "1 to " + num(scenarios.MaxClients)},
		{"kafka.members", rowOf("## `systems.kafka`", "members"), "1 to " + num(scenarios.MaxClients)},
		{"kafka.max_buffered_records", rowOf("## `systems.kafka`", "max_buffered_records"), "1 to " + num(scenarios.MaxBufferedRecords)},
		{"kafka.batch_max_bytes", rowOf("## `systems.kafka`", "batch_max_bytes"), "`" + scenarios.MinBatchMaxBytes.String() + "` to `" + scenarios.MaxBatchMaxBytes.String() + "`"},
		{"bridge.max_in_flight", rowOf("## `systems.bridge`", "max_in_flight"), "1 to " + num(scenarios.MaxInFlight)},
		{"sweep.repeats", rowOf("## `sweep`", "repeats"), "1 to " + num(scenarios.MaxRepeats)},
		{"sweep.find_max.confirm", rowOf("### `sweep.find_max`", "confirm"), "0 to " + num(scenarios.MaxFindMaxConfirm)},
		{"sweep.subscribers", rowOf("## `sweep`", "subscribers"), "1 to " + num(scenarios.MaxSubscribers)},
		{"sweep points", section(t, doc, "## `sweep`", true), num(scenarios.MaxPoints) + " points"},
		{"sweep subscriber-points", section(t, doc, "## `sweep`", true), num(scenarios.MaxSubscriberPoints) + " subscriber-points"},
	}
	for _, c := range cases {
		if !hasNumber(c.text, c.want) {
			t.Errorf("%s: the doc should say %q (the code's limit)", c.where, c.want)
		}
	}
}

func TestDocThresholdMetrics(t *testing.T) {
	doc := readDoc(t)
	sec := section(t, doc, "## `thresholds`", true)
	rows := table(sec, "Metric")
	if len(rows) == 0 {
		t.Fatal("the thresholds section has no Metric table")
	}
	listed := map[string]bool{}
	for _, r := range rows {
		for _, m := range ticked(r[0]) {
			listed[m] = true
			if !contains(scenarios.Metrics(), m) {
				t.Errorf("the metric table lists %q, which is not a threshold metric (have %v)", m, scenarios.Metrics())
			}
		}
	}
	for _, m := range scenarios.Metrics() {
		if !listed[m] {
			t.Errorf("threshold metric %q is not in the metric table", m)
		}
	}
}

func TestDocSweepableParams(t *testing.T) {
	doc := readDoc(t)
	sec := section(t, doc, "## `sweep`", true)
	rows := table(sec, "Path")
	byPath := map[string]row{}
	for _, r := range rows {
		p := ticked(r[0])
		if len(p) != 1 {
			t.Errorf("path cell %q should hold exactly one `path`", r[0])
			continue
		}
		byPath[p[0]] = r
	}
	known := map[string]bool{}
	for _, sp := range scenarios.Sweepable() {
		known[sp.Path] = true
		r, ok := byPath[sp.Path]
		if !ok {
			t.Errorf("sweepable param %q is not in the table", sp.Path)
			continue
		}
		// Columns: Path | Unit | Range | Sets.
		if len(r) < 4 {
			t.Errorf("%s: row has %d cells, want 4", sp.Path, len(r))
			continue
		}
		if r[1] != sp.Unit {
			t.Errorf("%s: unit %q, the code says %q", sp.Path, r[1], sp.Unit)
		}
		if want := num(sp.Min) + " to " + num(sp.Max); r[2] != want {
			t.Errorf("%s: range %q, the code says %q", sp.Path, r[2], want)
		}
	}
	for p := range byPath {
		if !known[p] {
			t.Errorf("the table lists %q, which sweep.params does not accept", p)
		}
	}
}

func TestDocCostKeys(t *testing.T) {
	doc := readDoc(t)
	rows := table(section(t, doc, "## `cost`", true), "Override key")
	listed := map[string]bool{}
	for _, r := range rows {
		for _, k := range ticked(r[0]) {
			listed[k] = true
		}
	}
	for _, k := range cost.Keys() {
		if !listed[k] {
			t.Errorf("cost override key %q is not in the table", k)
		}
	}
	for k := range listed {
		if !contains(cost.Keys(), k) {
			t.Errorf("the table lists cost key %q, which profiles do not have (have %v)", k, cost.Keys())
		}
	}
}

// TestDocValidationTranscripts replays every `$ cat FILE` / `$ evbench
// validate FILE` transcript in the doc's console blocks: each quoted error
// must be exactly what the loader reports for the quoted file, and a file
// shown as valid must load.
func TestDocValidationTranscripts(t *testing.T) {
	doc := readDoc(t)
	checked := 0
	for _, f := range fences(doc) {
		if f.info != "console" {
			continue
		}
		files := map[string]string{}
		var cmd string
		var out []string
		finish := func() {
			switch {
			case strings.HasPrefix(cmd, "cat "):
				files[strings.TrimPrefix(cmd, "cat ")] = strings.Join(out, "\n") + "\n"
			case strings.HasPrefix(cmd, "evbench validate "):
				name := strings.TrimPrefix(cmd, "evbench validate ")
				data, ok := files[name]
				if !ok {
					t.Errorf("docs/scenarios.md:%d: validate %s before any `cat %s`", f.line, name, name)
					return
				}
				checked++
				sc, err := scenarios.LoadBytes(name, []byte(data))
				if err == nil {
					_, err = sc.Expand()
				}
				got := "<no output>"
				if len(out) > 0 {
					got = out[0]
				}
				if want, isErr := strings.CutPrefix(got, "evbench: "); isErr {
					if err == nil {
						t.Errorf("docs/scenarios.md:%d: %s is shown failing with %q but loads", f.line, name, want)
					} else if err.Error() != want {
						t.Errorf("docs/scenarios.md:%d: %s:\n doc:    %s\n loader: %s", f.line, name, want, err.Error())
					}
				} else if err != nil || !strings.HasPrefix(got, name+": valid") {
					t.Errorf("docs/scenarios.md:%d: %s is shown as %q; loading it gives %v", f.line, name, got, err)
				}
			}
		}
		for _, l := range strings.Split(strings.TrimSuffix(f.body, "\n"), "\n") {
			if c, ok := strings.CutPrefix(l, "$ "); ok {
				finish()
				cmd, out = c, nil
				continue
			}
			out = append(out, l)
		}
		finish()
	}
	if checked < 3 {
		t.Fatalf("replayed %d validate transcripts, want at least 3", checked)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
