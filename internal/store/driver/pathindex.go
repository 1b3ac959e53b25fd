package driver

import "context"

// PathIndexPrefix starts the name of every index on a document path that
// usher manages (config documents.indexed_paths): an index so named that
// is not configured is usher's to drop.
const PathIndexPrefix = "usher_path_"

// PathIndexVerbs keep the indexes on document paths. They are not
// transactional: PostgreSQL builds such an index concurrently, outside
// any transaction, so that pushes go on while it is built.
type PathIndexVerbs interface {
	// PathIndexes lists the indexes named PathIndexPrefix+…, each valid or
	// not (a PostgreSQL build interrupted leaves an invalid index behind).
	PathIndexes(ctx context.Context) ([]PathIndexState, error)
	// EnsurePathIndex makes ix exist and valid: nothing when it does,
	// else it drops an invalid leftover of the name and builds ix. Replicas
	// take turns (PostgreSQL: an advisory lock), so one never drops the
	// index another is building.
	EnsurePathIndex(ctx context.Context, ix PathIndex) error
	// DropPathIndex drops the index called name, if it exists, taking
	// the same turn as EnsurePathIndex.
	DropPathIndex(ctx context.Context, name string) error
}

// PathIndex is an index on the value at one path of one stream's
// documents, for the document browser's listing with a path filter. Its
// fields reach SQL text: the store checks them first (Stream a stream
// name, JSONPath and Keys of names and indices only, Name its own hash).
type PathIndex struct {
	Name   string
	Stream string
	// JSONPath is the path in SQLite's syntax ($.a.b[0]), Keys the same
	// path as PostgreSQL's #> takes it ({a,b,0}).
	JSONPath string
	Keys     []string
}

// PathIndexState is an index the database holds.
type PathIndexState struct {
	Name  string
	Valid bool
}
