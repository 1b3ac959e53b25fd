package usher

// Store is everything a storage engine provides. Each engine (SQLite,
// PostgreSQL) implements all of it and passes the shared conformance suite.
// Features that add tables add their interface here.
type Store interface {
	DocumentStore
	ErasureStore
	QuarantineStore
	SiteStore
	AnalyticsStore
	OutboxStore
	RateLimitStore
	CRMStore
	// Close releases the engine's connections.
	Close() error
}
