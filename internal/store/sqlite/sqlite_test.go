package sqlite_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/ingest"
	"github.com/usher-hub/usher/internal/store"
	"github.com/usher-hub/usher/internal/store/sqlite"
	"github.com/usher-hub/usher/internal/store/storetest"
)

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) usher.Store {
		s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "usher.db"), time.Now)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return store.New(s, time.Now)
	})
}

func TestBodiesAreKeptByteForByte(t *testing.T) {
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "usher.db"), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	st := store.New(s, time.Now)
	// One payload, so that the bodies are cut out of one BLOB by offset.
	raws := []string{
		"{\n\t\"contactNumber\": \"1\",\n\t\"individualFirstname\": \"Zoë 😀\",\n\t\"lastUpdateDate\": \"2022-11-01T05:53:22.530+00:00\"\n}",
		`{"contactNumber":"2","individualFirstname":"\u00dcnïcödé","lastUpdateDate":"2022-11-01T05:53:22.530+00:00"}`,
		" \n{\"contactNumber\":\"3\",\"lastUpdateDate\":\"2022-11-01T05:53:22.530+00:00\"} ",
	}
	var docs []usher.Document
	for _, raw := range raws {
		d, err := ingest.Describe("myvenue", usher.StreamContacts, json.RawMessage(raw))
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, d)
	}
	if _, err := st.SaveDocuments(context.Background(), docs); err != nil {
		t.Fatal(err)
	}
	got, err := st.FindDocuments(context.Background(), usher.DocumentFilter{Institution: "myvenue", Stream: usher.StreamContacts, AllVersions: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(raws) {
		t.Fatalf("read back %d documents, want %d", len(got), len(raws))
	}
	for _, d := range got {
		var n int
		fmt.Sscan(d.ExternalID, &n)
		if string(d.Raw) != raws[n-1] {
			t.Errorf("contact %s: body %q, want %q byte for byte", d.ExternalID, d.Raw, raws[n-1])
		}
	}
}
