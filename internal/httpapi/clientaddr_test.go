package httpapi

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestClientAddr(t *testing.T) {
	proxy := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	for _, tt := range []struct {
		remote, xff string
		trusted     []netip.Prefix
		want        string
	}{
		{"192.0.2.1:5555", "", nil, "192.0.2.1"},
		{"192.0.2.1:5555", "198.51.100.1", nil, "192.0.2.1"}, // not a trusted proxy: header ignored
		{"10.0.0.2:5555", "198.51.100.1", proxy, "198.51.100.1"},
		{"10.0.0.2:5555", "6.6.6.6, 198.51.100.1, 10.0.0.3", proxy, "198.51.100.1"}, // left-most is the client's say
		{"10.0.0.2:5555", "garbage", proxy, "10.0.0.2"},
		{"[2001:db8:1:2:3:4:5:6]:443", "", nil, "2001:db8:1:2::/64"},
		{"[::ffff:192.0.2.9]:443", "", nil, "192.0.2.9"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tt.remote
		if tt.xff != "" {
			r.Header.Set("X-Forwarded-For", tt.xff)
		}
		if got := clientAddr(r, tt.trusted); got != tt.want {
			t.Errorf("%s with X-Forwarded-For %q: %s, want %s", tt.remote, tt.xff, got, tt.want)
		}
	}
}
