// Package schema validates upstream documents against schemas written to
// look like the documents they check, one YAML file per document type:
//
//	type: s360.ticketcheck
//	version: 1
//	document:
//	  ticket_check_id: int
//	  access_time: timestamp
//	  check_flow: enum(IN, OUT)
//	  failure_reason?: string, empty
//	  holder: lax
//
// Each key of document is a field of the document; a trailing "?" makes
// it optional (it may be absent). Its value is one of:
//
//   - a type: string, int, number, bool, timestamp, date, time, email,
//     enum(A, B, …), or lax (kept, not checked); a type may be followed by
//     the modifiers "empty" (the string may be "") and "null" (the value may
//     be null);
//   - a mapping: a nested object with its own fields;
//   - a one-item sequence: a list whose every item matches that item.
//
// document itself is a mapping, for a document that is a JSON object, or
// a one-item sequence, for a document that is a top-level JSON array
// (Centaman answers a session's price list as one):
//
//	type: centaman.timed_ticket
//	version: 1
//	document:
//	  - TicketId: int
//	    TicketPrice: number
//
// Fields a schema does not name are kept and never a violation: they are
// schema drift, reported once per field through a DriftReporter so that an
// upstream change is seen at once. Built-in schemas for the eight document
// types are embedded; a directory named in the configuration overrides them
// for every institution (DIR/TYPE.yaml) or for one (DIR/INSTITUTION/TYPE.yaml).
package schema
