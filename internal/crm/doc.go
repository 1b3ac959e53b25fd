// Package crm is usher's CRM face: it keeps a venue's CRM in step with
// S-360 in both directions, through the outbox.
//
// S-360 to CRM: every contact and order version the store makes current
// is a delivery job (enqueued by the store in the same transaction).
// Deliverer posts it to each Destination routed for its stream, signed
// by the destination's Signer the Standard Webhooks way (webhook-id,
// webhook-timestamp, webhook-signature: v1,<base64 HMAC-SHA256 of
// "id.timestamp.body">), the versions of one document in order, retried
// with backoff until the dead letter.
//
// CRM to S-360: POST /api/v1/crm/{institution}/contacts and .../bookings
// (Handler, over Service) validate the request, enqueue a job and answer
// 202 with a Receipt holding a tracking id; a bulk import (ReadImport,
// CheckImportRow, ImportJob) queues contact creations from a file as jobs
// of their own kind. Writer calls S-360's documented methods when a job
// runs, within the instance's shared rate budget: new contacts batched
// into createCulturalContact calls, changes through
// saveIndividualContactData, bookings through createOrUpdateOrder (a sale
// then closed). S-360 has no idempotency key: a write whose answer was
// lost is looked up (the contact by e-mail and names, the order by its
// externalReference) before it is made again, and the resolution is
// counted and recorded in the job.
//
// Echoes: when S-360 pushes back a contact usher wrote for the CRM, the
// push is stored (S-360 is the truth) but not sent to the CRM as a change
// of its own: Writer records an echo mark of what it wrote, and
// the store recognises the push against it (usher.IsEcho).
//
// Conflicts (both sides changed a contact) follow one rule: the CRM's
// write wins for the fields it sends, S-360 keeps its changes to the
// others, and the merged contact is delivered back to the CRM (it is not
// an echo), so both sides converge. Conflicts are logged and counted.
package crm
