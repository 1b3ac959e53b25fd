package ingest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/usher-hub/usher"
)

// SplitPayload decodes an S-360 push body into its documents. S-360 posts a
// JSON array of objects; its order webhook may post one bare object
// ({"orderDetailsData": …}), which counts as a payload of one. An item of
// the array that is not an object is returned too: validation reports it,
// so one stray item is quarantined instead of costing the whole payload.
func SplitPayload(body []byte) ([]json.RawMessage, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return nil, usher.Errorf(usher.EINVALID, "empty body: expected a JSON array of objects")
	}
	if trimmed[0] != '[' {
		return splitOther(trimmed)
	}
	// Unmarshal validates the whole body before decoding it, so a separate
	// json.Valid pass over a valid payload would only read it twice.
	var items []json.RawMessage
	if err := json.Unmarshal(trimmed, &items); err != nil {
		if !json.Valid(trimmed) {
			return nil, usher.Errorf(usher.EINVALID, "body is not valid JSON: %s", syntaxError(trimmed))
		}
		return nil, usher.Errorf(usher.EINVALID, "body is not a JSON array: %v", err)
	}
	return items, nil
}

// splitOther handles a body that is not an array: one bare order object,
// or an error.
func splitOther(trimmed []byte) ([]json.RawMessage, error) {
	if !json.Valid(trimmed) {
		return nil, usher.Errorf(usher.EINVALID, "body is not valid JSON: %s", syntaxError(trimmed))
	}
	if trimmed[0] == '{' {
		return []json.RawMessage{json.RawMessage(trimmed)}, nil
	}
	return nil, usher.Errorf(usher.EINVALID, "body is a JSON %s, expected an array of objects", jsonKind(trimmed))
}

func syntaxError(body []byte) string {
	var v any
	err := json.Unmarshal(body, &v)
	var se *json.SyntaxError
	if e, ok := err.(*json.SyntaxError); ok {
		se = e
		return fmt.Sprintf("%v at byte %d", se, se.Offset)
	}
	if err != nil {
		return err.Error()
	}
	return "invalid JSON"
}

func jsonKind(raw []byte) string {
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	default:
		return "number"
	}
}

// Describe builds the stored form of one S-360 document: its external id,
// content hash, upstream change time and, for ticket checks, the extracted
// columns. A document without an id cannot be deduplicated, so it is an
// error here; the validation layer reports what else is wrong with it.
func Describe(institution string, stream usher.Stream, raw json.RawMessage) (usher.Document, error) {
	fields, err := decodeObject(raw)
	if err != nil {
		return usher.Document{Institution: institution, Stream: stream, Raw: raw}, err
	}
	return describeFields(institution, stream, raw, fields)
}

// describeFields is Describe for a document already decoded into fields.
func describeFields(institution string, stream usher.Stream, raw json.RawMessage, fields map[string]any) (usher.Document, error) {
	doc := usher.Document{Institution: institution, Stream: stream, Raw: raw}
	var err error
	if doc.Hash, err = hashDecoded(fields); err != nil {
		return doc, usher.Errorf(usher.EINVALID, "%v", err)
	}
	switch stream {
	case usher.StreamContacts:
		doc.ExternalID = firstID(fields, "contactNumber", "contactId")
		doc.UpstreamUpdatedAt = firstTime(fields, "lastUpdateDate", "lastModificationDate", "updateDate", "modificationDate", "creationDate")
		if doc.ExternalID == "" {
			return doc, usher.Errorf(usher.EINVALID, "contact has no contactNumber or contactId")
		}
	case usher.StreamOrders:
		order := fields
		if inner, ok := fields["orderDetailsData"]; ok {
			if order, ok = inner.(map[string]any); !ok {
				return doc, usher.Errorf(usher.EINVALID, "orderDetailsData: document is not a JSON object")
			}
		}
		doc.ExternalID = firstID(order, "orderId")
		doc.UpstreamUpdatedAt = firstTime(order, "lastUpdateDate", "closingDateTime", "creationDateTime")
		if doc.ExternalID == "" {
			return doc, usher.Errorf(usher.EINVALID, "order has no orderDetailsData.orderId")
		}
	case usher.StreamTicketChecks:
		// The id is kept even when another field is bad, so a quarantined
		// check still names the document.
		doc.ExternalID = firstID(fields, "ticket_check_id")
		check, err := describeCheck(fields)
		if err != nil {
			return doc, err
		}
		doc.Check = check
		doc.ExternalID = strconv.FormatInt(check.TicketCheckID, 10)
		at := check.AccessTime
		doc.UpstreamUpdatedAt = &at
	default:
		return doc, usher.Errorf(usher.ENOTFOUND, "unknown stream %q", stream)
	}
	return doc, nil
}

func describeCheck(f map[string]any) (*usher.TicketCheck, error) {
	id := firstID(f, "ticket_check_id")
	if id == "" {
		return nil, usher.Errorf(usher.EINVALID, "ticket check has no ticket_check_id")
	}
	checkID, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return nil, usher.Errorf(usher.EINVALID, "ticket_check_id %q is not an integer", id)
	}
	c := &usher.TicketCheck{
		TicketCheckID: checkID,
		Barcode:       stringField(f, "barcode"),
		CheckFlow:     stringField(f, "check_flow"),
		Result:        stringField(f, "result"),
		FailureReason: stringField(f, "failure_reason"),
	}
	c.MovementID, _ = strconv.ParseInt(firstID(f, "movement_id"), 10, 64)
	c.TicketID, _ = strconv.ParseInt(firstID(f, "ticket_id"), 10, 64)
	at := firstTime(f, "access_time")
	if at == nil {
		return nil, usher.Errorf(usher.EINVALID, "ticket check %d has no access_time in a known format", checkID)
	}
	c.AccessTime = *at
	return c, nil
}

// decodeObject decodes a document once, numbers kept digit for digit: the
// fields give its id and times, and the same value gives its content hash,
// so a document is parsed once rather than once per use. Plain documents
// take decodeFast; anything else, and every error, encoding/json.
func decodeObject(raw json.RawMessage) (map[string]any, error) {
	if v, end, ok := decodeFast(raw); ok {
		if fields, isObject := v.(map[string]any); isObject && len(bytes.TrimSpace(raw[end:])) == 0 {
			return fields, nil
		}
	}
	return decodeObjectWithDecoder(raw)
}

// decodeObjectWithDecoder is decodeObject by encoding/json, decoding as
// usher.HashJSON does.
func decodeObjectWithDecoder(raw json.RawMessage) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || len(bytes.TrimSpace(raw[dec.InputOffset():])) != 0 {
		return nil, usher.Errorf(usher.EINVALID, "document is not a JSON object")
	}
	fields, ok := v.(map[string]any)
	if !ok {
		return nil, usher.Errorf(usher.EINVALID, "document is not a JSON object")
	}
	return fields, nil
}

// firstID returns the first of keys holding a string or an integer, as a
// decimal string. Large S-360 ids are kept digit for digit.
func firstID(f map[string]any, keys ...string) string {
	for _, k := range keys {
		switch v := f[k].(type) {
		case string:
			if s := strings.TrimSpace(v); s != "" {
				return s
			}
		case json.Number:
			if _, err := strconv.ParseInt(v.String(), 10, 64); err == nil {
				return v.String()
			}
		}
	}
	return ""
}

func stringField(f map[string]any, key string) string {
	s, _ := f[key].(string)
	return s
}

// timeLayouts are the forms S-360 sends: ISO-8601 with offset in webhook
// payloads, and the data-export query's "2023-02-09 18:25:10" (local time,
// no zone) with optional fractions.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
}

// ParseTime parses a time in any of the forms S-360 sends. Times without a
// zone are kept as wall-clock times in UTC.
func ParseTime(s string) (time.Time, bool) {
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func firstTime(f map[string]any, keys ...string) *time.Time {
	for _, k := range keys {
		if t, ok := ParseTime(stringField(f, k)); ok {
			return &t
		}
	}
	return nil
}
