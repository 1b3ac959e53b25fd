package crm

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/usher-hub/usher"
)

// TestReadImportCSV maps a CSV header written loosely (case, spaces,
// dashes) to contact fields, keys rows by id or by content, and refuses
// what the API refuses.
func TestReadImportCSV(t *testing.T) {
	rows, err := ReadImport(strings.NewReader("\ufeffID, E-Mail ,First Name,last_name,Phone\n" +
		"crm-1,ada@example.org,Ada,Lovelace,\n" +
		",grace@example.org,Grace,Hopper,+41 79 000 0000\n" +
		"crm-3,nope,Bad,Row,\n"))
	if err != nil || len(rows) != 3 {
		t.Fatalf("ReadImport: %d rows, %v", len(rows), err)
	}
	for i := range 2 {
		if err := CheckImportRow(&rows[i]); err != nil {
			t.Fatalf("row %d: %v", i, err)
		}
	}
	if rows[0].Key != "ref:crm-1" || !strings.HasPrefix(rows[1].Key, "hash:") || rows[1].Line != 3 {
		t.Fatalf("keys %q %q, line %d", rows[0].Key, rows[1].Key, rows[1].Line)
	}
	var req ContactRequest
	_ = json.Unmarshal(rows[1].Body, &req)
	if !strings.Contains(string(req.Contact), `"cellPhoneNumber":"+41 79 000 0000"`) || !strings.Contains(string(req.Contact), `"firstName":"Grace"`) {
		t.Fatalf("row 2 became %s", rows[1].Body)
	}
	if rows[0].HasExtras() || !rows[1].HasExtras() {
		t.Fatal("only the row with a phone needs a call beyond the create")
	}
	err = CheckImportRow(&rows[2])
	var ue *usher.Error
	if !errors.As(err, &ue) || ue.Code != usher.EUNPROCESSABLE || !strings.Contains(ue.Detail.([]usher.Violation)[0].Path, "email") {
		t.Fatalf("bad e-mail: %v", err)
	}
	job := ImportJob("myvenue", "load1", rows[0], 15, time.Now())
	again := ImportJob("myvenue", "load2", rows[0], 15, time.Now())
	if job.Kind != usher.KindS360ImportContact || job.IdempotencyKey != again.IdempotencyKey || !strings.HasPrefix(job.OrderKey, ImportPrefix("load1")) {
		t.Fatalf("job %+v, again %+v: the same row must have the same key in any import", job, again)
	}
}

// TestReadImportRefuses names the unknown column, and refuses a row that
// updates a contact.
func TestReadImportRefuses(t *testing.T) {
	if _, err := ReadImport(strings.NewReader("email,shoe_size\na@example.org,42\n")); err == nil || !strings.Contains(err.Error(), `"shoe_size"`) {
		t.Fatalf("unknown column: %v", err)
	}
	rows, err := ReadImport(strings.NewReader(`{"contact":{"contactNumber":"123","email":"a@example.org"}}` + "\n\n" + `{"contact":{"email":"b@example.org"}}`))
	if err != nil || len(rows) != 2 || rows[1].Line != 3 {
		t.Fatalf("JSON lines: %+v, %v", rows, err)
	}
	if err := CheckImportRow(&rows[0]); err == nil || !strings.Contains(err.Error(), "creates contacts") {
		t.Fatalf("an update in an import: %v", err)
	}
	if rows, err := ReadImport(strings.NewReader("")); err != nil || len(rows) != 0 {
		t.Fatalf("empty file: %v, %v", rows, err)
	}
}
