package site

import (
	"encoding/json"
	"testing"
)

func TestWithoutCredentialsCutsOnlyCredentialMembers(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"none: same bytes", `{"MemberCode": 1, "Email": "a@b.org"}`, `{"MemberCode": 1, "Email": "a@b.org"}`},
		{"middle", `{"a": 1, "Password": "hunter2", "b": 2}`, `{"a": 1, "b": 2}`},
		{"first", `{"Password": "x", "b": 2}`, `{"b": 2}`},
		{"last", `{"a": 1, "Password": "x"}`, `{"a": 1}`},
		{"only", `{"Password": "x"}`, `{}`},
		{"two in a row", `{"a": 1, "password": "x", "SECRET": "y", "b": 2}`, `{"a": 1, "b": 2}`},
		{"first two", `{"pwd": 1, "ApiKey": 2, "b": 3}`, `{"b": 3}`},
		{"all", `{"Password": 1, "client_secret": 2}`, `{}`},
		{"spacing and order kept", "{\n  \"z\": 1.50,\n  \"Password\": \"x\",\n  \"a\": \"\\u00e9\"\n}", "{\n  \"z\": 1.50,\n  \"a\": \"\\u00e9\"\n}"},
		{"last keeps the closing line", "{\n  \"a\": 1,\n  \"Password\": \"x\"\n}", "{\n  \"a\": 1\n}"},
		{"nested object", `{"a": {"b": 1, "Pass_Word": {"deep": [1, 2]}}, "c": 3}`, `{"a": {"b": 1}, "c": 3}`},
		{"inside lists", `[{"Password": "x", "a": 1}, {"a": 2, "AccessToken": null}]`, `[{"a": 1}, {"a": 2}]`},
		{"escaped name", `{"Pass\u0077ord": "x", "a": 1}`, `{"a": 1}`},
		{"values are not names", `{"note": "Password", "a": ["secret"]}`, `{"note": "Password", "a": ["secret"]}`},
		{"credential holding credentials", `{"a": 1, "Secrets": {"Password": "x"}}`, `{"a": 1}`},
		{"escaped quote in a string", `{"a": "say \"hi\"", "Password": "p\\\"w"}`, `{"a": "say \"hi\""}`},
		{"empty object and list", `{"a": {}, "b": [], "Password": ""}`, `{"a": {}, "b": []}`},
		{"scalar document", `42`, `42`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := withoutCredentials([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Fatalf("got  %s\nwant %s", got, tt.want)
			}
			if !json.Valid(got) {
				t.Fatalf("result is not valid JSON: %s", got)
			}
		})
	}
	if _, err := withoutCredentials([]byte(`{"Password": `)); err == nil {
		t.Fatal("invalid JSON must be an error, not a guess")
	}
}

func TestIsCredentialField(t *testing.T) {
	for _, name := range []string{"Password", "password", "PASSWORD", "NewPassword", "pass_word", "Passwd", "Secret",
		"ClientSecret", "api_key", "APIKey", "AccessToken", "token", "Credentials", "PIN", "Pin", "PrivateKey", "PassPhrase"} {
		if !isCredentialField(name) {
			t.Errorf("%q is not taken for a credential", name)
		}
	}
	for _, name := range []string{"MemberCode", "Email", "FirstName", "PaymentGatewayReference", "Shipping", "Spinach",
		"HomeAddress", "Passport", "PackageID", "Linkfield", "Coupon"} {
		if isCredentialField(name) {
			t.Errorf("%q is taken for a credential", name)
		}
	}
}

// FuzzWithoutCredentials: any valid document stays valid, loses every
// credential member, and keeps the others.
func FuzzWithoutCredentials(f *testing.F) {
	for _, s := range []string{`{"a": 1, "Password": "x", "b": [{"secret": 1}, 2]}`, `[]`, `"x"`, `{"Password": {"Password": 1}}`,
		"{ \"a\" : 1 , \"pwd\" : 2 }", `{"a":{"b":{"token":[1,{"c":2}]}}}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		if !json.Valid([]byte(in)) {
			return
		}
		got, err := withoutCredentials([]byte(in))
		if err != nil {
			t.Fatal(err)
		}
		var before, after any
		if err := json.Unmarshal([]byte(in), &before); err != nil {
			return // valid JSON that Go cannot hold, such as 1e999
		}
		if err := json.Unmarshal(got, &after); err != nil {
			t.Fatalf("%s became invalid JSON %s: %v", in, got, err)
		}
		want := dropCredentials(before)
		w, _ := json.Marshal(want)
		g, _ := json.Marshal(after)
		if string(w) != string(g) {
			t.Fatalf("%s\n got %s\nwant %s", in, g, w)
		}
		if !isSubsequence(got, []byte(in)) {
			t.Fatalf("%q -> %q: bytes were changed, not only cut", in, got)
		}
		b, _ := json.Marshal(before)
		if string(b) == string(w) && string(got) != in {
			t.Fatalf("a document without credentials changed: %q -> %q", in, got)
		}
	})
}

// isSubsequence reports whether sub is s with some bytes removed.
func isSubsequence(sub, s []byte) bool {
	i := 0
	for _, c := range s {
		if i < len(sub) && sub[i] == c {
			i++
		}
	}
	return i == len(sub)
}

// dropCredentials is the decoded model of withoutCredentials.
func dropCredentials(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			if !isCredentialField(k) {
				out[k] = dropCredentials(e)
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = dropCredentials(e)
		}
		return out
	}
	return v
}
