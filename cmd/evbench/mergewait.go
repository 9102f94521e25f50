package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/evbench/evbench/reports/results"
)

// unfinishedPrefix starts the error of a document saved part-way through
// a run (cmd/evbench/checkpoint.go): not yet a shard's final results.
const unfinishedPrefix = "unfinished: "

// mergePoll is how often merge --wait looks at its inputs.
const mergePoll = 2 * time.Second

// waitForInputs polls until every path holds a final results document (it
// exists, decodes and validates, and is not a checkpoint saved part-way
// through a run) or until wait has passed. It lets a merge Job be started
// with the shards it merges (deploy/kubernetes): it merges when the last
// shard has written its results, and fails naming the shards that never
// did.
func waitForInputs(paths []string, wait time.Duration, log io.Writer) error {
	deadline := time.Now().Add(wait)
	for {
		var missing []string
		for _, p := range paths {
			if why := notFinal(p); why != "" {
				missing = append(missing, p+" ("+why+")")
			}
		}
		if len(missing) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("--wait %v: no final results in %s", wait, strings.Join(missing, ", "))
		}
		fmt.Fprintf(log, "evbench merge: waiting for %d of %d inputs: %s\n", len(missing), len(paths), strings.Join(missing, ", "))
		time.Sleep(min(mergePoll, time.Until(deadline)+time.Millisecond))
	}
}

// notFinal says why path is not yet a final results document ("" when it is).
func notFinal(path string) string {
	if _, err := os.Stat(path); err != nil {
		return "not written yet"
	}
	r, err := results.ReadFile(path)
	if err != nil {
		return "not readable yet"
	}
	if strings.HasPrefix(r.Error, unfinishedPrefix) {
		return "run in progress"
	}
	return ""
}
