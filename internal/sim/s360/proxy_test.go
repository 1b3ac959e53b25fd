package s360

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/usher-hub/usher"
)

// proxied starts a receiver and a FaultProxy in front of it.
func proxied(t *testing.T, f Faults) (*receiver, *FaultProxy, *httptest.Server) {
	t.Helper()
	rc := newReceiver(t, usher.Institution{Code: "v"}, nil)
	p, err := NewFaultProxy(rc.srv.URL, f, 1, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	return rc, p, srv
}

func postThrough(t *testing.T, url string, timeout time.Duration) (int, error) {
	t.Helper()
	c := &http.Client{Timeout: timeout}
	req, _ := http.NewRequest(http.MethodPost, url+"/s360/contacts/v", bytes.NewReader([]byte(`[{"contactNumber":"1"}]`)))
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	return resp.StatusCode, nil
}

func TestFaultProxy(t *testing.T) {
	cases := []struct {
		name    string
		faults  Faults
		timeout time.Duration
		// want: the sender fails; seen: how often the receiver got the payload
		wantFail bool
		count    func(ProxyCounts) int64
	}{
		{"clean", Faults{}, time.Minute, false, func(c ProxyCounts) int64 { return c.Clean }},
		{"5xx", Faults{ServerError: 1}, time.Minute, true, func(c ProxyCounts) int64 { return c.ServerErrors }},
		{"drop", Faults{Drop: 1}, time.Minute, true, func(c ProxyCounts) int64 { return c.Drops }},
		{"slow past the timeout", Faults{Slow: 1, SlowDelay: time.Hour}, 200 * time.Millisecond, true, func(c ProxyCounts) int64 { return c.Slow }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rc, p, srv := proxied(t, tc.faults)
			const n = 8
			failures := 0
			for range n {
				status, err := postThrough(t, srv.URL, tc.timeout)
				if err != nil || status != http.StatusOK {
					failures++
				}
			}
			if tc.wantFail && failures != n || !tc.wantFail && failures != 0 {
				t.Fatalf("%d of %d posts failed", failures, n)
			}
			if got := tc.count(p.Counts()); got != n {
				t.Fatalf("counts = %+v, want %d of this fault", p.Counts(), n)
			}
			seen := len(rc.posts(usher.StreamContacts))
			if tc.name == "5xx" || tc.name == "drop" {
				// Half the faults strike before the receiver sees the
				// payload, half after it has accepted it.
				if seen == 0 || seen == n {
					t.Fatalf("the receiver saw %d of %d payloads; want some before and some after", seen, n)
				}
			} else if seen != n {
				t.Fatalf("the receiver saw %d of %d payloads", seen, n)
			}
		})
	}
}

func TestFaultProxyCallsHookBeforeForwarding(t *testing.T) {
	rc, p, srv := proxied(t, Faults{})
	var seenBefore []int
	p.BeforeForward = func(n int64) { seenBefore = append(seenBefore, len(rc.posts(usher.StreamContacts))) }
	for range 3 {
		if status, err := postThrough(t, srv.URL, time.Minute); err != nil || status != http.StatusOK {
			t.Fatalf("post: %d %v", status, err)
		}
	}
	if len(seenBefore) != 3 || seenBefore[0] != 0 || seenBefore[2] != 2 {
		t.Fatalf("hook saw %v receiver posts; want 0, 1, 2", seenBefore)
	}
}

func TestParseFaults(t *testing.T) {
	f, err := ParseFaults("5xx=0.1, drop=0.05,slow=0.2,slowdelay=2s,dup=0.3,reorder=1")
	if err != nil {
		t.Fatal(err)
	}
	want := Faults{ServerError: 0.1, Drop: 0.05, Slow: 0.2, SlowDelay: 2 * time.Second, Duplicate: 0.3, Reorder: 1}
	if f != want || !f.AtProxy() {
		t.Fatalf("got %+v, want %+v", f, want)
	}
	if back, err := ParseFaults(f.String()); err != nil || back != f {
		t.Fatalf("String() = %q parses back to %+v, %v", f.String(), back, err)
	}
	for _, bad := range []string{"5xx", "5xx=2", "boom=0.1", "slowdelay=-1s", "dup=x"} {
		if _, err := ParseFaults(bad); err == nil {
			t.Errorf("ParseFaults(%q) accepted it", bad)
		}
	}
	if f, err := ParseFaults(""); err != nil || f.AtProxy() || f.String() != "none" {
		t.Fatalf("empty spec: %+v %v", f, err)
	}
}

// FuzzParseFaults: any accepted spec renders to a spec that parses back to
// the same faults.
func FuzzParseFaults(f *testing.F) {
	for _, seed := range []string{"", "none", "5xx=0.1,drop=0.05", "slow=1,slowdelay=1ms", "dup=0.5,reorder=0", "5xx=1e-3"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		faults, err := ParseFaults(spec)
		if err != nil {
			return
		}
		back, err := ParseFaults(faults.String())
		if err != nil || back != faults {
			t.Fatalf("%q → %+v → %q → %+v, %v", spec, faults, faults.String(), back, err)
		}
	})
}
