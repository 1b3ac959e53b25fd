// Package ingest is the S-360 push receiver: it authenticates a push per
// institution, splits the payload into documents, validates them and
// stores the whole payload in one transaction before answering 200, so
// that the upstream's retry of any failed payload is always safe.
package ingest
