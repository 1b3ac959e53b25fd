package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/usher-hub/usher"
	fx "github.com/usher-hub/usher/internal/analytics/analyticstest"
)

// RunRetention checks pruning: what a retention rule removes, what it
// never removes (a current version, the newest version, what the report
// projections still need), bounded batches, the dry run, and the audit.
// Every row of a test is received "now", so a cutoff an hour ahead makes
// all of them old enough and one an hour back none.
func RunRetention(t *testing.T, open OpenFunc) {
	ctx := context.Background()
	later := func() time.Time { return time.Now().Add(time.Hour) }
	rule := func(stream usher.Stream, kind usher.RetentionKind) usher.RetentionRule {
		return usher.RetentionRule{Institution: "myvenue", Stream: stream, Kind: kind, Keep: 24 * time.Hour}
	}
	contacts := rule(usher.StreamContacts, usher.RetainSuperseded)
	allVersions := usher.DocumentFilter{Institution: "myvenue", Stream: usher.StreamContacts, AllVersions: true}

	onStore(t, open, "SupersededGoCurrentStays", func(t *testing.T, s usher.Store) {
		for i, name := range []string{"James", "Jim", "Jimmy"} {
			save(t, s, []usher.Document{contact(t, "myvenue", "1", name, "2022-11-0"+string(rune('1'+i))+"T05:53:22.530+00:00")})
		}
		save(t, s, []usher.Document{contact(t, "myvenue", "2", "Ann", "2022-11-01T05:53:22.530+00:00")})
		if got := pruneAll(t, s, contacts, time.Now().Add(-time.Hour), 500); got.Pruned != 0 || got.Examined != 0 {
			t.Fatalf("prune with a past cutoff = %+v, want nothing examined", got)
		}
		got := pruneAll(t, s, contacts, later(), 500)
		if got.Pruned != 2 || got.KeptCurrent != 2 {
			t.Fatalf("prune = %+v, want the 2 superseded versions pruned and the 2 current kept", got)
		}
		left := find(t, s, allVersions)
		if len(left) != 2 || left[0].Version+left[1].Version != 4 {
			t.Fatalf("left = %+v, want contact 1 at version 3 and contact 2 at version 1", left)
		}
		// The numbering goes on after the newest version.
		mustOutcomes(t, s, []usher.Document{contact(t, "myvenue", "1", "J.", "2022-11-09T05:53:22.530+00:00")}, usher.OutcomeStored)
		cur := find(t, s, usher.DocumentFilter{Institution: "myvenue", Stream: usher.StreamContacts, ExternalID: "1"})
		if len(cur) != 1 || cur[0].Version != 4 {
			t.Fatalf("current after a new version = %+v, want version 4", cur)
		}
	})

	onStore(t, open, "OutOfOrderVersionsStay", func(t *testing.T, s usher.Store) {
		// Version 2 is older upstream: version 1 stays current, and
		// version 2, the newest, keeps the numbering.
		save(t, s, []usher.Document{contact(t, "myvenue", "1", "New", "2022-11-05T05:53:22.530+00:00")})
		save(t, s, []usher.Document{contact(t, "myvenue", "1", "Old", "2022-11-01T05:53:22.530+00:00")})
		if got := pruneAll(t, s, contacts, later(), 500); got.Pruned != 0 || got.KeptCurrent != 2 {
			t.Fatalf("prune = %+v, want both versions kept", got)
		}
		versions(t, s, allVersions, 2)
	})

	onStore(t, open, "WhatTheProjectorNeedsStays", func(t *testing.T, s usher.Store) {
		orders := rule(usher.StreamOrders, usher.RetainSuperseded)
		store := func(docs ...usher.Document) {
			if _, err := s.SaveDocuments(ctx, docs); err != nil {
				t.Fatal(err)
			}
		}
		store(order(t, "myvenue", 7, "CLOSED", 100))
		project(t, s, 1000)
		v2 := order(t, "myvenue", 7, "CLOSED", 200)
		up := v2.UpstreamUpdatedAt.Add(time.Hour)
		v2.UpstreamUpdatedAt = &up
		store(v2)
		// Version 1 is what the rollups hold until the projector applies
		// version 2.
		if got := pruneAll(t, s, orders, later(), 500); got.Pruned != 0 || got.KeptProjection != 1 {
			t.Fatalf("prune before projecting = %+v, want version 1 kept for the projector", got)
		}
		v3 := order(t, "myvenue", 7, "CLOSED", 300)
		up = up.Add(time.Hour)
		v3.UpstreamUpdatedAt = &up
		store(v3)
		// Version 2 is queued, version 1 held by the rollups.
		if got := pruneAll(t, s, orders, later(), 500); got.Pruned != 0 || got.KeptProjection != 2 {
			t.Fatalf("prune with a version queued = %+v, want versions 1 and 2 kept for the projector", got)
		}
		project(t, s, 1000)
		if got := pruneAll(t, s, orders, later(), 500); got.Pruned != 2 {
			t.Fatalf("prune after projecting = %+v, want versions 1 and 2 pruned", got)
		}
		rows := sales(t, s, usher.ReportQuery{Institution: "myvenue", From: time.Date(2020, 10, 1, 0, 0, 0, 0, time.UTC),
			To: time.Date(2020, 11, 1, 0, 0, 0, 0, time.UTC), Interval: usher.IntervalMonth, By: usher.ByAll}).Rows
		if len(rows) != 1 || rows[0].Orders != 1 {
			t.Fatalf("sales after pruning = %+v, want the one order", rows)
		}
	})

	onStore(t, open, "QueuedContactVersionsStay", func(t *testing.T, s usher.Store) {
		// Versions 1 are applied; versions 2 arrive in one payload, the
		// second contact first, and wait in the queue with versions 3.
		// Only versions 1 may go, whichever place a queued version has
		// in its payload.
		versionOf := func(name string, day int) []usher.Document {
			at := fmt.Sprintf("2022-11-%02dT05:53:22.530+00:00", day)
			return []usher.Document{contact(t, "myvenue", "2", "B"+name, at), contact(t, "myvenue", "1", "A"+name, at)}
		}
		save(t, s, versionOf("1", 1))
		for _, v := range [][]usher.Document{versionOf("2", 2), versionOf("3", 3)} {
			if _, err := s.SaveDocuments(ctx, v); err != nil {
				t.Fatal(err)
			}
		}
		if got := pruneAll(t, s, contacts, later(), 500); got.Pruned != 2 || got.KeptProjection != 2 || got.KeptCurrent != 2 {
			t.Fatalf("prune with versions 2 and 3 queued = %+v, want versions 1 pruned, 2 kept for the projector, 3 current", got)
		}
		project(t, s, 1000)
		if got := pruneAll(t, s, contacts, later(), 500); got.Pruned != 2 || got.KeptCurrent != 2 {
			t.Fatalf("prune after projecting = %+v, want versions 2 pruned", got)
		}
		versions(t, s, allVersions, 2)
	})

	onStore(t, open, "ReportsKeepTheirFigures", func(t *testing.T, s usher.Store) {
		// The fixture venue with a new and a stale version of an order,
		// and checks of movements no order names.
		orderVersions(t, s)
		save(t, s, []usher.Document{contactVersion(t, fx.Contacts(t, fx.Institution)[0])})
		before := snapshot(t, s)
		var pruned usher.PruneResult
		for _, r := range []usher.RetentionRule{
			{Institution: fx.Institution, Stream: usher.StreamContacts, Kind: usher.RetainSuperseded, Keep: time.Hour},
			{Institution: fx.Institution, Stream: usher.StreamOrders, Kind: usher.RetainSuperseded, Keep: time.Hour},
			{Institution: fx.Institution, Stream: usher.StreamTicketChecks, Kind: usher.RetainChecks, Keep: time.Hour},
		} {
			got := pruneAll(t, s, r, later(), 3)
			if got.Pruned == 0 {
				t.Errorf("%s pruned nothing: %+v", r, got)
			}
			if r.Kind == usher.RetainChecks && got.KeptProjection == 0 {
				t.Errorf("%s kept no unmatched check: %+v", r, got)
			}
			pruned.Add(got)
		}
		if after := snapshot(t, s); after != before {
			t.Errorf("reports changed by pruning %+v:\n--- before\n%s\n--- after\n%s", pruned, before, after)
		}
	})

	onStore(t, open, "QuarantinedGoByLastPush", func(t *testing.T, s usher.Store) {
		mustQuarantine(t, s, badDoc(t, "myvenue", usher.StreamContacts, `{"contactNumber":42}`),
			badDoc(t, "myvenue", usher.StreamOrders, `{"orderId":"x"}`))
		q := rule(usher.StreamContacts, usher.RetainQuarantined)
		if got := pruneAll(t, s, q, time.Now().Add(-time.Hour), 500); got.Pruned != 0 {
			t.Fatalf("prune with a past cutoff = %+v", got)
		}
		if got := pruneAll(t, s, q, later(), 500); got.Pruned != 1 {
			t.Fatalf("prune = %+v, want the quarantined contact", got)
		}
		left := findQuarantined(t, s, usher.QuarantineFilter{Institutions: []string{"myvenue"}})
		if len(left) != 1 || left[0].Stream != usher.StreamOrders {
			t.Fatalf("quarantine left = %+v, want only the order", left)
		}
	})

	onStore(t, open, "BoundedBatchesAndDryRun", func(t *testing.T, s usher.Store) {
		var docs []usher.Document
		for i := range 30 {
			docs = append(docs, contact(t, "myvenue", "1", "v", time.Date(2022, 1, 1, 0, i, 0, 0, time.UTC).Format(time.RFC3339Nano)))
		}
		for _, d := range docs { // one payload each: a payload may hold one version of an id
			save(t, s, []usher.Document{d})
		}
		save(t, s, []usher.Document{contact(t, "othervenue", "1", "a", "2022-01-01T00:00:00Z"), contact(t, "othervenue", "1", "b", "2022-01-02T00:00:00Z")})
		p := s.(usher.Pruner)
		var dry usher.PruneResult
		for after := (usher.PruneCursor{}); ; {
			b, err := p.CountPrunable(ctx, contacts, later(), after, 7)
			if err != nil {
				t.Fatal(err)
			}
			if b.Examined > 7 {
				t.Fatalf("a batch of 7 examined %d", b.Examined)
			}
			dry.Add(b)
			if after = b.Next; b.Done {
				break
			}
		}
		if dry.Pruned != 29 || dry.KeptCurrent != 1 {
			t.Fatalf("dry run = %+v, want 29 to prune and 1 kept", dry)
		}
		versions(t, s, allVersions, 30)
		if got := pruneAll(t, s, contacts, later(), 7); got.Pruned != 29 {
			t.Fatalf("prune = %+v, want what the dry run said", got)
		}
		versions(t, s, allVersions, 1)
		versions(t, s, usher.DocumentFilter{Institution: "othervenue", Stream: usher.StreamContacts, AllVersions: true}, 2)
	})

	onStore(t, open, "AuditedBesideErasures", func(t *testing.T, s usher.Store) {
		p := s.(usher.Pruner)
		run := usher.PruneRun{Rule: contacts, Cutoff: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Actor: "usher prune",
			Started: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), Finished: time.Date(2026, 3, 1, 0, 1, 0, 0, time.UTC),
			Result: usher.PruneResult{Examined: 5, Pruned: 3, KeptCurrent: 2}}
		if err := p.RecordPrune(ctx, run); err != nil {
			t.Fatal(err)
		}
		runs, err := p.PruneRuns(ctx, "myvenue")
		if err != nil || len(runs) != 1 {
			t.Fatalf("prune runs = %+v, %v", runs, err)
		}
		got := runs[0]
		if got.Rule != run.Rule || !got.Cutoff.Equal(run.Cutoff) || got.Result != run.Result || got.Actor != run.Actor {
			t.Fatalf("prune run = %+v, want %+v", got, run)
		}
		if others, _ := p.PruneRuns(ctx, "othervenue"); len(others) != 0 {
			t.Fatalf("othervenue's prune runs = %+v", others)
		}
		if erasures, err := s.Erasures(ctx, "myvenue"); err != nil || len(erasures) != 0 {
			t.Fatalf("erasures = %+v, %v; a prune run is no erasure", erasures, err)
		}
	})

	onStore(t, open, "RefusesRulesThatNameNothing", func(t *testing.T, s usher.Store) {
		p := s.(usher.Pruner)
		for _, r := range []usher.RetentionRule{
			rule(usher.StreamTicketChecks, usher.RetainSuperseded),
			rule(usher.StreamContacts, usher.RetainChecks),
			{Institution: "myvenue", Stream: usher.StreamContacts, Kind: usher.RetainSuperseded},
			rule("events", usher.RetainQuarantined),
		} {
			if _, err := p.PruneBatch(ctx, r, later(), usher.PruneCursor{}, 10); usher.ErrorCode(err) != usher.EINVALID {
				t.Errorf("%s (keep %s): %v, want %s", r, r.Keep, err, usher.EINVALID)
			}
		}
	})
}

// pruneAll runs rule's batches of limit until none is left and returns
// their sum.
func pruneAll(t *testing.T, s usher.Store, rule usher.RetentionRule, cutoff time.Time, limit int) usher.PruneResult {
	t.Helper()
	p, ok := s.(usher.Pruner)
	if !ok {
		t.Fatalf("%T is no usher.Pruner", s)
	}
	var sum usher.PruneResult
	for after := (usher.PruneCursor{}); ; {
		b, err := p.PruneBatch(context.Background(), rule, cutoff, after, limit)
		if err != nil {
			t.Fatalf("prune %s: %v", rule, err)
		}
		if b.Examined > limit {
			t.Fatalf("a batch of %d examined %d", limit, b.Examined)
		}
		sum.Add(b)
		if after = b.Next; b.Done {
			return sum
		}
	}
}

// contactVersion returns a later version of a fixture contact.
func contactVersion(t *testing.T, d usher.Document) usher.Document {
	t.Helper()
	d.Raw = []byte(string(d.Raw[:len(d.Raw)-1]) + `,"note":"moved"}`)
	d.Hash += "-moved"
	up := d.UpstreamUpdatedAt.Add(time.Hour)
	d.UpstreamUpdatedAt = &up
	return d
}
