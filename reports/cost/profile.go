package cost

import (
	"embed"
	"errors"
	"fmt"
	"math"
	"os"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/parser"

	"github.com/evbench/evbench/internal/limitedfile"
	"github.com/evbench/evbench/internal/yamlguard"
)

//go:embed profiles/*.yaml
var builtinFS embed.FS

// Price is one price or assumption with the citation it comes from.
type Price struct {
	Value float64 `yaml:"value" json:"value"`
	// Source names the public price page (and region and date) or says
	// "assumption: ..." with the reasoning. Required.
	Source string `yaml:"source" json:"source"`
}

// Profile is a cost profile: every price and assumption of the cost model,
// each with its source. Monetary values are in Currency; "month" is
// HoursPerMonth hours.
type Profile struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description,omitempty"`
	Currency    string `yaml:"currency,omitempty"`
	// Extends names a built-in profile whose prices this one inherits;
	// only the keys given here replace them.
	Extends string `yaml:"extends,omitempty"`

	HoursPerMonth *Price `yaml:"hours_per_month,omitempty"`
	Compute       struct {
		// VCPUHour is the price of one vCPU for one hour.
		VCPUHour *Price `yaml:"vcpu_hour,omitempty"`
		// Utilization is the average CPU utilisation a fleet runs at
		// (0..1]; measured CPU-seconds are divided by it.
		Utilization *Price `yaml:"utilization,omitempty"`
		// MemoryGBHour is the price of one GB of memory held for one hour
		// (connections and in-flight deliveries are priced with it).
		MemoryGBHour *Price `yaml:"memory_gb_hour,omitempty"`
	} `yaml:"compute,omitempty"`
	Network struct {
		// CrossZoneFraction is the share of hops that cross a billed
		// boundary (availability zone).
		CrossZoneFraction *Price `yaml:"cross_zone_fraction,omitempty"`
		// InternetEgressPerGB and CrossRegionPerGB price a GB over a
		// link whose recorded network profile is internet or
		// cross-region (hops.go); cross-zone links use the systems'
		// own per-GB prices.
		InternetEgressPerGB *Price `yaml:"internet_egress_per_gb,omitempty"`
		CrossRegionPerGB    *Price `yaml:"cross_region_per_gb,omitempty"`
	} `yaml:"network,omitempty"`
	// Push prices the push family (results.FamilyPush, and the HTTP hop
	// of push-to-log): the profile's `webhook:` block.
	Push struct {
		// EgressPerGB is the price per GB sent from the sender to a
		// subscriber endpoint (on a billed hop).
		EgressPerGB *Price `yaml:"egress_per_gb,omitempty"`
		// EndpointMonth is the operating cost per subscriber endpoint
		// per month (retry queue, monitoring, alarms).
		EndpointMonth *Price `yaml:"endpoint_month,omitempty"`
		// MemoryPerConnectionKB is the sender's memory per open (TLS)
		// connection: buffers, TLS state, the goroutines serving it.
		MemoryPerConnectionKB *Price `yaml:"memory_per_connection_kb,omitempty"`
		// MemoryPerInFlightKB is the sender's memory per delivery in
		// flight beyond its connection (request, payload copy). Not
		// measurable from results (max_rss_bytes is a process
		// high-water mark), so always this assumption.
		MemoryPerInFlightKB *Price `yaml:"memory_per_inflight_kb,omitempty"`
		// AddedLatencyS is added to the measured per-attempt latency
		// before Little's law: production receivers slower than the lab's.
		AddedLatencyS *Price `yaml:"added_latency_s,omitempty"`
		// TLSHandshakesPerDelivery is new TLS connections per delivery
		// attempt: 1 with a connection per delivery, near 0 with
		// keep-alive.
		TLSHandshakesPerDelivery *Price `yaml:"tls_handshakes_per_delivery,omitempty"`
		// TLSHandshakeCPUMs is the CPU of one full TLS handshake on each
		// side (sender and receiver), in ms.
		TLSHandshakeCPUMs *Price `yaml:"tls_handshake_cpu_ms,omitempty"`
		// DeadLetterGBMonth prices dead-lettered events kept for
		// DeadLetterRetentionHours.
		DeadLetterGBMonth        *Price `yaml:"dead_letter_gb_month,omitempty"`
		DeadLetterRetentionHours *Price `yaml:"dead_letter_retention_hours,omitempty"`
		// Buy is 1 when webhooks are bought from a platform (priced per
		// message, no sender fleet), 0 when the sender fleet is built.
		Buy *Price `yaml:"buy,omitempty"`
		// PlatformPerMillionEvents and PlatformPerMillionDeliveries are a
		// platform's prices per million events published and per million
		// delivery attempts; PlatformMonth its fixed monthly fee.
		PlatformPerMillionEvents     *Price `yaml:"platform_per_million_events,omitempty"`
		PlatformPerMillionDeliveries *Price `yaml:"platform_per_million_deliveries,omitempty"`
		PlatformMonth                *Price `yaml:"platform_month,omitempty"`
	} `yaml:"webhook,omitempty"`
	// Log prices the log family (results.FamilyLog, and the log of
	// push-to-log): the profile's `kafka:` block.
	Log struct {
		// ClusterMonth is a fixed monthly cost of the cluster beyond its
		// brokers (control plane, operations).
		ClusterMonth *Price `yaml:"cluster_month,omitempty"`
		// BrokerMonth is the price of one broker (or capacity unit) per
		// month.
		BrokerMonth *Price `yaml:"broker_month,omitempty"`
		// MinBrokers is the smallest cluster (an integer).
		MinBrokers *Price `yaml:"min_brokers,omitempty"`
		// BrokerCapacityMBs is the traffic one broker sustains in MB/s,
		// counting writes x replication factor plus fan-out reads.
		BrokerCapacityMBs *Price `yaml:"broker_capacity_mb_s,omitempty"`
		// ReplicationFactor is the number of copies of every record.
		ReplicationFactor *Price `yaml:"replication_factor,omitempty"`
		// RetentionHours is how long records are kept.
		RetentionHours *Price `yaml:"retention_hours,omitempty"`
		// StorageGBMonth is the price of one GB stored for a month.
		StorageGBMonth *Price `yaml:"storage_gb_month,omitempty"`
		// TransferPerGB is the price per GB of client traffic (produce,
		// fetch) on a billed hop.
		TransferPerGB *Price `yaml:"transfer_per_gb,omitempty"`
		// ReplicationTransferPerGB is the price per GB of replication
		// traffic between brokers.
		ReplicationTransferPerGB *Price `yaml:"replication_transfer_per_gb,omitempty"`
		// PartitionHour is the price of one partition for one hour
		// (managed services); MinPartitions the topic's partitions at
		// least, and PartitionMBs the write throughput one partition
		// takes before another is needed.
		PartitionHour *Price `yaml:"partition_hour,omitempty"`
		MinPartitions *Price `yaml:"min_partitions,omitempty"`
		PartitionMBs  *Price `yaml:"partition_mb_s,omitempty"`
		// IngressPerGB and EgressPerGB are a managed service's prices per
		// GB written (produced) and read (fetched), on top of network
		// transfer.
		IngressPerGB *Price `yaml:"ingress_per_gb,omitempty"`
		EgressPerGB  *Price `yaml:"egress_per_gb,omitempty"`
	} `yaml:"kafka,omitempty"`
	Subscriber struct {
		// CPUMsPerDelivery is the subscriber's own processing per event,
		// the same in every design: shown as the common part, never in
		// the break-even.
		CPUMsPerDelivery *Price `yaml:"cpu_ms_per_delivery,omitempty"`
	} `yaml:"subscriber,omitempty"`

	// File is where the profile was read from ("builtin:NAME" for
	// built-ins).
	File string `yaml:"-"`
	// Overridden lists the keys replaced by WithOverrides.
	Overridden []string `yaml:"-"`
}

// Label names the profile in reports: its name, plus the overridden keys.
func (p *Profile) Label() string {
	if len(p.Overridden) == 0 {
		return p.Name
	}
	return p.Name + " with " + strings.Join(p.Overridden, ", ") + " overridden"
}

// param describes one key of a profile.
type param struct {
	key   string
	ptr   **Price
	check func(float64) string // "" when valid, else what is allowed
}

func nonNegative(v float64) string {
	if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return "must be a finite number >= 0"
	}
	return ""
}

func positive(v float64) string {
	if !(v > 0) || math.IsInf(v, 0) {
		return "must be a finite number > 0"
	}
	return ""
}

func fraction(open bool) func(float64) string {
	return func(v float64) string {
		if math.IsNaN(v) || v > 1 || v < 0 || (open && v == 0) {
			if open {
				return "must be in (0, 1]"
			}
			return "must be in [0, 1]"
		}
		return ""
	}
}

func integerAtLeast(n float64) func(float64) string {
	return func(v float64) string {
		if v < n || v != math.Trunc(v) || math.IsInf(v, 0) {
			return fmt.Sprintf("must be a whole number >= %g", n)
		}
		return ""
	}
}

func integerIn(lo, hi float64) func(float64) string {
	return func(v float64) string {
		if v < lo || v > hi || v != math.Trunc(v) {
			return fmt.Sprintf("must be a whole number in [%g, %g]", lo, hi)
		}
		return ""
	}
}

// params lists every key in a stable order (the order of the YAML files).
func (p *Profile) params() []param {
	return []param{
		{"hours_per_month", &p.HoursPerMonth, positive},
		{"compute.vcpu_hour", &p.Compute.VCPUHour, nonNegative},
		{"compute.utilization", &p.Compute.Utilization, fraction(true)},
		{"compute.memory_gb_hour", &p.Compute.MemoryGBHour, nonNegative},
		{"network.cross_zone_fraction", &p.Network.CrossZoneFraction, fraction(false)},
		{"network.internet_egress_per_gb", &p.Network.InternetEgressPerGB, nonNegative},
		{"network.cross_region_per_gb", &p.Network.CrossRegionPerGB, nonNegative},
		{"webhook.egress_per_gb", &p.Push.EgressPerGB, nonNegative},
		{"webhook.endpoint_month", &p.Push.EndpointMonth, nonNegative},
		{"webhook.memory_per_connection_kb", &p.Push.MemoryPerConnectionKB, nonNegative},
		{"webhook.memory_per_inflight_kb", &p.Push.MemoryPerInFlightKB, nonNegative},
		{"webhook.added_latency_s", &p.Push.AddedLatencyS, nonNegative},
		{"webhook.tls_handshakes_per_delivery", &p.Push.TLSHandshakesPerDelivery, fraction(false)},
		{"webhook.tls_handshake_cpu_ms", &p.Push.TLSHandshakeCPUMs, nonNegative},
		{"webhook.dead_letter_gb_month", &p.Push.DeadLetterGBMonth, nonNegative},
		{"webhook.dead_letter_retention_hours", &p.Push.DeadLetterRetentionHours, nonNegative},
		{"webhook.buy", &p.Push.Buy, integerIn(0, 1)},
		{"webhook.platform_per_million_events", &p.Push.PlatformPerMillionEvents, nonNegative},
		{"webhook.platform_per_million_deliveries", &p.Push.PlatformPerMillionDeliveries, nonNegative},
		{"webhook.platform_month", &p.Push.PlatformMonth, nonNegative},
		{"kafka.cluster_month", &p.Log.ClusterMonth, nonNegative},
		{"kafka.broker_month", &p.Log.BrokerMonth, nonNegative},
		{"kafka.min_brokers", &p.Log.MinBrokers, integerAtLeast(0)},
		{"kafka.broker_capacity_mb_s", &p.Log.BrokerCapacityMBs, positive},
		{"kafka.replication_factor", &p.Log.ReplicationFactor, integerAtLeast(1)},
		{"kafka.retention_hours", &p.Log.RetentionHours, nonNegative},
		{"kafka.storage_gb_month", &p.Log.StorageGBMonth, nonNegative},
		{"kafka.transfer_per_gb", &p.Log.TransferPerGB, nonNegative},
		{"kafka.replication_transfer_per_gb", &p.Log.ReplicationTransferPerGB, nonNegative},
		{"kafka.partition_hour", &p.Log.PartitionHour, nonNegative},
		{"kafka.min_partitions", &p.Log.MinPartitions, integerAtLeast(1)},
		{"kafka.partition_mb_s", &p.Log.PartitionMBs, positive},
		{"kafka.ingress_per_gb", &p.Log.IngressPerGB, nonNegative},
		{"kafka.egress_per_gb", &p.Log.EgressPerGB, nonNegative},
		{"subscriber.cpu_ms_per_delivery", &p.Subscriber.CPUMsPerDelivery, nonNegative},
	}
}

// Keys lists every price key a profile has, as used by overrides
// ("kafka.broker_month").
func Keys() []string {
	var p Profile
	var out []string
	for _, pr := range p.params() {
		out = append(out, pr.key)
	}
	return out
}

// Get returns the price under key.
func (p *Profile) Get(key string) (Price, bool) {
	for _, pr := range p.params() {
		if pr.key == key && *pr.ptr != nil {
			return **pr.ptr, true
		}
	}
	return Price{}, false
}

// Prices lists every key with its price, in a stable order.
func (p *Profile) Prices() []KeyedPrice {
	var out []KeyedPrice
	for _, pr := range p.params() {
		if *pr.ptr != nil {
			out = append(out, KeyedPrice{Key: pr.key, Price: **pr.ptr})
		}
	}
	return out
}

// KeyedPrice is a price with its key.
type KeyedPrice struct {
	Key string
	Price
}

// v returns the value of a complete profile's key (0 if absent, which
// Validate rules out).
func v(pr *Price) float64 {
	if pr == nil {
		return 0
	}
	return pr.Value
}

// ProfileError is a problem in a profile file, with its position when
// known (Line and Col are 1-based; 0 when the problem is the whole file).
type ProfileError struct {
	File      string
	Line, Col int
	Msg       string
}

func (e *ProfileError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// ErrUnknownProfile is returned (wrapped) when a profile name is neither a
// built-in nor a readable file.
var ErrUnknownProfile = errors.New("unknown cost profile")

// Builtins lists the built-in profile names, sorted.
func Builtins() []string {
	entries, err := builtinFS.ReadDir("profiles")
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		out = append(out, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	sort.Strings(out)
	return out
}

// Builtin returns a built-in profile by name.
func Builtin(name string) (*Profile, error) {
	b, err := builtinFS.ReadFile(path.Join("profiles", name+".yaml"))
	if err != nil {
		return nil, fmt.Errorf("%w %q (built-in profiles: %s)", ErrUnknownProfile, name, strings.Join(Builtins(), ", "))
	}
	return ParseProfile("builtin:"+name, b)
}

// LoadProfile returns the built-in profile called nameOrPath, or reads a
// profile YAML file from that path.
func LoadProfile(nameOrPath string) (*Profile, error) {
	for _, n := range Builtins() {
		if n == nameOrPath {
			return Builtin(n)
		}
	}
	b, err := limitedfile.Read(nameOrPath, MaxProfileBytes)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%w %q: not a built-in (%s) and no such file", ErrUnknownProfile, nameOrPath, strings.Join(Builtins(), ", "))
		}
		return nil, fmt.Errorf("read cost profile %s: %w", nameOrPath, err)
	}
	return ParseProfile(nameOrPath, b)
}

// Bounds on a profile file, checked before it is parsed so that any path
// (a device, a huge or deeply nested file) fails fast and cheaply. The
// built-in profiles are about 3 KiB with 4 levels of nesting.
const (
	MaxProfileBytes = 256 << 10
	maxProfileDepth = 16
	maxProfileMarks = 20_000
)

// ParseProfile strictly parses a profile: unknown keys, duplicate keys,
// wrong types, missing sources and impossible values are errors naming the
// file, line and column. A profile without extends must give every key.
func ParseProfile(file string, data []byte) (*Profile, error) {
	if len(data) > MaxProfileBytes {
		return nil, &ProfileError{File: file, Msg: fmt.Sprintf("%d bytes; a cost profile may be at most %d", len(data), MaxProfileBytes)}
	}
	if pr := yamlguard.Check(data, maxProfileDepth, maxProfileMarks); pr != nil {
		return nil, &ProfileError{File: file, Line: pr.Line, Col: pr.Column, Msg: pr.Msg + ": not a cost profile"}
	}
	var p Profile
	if err := yaml.UnmarshalWithOptions(data, &p, yaml.Strict()); err != nil {
		return nil, yamlError(file, err)
	}
	p.File = file
	ast, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, yamlError(file, err)
	}
	pos := func(key string) (int, int) {
		// $.a.b.value -> the value node; fall back to the key's node.
		for _, q := range []string{"$." + key + ".value", "$." + key} {
			pth, err := yaml.PathString(q)
			if err != nil {
				continue
			}
			n, err := pth.FilterFile(ast)
			if err != nil || n == nil || n.GetToken() == nil {
				continue
			}
			t := n.GetToken()
			return t.Position.Line, t.Position.Column
		}
		return 0, 0
	}
	if p.Name == "" {
		return nil, &ProfileError{File: file, Msg: "missing name"}
	}
	for _, pr := range p.params() {
		if *pr.ptr == nil {
			continue
		}
		line, col := pos(pr.key)
		if strings.TrimSpace((*pr.ptr).Source) == "" {
			return nil, &ProfileError{File: file, Line: line, Col: col, Msg: pr.key + ": missing source (cite the price page, or write \"assumption: ...\")"}
		}
		if msg := pr.check((*pr.ptr).Value); msg != "" {
			return nil, &ProfileError{File: file, Line: line, Col: col, Msg: fmt.Sprintf("%s: %s, got %v", pr.key, msg, (*pr.ptr).Value)}
		}
	}
	if p.Extends != "" {
		if p.Extends == p.Name || strings.TrimPrefix(file, "builtin:") == p.Extends {
			return nil, &ProfileError{File: file, Msg: "a profile cannot extend itself"}
		}
		base, err := Builtin(p.Extends)
		if err != nil {
			line, col := pos("extends")
			return nil, &ProfileError{File: file, Line: line, Col: col, Msg: err.Error()}
		}
		bp := base.params()
		for i, pr := range p.params() {
			if *pr.ptr == nil {
				*pr.ptr = *bp[i].ptr
			}
		}
		if p.Currency == "" {
			p.Currency = base.Currency
		}
	}
	var missing []string
	for _, pr := range p.params() {
		if *pr.ptr == nil {
			missing = append(missing, pr.key)
		}
	}
	if len(missing) > 0 {
		return nil, &ProfileError{File: file, Msg: fmt.Sprintf("missing %s (give each as {value, source}, or start with extends: %s)", strings.Join(missing, ", "), strings.Join(Builtins(), " | "))}
	}
	if p.Currency == "" {
		p.Currency = "USD"
	}
	return &p, nil
}

// yamlError turns a go-yaml error into a ProfileError with position. The
// path may name any file (cost.profile: /etc/shadow), so the message never
// repeats the file's content: an unknown key is not quoted (a close known
// key is suggested instead), a duplicate key is not named, and parser
// messages that quote text are replaced by a generic one. The position is
// enough for the file's owner to find the problem.
func yamlError(file string, err error) error {
	var ye yaml.Error
	if errors.As(err, &ye) && ye.GetToken() != nil {
		t := ye.GetToken()
		msg := ye.GetMessage()
		var uf *yaml.UnknownFieldError
		var dk *yaml.DuplicateKeyError
		switch {
		case errors.As(err, &uf):
			msg = "unknown key"
			if s := suggestKey(t.Value); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			msg += " (allowed: name, description, currency, extends, " + strings.Join(Keys(), ", ") + "; each price is {value, source})"
		case errors.As(err, &dk), strings.Contains(msg, "already defined"):
			msg = "duplicate key: this key is already defined above"
		case quotesText.MatchString(msg):
			msg = "not a valid cost profile here (YAML error)"
		}
		return &ProfileError{File: file, Line: t.Position.Line, Col: t.Position.Column, Msg: msg}
	}
	return &ProfileError{File: file, Msg: "not a valid cost profile (YAML error)"}
}

// quotesText matches a parser message quoting more than a token such as
// ']' from the input.
var quotesText = regexp.MustCompile("\"[^\"]{4,}|'[^']{4,}'|`[^`]{4,}")

// suggestKey returns the known profile key (a segment such as
// "broker_month") within two edits of key, or "". Only known names are
// ever printed, never the text read from the file.
func suggestKey(key string) string {
	if len(key) > 40 {
		return ""
	}
	known := []string{"name", "description", "currency", "extends", "value", "source"}
	for _, k := range Keys() {
		block, seg, _ := strings.Cut(k, ".")
		if seg == "" {
			seg = k
		}
		known = append(known, block, seg)
	}
	best, bestD := "", 3
	for _, k := range known {
		if d := editDistance(key, k); d < bestD {
			best, bestD = k, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := 1
			if a[i-1] == b[j-1] {
				c = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+c)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// WithOverrides returns a copy of p with the values under the given keys
// replaced; each replaced price's source says it was overridden and by
// whom (origin, e.g. "scenario cost.overrides" or "--set"). Unknown keys
// and impossible values are errors.
func (p *Profile) WithOverrides(overrides map[string]float64, origin string) (*Profile, error) {
	out := *p
	// Deep-copy the prices so the original stays untouched.
	op := out.params()
	for i, pr := range p.params() {
		if *pr.ptr != nil {
			c := **pr.ptr
			*op[i].ptr = &c
		}
	}
	keys := make([]string, 0, len(overrides))
	for k := range overrides {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		val := overrides[k]
		found := false
		for _, pr := range op {
			if pr.key != k {
				continue
			}
			found = true
			if msg := pr.check(val); msg != "" {
				return nil, fmt.Errorf("cost override %s: %s, got %v", k, msg, val)
			}
			old := "unset"
			if *pr.ptr != nil {
				old = strconv.FormatFloat((*pr.ptr).Value, 'g', -1, 64)
			}
			*pr.ptr = &Price{Value: val, Source: fmt.Sprintf("override from %s (profile %s had %s)", origin, p.Name, old)}
			if !slices.Contains(out.Overridden, k) {
				out.Overridden = append(slices.Clone(out.Overridden), k)
			}
		}
		if !found {
			return nil, fmt.Errorf("cost override: unknown key %q (allowed: %s)", k, strings.Join(Keys(), ", "))
		}
	}
	return &out, nil
}
