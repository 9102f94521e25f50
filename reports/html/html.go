// Package html writes the evbench HTML report: one self-contained
// report.html (inline CSS and SVG charts, no scripts, no network fetches)
// with one PNG per chart beside it, built from a results document alone.
//
// Page order: verdict, caveats (honesty labels), environment, thresholds,
// all points (sweeps), per-subscriber tables, charts, extra sections from
// other packages (sweep curves, cost), the resolved scenario and the
// command that reproduces the run.
package html

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/evbench/evbench/reports/chart"
	"github.com/evbench/evbench/reports/hlog"
	"github.com/evbench/evbench/reports/plot"
	"github.com/evbench/evbench/reports/results"
)

// ReportName is the report's file name inside the output directory.
const ReportName = "report.html"

var tmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"svg":       inlineSVG,
	"png":       dataURI,
	"systemCSS": systemStyles,
	"cls":       fileSafe,
}).Parse(pageTemplate))

// Write renders r (and the extra sections, e.g. sweep curves and cost) and
// writes report.html and one PNG per chart into dir, creating dir.
func Write(dir string, r *results.Results, extra ...chart.Section) error {
	_, err := write(dir, r, nil, extra)
	return err
}

// Generate writes everything a run's output folder gets for people and
// tools: the HdrHistogram interval logs (.hlog), report.html linking them,
// and the PNGs. It returns the path of report.html. `evbench run` and
// `evbench report` both call it.
func Generate(outDir string, r *results.Results, extra ...chart.Section) (reportPath string, err error) {
	paths, err := hlog.WriteDir(outDir, r)
	if err != nil {
		return "", fmt.Errorf("report: %w", err)
	}
	files := make([]string, len(paths))
	for i, p := range paths {
		files[i] = filepath.Base(p)
	}
	return write(outDir, r, files, extra)
}

func write(dir string, r *results.Results, files []string, extra []chart.Section) (string, error) {
	page, charts, err := render(r, files, extra)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("report: %w", err)
	}
	for _, c := range charts {
		if len(c.PNG) == 0 {
			continue
		}
		if err := writeFile(filepath.Join(dir, c.Name+".png"), c.PNG); err != nil {
			return "", fmt.Errorf("report: chart %s: %w", c.Name, err)
		}
	}
	path := filepath.Join(dir, ReportName)
	if err := writeFile(path, page); err != nil {
		return "", fmt.Errorf("report: %w", err)
	}
	return path, nil
}

// writeFile writes atomically and leaves the file readable by everyone
// (the temporary file is created 0600): reports are meant to be shared,
// served as CI artifacts and opened by other users.
func writeFile(path string, data []byte) error {
	if err := results.WriteAtomic(path, data); err != nil {
		return err
	}
	if err := os.Chmod(path, 0o644); err != nil {
		return fmt.Errorf("chmod %s: %w", path, err)
	}
	return nil
}

// Render returns report.html's bytes and every chart in it (PNG names are
// each chart's Name + ".png", made unique), without writing anything.
func Render(r *results.Results, extra ...chart.Section) ([]byte, []chart.Chart, error) {
	return render(r, nil, extra)
}

func render(r *results.Results, files []string, extra []chart.Section) ([]byte, []chart.Chart, error) {
	if r == nil {
		return nil, nil, fmt.Errorf("report: no results")
	}
	ds, err := plot.Extract(r)
	if err != nil {
		return nil, nil, fmt.Errorf("report: %w", err)
	}
	names := map[string]int{}
	unique := func(n string) string {
		if n == "" {
			n = "chart"
		}
		n = fileSafe(n)
		names[n]++
		if names[n] > 1 {
			return fmt.Sprintf("%s-%d", n, names[n])
		}
		return n
	}
	var all []chart.Chart
	var figs []figure
	for _, d := range ds {
		c, err := plot.Render(d)
		if err != nil {
			return nil, nil, fmt.Errorf("report: %w", err)
		}
		c.Name = unique(c.Name)
		all = append(all, c)
		figs = append(figs, figure{Name: c.Name, Title: c.Title, Caption: d.Caption, SVG: c.SVG, File: c.Name + ".png"})
	}
	var ex []extraSection
	extra = append(extra, flowSections(r)...)
	for i, s := range extra {
		es := extraSection{ID: s.ID, Title: s.Title, Paragraphs: s.Paragraphs}
		if es.ID == "" {
			es.ID = fmt.Sprintf("section-%d", i+1)
		}
		if es.Title == "" {
			es.Title = es.ID
		}
		for _, t := range s.Tables {
			es.Tables = append(es.Tables, newTableView(t))
		}
		for _, c := range s.Charts {
			c.Name = unique(c.Name)
			if err := checkSVG(c.SVG); err != nil {
				return nil, nil, fmt.Errorf("report: section %s chart %s: %w", es.ID, c.Name, err)
			}
			f := figure{Name: c.Name, Title: c.Title, Caption: c.Caption, SVG: c.SVG}
			if len(c.PNG) > 0 {
				f.File = c.Name + ".png"
				if len(c.SVG) == 0 {
					f.PNG = c.PNG
				}
			}
			all = append(all, c)
			es.Figures = append(es.Figures, f)
		}
		ex = append(ex, es)
	}
	pg, err := buildPage(r, figs, ex, files)
	if err != nil {
		return nil, nil, fmt.Errorf("report: %w", err)
	}
	var b bytes.Buffer
	if err := tmpl.Execute(&b, pg); err != nil {
		return nil, nil, fmt.Errorf("report: render html: %w", err)
	}
	return b.Bytes(), all, nil
}

var (
	xmlProlog = regexp.MustCompile(`^(?s)\s*<\?xml[^>]*\?>\s*(<!--.*?-->\s*)?(<!DOCTYPE[^>]*>\s*)?`)
	// Active content has no place in a chart; gonum/plot never emits it.
	activeSVG = regexp.MustCompile(`(?i)<script|<foreignObject|\son[a-z]+\s*=|javascript:|<iframe|\bhref\s*=\s*["']https?:`)
)

// checkSVG rejects SVG that could run code or fetch from the network.
func checkSVG(svg []byte) error {
	if len(svg) == 0 {
		return nil
	}
	if activeSVG.Match(svg) {
		return fmt.Errorf("svg contains active content or an external reference")
	}
	if !bytes.Contains(svg, []byte("<svg")) {
		return fmt.Errorf("not an svg document")
	}
	return nil
}

// inlineSVG returns chart SVG for inlining (prolog removed). Charts are
// generated by evbench's own packages and checked by checkSVG.
func inlineSVG(svg []byte) template.HTML {
	if checkSVG(svg) != nil {
		return ""
	}
	return template.HTML(xmlProlog.ReplaceAll(svg, nil)) // #nosec G203 -- checked above
}

func dataURI(png []byte) template.URL {
	return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png))
}

// systemStyles gives each system its chart colour in the page.
func systemStyles(ss []systemCSS) template.CSS {
	var b strings.Builder
	for _, s := range ss {
		n := fileSafe(s.Name)
		fmt.Fprintf(&b, ".sys-%s .chip { background: %s; }\nsection.system.sys-%s { border-left-color: %s; }\n", n, s.Color, n, s.Color)
	}
	return template.CSS(b.String())
}

// fileSafe keeps [A-Za-z0-9_-] and replaces the rest with '_': safe as a
// file name and as a CSS class.
func fileSafe(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			b.WriteRune(r)
		} else {
			b.WriteRune('_')
		}
	}
	return b.String()
}
