package html

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/evbench/evbench/reports/internal/fixture"
	"github.com/evbench/evbench/reports/results"
)

var keepScreenshot = flag.String("keep-screenshot", "", "also write the browser test's full-page screenshot of the realistic report to this PNG path (other fixtures get a suffix)")

// chromiumPath finds Debian's chromium; the test skips without it unless
// EVBENCH_REQUIRE_BROWSER=1, when it fails.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, c := range []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(c); err == nil {
			return p
		}
	}
	if os.Getenv("EVBENCH_REQUIRE_BROWSER") == "1" {
		t.Fatal("EVBENCH_REQUIRE_BROWSER=1 but no chromium found (apt-get install -y chromium)")
	}
	t.Skip("chromium not installed (apt-get install -y chromium); set EVBENCH_REQUIRE_BROWSER=1 to make this a failure")
	return ""
}

// pageFacts is what the test reads from the rendered page.
type pageFacts struct {
	FirstSection string `json:"firstSection"`
	Figures      []struct {
		Name  string  `json:"name"`
		Tag   string  `json:"tag"`
		W     float64 `json:"w"`
		H     float64 `json:"h"`
		Paths int     `json:"paths"`
	} `json:"figures"`
	Verdict []struct {
		System string `json:"system"`
		Metric string `json:"metric"`
		Value  string `json:"value"`
		Text   string `json:"text"`
	} `json:"verdict"`
	LoadMS float64 `json:"loadMS"`
	Labels string  `json:"labels"`
}

const factsJS = `(() => {
  const nav = performance.getEntriesByType('navigation')[0];
  return {
    firstSection: document.querySelector('main section').id,
    figures: Array.from(document.querySelectorAll('figure.chart')).map(f => {
      const el = f.querySelector('svg, img');
      const r = el ? el.getBoundingClientRect() : {width: 0, height: 0};
      return {name: f.dataset.chart, tag: el ? el.tagName.toLowerCase() : '', w: r.width, h: r.height,
              paths: el ? el.querySelectorAll('path').length : 0};
    }),
    verdict: Array.from(document.querySelectorAll('#verdict [data-metric]')).map(e => ({
      system: e.dataset.system, metric: e.dataset.metric, value: e.dataset.value, text: e.textContent.trim()})),
    loadMS: nav ? nav.loadEventEnd - nav.startTime : -1,
    labels: document.querySelector('#caveats').innerText,
  };
})()`

// TestBrowser opens report.html in headless Chromium as a reader would and
// checks: no console errors, no network requests besides the file itself,
// every chart drawn with a non-zero size, and the verdict showing the
// numbers of results.json. It also saves a full-page screenshot.
func TestBrowser(t *testing.T) {
	chrome := chromiumPath(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chrome),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 1000),
	}
	// Bound the whole browser session: a hung browser must not hang CI.
	root, stop := context.WithTimeout(context.Background(), 90*time.Second)
	defer stop()
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(root, opts...)
	defer cancelAlloc()
	browser, cancelBrowser := chromedp.NewContext(allocCtx)
	defer cancelBrowser()
	if err := chromedp.Do(browser); err != nil {
		t.Fatalf("start chromium: %v", err)
	}

	tests := []struct {
		name     string
		r        *results.Results
		maxBytes int64
		loadMS   float64
		labels   []string // caveats the page must show
		noLabels []string // and must not
	}{
		{name: "realistic", r: fixture.Realistic(), maxBytes: 5 << 20, loadMS: 2000,
			labels: []string{"embedded in-memory broker", "ran late (p99 lag above 1.00 ms or above 10% of the fastest subscriber's e2e p50) for webhook:"}, noLabels: []string{"kafka: p99"}},
		{name: "sweep", r: fixture.Sweep(), maxBytes: 5 << 20, loadMS: 2000,
			labels: []string{"webhook at 8000/s, 3 subscribers: only 5,200/s of the 8,000/s offered were sent"}},
		{name: "hour", r: fixture.Hour(), maxBytes: 5 << 20, loadMS: 2000},
		{name: "real-broker-interrupted", r: func() *results.Results {
			r := fixture.Build(fixture.Options{RealBroker: true, GeneratorLagUS: 150, Seconds: 10})
			r.Status = results.StatusInterrupted
			return r
		}(), maxBytes: 5 << 20, loadMS: 2000,
			labels: []string{"This run was interrupted"}, noLabels: []string{"in-memory broker", "ran late"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path, err := Generate(dir, tc.r)
			if err != nil {
				t.Fatal(err)
			}
			st, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("report.html: %d bytes", st.Size())
			if st.Size() > tc.maxBytes {
				t.Errorf("report.html is %d bytes, want < %d", st.Size(), tc.maxBytes)
			}

			facts, problems, requests, shot := inspect(t, browser, path)
			shotPath := filepath.Join(dir, "screenshot.png")
			if err := os.WriteFile(shotPath, shot, 0o644); err != nil {
				t.Fatal(err)
			}
			if *keepScreenshot != "" {
				keep := *keepScreenshot
				if tc.name != "realistic" {
					keep = strings.TrimSuffix(keep, ".png") + "-" + tc.name + ".png"
				}
				if err := os.WriteFile(keep, shot, 0o644); err != nil {
					t.Fatal(err)
				}
				t.Logf("screenshot kept at %s", keep)
			}
			if len(problems) > 0 {
				t.Errorf("browser reported problems: %v", problems)
			}
			for _, u := range requests {
				if u != "file://"+path {
					t.Errorf("the page fetched %q: report.html must be self-contained", u)
				}
			}
			if len(requests) == 0 {
				t.Error("saw no request at all: the network listener is not working")
			}
			if facts.FirstSection != "verdict" {
				t.Errorf("first section is %q, want the verdict", facts.FirstSection)
			}
			if tc.loadMS > 0 && facts.LoadMS > tc.loadMS {
				t.Errorf("page took %.0f ms to load, want < %.0f ms", facts.LoadMS, tc.loadMS)
			}
			t.Logf("load %.0f ms, %d charts", facts.LoadMS, len(facts.Figures))
			if len(facts.Figures) < 5 {
				t.Errorf("%d charts on the page, want at least 5", len(facts.Figures))
			}
			for _, f := range facts.Figures {
				if f.W < 100 || f.H < 50 || (f.Tag == "svg" && f.Paths < 10) {
					t.Errorf("chart %s not rendered: <%s> %.0fx%.0f px with %d paths", f.Name, f.Tag, f.W, f.H, f.Paths)
				}
			}
			for _, m := range verdictMismatches(tc.r, facts) {
				t.Error(m)
			}
			for _, l := range tc.labels {
				if !strings.Contains(facts.Labels, l) {
					t.Errorf("caveats do not say %q:\n%s", l, facts.Labels)
				}
			}
			for _, l := range tc.noLabels {
				if strings.Contains(facts.Labels, l) {
					t.Errorf("caveats wrongly say %q:\n%s", l, facts.Labels)
				}
			}
		})
	}
}

// inspect opens path in a new tab and returns what the page shows, the
// problems the browser reported (console errors, exceptions, error log
// entries, failed requests), every URL requested, and a full-page PNG.
func inspect(t *testing.T, browser context.Context, path string) (facts pageFacts, problems, requests []string, shot []byte) {
	t.Helper()
	tab, cancel := chromedp.NewContext(browser)
	defer cancel()
	var mu sync.Mutex
	if err := chromedp.Listen(tab, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
				problems = append(problems, fmt.Sprintf("console.%s", ev.Type))
			}
		case *runtime.EventExceptionThrown:
			problems = append(problems, "exception: "+ev.ExceptionDetails.Text)
		case *log.EventEntryAdded:
			if ev.Entry.Level == log.EntryLevelError {
				problems = append(problems, "browser log: "+ev.Entry.Text+" "+ev.Entry.URL)
			}
		case *network.EventLoadingFailed:
			problems = append(problems, "request failed: "+ev.ErrorText)
		case *network.EventRequestWillBeSent:
			requests = append(requests, ev.Request.URL)
		}
	}); err != nil {
		t.Fatal(err)
	}
	url := "file://" + path
	if err := chromedp.Do(tab, chromedp.Navigate(url), chromedp.WaitReady(chromedp.CSS("#verdict"))); err != nil {
		t.Fatalf("open %s: %v", url, err)
	}
	facts, err := chromedp.Run(tab, chromedp.Evaluate[pageFacts](factsJS))
	if err != nil {
		t.Fatalf("read page: %v", err)
	}
	shot, err = chromedp.Run(tab, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	// Late events (a failed image load) arrive after load; give them a moment.
	time.Sleep(200 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	return facts, append([]string(nil), problems...), append([]string(nil), requests...), shot
}

// TestBrowserCatchesBrokenPage proves the checks above are not vacuous: a
// page with a network fetch, a console error and a wrong verdict figure
// must trip each of them.
func TestBrowserCatchesBrokenPage(t *testing.T) {
	chrome := chromiumPath(t)
	root, stop := context.WithTimeout(context.Background(), 60*time.Second)
	defer stop()
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(root, chromedp.ExecPath(chrome), chromedp.Headless, chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true), chromedp.UserDataDir(t.TempDir()))
	defer cancelAlloc()
	browser, cancelBrowser := chromedp.NewContext(allocCtx)
	defer cancelBrowser()
	r := fixture.Realistic()
	page, _, err := Render(r)
	if err != nil {
		t.Fatal(err)
	}
	// 127.0.0.1 port 9 (discard) is closed here: the fetch fails fast.
	bad := strings.Replace(string(page), "</main>", `<img src="http://127.0.0.1:9/x.png"><script>console.error("boom")</script></main>`, 1)
	bad = strings.Replace(bad, `data-metric="lost" data-value="12"`, `data-metric="lost" data-value="11"`, 1)
	path := filepath.Join(t.TempDir(), "report.html")
	if err := os.WriteFile(path, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	facts, problems, requests, _ := inspect(t, browser, path)
	var console, failed bool
	for _, p := range problems {
		console = console || strings.HasPrefix(p, "console.error")
		failed = failed || strings.HasPrefix(p, "request failed") || strings.Contains(p, "127.0.0.1:9")
	}
	if !console || !failed {
		t.Errorf("console error seen %v, failed request seen %v; problems: %v", console, failed, problems)
	}
	external := false
	for _, u := range requests {
		external = external || strings.HasPrefix(u, "http://127.0.0.1:9/")
	}
	if !external {
		t.Errorf("external fetch not seen; requests: %v", requests)
	}
	if ms := verdictMismatches(r, facts); len(ms) == 0 {
		t.Error("a wrong verdict figure went unnoticed")
	}
}

// verdictMismatches compares the verdict box with figures computed here
// from results.json, independently of the report code: for each system the
// point with the highest offered rate, its achieved rate, the highest
// subscriber e2e p99, and lost and duplicates summed over subscribers.
func verdictMismatches(r *results.Results, f pageFacts) []string {
	var bad []string
	want := map[string]map[string]float64{}
	for _, p := range r.Points {
		cur, ok := want[p.System]
		if ok && cur["rate"] > p.Params["rate_per_s"] {
			continue
		}
		m := map[string]float64{"rate": p.Params["rate_per_s"], "achieved_per_s": p.AchievedPerS}
		for _, s := range p.Subscribers {
			m["p99_us"] = math.Max(m["p99_us"], float64(s.E2E.LatencyUS.P99))
			m["lost"] += float64(s.Accounting.Lost)
			m["duplicates"] += float64(s.Accounting.Duplicates)
		}
		want[p.System] = m
	}
	seen := map[string]bool{}
	for _, v := range f.Verdict {
		if v.Metric == "max_sustainable_per_s" {
			continue
		}
		w, ok := want[v.System][v.Metric]
		if !ok {
			bad = append(bad, fmt.Sprintf("verdict has unexpected %s/%s", v.System, v.Metric))
			continue
		}
		seen[v.System+"/"+v.Metric] = true
		got, err := strconv.ParseFloat(v.Value, 64)
		if err != nil || got != w {
			bad = append(bad, fmt.Sprintf("verdict %s %s data-value %q, results.json says %v", v.System, v.Metric, v.Value, w))
		}
		// The visible text must be the same number, rounded for display.
		shown, decimals, err := parseShown(v.Text)
		if err != nil {
			bad = append(bad, fmt.Sprintf("verdict %s %s text %q: %v", v.System, v.Metric, v.Text, err))
			continue
		}
		if v.Metric == "p99_us" {
			shown *= 1000 // ms on the page, us in results
			decimals -= 3
		}
		if tol := 0.5*math.Pow(10, -float64(decimals)) + 1e-9; math.Abs(shown-w) > tol {
			bad = append(bad, fmt.Sprintf("verdict %s %s shows %q (= %v), results.json says %v", v.System, v.Metric, v.Text, shown, w))
		}
	}
	for sys := range want {
		for _, m := range []string{"achieved_per_s", "p99_us", "lost", "duplicates"} {
			if !seen[sys+"/"+m] {
				bad = append(bad, fmt.Sprintf("verdict does not show %s %s", sys, m))
			}
		}
	}
	return bad
}

// parseShown reads "1,000/s", "5,243 ms", "0.412 ms", "12" and returns the
// number and how many decimals it was shown with.
func parseShown(s string) (float64, int, error) {
	s = strings.TrimSpace(s)
	s = strings.TrimSuffix(s, "/s")
	s = strings.TrimSuffix(s, " ms")
	s = strings.ReplaceAll(s, ",", "")
	if s == "" {
		return 0, 0, errors.New("empty")
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, 0, err
	}
	d := 0
	if i := strings.IndexByte(s, '.'); i >= 0 {
		d = len(s) - i - 1
	}
	return v, d, nil
}
