package privacy

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/usher-hub/usher"
)

func TestRedactContactKeepsOnlyIDsAndDates(t *testing.T) {
	var contacts []json.RawMessage
	body, _ := os.ReadFile("../../testdata/s360/contacts.json")
	if err := json.Unmarshal(body, &contacts); err != nil {
		t.Fatal(err)
	}
	out, changed, err := Redact(usher.StreamContacts, contacts[0])
	if err != nil || !changed {
		t.Fatalf("changed=%v err=%v", changed, err)
	}
	for _, personal := range []string{"James", "Bond", "mi6", "4436411225", "Albert Embankment", "1968"} {
		if strings.Contains(string(out), personal) {
			t.Errorf("redacted contact still holds %q: %s", personal, out)
		}
	}
	for _, kept := range []string{`"contactNumber":"3346662"`, `"erased":true`, `"contactId":10228100001234`, `"lastUpdateDate"`} {
		if !strings.Contains(string(out), kept) {
			t.Errorf("redacted contact lost %s: %s", kept, out)
		}
	}
}

func TestRedactOrderKeepsBusinessContent(t *testing.T) {
	order := `{"orderDetailsData":{"orderId":1,"contactNumber":"3346662","saleAmount":40000,
		"operationDatas":[{"product":"Permanent Collection","movementDatas":[{"movementId":5,"amount":20000,
		"ticketDatas":[{"ticketId":9,"holderInfo":{"firstName":"James"},"holderEmail":"j@b.c"}]}]}],
		"deliveryAddress":{"street1":"1 Main"},"buyerFirstName":"James"}}`
	out, changed, err := Redact(usher.StreamOrders, []byte(order))
	if err != nil || !changed {
		t.Fatalf("changed=%v err=%v", changed, err)
	}
	for _, personal := range []string{"James", "j@b.c", "1 Main"} {
		if strings.Contains(string(out), personal) {
			t.Errorf("redacted order still holds %q: %s", personal, out)
		}
	}
	for _, kept := range []string{`"saleAmount":40000`, `"movementId":5`, `"ticketId":9`, `"Permanent Collection"`, `"contactNumber":"3346662"`} {
		if !strings.Contains(string(out), kept) {
			t.Errorf("redacted order lost %s: %s", kept, out)
		}
	}
	same, changed, _ := Redact(usher.StreamOrders, []byte(`{"orderDetailsData":{"orderId":2}}`))
	if changed || string(same) != `{"orderDetailsData":{"orderId":2}}` {
		t.Errorf("an order without personal data changed: %s", same)
	}
}
