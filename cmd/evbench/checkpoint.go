package main

import (
	"fmt"
	"io"
	"time"

	"github.com/evbench/evbench/reports/results"
)

// checkpointer saves the results document after each point of a run, so a
// run that is killed (SIGKILL, power loss, OOM killer) keeps the points it
// finished. The file is replaced atomically; until the run ends it says
// status "interrupted" with an error naming how far it got, which is what
// it is if nothing replaces it.
//
// A sweep's document grows with every point, so writing it after each one
// is quadratic in the number of points. To bound that, a save is skipped
// when less than ten times the previous save's duration has passed since
// it (at most about 10% of the run spent saving); the final document is
// always written by the caller.
type checkpointer struct {
	path   string
	warn   io.Writer
	last   time.Time
	cost   time.Duration
	warned bool
	now    func() time.Time
}

func newCheckpointer(path string, warn io.Writer) *checkpointer {
	return &checkpointer{path: path, warn: warn, now: time.Now}
}

// save writes partial (not modified) with an unfinished status.
func (c *checkpointer) save(partial *results.Results) {
	start := c.now()
	if !c.last.IsZero() && start.Sub(c.last) < 10*c.cost {
		return
	}
	doc := *partial
	doc.Status = results.StatusInterrupted
	doc.Error = fmt.Sprintf("unfinished: saved after %d point(s); the run did not end normally", len(doc.Points))
	doc.Environment.FinishedAt = start.UTC()
	err := results.WriteFile(c.path, &doc)
	c.last = c.now()
	c.cost = c.last.Sub(start)
	if err != nil && !c.warned {
		c.warned = true
		fmt.Fprintf(c.warn, "evbench: warning: could not save results after a point (a killed run would lose them): %v\n", err)
	}
}
