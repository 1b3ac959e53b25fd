package usher_test

import (
	"encoding/json"
	"testing"

	"github.com/usher-hub/usher"
)

func TestIsEcho(t *testing.T) {
	prev := `{"contactNumber":"42","lastUpdateDate":"2023-02-01T00:00:00.000+00:00","email":"a@old.example","role":"PUBLIC",
		"individualContact":{"firstName":"Ann","lastName":"Lee"},"addresses":[{"city":"Bern"}],"contactId":10228100001234}`
	for _, tc := range []struct {
		name       string
		prev, next string
		sent       string
		want       bool
	}{
		{"update echoed", prev,
			`{"contactNumber":"42","lastUpdateDate":"2023-02-02T00:00:00.000+00:00","email":"a@new.example","role":"PUBLIC",
			"individualContact":{"firstName":"Ann","lastName":"Lee"},"addresses":[{"city":"Bern"}],"contactId":10228100001234}`,
			`{"contactNumber":"42","email":"a@new.example"}`, true},
		{"nested field echoed", prev,
			`{"contactNumber":"42","email":"a@old.example","role":"PUBLIC","individualContact":{"firstName":"Annie","lastName":"Lee"},
			"addresses":[{"city":"Bern"}],"contactId":10228100001234}`,
			`{"individualContact":{"firstName":"Annie"}}`, true},
		{"S-360 changed another field too", prev,
			`{"contactNumber":"42","email":"a@new.example","role":"MEMBER","individualContact":{"firstName":"Ann","lastName":"Lee"},
			"addresses":[{"city":"Bern"}],"contactId":10228100001234}`,
			`{"email":"a@new.example"}`, false},
		{"S-360 changed a sibling nested field", prev,
			`{"contactNumber":"42","email":"a@old.example","role":"PUBLIC","individualContact":{"firstName":"Annie","lastName":"Smith"},
			"addresses":[{"city":"Bern"}],"contactId":10228100001234}`,
			`{"individualContact":{"firstName":"Annie"}}`, false},
		{"value differs from what was sent", prev,
			`{"contactNumber":"42","email":"a@other.example","role":"PUBLIC","individualContact":{"firstName":"Ann","lastName":"Lee"},
			"addresses":[{"city":"Bern"}],"contactId":10228100001234}`,
			`{"email":"a@new.example"}`, false},
		{"arrays compare whole", prev,
			`{"contactNumber":"42","email":"a@old.example","role":"PUBLIC","individualContact":{"firstName":"Ann","lastName":"Lee"},
			"addresses":[{"city":"Zurich"}],"contactId":10228100001234}`,
			`{"addresses":[{"city":"Zurich"}]}`, true},
		{"a removed field is a change", prev,
			`{"contactNumber":"42","role":"PUBLIC","individualContact":{"firstName":"Ann","lastName":"Lee"},"addresses":[{"city":"Bern"}],"contactId":10228100001234}`,
			`{"individualContact":{"firstName":"Ann"}}`, false},
		{"create echoed despite S-360 defaults", "",
			`{"contactNumber":"77","contactId":1,"role":"PUBLIC","type":"INDIVIDUAL","email":"bo@example.org","individualContact":{"lastName":"Bo","title":"MR"}}`,
			`{"email":"bo@example.org","individualContact":{"lastName":"Bo"}}`, true},
		{"create with a value S-360 changed", "",
			`{"contactNumber":"77","email":"BO@EXAMPLE.ORG"}`,
			`{"email":"bo@example.org"}`, false},
		{"numbers compare digit for digit", `{"n":10228100001234}`, `{"n":10228100001235}`, `{"n":10228100001235}`, true},
		{"not JSON", prev, `{`, `{}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var p json.RawMessage
			if tc.prev != "" {
				p = json.RawMessage(tc.prev)
			}
			if got := usher.IsEcho(p, json.RawMessage(tc.next), json.RawMessage(tc.sent)); got != tc.want {
				t.Fatalf("IsEcho = %v, want %v", got, tc.want)
			}
		})
	}
}
