// Package chart holds the small types shared by everything that produces
// report content (latency charts, sweep curves, cost curves), so the HTML
// report can lay out sections it did not compute itself.
package chart

// Chart is one rendered chart: the output of reports/plot.Render, whose
// Data is the one chart data type every chart is made from.
type Chart struct {
	// Name is the file stem for the PNG beside report.html, e.g.
	// "latency-spectrum-webhook".
	Name string
	// Title is shown above the chart.
	Title string
	// Caption says how to read the chart (shown under it).
	Caption string
	// PNG is the rendered raster image.
	PNG []byte
	// SVG is the rendered vector image, inlined into report.html.
	SVG []byte
}

// Section is one titled part of the report: a paragraph, optional tables
// and charts.
type Section struct {
	// ID is the HTML anchor.
	ID    string
	Title string
	// Paragraphs are plain text paragraphs (escaped by the renderer).
	Paragraphs []string
	Tables     []Table
	Charts     []Chart
}

// Table is a simple text table.
type Table struct {
	Caption string
	Header  []string
	Rows    [][]string
}
