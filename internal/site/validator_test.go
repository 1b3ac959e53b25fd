package site_test

import (
	"testing"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/site"
)

func TestRequiredFieldsNamesEachViolation(t *testing.T) {
	v := site.RequiredFields{}
	ok := `{"MemberCode":1,"MemberNumber":3,"Email":"a@b.org","Extra":{}}`
	if got := v.Validate("m", usher.DocCentamanMember, []byte(ok)); len(got) != 0 {
		t.Fatalf("valid member: %v", got)
	}
	got := v.Validate("m", usher.DocCentamanMember, []byte(`{"MemberCode":"A12","MemberNumber":3}`))
	want := map[string]string{"$.MemberCode": "expected number, got string", "$.Email": "required field is missing"}
	if len(got) != len(want) {
		t.Fatalf("violations %v, want %v", got, want)
	}
	for _, vi := range got {
		if want[vi.Path] != vi.Message {
			t.Fatalf("violation %+v, want %q", vi, want[vi.Path])
		}
	}
	if got := v.Validate("m", usher.DocCentamanTimedTicket, []byte(`[{"TicketId":1,"TicketDescription":"A","TicketPrice":"9"}]`)); len(got) != 1 || got[0].Path != "$[0].TicketPrice" {
		t.Fatalf("price list: %v", got)
	}
	if got := v.Validate("m", "centaman.unknown", []byte(`{}`)); len(got) != 1 {
		t.Fatalf("unknown type: %v, want refused", got)
	}
}
