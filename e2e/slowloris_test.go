package e2e

import (
	"context"
	"encoding/base64"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/usher-hub/usher/bench/load"
	"github.com/usher-hub/usher/internal/testdb"
)

// slowClient holds a connection to the server and sends its request one
// byte at a time, forever: the slow-loris attack.
type slowClient struct {
	conn   net.Conn
	closed atomic.Bool // the server closed the connection
}

// dribble sends head at once, then rest one byte per tick until the server
// closes the connection or ctx ends. started is signalled after the first
// dribbled byte went out.
func dribble(ctx context.Context, t *testing.T, addr, head, rest string, started chan<- struct{}) *slowClient {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c := &slowClient{conn: conn}
	go func() {
		defer conn.Close()
		if _, err := conn.Write([]byte(head)); err != nil {
			c.closed.Store(true)
			return
		}
		tick := time.NewTicker(100 * time.Millisecond) // the attacker's pace
		defer tick.Stop()
		for i := 0; ; i++ {
			if _, err := conn.Write([]byte{rest[i%len(rest)]}); err != nil {
				c.closed.Store(true)
				return
			}
			if i == 0 {
				started <- struct{}{}
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	return c
}

// TestSlowClientsDoNotStarveOthers holds connections open with clients
// that send their headers, or their body, one byte at a time, and pushes
// payloads meanwhile: the slow clients tie up a connection each but
// neither the database nor other clients, so every push is acknowledged;
// and the server's header timeout eventually cuts header dribblers off.
func TestSlowClientsDoNotStarveOthers(t *testing.T) {
	srv := serve(t, "--config", faultConfig(t), "--database", testdb.SQLite(t))
	addr := strings.TrimPrefix(srv.URL, "http://")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	const each = 10
	inst := load.Institution
	auth := base64.StdEncoding.EncodeToString([]byte(inst.Auth.Username + ":" + inst.Auth.Secret))
	path := "/s360/contacts/" + inst.Code
	started := make(chan struct{}, 2*each)
	var headers, bodies []*slowClient
	for range each {
		headers = append(headers, dribble(ctx, t, addr,
			"POST "+path+" HTTP/1.1\r\nHost: usher\r\n", "X-Slow: aaaaaaaaaa\r\n", started))
		bodies = append(bodies, dribble(ctx, t, addr,
			fmt.Sprintf("POST %s HTTP/1.1\r\nHost: usher\r\nAuthorization: Basic %s\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n[", path, auth),
			`{"contactNumber":"1"},`, started))
	}
	for range 2 * each {
		select {
		case <-started:
		case <-time.After(30 * time.Second):
			t.Fatal("slow clients could not connect")
		}
	}

	res, err := load.Send(ctx, faultTarget(srv.URL), 4, load.NewGenerator(19).Payloads(40, 50))
	if err != nil {
		t.Fatalf("pushes while slow clients hold connections: %v", err)
	}
	for i, c := range bodies {
		if c.closed.Load() {
			t.Fatalf("body dribbler %d was cut before the other pushes finished: the test shows nothing", i)
		}
	}
	t.Logf("%d payloads acknowledged while %d slow clients held connections (p99 %s)",
		res.Payloads, 2*each, load.Percentile(res.Latencies, 99))

	waitUntil(t, 40*time.Second, "the server to cut off clients dribbling headers", func() bool {
		for _, c := range headers {
			if !c.closed.Load() {
				return false
			}
		}
		return true
	})
}
