package store

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/store/driver"
)

// The document browser's bounds: every request does bounded work.
const (
	// BrowseDefaultLimit is a page's size when the filter names none;
	// BrowseMaxLimit the largest page, to which a larger limit is cut.
	BrowseDefaultLimit = 50
	BrowseMaxLimit     = 500
	// BrowseMaxScan is how many versions one request with a filter on a
	// path not indexed (documents.indexed_paths) examines at most: the
	// page stops there, with a cursor to go on, so a filter that rarely
	// matches costs the same per request whatever the size of the table.
	BrowseMaxScan = 10000
	// BrowseMaxVersions is how many versions of one document are listed,
	// newest first.
	BrowseMaxVersions = 1000
	browseMaxID       = 256
)

var _ usher.DocumentBrowser = (*Store)(nil)

// browseMaxScan is BrowseMaxScan, lowered by tests.
var browseMaxScan = BrowseMaxScan

// The open ends of a range, as bounds an index serves.
var (
	browseMinTime = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	browseMaxTime = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
)

// ListDocuments lists the versions f selects, newest received first; see
// usher.DocumentBrowser.
func (s *Store) ListDocuments(ctx context.Context, f usher.BrowseFilter) (usher.DocumentPage, error) {
	valid, err := usher.ParseValidity(string(f.Valid))
	if err != nil {
		return usher.DocumentPage{}, err
	}
	r, err := browseRange(f, valid)
	if err != nil {
		return usher.DocumentPage{}, err
	}
	m, err := browseMatch(f.Path, f.Equals)
	if err != nil {
		return usher.DocumentPage{}, err
	}
	if m != nil && valid == usher.ValidQuarantined {
		return usher.DocumentPage{}, usher.Errorf(usher.EINVALID, "path and equals filter stored documents: a quarantined document may not be JSON at all")
	}
	limit := f.Limit
	switch {
	case limit < 0:
		return usher.DocumentPage{}, usher.Errorf(usher.EINVALID, "limit must be a whole number from 1 to %d, got %d", BrowseMaxLimit, limit)
	case limit == 0:
		limit = BrowseDefaultLimit
	case limit > BrowseMaxLimit:
		limit = BrowseMaxLimit
	}
	var rows []driver.BrowseRow
	var bound *driver.BrowseKey
	ix, indexed := s.pathIndexFor(f.Stream, f.Path)
	switch {
	case valid == usher.ValidQuarantined:
		rows, err = s.d.BrowseQuarantined(ctx, r, limit+1)
	case m == nil:
		rows, err = s.d.BrowseList(ctx, r, nil, limit+1)
	case r.ExternalID == "" && indexed:
		// An index on the path (documents.indexed_paths) reads the
		// matching versions only: the limit bounds the work, no scan
		// bound is needed. One external id's few versions need none.
		rows, err = s.d.BrowseListIndexed(ctx, r, m, ix, limit+1)
	default:
		// The scan stops at the BrowseMaxScan-th version of the range:
		// the list reads no further, and the next page starts below it.
		if bound, err = s.d.BrowseBound(ctx, r, browseMaxScan-1); err != nil {
			return usher.DocumentPage{}, browseUnavailable("list documents", err)
		}
		if bound != nil {
			r.From = *bound
		}
		rows, err = s.d.BrowseList(ctx, r, m, limit+1)
	}
	if err != nil {
		return usher.DocumentPage{}, browseUnavailable("list documents", err)
	}
	page := usher.DocumentPage{Documents: make([]usher.DocumentSummary, 0, min(len(rows), limit))}
	switch {
	case len(rows) > limit:
		rows = rows[:limit]
		page.NextCursor = encodeCursor(valid, rows[limit-1].Key)
	case bound != nil:
		page.NextCursor = encodeCursor(valid, *bound)
	}
	for _, row := range rows {
		page.Documents = append(page.Documents, summary(f.Institution, f.Stream, valid, row))
	}
	return page, nil
}

// DocumentVersions returns the versions of one document, newest first;
// see usher.DocumentBrowser.
func (s *Store) DocumentVersions(ctx context.Context, institution string, stream usher.Stream, externalID string) ([]usher.DocumentSummary, error) {
	if err := browseDocument(institution, stream, externalID); err != nil {
		return nil, err
	}
	rows, err := s.d.BrowseVersions(ctx, institution, string(stream), externalID, BrowseMaxVersions)
	if err != nil {
		return nil, browseUnavailable("document versions", err)
	}
	if len(rows) == 0 {
		return nil, usher.Errorf(usher.ENOTFOUND, "no document %q in stream %s of %s", externalID, stream, institution)
	}
	out := make([]usher.DocumentSummary, len(rows))
	for i, row := range rows {
		out[i] = summary(institution, stream, usher.ValidStored, row)
	}
	return out, nil
}

// DocumentBody returns one version's body as stored; see
// usher.DocumentBrowser.
func (s *Store) DocumentBody(ctx context.Context, institution string, stream usher.Stream, externalID string, version int) ([]byte, error) {
	if err := browseDocument(institution, stream, externalID); err != nil {
		return nil, err
	}
	if version < 1 {
		return nil, usher.Errorf(usher.EINVALID, "version must be a whole number from 1, got %d", version)
	}
	body, err := s.d.BrowseBody(ctx, institution, string(stream), externalID, version)
	if err != nil {
		return nil, browseUnavailable("document body", err)
	}
	if body == nil {
		return nil, usher.Errorf(usher.ENOTFOUND, "document %q of stream %s in %s has no version %d", externalID, stream, institution, version)
	}
	return body, nil
}

func summary(institution string, stream usher.Stream, valid usher.Validity, row driver.BrowseRow) usher.DocumentSummary {
	d := usher.DocumentSummary{Institution: institution, Stream: stream, ExternalID: row.ExternalID, Version: row.Version,
		Current: row.Current, ReceivedAt: row.Key.ReceivedAt.UTC(), Hash: row.Hash, Size: row.Size}
	if valid == usher.ValidQuarantined {
		d.QuarantineID, d.Version = row.Key.ID, 0
	}
	return d
}

// browseRange checks f's institution, stream, external id, times and
// cursor, and makes the range the engines read: one lower bound (from)
// and one upper bound (the nearer of to and the cursor), open ends closed
// far off.
func browseRange(f usher.BrowseFilter, valid usher.Validity) (driver.BrowseRange, error) {
	r := driver.BrowseRange{Institution: f.Institution, Stream: string(f.Stream), ExternalID: f.ExternalID}
	if err := browseStream(f.Institution, f.Stream); err != nil {
		return r, err
	}
	if f.ExternalID != "" {
		if err := browseID(f.ExternalID); err != nil {
			return r, err
		}
	}
	from, to := browseMinTime, browseMaxTime
	if !f.From.IsZero() {
		from = f.From.UTC()
	}
	if !f.To.IsZero() {
		to = f.To.UTC()
	}
	if from.Before(browseMinTime) || to.After(browseMaxTime) {
		return r, usher.Errorf(usher.EINVALID, "from and to must be times between years 1 and 9999")
	}
	if !from.Before(to) {
		return r, usher.Errorf(usher.EINVALID, "from (%s) must be before to (%s)", from.Format(time.RFC3339Nano), to.Format(time.RFC3339Nano))
	}
	// Ids start at 1: (from, 0) is the first key received at from, and
	// (to, 0) the first one received at to, excluded.
	r.From, r.Before = driver.BrowseKey{ReceivedAt: from}, driver.BrowseKey{ReceivedAt: to}
	if f.Cursor != "" {
		k, err := decodeCursor(valid, f.Cursor)
		if err != nil {
			return r, err
		}
		if k.ReceivedAt.Before(to) {
			r.Before = k
		}
	}
	return r, nil
}

func browseDocument(institution string, stream usher.Stream, externalID string) error {
	if err := browseStream(institution, stream); err != nil {
		return err
	}
	return browseID(externalID)
}

// browseStream checks a stream the browser can read: contacts, orders and
// the site's copies are versioned documents; ticket checks are not (one
// immutable row each, kept apart).
func browseStream(institution string, stream usher.Stream) error {
	if institution == "" {
		return usher.Errorf(usher.EINVALID, "an institution is needed")
	}
	if stream == usher.StreamTicketChecks {
		return usher.Errorf(usher.EINVALID, "ticket checks are immutable, with no versions to browse: browse contacts or orders")
	}
	if len(stream) == 0 || len(stream) > 64 {
		return usher.Errorf(usher.EINVALID, "a stream is 1 to 64 characters, got %d", len(stream))
	}
	for _, c := range stream {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return usher.Errorf(usher.EINVALID, "stream %q: a stream name holds only a-z, 0-9, '.', '_' and '-'", stream)
		}
	}
	return nil
}

func browseID(id string) error {
	if id == "" || len(id) > browseMaxID || !utf8.ValidString(id) || strings.ContainsRune(id, 0) {
		return usher.Errorf(usher.EINVALID, "an external id is 1 to %d bytes of UTF-8 text", browseMaxID)
	}
	return nil
}

// browseMatch reads a path filter: path in the safe subset $.a.b[0] (a
// '$', then steps .name, name a letter or '_' and then letters, digits
// and '_', or [index]), equals a JSON scalar or else a string. Anything
// else is EINVALID, so nothing but a checked path reaches an engine.
func browseMatch(path, equals string) (*driver.BrowseMatch, error) {
	if path == "" {
		if equals != "" {
			return nil, usher.Errorf(usher.EINVALID, "equals needs a path: say which value of the document to compare, such as path=$.email")
		}
		return nil, nil
	}
	keys, err := usher.ParseDocumentPath(path)
	if err != nil {
		return nil, err
	}
	m := &driver.BrowseMatch{JSONPath: path, Keys: keys}
	var v any
	dec := json.NewDecoder(strings.NewReader(equals))
	dec.UseNumber()
	if equals == "" || dec.Decode(&v) != nil || dec.More() || !json.Valid([]byte(equals)) {
		v = equals // not JSON: a string
	}
	switch v := v.(type) {
	case string:
		m.Type, m.Text = "text", v
	case json.Number:
		f, err := strconv.ParseFloat(v.String(), 64)
		if err != nil || math.IsInf(f, 0) {
			return nil, usher.Errorf(usher.EINVALID, "equals %q is a number out of range", equals)
		}
		m.Type, m.Number = "number", &f
	case bool:
		m.Type = strconv.FormatBool(v)
	case nil:
		m.Type = "null"
	default:
		return nil, usher.Errorf(usher.EINVALID, "equals compares one value (a string, number, true, false or null), not an object or an array")
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, usher.Errorf(usher.EINVALID, "equals %q: %v", equals, err)
	}
	m.Value = strings.TrimSpace(b.String())
	return m, nil
}

// A cursor is the last key a page covered, with the kind it lists:
// "s" (stored) or "q" (quarantined), the received time and the id.
func encodeCursor(valid usher.Validity, k driver.BrowseKey) string {
	return base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "%c|%s|%d", valid[0], k.ReceivedAt.UTC().Format(time.RFC3339Nano), k.ID))
}

func decodeCursor(valid usher.Validity, c string) (driver.BrowseKey, error) {
	bad := usher.Errorf(usher.EINVALID, "cursor %.40q is not a next_cursor of this listing: start again without it", c)
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(c) > 100 {
		return driver.BrowseKey{}, bad
	}
	parts := strings.Split(string(raw), "|")
	if len(parts) != 3 || parts[0] != string(valid[0]) {
		return driver.BrowseKey{}, bad
	}
	at, err := time.Parse(time.RFC3339Nano, parts[1])
	if err != nil || at.Before(browseMinTime) || at.After(browseMaxTime) {
		return driver.BrowseKey{}, bad
	}
	id, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil || id < 0 {
		return driver.BrowseKey{}, bad
	}
	return driver.BrowseKey{ReceivedAt: at.UTC(), ID: id}, nil
}

func browseUnavailable(op string, err error) error {
	if usher.ErrorCode(err) != usher.EINTERNAL {
		return err
	}
	return &usher.Error{Code: usher.EUNAVAILABLE, Message: "database unavailable", Err: fmt.Errorf("store: %s: %w", op, err)}
}
