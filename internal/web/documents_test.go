package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/usher-hub/usher"
	fx "github.com/usher-hub/usher/internal/analytics/analyticstest"
	"github.com/usher-hub/usher/internal/docdiff"
	"github.com/usher-hub/usher/internal/store"
	"github.com/usher-hub/usher/internal/testdb"
)

// orderID is the order the documents tests browse: three versions, OPEN,
// then PAID, then PAID with another e-mail.
const orderID = "10000000042"

// withDocuments gives the dashboard a document browser over a store of
// its own holding order orderID of fx.Institution, a few other orders,
// and one order of the other institution.
func withDocuments(t testing.TB, engine string) func(*Options) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, testdb.DSN(t, engine), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	save := func(inst, id, state, email string) {
		raw := fmt.Sprintf(`{"orderDetailsData":{"orderId":%s,"orderState":%q,"saleAmount":4200,"items":[{"sku":"ADULT","qty":2}]},"customer":{"email":%q,"name":"Zoë <b>"}}`, id, state, email)
		h, err := usher.HashJSON([]byte(raw))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.SaveDocuments(ctx, []usher.Document{{Institution: inst, Stream: usher.StreamOrders, ExternalID: id, Hash: h, Raw: json.RawMessage(raw)}}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 3 {
		save(fx.Institution, fmt.Sprint(10000000001+i), "PAID", "x@example.org")
	}
	save(fx.Institution, orderID, "OPEN", "ann@example.org")
	save(fx.Institution, orderID, "PAID", "ann@example.org")
	save(fx.Institution, orderID, "PAID", "ann.new@example.org")
	save(other, "20000000001", "PAID", "secret@other.example")
	return func(o *Options) { o.Documents = st }
}

func TestDocumentsPages(t *testing.T) {
	e := newEnv(t, "sqlite", withDocuments(t, "sqlite"))
	c := e.browser(t)
	e.login(t, c, venueKey)

	res := e.get(t, c, "/dashboard/documents")
	if res.status != 200 || !strings.Contains(res.body, `>Documents</a>`) || strings.Count(res.body, `class="document"`) != 6 ||
		strings.Contains(res.body, "20000000001") {
		t.Fatalf("list: %d\n%s", res.status, res.body)
	}
	res = e.get(t, c, "/dashboard/documents?institution=myvenue&stream=orders&external_id="+orderID+"&from=&to=&path=&equals=&valid=stored")
	if res.status != 200 || strings.Count(res.body, `class="document"`) != 3 {
		t.Fatalf("one order: %d\n%s", res.status, res.body)
	}
	res = e.get(t, c, "/dashboard/documents?path=$.customer.email&equals=ann.new@example.org")
	if res.status != 200 || strings.Count(res.body, `class="document"`) != 1 {
		t.Fatalf("path filter: %d\n%s", res.status, res.body)
	}
	for path, status := range map[string]int{
		"/dashboard/documents?path=$.a;b&equals=1":                       400,
		"/dashboard/documents?institution=othervenue":                    404,
		"/dashboard/documents?color=red":                                 400,
		"/dashboard/documents?from=yesterday":                            400,
		"/dashboard/documents?stream=ticketchecks":                       400,
		"/dashboard/documents/othervenue/orders/20000000001":             404,
		"/dashboard/documents/myvenue/orders/404":                        404,
		"/dashboard/documents/myvenue/orders/" + orderID + "?version=9":  404,
		"/dashboard/documents/myvenue/orders/" + orderID + "?from=1":     400,
		"/dashboard/documents/myvenue/orders/" + orderID + "?x=1":        400,
		"/dashboard/documents/myvenue/orders/" + orderID + "/versions/0": 400,
		"/dashboard/documents/othervenue/orders/20000000001/versions/1":  404,
	} {
		if res := e.get(t, c, path); res.status != status {
			t.Errorf("%s: %d, want %d", path, res.status, status)
		}
	}

	res = e.get(t, c, "/dashboard/documents/myvenue/orders/"+orderID)
	if res.status != 200 || strings.Count(res.body, `class="version`) != 3 || !strings.Contains(res.body, `data-path="$.orderDetailsData.orderState"`) ||
		!strings.Contains(res.body, "Zoë &lt;b&gt;") || !strings.Contains(res.body, `href="?from=2&amp;to=3"`) {
		t.Fatalf("document: %d\n%s", res.status, res.body)
	}
	res = e.get(t, c, "/dashboard/documents/myvenue/orders/"+orderID+"?from=1&to=3")
	for _, want := range []string{
		`<tr class="change replace" data-path="$.customer.email">`,
		`<tr class="change replace" data-path="$.orderDetailsData.orderState">`,
		`<span class="line changed replace" data-path="$.orderDetailsData.orderState">`,
	} {
		if res.status != 200 || strings.Count(res.body, want) != map[bool]int{true: 2, false: 1}[strings.HasPrefix(want, "<span")] {
			t.Errorf("diff: %q not found as often as expected\n%s", want, res.body)
		}
	}
	if strings.Count(res.body, "line changed") != 4 {
		t.Errorf("diff: %d changed lines, want 4 (two paths, both sides)", strings.Count(res.body, "line changed"))
	}

	res = e.get(t, c, "/dashboard/documents/myvenue/orders/"+orderID+"/versions/1")
	if res.status != 200 || res.header.Get("Content-Type") != "application/json" || !strings.HasPrefix(res.header.Get("Content-Disposition"), "attachment;") ||
		!strings.Contains(res.body, `"OPEN"`) {
		t.Fatalf("download: %d %v\n%s", res.status, res.header, res.body)
	}

	// The health page links a quarantined order to its stored versions.
	res = e.get(t, c, "/dashboard/health")
	if !strings.Contains(res.body, `href="/dashboard/documents?institution=myvenue&amp;stream=orders&amp;external_id=10000000099"`) {
		t.Errorf("health page without a link to the quarantined order's versions:\n%s", res.body)
	}
}

func TestOverviewLinksOrdersToTheirDocuments(t *testing.T) {
	e := newEnv(t, "sqlite", withDocuments(t, "sqlite"))
	c := e.browser(t)
	e.login(t, c, venueKey)
	today := time.Now().UTC().Format(time.DateOnly)
	tomorrow := time.Now().UTC().AddDate(0, 0, 1).Format(time.DateOnly)

	res := e.get(t, c, "/dashboard/?institution=myvenue&from="+today+"&to="+today)
	if res.status != 200 || strings.Count(res.body, `<tr class="order">`) != 6 || strings.Contains(res.body, "20000000001") ||
		!strings.Contains(res.body, `<a href="/dashboard/documents/myvenue/orders/`+orderID+`">`+orderID+`</a>`) ||
		!strings.Contains(res.body, `<a href="/dashboard/documents/myvenue/orders/`+orderID+`?version=3">3</a> <span class="badge">current</span>`) {
		t.Fatalf("overview for today without its six order versions, each linked:\n%s", res.body)
	}
	all := `href="/dashboard/documents?from=` + today + `&amp;institution=myvenue&amp;stream=orders&amp;to=` + tomorrow + `"`
	if !strings.Contains(res.body, all) {
		t.Fatalf("overview without %s", all)
	}
	res = e.get(t, c, "/dashboard/documents?from="+today+"&institution=myvenue&stream=orders&to="+tomorrow)
	if res.status != 200 || strings.Count(res.body, `class="document"`) != 6 {
		t.Fatalf("every order received today: %d\n%s", res.status, res.body)
	}

	res = e.get(t, c, "/dashboard/?institution=myvenue&from=2020-01-01&to=2020-01-31")
	if res.status != 200 || strings.Contains(res.body, `<tr class="order">`) || !strings.Contains(res.body, "No order received in this range.") {
		t.Fatalf("overview of January 2020 lists orders received today:\n%s", res.body)
	}
	bare := newEnv(t, "sqlite")
	bc := bare.browser(t)
	bare.login(t, bc, venueKey)
	if res := bare.get(t, bc, "/dashboard/"); res.status != 200 || strings.Contains(res.body, "Latest orders received") {
		t.Fatalf("an overview without a document browser: %d, or offers orders:\n%s", res.status, res.body)
	}
}

// TestDiffHighlightsKeyedElementsWhereTheySit: operations keyed by id
// come back in another order with one quantity changed: the change is
// named by the operation's id and highlighted at its position in each
// version.
func TestDiffHighlightsKeyedElementsWhereTheySit(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, testdb.DSN(t, "sqlite"), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	for _, ops := range []string{`[{"operationId":1,"quantity":1},{"operationId":2,"quantity":2}]`, `[{"operationId":2,"quantity":3},{"operationId":1,"quantity":1}]`} {
		raw := `{"orderDetailsData":{"orderId":44,"operationDatas":` + ops + `}}`
		h, err := usher.HashJSON([]byte(raw))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.SaveDocuments(ctx, []usher.Document{{Institution: fx.Institution, Stream: usher.StreamOrders, ExternalID: "44", Hash: h, Raw: json.RawMessage(raw)}}); err != nil {
			t.Fatal(err)
		}
	}
	e := newEnv(t, "sqlite", func(o *Options) {
		o.Documents = st
		o.ArrayKeys = func(string, usher.Stream) docdiff.Keys {
			return docdiff.Keys{"$.orderDetailsData.operationDatas": "operationId"}
		}
	})
	c := e.browser(t)
	e.login(t, c, venueKey)
	res := e.get(t, c, "/dashboard/documents/myvenue/orders/44?from=1&to=2")
	for _, want := range []string{
		`<tr class="change replace" data-path="$.orderDetailsData.operationDatas[?(@.operationId==2)].quantity">`,
		`<span class="line changed replace" data-path="$.orderDetailsData.operationDatas[1].quantity">`,
		`<span class="line changed replace" data-path="$.orderDetailsData.operationDatas[0].quantity">`,
	} {
		if res.status != 200 || !strings.Contains(res.body, want) {
			t.Errorf("keyed diff without %s:\n%s", want, res.body)
		}
	}
	if n := strings.Count(res.body, "line changed"); n != 2 {
		t.Errorf("keyed diff: %d changed lines, want 2 (the quantity, on each side)", n)
	}
}

func TestDocumentsPageNeedsABrowser(t *testing.T) {
	e := newEnv(t, "sqlite")
	c := e.browser(t)
	e.login(t, c, venueKey)
	if res := e.get(t, c, "/dashboard/"); strings.Contains(res.body, `>Documents</a>`) {
		t.Error("the menu offers Documents on a dashboard without a browser")
	}
	if res := e.get(t, c, "/dashboard/documents"); res.status != 404 {
		t.Errorf("documents without a browser: %d", res.status)
	}
	if res := e.get(t, c, "/dashboard/health"); strings.Contains(res.body, "document-link") {
		t.Error("the health page links to documents without a browser")
	}
}

func TestPrettyJSON(t *testing.T) {
	raw := `{"b":1,"a":{"x y":[true,null,{}],"n":1.50},"e":[]}`
	lines, err := prettyJSON([]byte(raw), 100)
	if err != nil {
		t.Fatal(err)
	}
	var text, paths []string
	for _, l := range lines {
		text = append(text, l.Text)
		paths = append(paths, l.Path)
	}
	want := "{\n  \"b\": 1,\n  \"a\": {\n    \"x y\": [\n      true,\n      null,\n      {}\n    ],\n    \"n\": 1.50\n  },\n  \"e\": []\n}"
	if strings.Join(text, "\n") != want {
		t.Errorf("text:\n%s\nwant:\n%s", strings.Join(text, "\n"), want)
	}
	if got := fmt.Sprint(paths); got != `[$ $.b $.a $.a["x y"] $.a["x y"][0] $.a["x y"][1] $.a["x y"][2] $.a["x y"] $.a.n $.a $.e $]` {
		t.Errorf("paths: %s", got)
	}
	if _, err := prettyJSON([]byte(raw), 5); err != errTooManyLines {
		t.Errorf("5 lines: %v, want errTooManyLines", err)
	}
	for p, want := range map[string]string{`$.a.b[2]`: "$.a.b", `$.a.b`: "$.a", `$.a["x.y"]`: "$.a", `$["a[0]"]`: "$", `$[3]`: "$", `$`: ""} {
		if got, _ := parentPath(p); got != want {
			t.Errorf("parent of %s = %q, want %q", p, got, want)
		}
	}
}

// FuzzDocumentPages sends any query to the Documents pages of a signed-in
// myvenue key: never a server error, never the other institution's data.
func FuzzDocumentPages(f *testing.F) {
	for _, seed := range []string{
		"", "external_id=" + orderID, "path=$.orderDetailsData.orderState&equals=PAID", "path=$..x&equals=1",
		"from=2020-01-01&to=2030-01-01", "valid=quarantined", "cursor=%zz", "institution=othervenue",
		"version=2", "from=1&to=3", "from=3&to=1", "from=0&to=99999999999999999999", "stream=centaman.timed_ticket_type",
	} {
		f.Add(seed)
	}
	e := newEnv(f, "sqlite", withDocuments(f, "sqlite"))
	cookie := e.h.sessions.issue(principal("myvenue"), false)
	f.Fuzz(func(t *testing.T, query string) {
		for _, path := range []string{"/dashboard/documents", "/dashboard/documents/myvenue/orders/" + orderID} {
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.URL.Path, req.URL.RawQuery = path, query
			req.AddCookie(cookie)
			w := serve(e.h, req)
			switch w.Code {
			case http.StatusOK, http.StatusBadRequest, http.StatusNotFound:
			default:
				t.Fatalf("%s?%s: status %d: %s", path, query, w.Code, w.Body)
			}
			if w.Code == http.StatusOK && strings.Contains(w.Body.String(), "secret@other") {
				t.Fatalf("%s?%s shows %s's order to a myvenue key", path, query, other)
			}
			if strings.Contains(strings.ToLower(w.Body.String()), "<script") {
				t.Fatalf("%s?%s: a script tag reached the page", path, query)
			}
		}
	})
}

// TestDocumentsInChromium finds an order by its id in a real headless
// Chromium, opens its timeline, compares two versions and sees the
// changed path highlighted, on both engines.
func TestDocumentsInChromium(t *testing.T) {
	if _, err := exec.LookPath(chromiumPath); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true and %s is missing: install chromium (apt-get install chromium)", chromiumPath)
		}
		t.Skipf("%s not installed", chromiumPath)
	}
	for _, engine := range testdb.Engines {
		t.Run(engine, func(t *testing.T) {
			e := newEnv(t, engine, withDocuments(t, engine))
			ctx := newBrowser(t)
			changed := chromedp.CSS(`#right .line.changed[data-path="$.orderDetailsData.orderState"]`)
			row := chromedp.CSS(`tr.document[data-id="` + orderID + `"] a`)
			if err := chromedp.Do(ctx,
				chromedp.Navigate(e.srv.URL+"/"),
				chromedp.WaitVisible(chromedp.CSS(`#key`)),
				chromedp.SendKeys(chromedp.CSS(`#key`), venueKey),
				chromedp.Click(chromedp.CSS(`.login button[type=submit]`)),
				chromedp.WaitVisible(chromedp.CSS(`#attendance`)),
				chromedp.Click(chromedp.CSS(`nav a[href^="/dashboard/documents"]`)),
				chromedp.WaitVisible(chromedp.CSS(`#external_id`)),
				chromedp.SendKeys(chromedp.CSS(`#external_id`), orderID),
				chromedp.Click(chromedp.CSS(`#find`)),
				// The unfiltered list may show the order too: wait for the
				// filtered page (its field carries the id as its value
				// attribute, which typing does not set), or the click below
				// lands on a page that is going away.
				chromedp.WaitVisible(chromedp.CSS(`#external_id[value="`+orderID+`"]`)),
				chromedp.WaitVisible(row),
				chromedp.Click(row),
				chromedp.WaitVisible(chromedp.CSS(`#timeline`)),
				chromedp.SetValue(chromedp.CSS(`#from`), "1"),
				chromedp.SetValue(chromedp.CSS(`#to`), "2"),
				chromedp.Click(chromedp.CSS(`#compare`)),
				chromedp.WaitVisible(changed),
			); err != nil {
				t.Fatalf("find order %s and compare versions 1 and 2: %v", orderID, err)
			}
			rows, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#changes tr.change")].map(r => r.dataset.path)`))
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(rows) != "[$.orderDetailsData.orderState]" {
				t.Errorf("changes listed: %v, want only the order state", rows)
			}
			background, err := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector('#right .line.changed')).backgroundColor`))
			if err != nil {
				t.Fatal(err)
			}
			if background == "" || background == "rgba(0, 0, 0, 0)" {
				t.Errorf("the changed line is not highlighted: background %q", background)
			}
			shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
			if err != nil {
				t.Fatal(err)
			}
			saveScreenshot(t, shot)
		})
	}
}
