// Package junittest checks JUnit XML documents against the common JUnit
// schema in tests (reports/junit, reports/compare, cmd/evbench).
package junittest

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// xsdRule is one element declaration of the common JUnit schema, the
// Jenkins xUnit plugin's junit-10.xsd, restated rule by rule: the
// attributes it allows and requires and the child elements it allows. No
// well-kept pure-Go XSD validator exists, so the test checks documents
// against these rules strictly instead.
type xsdRule struct {
	attrs    []string
	required []string
	children []string
	text     bool // mixed content or xs:string: character data allowed
}

var junitXSD = map[string]xsdRule{
	"testsuites": {attrs: []string{"name", "time", "tests", "failures", "errors"}, children: []string{"testsuite"}},
	"testsuite": {
		attrs:    []string{"name", "tests", "failures", "errors", "group", "time", "skipped", "timestamp", "hostname", "id", "package", "file", "log", "url"},
		required: []string{"name", "tests", "failures", "errors"},
		children: []string{"testsuite", "properties", "testcase", "system-out", "system-err"},
	},
	"testcase": {
		attrs: []string{"name", "time", "classname", "group"}, required: []string{"name"},
		children: []string{"skipped", "error", "failure", "rerunFailure", "rerunError", "flakyFailure", "flakyError", "system-out", "system-err"},
	},
	"failure":    {attrs: []string{"type", "message"}, text: true},
	"error":      {attrs: []string{"type", "message"}, text: true},
	"skipped":    {attrs: []string{"type", "message"}, text: true},
	"properties": {children: []string{"property"}},
	"property":   {attrs: []string{"name", "value"}, required: []string{"name", "value"}},
	"system-out": {text: true},
	"system-err": {text: true},
}

// surefireTime is the schema's SUREFIRE_TIME pattern for time attributes.
var surefireTime = regexp.MustCompile(`^(([0-9]{0,3},)*[0-9]{3}|[0-9]{0,3})*(\.[0-9]*)?$`)

// CheckSchema checks an XML document against the schema rules above and
// that the tests/failures/skipped counts add up.
func CheckSchema(doc []byte) error {
	dec := xml.NewDecoder(bytes.NewReader(doc))
	type frame struct {
		name                        string
		cases, failures, skips, sub int
		counts                      map[string]string
	}
	var stack []*frame
	roots := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("not well-formed XML: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			name := t.Name.Local
			if t.Name.Space != "" {
				return fmt.Errorf("<%s>: the schema has no target namespace, got %q", name, t.Name.Space)
			}
			rule, ok := junitXSD[name]
			if !ok {
				return fmt.Errorf("<%s> is not declared in the schema", name)
			}
			if len(stack) == 0 {
				roots++
				if name != "testsuites" && name != "testsuite" {
					return fmt.Errorf("root <%s>, want <testsuites> or <testsuite>", name)
				}
			} else if parent := stack[len(stack)-1]; !slices.Contains(junitXSD[parent.name].children, name) {
				return fmt.Errorf("<%s> is not allowed inside <%s>", name, parent.name)
			}
			f := &frame{name: name, counts: map[string]string{}}
			for _, a := range t.Attr {
				if a.Name.Space != "" && a.Name.Space != "xmlns" {
					return fmt.Errorf("<%s> attribute %s:%s not allowed", name, a.Name.Space, a.Name.Local)
				}
				if !slices.Contains(rule.attrs, a.Name.Local) {
					return fmt.Errorf("<%s> attribute %q is not allowed", name, a.Name.Local)
				}
				if a.Name.Local == "time" && (name == "testsuite" || name == "testsuites") && !surefireTime.MatchString(a.Value) {
					return fmt.Errorf("<%s time=%q> does not match SUREFIRE_TIME", name, a.Value)
				}
				f.counts[a.Name.Local] = a.Value
			}
			for _, r := range rule.required {
				if _, ok := f.counts[r]; !ok {
					return fmt.Errorf("<%s> lacks the required attribute %q", name, r)
				}
			}
			if len(stack) > 0 {
				parent := stack[len(stack)-1]
				switch name {
				case "testcase":
					parent.cases++
				case "failure":
					parent.failures++
				case "skipped":
					parent.skips++
				}
			}
			stack = append(stack, f)
		case xml.EndElement:
			f := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			switch f.name {
			case "testcase":
				if f.failures+f.skips > 1 {
					return fmt.Errorf("testcase with %d failures and %d skips", f.failures, f.skips)
				}
				p := stack[len(stack)-1]
				if f.failures > 0 {
					p.failures++
				}
				if f.skips > 0 {
					p.skips++
				}
			case "testsuite":
				for attr, want := range map[string]int{"tests": f.cases, "failures": f.failures, "skipped": f.skips} {
					if v, ok := f.counts[attr]; ok && v != strconv.Itoa(want) {
						return fmt.Errorf("testsuite %q: %s=%s, counted %d", f.counts["name"], attr, v, want)
					}
				}
				if len(stack) > 0 {
					p := stack[len(stack)-1]
					p.cases += f.cases
					p.failures += f.failures
				}
			case "testsuites":
				for attr, want := range map[string]int{"tests": f.cases, "failures": f.failures} {
					if v, ok := f.counts[attr]; ok && v != strconv.Itoa(want) {
						return fmt.Errorf("testsuites: %s=%s, counted %d", attr, v, want)
					}
				}
			}
		case xml.CharData:
			if len(stack) > 0 && !junitXSD[stack[len(stack)-1].name].text && strings.TrimSpace(string(t)) != "" {
				return fmt.Errorf("<%s> may not contain text, has %q", stack[len(stack)-1].name, string(t))
			}
		}
	}
	if roots != 1 {
		return fmt.Errorf("%d root elements", roots)
	}
	return nil
}
