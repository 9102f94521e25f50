package html

// pageTemplate is the whole report: one self-contained file, no scripts,
// no external resources (styles inline, charts as inline SVG).
const pageTemplate = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="evbench">
<title>{{.Title}}</title>
<link rel="icon" href="data:,">
<style>
:root { --ink:#1b1f24; --muted:#5b6470; --line:#d9dee4; --bg:#f6f8fa; --bad:#b3261e; --badbg:#fdecea; --ok:#1e7d32; --okbg:#e8f5e9; --warnbg:#fff4e0; --warn:#8a5300; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 "Liberation Sans", Arial, Helvetica, sans-serif; color: var(--ink); background: #fff; }
main { max-width: 1180px; margin: 0 auto; padding: 20px 28px 60px; }
h1 { font-size: 26px; margin: 4px 0 2px; }
h2 { font-size: 20px; margin: 34px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 17px; margin: 22px 0 8px; }
p.sub, .small, .hint { color: var(--muted); }
.small { font-size: 12.5px; }
nav { margin: 10px 0 0; font-size: 13.5px; }
nav a { color: var(--muted); margin-right: 14px; text-decoration: none; border-bottom: 1px dotted var(--muted); }
table { border-collapse: collapse; margin: 8px 0 14px; font-size: 13.5px; }
th, td { padding: 5px 10px; border-bottom: 1px solid var(--line); text-align: right; vertical-align: top; }
th:first-child, td:first-child { text-align: left; }
thead th { background: var(--bg); font-weight: 600; white-space: nowrap; }
td.text, th.text { text-align: left; }
td.long { min-width: 22em; }
.bad { color: var(--bad); font-weight: 700; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 700; letter-spacing: .02em; }
.badge.complete, .badge.pass { background: var(--okbg); color: var(--ok); }
.badge.interrupted, .badge.failed, .badge.fail { background: var(--badbg); color: var(--bad); }
.tag { display: inline-block; margin-left: 8px; padding: 0 6px; border-radius: 4px; font-size: 11.5px; font-weight: 600; vertical-align: middle; }
.tag.warn { background: var(--warnbg); color: var(--warn); border: 1px solid #f0c987; }
.chip { display: inline-block; width: 12px; height: 12px; border-radius: 3px; margin-right: 7px; vertical-align: -1px; }
#verdict { border: 2px solid var(--ink); border-radius: 10px; padding: 6px 20px 12px; margin-top: 18px; background: #fcfcfd; }
#verdict h2 { border: 0; margin-top: 10px; }
#verdict table { font-size: 15px; width: 100%; }
#verdict td .fig { font-size: 20px; font-weight: 700; }
#verdict td .fig.bad { color: var(--bad); }
#verdict th.sys { font-size: 17px; white-space: nowrap; }
ul.findings { margin: 4px 0 6px; padding-left: 20px; }
ul.labels { list-style: none; padding: 0; margin: 0; }
ul.labels li { padding: 8px 12px; margin: 6px 0; border-radius: 6px; border-left: 5px solid; }
ul.labels li.error { background: var(--badbg); border-color: var(--bad); }
ul.labels li.warn { background: var(--warnbg); border-color: #e69f00; }
ul.labels li.info { background: var(--bg); border-color: var(--line); }
ul.labels li b { margin-right: 6px; }
dl.kv { display: grid; grid-template-columns: max-content auto; gap: 3px 18px; font-size: 14px; margin: 6px 0 12px; }
dl.kv dt { color: var(--muted); }
dl.kv dd { margin: 0; }
section.system { border-left: 5px solid var(--line); padding: 2px 0 4px 16px; margin: 18px 0 26px; }
figure.chart { margin: 18px 0 30px; }
figure.chart svg, figure.chart img { display: block; width: 100%; height: auto; max-width: 1100px; border: 1px solid var(--line); border-radius: 6px; }
figcaption { font-size: 13.5px; color: var(--muted); margin-top: 6px; max-width: 1100px; }
details { margin: 8px 0; }
summary { cursor: pointer; font-weight: 600; }
details details { margin-left: 18px; }
pre { background: var(--bg); border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; overflow-x: auto; font-size: 12.5px; }
code { font-family: "Liberation Mono", Menlo, Consolas, monospace; }
.scroll { overflow-x: auto; }
{{systemCSS .SystemCSS}}
</style>
</head>
<body>
<main>
<header>
<h1>{{.Title}}</h1>
<p class="sub">{{if .Description}}{{.Description}}<br>{{end}}{{if .Generated}}Run started {{.Generated}} · {{end}}status <span class="badge {{.Status}}" id="run-status">{{.Status}}</span>{{if .Sweep}} · sweep of {{len .Points}} points{{end}}</p>
<nav>{{if .Durability}}<a href="#durability">Durability</a>{{end}}<a href="#verdict">Verdict</a><a href="#caveats">Read this first</a><a href="#environment">Environment</a>{{if .Thresholds}}<a href="#thresholds">Thresholds</a>{{end}}{{if .Points}}<a href="#points">All points</a>{{end}}<a href="#systems">Per subscriber</a>{{if .Figures}}<a href="#charts">Charts</a>{{end}}{{range .Extra}}<a href="#{{.ID}}">{{.Title}}</a>{{end}}<a href="#scenario">Scenario</a><a href="#reproduce">Reproduce</a></nav>
</header>

{{with .Durability}}<section id="durability">
<h2>Durability under faults</h2>
<div class="scroll"><table>{{if .Caption}}<caption class="small">{{.Caption}}</caption>{{end}}
<thead><tr>{{range .Header}}<th{{if .Class}} class="{{.Class}}"{{end}}>{{.Text}}</th>{{end}}</tr></thead><tbody>
{{range .Rows}}<tr>{{range .}}<td{{if .Class}} class="{{.Class}}"{{end}}>{{.Text}}</td>{{end}}</tr>
{{end}}</tbody></table></div>
</section>
{{end}}
<section id="verdict">
<h2>Verdict</h2>
<p class="hint">Per system{{if .Sweep}}, at its highest swept point{{end}}: events the harness sent per second, the end-to-end p99 of the slowest subscriber (intended send time → subscriber finished processing), and events lost or delivered twice, summed over subscribers.</p>
{{if .Verdict}}<div class="scroll"><table>
<thead><tr><th>System</th><th>Achieved throughput</th><th>Worst subscriber e2e p99</th><th>Lost</th><th>Duplicates</th></tr></thead>
<tbody>
{{range .Verdict}}<tr class="sys-{{cls .System}}" data-system="{{.System}}">
<th class="sys"><span class="chip"></span>{{.System}}{{if .Embedded}}<span class="tag warn" title="embedded in-memory broker, not disk-backed">in-memory broker</span>{{end}}{{if ne .Status "complete"}} <span class="badge {{.Status}}">{{.Status}}</span>{{end}}{{if .Point}}<div class="small">{{.Point}}</div>{{end}}{{if .Overload}} <span class="badge failed overloaded">overloaded</span>{{end}}</th>
<td>{{template "fig" .Achieved}}<div class="small">of {{.Offered}} offered</div>{{if .Overload}}<div class="small bad overload">OVERLOADED: {{.Overload}}. These figures do not describe the offered load.</div>{{end}}</td>
<td>{{template "fig" .P99}}<div class="small">{{.WorstSub}}</div></td>
<td>{{template "fig" .Lost}}</td>
<td>{{template "fig" .Duplicates}}</td>
</tr>
{{end}}</tbody></table></div>
{{if .Findings}}<ul class="findings">{{range .Findings}}<li>{{.}}</li>{{end}}</ul>{{end}}
{{else}}<p class="bad">No system produced a measurement.</p>{{end}}
{{if .MaxRates}}<h3>Maximum sustainable rate</h3>
<table><thead><tr><th>System</th><th>Subscribers</th><th>Max rate</th><th class="text">SLO</th><th>Probes</th><th class="text">Found</th></tr></thead><tbody>
{{range .MaxRates}}<tr class="sys-{{cls .System}}"><td><span class="chip"></span>{{.System}}</td><td>{{.Subscribers}}</td><td>{{template "fig" .Rate}}</td><td class="text"><code>{{.SLO}}</code></td><td>{{.Probes}}{{if .Reruns}} ({{.Reruns}} reruns){{end}}</td><td class="text">{{if .Bounded}}limit found{{else}}search limit reached without failing: at least this{{end}}</td></tr>
{{end}}</tbody></table>{{end}}
</section>

<section id="caveats">
<h2>Read this first</h2>
{{if .Honesty}}<ul class="labels">{{range .Honesty}}<li class="{{.Level}}"><b>{{if eq .Level "error"}}Incomplete{{else if eq .Level "warn"}}Caveat{{else}}Note{{end}}</b>{{.Text}}</li>
{{end}}</ul>{{else}}<p>No caveats: the run completed, the load generator kept its schedule, and no embedded broker was used.</p>{{end}}
{{if .RunnerNotes}}<p class="small"><b>Notes from the runners</b></p>
<ul class="small notes">{{range .RunnerNotes}}<li>{{.}}</li>{{end}}</ul>{{end}}
</section>

<section id="environment">
<h2>Environment</h2>
<dl class="kv">{{range .Env}}<dt>{{index . 0}}</dt><dd>{{index . 1}}</dd>{{end}}</dl>
</section>

{{if .Thresholds}}<section id="thresholds">
<h2>Thresholds {{if .ThreshFail}}<span class="badge fail">{{.ThreshFail}} failed</span>{{else}}<span class="badge pass">all pass</span>{{end}}</h2>
{{if .ThreshBySystem}}<p>{{range $i, $t := .ThreshBySystem}}{{if $i}} · {{end}}<span class="sys-{{cls $t.System}}"><span class="chip"></span>{{$t.System}}: {{$t.Pass}} of {{$t.Total}} pass</span>{{end}}</p>
<details><summary>All {{len .Thresholds}} threshold results</summary>{{end}}
<table><thead><tr><th>System</th>{{if .Sweep}}<th class="text">Point</th>{{end}}<th class="text">Expression</th><th>Measured</th><th>Result</th></tr></thead><tbody>
{{range .Thresholds}}<tr class="sys-{{cls .System}}"><td><span class="chip"></span>{{.System}}</td>{{if $.Sweep}}<td class="text">{{.Point}}</td>{{end}}<td class="text"><code>{{.Expr}}</code></td><td>{{.Value}}</td><td>{{if .Pass}}<span class="badge pass">PASS</span>{{else}}<span class="badge fail">FAIL</span>{{end}}</td></tr>
{{end}}</tbody></table>{{if .ThreshBySystem}}</details>{{end}}
</section>{{end}}

{{if .Points}}<section id="points">
<h2>All points</h2>
<div class="scroll"><table><thead><tr><th>System</th><th class="text">Point</th><th class="text">Status</th><th>Offered</th><th>Sent</th><th>Worst e2e p99</th><th>Lost</th><th>Duplicates</th><th>Thresholds</th></tr></thead><tbody>
{{range .Points}}<tr class="sys-{{cls .System}}"><td><span class="chip"></span>{{.System}}</td><td class="text">{{.Label}}</td><td class="text"><span class="badge {{.Status}}">{{.Status}}</span></td><td>{{.Offered}}</td><td>{{.Achieved}}</td><td>{{.P99}}</td><td{{if ne .Lost "0"}} class="bad"{{end}}>{{.Lost}}</td><td{{if ne .Dups "0"}} class="bad"{{end}}>{{.Dups}}</td><td>{{.Thresholds}}</td></tr>
{{end}}</tbody></table></div>
</section>{{end}}

<section id="systems">
<h2>Per subscriber</h2>
<p class="hint">Latency is end-to-end, from the event's intended send time to the subscriber finishing its processing, in milliseconds (HdrHistogram, 3 significant digits). Accounting is exact: sent = delivered + lost.</p>
{{range .Systems}}<section class="system sys-{{cls .Name}}" id="system-{{cls .Name}}">
<h3><span class="chip"></span>{{.Name}}{{if .Embedded}}<span class="tag warn">embedded in-memory broker, not disk-backed</span>{{end}}</h3>
{{template "point" .Detail}}
{{if .Others}}<details><summary>Other points of this sweep ({{len .Others}})</summary>
{{range .Others}}<details><summary>{{.Label}} · {{.Status}}</summary>{{template "point" .}}</details>
{{end}}</details>{{end}}
</section>
{{end}}
</section>

{{if .Figures}}<section id="charts">
<h2>Charts</h2>
{{range .Figures}}{{template "figure" .}}{{end}}
</section>{{end}}

{{range .Extra}}<section id="{{.ID}}" class="extra">
<h2>{{.Title}}</h2>
{{range .Paragraphs}}<p>{{.}}</p>
{{end}}{{range .Tables}}<div class="scroll"><table>{{if .Caption}}<caption class="small">{{.Caption}}</caption>{{end}}
<thead><tr>{{range .Header}}<th{{if .Class}} class="{{.Class}}"{{end}}>{{.Text}}</th>{{end}}</tr></thead><tbody>
{{range .Rows}}<tr>{{range .}}<td{{if .Class}} class="{{.Class}}"{{end}}>{{.Text}}</td>{{end}}</tr>
{{end}}</tbody></table></div>
{{end}}{{range .Figures}}{{template "figure" .}}{{end}}
</section>
{{end}}

<section id="scenario">
<h2>Scenario</h2>
<details><summary>Resolved scenario (defaults filled in, secrets removed)</summary>
<pre><code>{{.ScenarioJS}}</code></pre>
</details>
</section>

<section id="reproduce">
<h2>Reproduce</h2>
{{if .Command}}<pre><code id="command">{{.Command}}</code></pre>{{else}}<p>The command line was not recorded.</p>{{end}}
{{if .Files}}<p class="small">Beside this report: results.json (the source of every number here), one PNG per chart, and HdrHistogram interval logs (values in µs; open with HistogramLogAnalyzer or HistogramLogProcessor -outputValueUnitRatio 1000):</p>
<ul class="small">{{range .Files}}<li><a href="{{.}}">{{.}}</a></li>{{end}}</ul>{{end}}
</section>
</main>
</body>
</html>
{{define "fig"}}<span class="fig{{if .Bad}} bad{{end}}" data-system="{{.System}}" data-metric="{{.Metric}}" data-value="{{.Value}}">{{.Text}}</span>{{end}}
{{define "figure"}}<figure class="chart" id="chart-{{.Name}}" data-chart="{{.Name}}">
{{if .SVG}}{{svg .SVG}}{{else if .PNG}}<img alt="{{.Title}}" src="{{png .PNG}}">{{end}}
<figcaption>{{if .Caption}}{{.Caption}} {{end}}{{if .File}}<a href="{{.File}}">PNG</a>{{end}}</figcaption>
</figure>
{{end}}
{{define "lat"}}<tr><td>{{.Name}}</td><td>{{.Count}}</td><td>{{.P50}}</td><td>{{.P90}}</td><td>{{.P99}}</td><td>{{.P999}}</td><td>{{.Max}}</td><td>{{.Mean}}</td></tr>{{end}}
{{define "point"}}{{if .Error}}<p class="bad">{{.Error}}</p>{{end}}
<dl class="kv">{{range .Summary}}<dt>{{index . 0}}</dt><dd>{{index . 1}}</dd>{{end}}</dl>
{{range .Notes}}<p class="small">Note: {{.}}</p>{{end}}
{{if .BrokerLats}}<div class="scroll"><table><caption class="small">Broker-side latency</caption><thead><tr><th>Stage</th><th>Count</th><th>p50</th><th>p90</th><th>p99</th><th>p99.9</th><th>max</th><th>mean</th></tr></thead><tbody>
{{range .BrokerLats}}{{template "lat" .}}
{{end}}</tbody></table></div>{{end}}
{{if .Subs}}<div class="scroll"><table class="latency"><thead><tr><th>Subscriber</th><th>Deliveries</th><th>p50</th><th>p90</th><th>p99</th><th>p99.9</th><th>max</th><th>mean</th></tr></thead><tbody>
{{range .Subs}}{{template "lat" .Lat}}
{{end}}</tbody></table></div>
<div class="scroll"><table class="accounting"><thead><tr><th>Subscriber</th><th>Sent</th><th>Delivered</th><th>Duplicates</th><th>Lost</th><th>Dead-lettered</th><th>Retries</th><th>Out of order</th><th class="text">Errors</th>{{if .HasAttempts}}<th class="text">Attempts per delivery</th>{{end}}</tr></thead><tbody>
{{range .Subs}}<tr><td>{{.Name}}{{if .Disabled}} <span class="badge fail">disabled (410)</span>{{end}}</td><td>{{.Sent}}</td><td>{{.Delivered}}</td><td{{if .BadDup}} class="bad"{{end}}>{{.Duplicates}}</td><td{{if .BadLost}} class="bad"{{end}}>{{.Lost}}</td><td{{if .BadDLQ}} class="bad"{{end}}>{{.DeadLetters}}</td><td>{{.Retries}}</td><td>{{.OutOfOrder}}</td><td class="text{{if .ErrorsBad}} bad{{end}}">{{.Errors}}</td>{{if $.HasAttempts}}<td class="text">{{.Attempts}}</td>{{end}}</tr>
{{end}}</tbody></table></div>{{else}}<p>No subscriber measurements.</p>{{end}}
{{range .Losses}}<p class="small loss">{{.Name}}: {{.Text}}</p>{{end}}
{{if .CatchUps}}<div class="scroll"><table class="catchup"><caption class="small">Late consumer groups (join_at): they join from the earliest retained offset and replay the history. Times from the measured start; caught up = every partition processed a record close to its intended time again; replay rate = records per second from full assignment to caught up</caption><thead><tr><th>Subscriber</th><th>Joined</th><th>Assigned</th><th>Caught up</th><th>Catch-up</th><th>Backlog at join</th><th>Replayed</th><th>Replay rate</th><th>Peak lag</th></tr></thead><tbody>
{{range .CatchUps}}<tr><td>{{.Name}}</td><td>{{.Join}}</td><td>{{.Assigned}}</td><td{{if .Late}} class="bad"{{end}}>{{.CaughtUp}}</td><td>{{.CatchUp}}</td><td>{{.Backlog}}</td><td>{{.Replayed}}</td><td>{{.ReplayRate}}</td><td>{{.PeakLag}}</td></tr>
{{end}}</tbody></table></div>{{end}}
{{if .Parallel}}<div class="scroll"><table class="parallel"><caption class="small">Migration parallel run: each subscriber's legacy webhook endpoint (old, &lt;name&gt;@webhook) against its Kafka consumer group (new): measured events delivered on both paths, only one, or neither; end-to-end latency of each path</caption><thead><tr><th>Subscriber</th><th>Sent</th><th>Both</th><th>Only old</th><th>Only new</th><th>Neither</th><th>Old p50</th><th>Old p99</th><th>New p50</th><th>New p99</th></tr></thead><tbody>
{{range .Parallel}}<tr><td>{{.Name}}</td><td>{{.Sent}}</td><td>{{.Both}}</td><td{{if .Differs}} class="bad"{{end}}>{{.OnlyOld}}</td><td{{if .Differs}} class="bad"{{end}}>{{.OnlyNew}}</td><td>{{.Neither}}</td><td>{{.OldP50}}</td><td>{{.OldP99}}</td><td>{{.NewP50}}</td><td>{{.NewP99}}</td></tr>
{{end}}</tbody></table></div>{{end}}
{{range .Endpoints}}<p class="small">{{.Name}}: {{.Text}}{{if .Insecure}} <span class="badge fail">INSECURE: certificate not verified (insecure_skip_verify)</span>{{end}}</p>{{end}}
{{if .Phases}}<div class="scroll"><table class="phases"><caption class="small">Per-attempt latency (sent → answer) and its split: an attempt on a reused connection counts 0 for connect and TLS</caption><thead><tr><th>Subscriber: phase</th><th>Attempts</th><th>p50</th><th>p90</th><th>p99</th><th>p99.9</th><th>max</th><th>mean</th></tr></thead><tbody>
{{range .Phases}}{{template "lat" .}}
{{end}}</tbody></table></div>{{end}}
{{end}}`
