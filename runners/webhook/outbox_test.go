package webhook

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/evbench/evbench/runners/load"
)

// TestOutboxRecover: what a closed (or killed) sender's outbox still holds
// after some endpoints finished is exactly the unfinished deliveries, with
// their payloads; a finished event is removed from the file.
func TestOutboxRecover(t *testing.T) {
	path := filepath.Join(t.TempDir(), "outbox.db")
	o, err := OpenOutbox(path, 2)
	if err != nil {
		t.Fatal(err)
	}
	evs := []load.Event{{ID: 1, Intended: 10, Key: 3, Payload: []byte(`{"a":1}`)}, {ID: 2, Intended: 20, Key: -1, Payload: []byte(`{}`)}, {ID: 3, Intended: 30}}
	if err := o.Put(evs[:2]); err != nil {
		t.Fatal(err)
	}
	if err := o.Put(evs[2:]); err != nil {
		t.Fatal(err)
	}
	o.Done(0, 1)
	o.Done(1, 1) // event 1 finished everywhere
	o.Done(0, 2)
	if c, b := o.Stats(); c != 2 || b == 0 {
		t.Errorf("stats %d commits %d bytes, want 2 commits", c, b)
	}
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	o, err = OpenOutbox(path, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	got, err := o.Recover()
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, p := range got {
		keys = append(keys, string(rune('0'+p.Ep))+":"+string(rune('0'+p.Ev.ID)))
		if p.Ev.ID == 2 && (p.Ev.Intended != 20 || p.Ev.Key != -1 || string(p.Ev.Payload) != `{}`) {
			t.Errorf("event 2 recovered as %+v", p.Ev)
		}
	}
	slices.Sort(keys)
	if want := []string{"0:3", "1:2", "1:3"}; !slices.Equal(keys, want) {
		t.Errorf("recovered %v, want %v", keys, want)
	}
	// Finishing the rest empties it.
	for _, p := range got {
		o.Done(p.Ep, p.Ev.ID)
	}
	if err := o.flush(); err != nil {
		t.Fatal(err)
	}
	if o.left[2] != 0 || len(o.left) != 0 {
		t.Errorf("left %v after every delivery finished", o.left)
	}
}
