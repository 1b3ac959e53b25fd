// Package driver is the line between usher's store and a SQL engine, as
// river's riverdriver is: an engine provides plain verbs over its tables
// (read these rows, write that row), and internal/store decides, once for
// both engines, what to read and write. No verb here makes a decision a
// venue could tell apart between SQLite and PostgreSQL.
//
// Each area of the store declares its verbs in its own file (Verbs) and,
// until it has moved up into internal/store, the whole usher interface the
// engine still implements (Legacy).
package driver

import (
	"context"
)

// Driver is a storage engine.
type Driver interface {
	Legacy
	// Executor reads outside any transaction. Writes go through InTx.
	Executor
	// PathIndexVerbs keep the indexes on document paths (pathindex.go).
	PathIndexVerbs
	// InTx runs fn in one write transaction and commits it. The engine
	// keeps control of how: SQLite's group writer commits fn with the
	// others queued behind it, PostgreSQL runs fn again, whole, after a
	// serialization failure or deadlock, so fn must be safe to repeat.
	// An error fn returns is returned unchanged and rolls back fn's writes.
	InTx(ctx context.Context, op string, fn func(ctx context.Context, x Executor) error) error
	// Ping reports whether the database answers (and, on SQLite, whether
	// writes get through the writer).
	Ping(ctx context.Context) error
	// Close releases the engine's connections.
	Close() error
}

// Executor is every verb of every area, on a pool or in a transaction.
type Executor interface {
	DocumentVerbs
	ErasureVerbs
	QuarantineVerbs
	SiteVerbs
	AnalyticsVerbs
	OutboxVerbs
	RateLimitVerbs
	CRMVerbs
	BrowseVerbs
	RetentionVerbs
}

// Legacy is what an engine still implements whole, decisions included,
// area by area, until the area's rules have moved into internal/store.
type Legacy interface {
	DocumentLegacy
	ErasureLegacy
	QuarantineLegacy
	SiteLegacy
	AnalyticsLegacy
	OutboxLegacy
	RateLimitLegacy
	CRMLegacy
}
