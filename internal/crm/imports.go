package crm

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/usher-hub/usher"
)

// ImportRow is one row of a bulk import file, as a CRM contact request.
type ImportRow struct {
	// Line is the row's line in the file (1 is the CSV header).
	Line int
	// Body is the row as a POST /api/v1/crm/{institution}/contacts body.
	Body json.RawMessage
	// Key identifies the row across runs: its reference (the id column)
	// if it has one, else a hash of its content.
	Key string
}

// ImportColumns maps the CSV header names an import accepts (compared
// without case, spaces, dashes or underscores) to where they go.
var ImportColumns = map[string]string{
	"id":        "reference",
	"reference": "reference",
	"email":     "email",
	"firstname": "firstName",
	"lastname":  "lastName",
	"title":     "title",
	"phone":     "cellPhoneNumber",
	"mobile":    "cellPhoneNumber",
	"language":  "languageCode",
}

// ReadImport reads an import file: CSV with a header row (see
// ImportColumns) or, if its first non-blank byte is '{', JSON lines of
// contact requests. A malformed file (an unknown column, bad CSV) is an
// error; each row is returned as is, to be checked by CheckImportRow.
func ReadImport(r io.Reader) ([]ImportRow, error) {
	br := bufio.NewReader(r)
	for {
		b, err := br.Peek(1)
		if err != nil {
			return nil, nil // empty file: nothing to import
		}
		if b[0] == ' ' || b[0] == '\n' || b[0] == '\r' || b[0] == '\t' {
			_, _ = br.ReadByte()
			continue
		}
		if b[0] == '{' {
			return readJSONLines(br)
		}
		return readCSV(br)
	}
}

func readJSONLines(r io.Reader) ([]ImportRow, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), MaxRequestBytes)
	var rows []ImportRow
	for line := 1; sc.Scan(); line++ {
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 {
			continue
		}
		rows = append(rows, ImportRow{Line: line, Body: append(json.RawMessage(nil), text...)})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("JSON lines: after line %d: %w", len(rows), err)
	}
	return rows, nil
}

func readCSV(r io.Reader) ([]ImportRow, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = 0
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("CSV header: %w", err)
	}
	fields := make([]string, len(header))
	for i, h := range header {
		f, ok := ImportColumns[normalizeColumn(h)]
		if !ok {
			return nil, fmt.Errorf("CSV header: column %d %q is not one an import knows (id, email, first_name, last_name, title, phone, language)", i+1, h)
		}
		fields[i] = f
	}
	var rows []ImportRow
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			return nil, fmt.Errorf("CSV: %w", err)
		}
		rows = append(rows, ImportRow{Line: line, Body: csvBody(fields, rec)})
	}
}

func normalizeColumn(h string) string {
	return strings.NewReplacer(" ", "", "_", "", "-", "").Replace(strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))))
}

// csvBody turns a CSV record into a contact request; empty cells are left
// out.
func csvBody(fields, rec []string) json.RawMessage {
	contact := map[string]any{}
	ic := map[string]any{}
	req := map[string]any{"contact": contact}
	for i, v := range rec {
		v = strings.TrimSpace(v)
		if v == "" {
			continue
		}
		switch f := fields[i]; f {
		case "reference":
			req["reference"] = v
		case "firstName", "lastName", "title":
			ic[f] = v
		default:
			contact[f] = v
		}
	}
	if len(ic) > 0 {
		contact["individualContact"] = ic
	}
	b, _ := json.Marshal(req)
	return b
}

// CheckImportRow validates a row with the rules of the CRM API's contact
// writes and fills in its key. An import creates contacts: a row with a
// contactNumber is refused (updates go through the API, one by one).
func CheckImportRow(row *ImportRow) error {
	req, fields, number, err := parseContact(row.Body)
	if err != nil {
		return err
	}
	if number != "" {
		return usher.Errorf(usher.EUNPROCESSABLE, "$.contact.contactNumber: an import creates contacts; send updates through the API")
	}
	row.Key = "ref:" + req.Reference
	if req.Reference == "" {
		sum, err := usher.HashJSON(mustJSON(map[string]any{"contact": fields}))
		if err != nil {
			return usher.Errorf(usher.EINVALID, "row: %v", err)
		}
		row.Key = "hash:" + sum
	}
	return nil
}

// HasExtras reports whether a checked row carries fields a create does
// not: it then costs one more call (see usher.LoadRequest).
func (row ImportRow) HasExtras() bool {
	_, fields, _, err := parseContact(row.Body)
	return err == nil && remainingFields(fields, "x") != nil
}

// ImportPrefix is the order-key prefix of an import's jobs.
func ImportPrefix(importID string) string { return usher.ImportOrderPrefix + importID + ":" }

// ImportJob is the outbox job of a checked row. Its idempotency key is
// the row's key, whatever the import: the same row queued again, by a
// re-run or in another file, returns the job already queued or done.
func ImportJob(institution, importID string, row ImportRow, attempts int, now time.Time) usher.NewJob {
	req, _, _, _ := parseContact(row.Body)
	payload, _ := json.Marshal(contactJob{Contact: req.Contact, Identifier: req.Reference})
	return usher.NewJob{Institution: institution, Kind: usher.KindS360ImportContact, OrderKey: ImportPrefix(importID) + row.Key,
		IdempotencyKey: "import:" + row.Key, Payload: payload, MaxAttempts: attempts, RunAt: now}
}
