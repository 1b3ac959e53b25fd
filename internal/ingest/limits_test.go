package ingest_test

import (
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestPayloadOverDocumentLimitIs413 holds the cap on documents per push
// (issue 16): two million tiny items in 4 MiB once cost 3.5 GB and 75 s.
func TestPayloadOverDocumentLimitIs413(t *testing.T) {
	b := setupPush(t, "sqlite", 4<<20)
	for _, tt := range []struct {
		name   string
		items  int
		status int
		want   string
	}{
		{"1,000 documents", 1000, 200, `"quarantined":1000`},
		{"1,001 documents", 1001, 413, "more than 1000 documents"},
		{"two million items", 2_000_000, 413, "ingest.max_documents"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			body := "[" + strings.TrimSuffix(strings.Repeat("1,", tt.items), ",") + "]"
			status, resp := b.post(t, "/s360/contacts/open", []byte(body), nil)
			if status != tt.status || !strings.Contains(resp, tt.want) {
				t.Fatalf("%d %s, want %d containing %q", status, clipBody([]byte(resp)), tt.status, tt.want)
			}
		})
	}
}

// TestAnswerListsAtMostHundredProblems: the counts stay exact, the list
// stops at the first 100 problems (500,000 items once gave a 94 MB
// answer).
func TestAnswerListsAtMostHundredProblems(t *testing.T) {
	b := setupPush(t, "sqlite", 4<<20)
	body := "[" + strings.TrimSuffix(strings.Repeat(`{"contactNumber":7},`, 1000), ",") + "]"
	status, resp := b.post(t, "/s360/contacts/open", []byte(body), nil)
	var r struct {
		Quarantined int
		Invalid     []struct{ Violations []json.RawMessage }
		Unlisted    int `json:"invalid_not_listed"`
	}
	if err := json.Unmarshal([]byte(resp), &r); err != nil || status != 200 {
		t.Fatalf("%d %s", status, clipBody([]byte(resp)))
	}
	problems := 0
	for _, d := range r.Invalid {
		problems += len(d.Violations)
	}
	if r.Quarantined != 1000 || problems == 0 || problems > 100 || r.Unlisted != 1000-len(r.Invalid) {
		t.Fatalf("quarantined %d, listed %d documents with %d problems, %d unlisted; answer of %d bytes",
			r.Quarantined, len(r.Invalid), problems, r.Unlisted, len(resp))
	}
}

// worstPushes are the 4 MiB bodies that cost the most to take in.
func worstPushes() map[string]string {
	const size = 4<<20 - 64
	tiny := func(n int) string { return strings.TrimSuffix(strings.Repeat("1,", n), ",") }
	perDoc := size / 1000
	docs := make([]string, 1000)
	for i := range docs {
		docs[i] = fmt.Sprintf(`{"contactNumber":"%d","lastUpdateDate":"2023-01-01T00:00:00.000+00:00","x":[%s]}`, i, tiny(perDoc/2-60))
	}
	bad := make([]string, 1000)
	for i := range bad {
		bad[i] = fmt.Sprintf(`{"orderDetailsData":{"orderId":%d,"operationDatas":[%s]}}`, i, tiny(perDoc/2-40))
	}
	return map[string]string{
		"contacts/two million tiny items":              "[" + tiny(size/2) + "]",
		"contacts/one document of two million items":   `[{"contactNumber":"1","x":[` + tiny(size/2-40) + `]}]`,
		"contacts/1,000 documents of 2,000 items each": "[" + strings.Join(docs, ",") + "]",
		"orders/1,000 invalid orders of 2,000 items":   "[" + strings.Join(bad, ",") + "]",
	}
}

// TestWorstPushMemoryIsBounded measures what the worst 4 MiB pushes
// allocate (runtime.MemStats.TotalAlloc, an upper bound of the heap they
// can hold at once) and the peak heap in use while they are taken in,
// and holds both under 512 MiB; before the document cap the first cost
// 3.5 GB.
func TestWorstPushMemoryIsBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("posts 16 MiB")
	}
	b := setupPush(t, "sqlite", 4<<20)
	const bound = 512 << 20
	for name, body := range worstPushes() {
		stream, _, _ := strings.Cut(name, "/")
		t.Run(name, func(t *testing.T) {
			runtime.GC()
			var before runtime.MemStats
			runtime.ReadMemStats(&before)
			peak := watchHeap(before.HeapInuse)
			status, resp := b.post(t, "/s360/"+stream+"/open", []byte(body), nil)
			peakInuse := peak()
			var after runtime.MemStats
			runtime.ReadMemStats(&after)
			allocated := after.TotalAlloc - before.TotalAlloc
			t.Logf("%s: %d bytes → %d, answer %d bytes, allocated %d MiB, peak heap in use +%d MiB",
				name, len(body), status, len(resp), allocated>>20, peakInuse>>20)
			if status >= 500 || allocated > bound || peakInuse > bound {
				t.Fatalf("%s: status %d, allocated %d MiB, peak +%d MiB; bound %d MiB", name, status, allocated>>20, peakInuse>>20, bound>>20)
			}
		})
	}
}

// watchHeap samples HeapInuse every millisecond until the returned
// function is called, which returns the highest growth over base seen.
func watchHeap(base uint64) func() uint64 {
	var (
		mu   sync.Mutex
		peak uint64
		done = make(chan struct{})
		wg   sync.WaitGroup
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			mu.Lock()
			if m.HeapInuse > base && m.HeapInuse-base > peak {
				peak = m.HeapInuse - base
			}
			mu.Unlock()
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	return func() uint64 {
		close(done)
		wg.Wait()
		return peak
	}
}
