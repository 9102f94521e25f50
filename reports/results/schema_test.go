package results

import (
	"encoding/json"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// TestSchemaDescribesEveryField keeps docs/results.schema.json true to the
// types that write results.json: every field the Go types can write is a
// property of the matching schema object, and a property is required
// exactly when the field is always written (no omitempty). A field added
// here without the schema (or required there but sometimes left out) fails
// this test; cmd/evbench's TestResultsSchema then validates real documents.
func TestSchemaDescribesEveryField(t *testing.T) {
	b, err := os.ReadFile("../../docs/results.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var root map[string]any
	if err := json.Unmarshal(b, &root); err != nil {
		t.Fatalf("docs/results.schema.json: %v", err)
	}
	tests := []struct {
		typ  any
		path string // slash-separated path of the object in the schema
	}{
		{Results{}, ""},
		{Environment{}, "$defs/environment"},
		{Noise{}, "$defs/noise"},
		{Point{}, "$defs/point"},
		{Lag{}, "$defs/point/properties/generator_lag_us"},
		{Threshold{}, "$defs/point/properties/thresholds/items"},
		{Latency{}, "$defs/latency"},
		{Summary{}, "$defs/summary"},
		{Subscriber{}, "$defs/subscriber"},
		{Counts{}, "$defs/counts"},
		{Accounting{}, "$defs/accounting"},
		{LossCauses{}, "$defs/accounting/properties/lost_by"},
		{CatchUp{}, "$defs/subscriber/properties/catch_up"},
		{ParallelSubscriber{}, "$defs/point/properties/parallel_run/items"},
		{LagSample{}, "$defs/subscriber/properties/catch_up/properties/lag/items"},
		{Errors{}, "$defs/errors"},
		{Resources{}, "$defs/resources"},
		{Sample{}, "$defs/sample"},
		{MaxRate{}, "$defs/maxRate"},
		{SenderMemory{}, "$defs/point/properties/sender_memory"},
		{Capabilities{}, "$defs/point/properties/capabilities"},
	}
	for _, tc := range tests {
		rt := reflect.TypeOf(tc.typ)
		t.Run(rt.Name(), func(t *testing.T) {
			obj := root
			for _, k := range strings.Split(tc.path, "/") {
				if k == "" {
					continue
				}
				next, ok := obj[k].(map[string]any)
				if !ok {
					t.Fatalf("schema has no object at %s", tc.path)
				}
				obj = next
			}
			props, _ := obj["properties"].(map[string]any)
			var required []string
			if r, ok := obj["required"].([]any); ok {
				for _, v := range r {
					required = append(required, v.(string))
				}
			}
			var always []string
			for i := 0; i < rt.NumField(); i++ {
				tag := rt.Field(i).Tag.Get("json")
				name, opts, _ := strings.Cut(tag, ",")
				if name == "-" || name == "" {
					continue
				}
				if _, ok := props[name]; !ok {
					t.Errorf("%s.%s (%q) is not described in the schema at %s", rt.Name(), rt.Field(i).Name, name, tc.path)
				}
				// omitzero (a struct of zeros, e.g. lost_by) is left out
				// like omitempty: neither is always written.
				if !strings.Contains(opts, "omitempty") && !strings.Contains(opts, "omitzero") {
					always = append(always, name)
				}
			}
			slices.Sort(always)
			slices.Sort(required)
			if !slices.Equal(always, required) {
				t.Errorf("schema at %s requires %v; the fields always written are %v", tc.path, required, always)
			}
		})
	}
}
