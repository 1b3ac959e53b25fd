package s360_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/store"
	"github.com/usher-hub/usher/internal/upstream/s360"
)

// dropAfterFirst is an HTTP/1.1 server on loopback that answers the first
// request of each connection and closes the connection after reading the
// second without answering it: S-360 applied the write, then the network
// failed. It counts the requests it read.
type dropAfterFirst struct {
	ln       net.Listener
	requests atomic.Int32
	wg       sync.WaitGroup
}

func newDropAfterFirst(t *testing.T) *dropAfterFirst {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	d := &dropAfterFirst{ln: ln}
	d.wg.Add(1)
	go d.accept()
	t.Cleanup(func() { ln.Close(); d.wg.Wait() })
	return d
}

func (d *dropAfterFirst) accept() {
	defer d.wg.Done()
	for {
		conn, err := d.ln.Accept()
		if err != nil {
			return
		}
		d.wg.Add(1)
		go d.serve(conn)
	}
}

func (d *dropAfterFirst) serve(conn net.Conn) {
	defer d.wg.Done()
	defer conn.Close()
	rd := bufio.NewReader(conn)
	for i := 0; ; i++ {
		req, err := http.ReadRequest(rd)
		if err != nil {
			return
		}
		_, _ = io.Copy(io.Discard, req.Body)
		d.requests.Add(1)
		if i > 0 {
			return // read, applied, never answered
		}
		body := `{"requestId":1,"statusCode":"success","statusDetail":"","contacts":[]}`
		_, _ = io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "+itoa(len(body))+"\r\n\r\n"+body)
	}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

// TestTransportNeverResendsAWrite: the second call goes over the reused
// connection, which closes after the request was read. Go's transport
// re-sends such a request on a new connection when it thinks it
// replayable (an Idempotency-Key header and a rewindable body); the
// client must make it unreplayable, so the server reads it exactly once
// and the caller learns the answer was lost.
func TestTransportNeverResendsAWrite(t *testing.T) {
	srv := newDropAfterFirst(t)
	clk := &clock{t: time.Now()}
	st, err := store.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "usher.db"), clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	budget := s360.InstanceBudget{Limiter: s360.NewLimiter(st, "b", usher.RateLimit{Limit: 6000, Window: time.Minute}, 0, clk.Now)}
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
	t.Cleanup(hc.CloseIdleConnections) // before the server waits for its connections
	client := s360.NewClient(s360.Config{Institution: "MYVENUE", BaseURL: "http://" + srv.ln.Addr().String(), Operator: "O", Partner: "P",
		Secret: "a-secret-of-sixteen-chars"}, hc, budget, s360.NewBreaker(5, time.Second, clk.Now), clk.Now)
	ctx := context.Background()
	if _, err := client.SearchContact(ctx, s360.SearchCriteria{Email: "a@b.c"}); err != nil {
		t.Fatalf("first call: %v", err)
	}
	_, err = client.CreateCulturalContact(ctx, []s360.CulturalContact{{Email: "a@b.c", Identifier: 1}})
	if kind, _ := s360.KindOf(err); kind != s360.Temporary {
		t.Fatalf("lost answer: err = %v, want temporary (outcome unknown)", err)
	}
	if n := srv.requests.Load(); n != 2 {
		t.Fatalf("the server read %d requests for 2 calls: the transport re-sent the write", n)
	}
}
