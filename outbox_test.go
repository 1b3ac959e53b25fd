package usher_test

import (
	"encoding/json"
	"testing"

	"github.com/usher-hub/usher"
)

func TestNewJobValidate(t *testing.T) {
	ok := usher.NewJob{Institution: "v", Kind: "k", OrderKey: "o", IdempotencyKey: "i", Payload: json.RawMessage(`{}`), MaxAttempts: 1}
	if err := ok.Validate(); err != nil {
		t.Fatalf("a complete job: %v", err)
	}
	for name, change := range map[string]func(*usher.NewJob){
		"no institution":     func(j *usher.NewJob) { j.Institution = "" },
		"no kind":            func(j *usher.NewJob) { j.Kind = "" },
		"no order key":       func(j *usher.NewJob) { j.OrderKey = "" },
		"no idempotency key": func(j *usher.NewJob) { j.IdempotencyKey = "" },
		"no attempt":         func(j *usher.NewJob) { j.MaxAttempts = 0 },
		"no payload":         func(j *usher.NewJob) { j.Payload = nil },
		"payload not JSON":   func(j *usher.NewJob) { j.Payload = json.RawMessage(`{"a":`) },
	} {
		j := ok
		change(&j)
		if err := j.Validate(); usher.ErrorCode(err) != usher.EINVALID {
			t.Errorf("%s: err = %v, want invalid", name, err)
		}
	}
}
