// Package quarantine is the operator's side of documents that failed
// validation: GET /api/v1/quarantine lists them (scoped to the API key's
// institutions), and Replayer re-validates them against the schemas in
// force now and moves those that pass into the store, idempotently.
//
// Ingest puts documents here; this package never receives pushes and
// does not import the ingest face: the one ingest function replay needs,
// turning a raw document into its stored form, is passed in.
package quarantine
