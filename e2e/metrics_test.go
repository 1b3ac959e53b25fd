package e2e

import (
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// documentedMetrics reads docs/operations.md's metrics table: each
// metric name and the labels its row lists ("…" means "and more").
func documentedMetrics(t *testing.T) map[string][]string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, "docs", "operations.md"))
	if err != nil {
		t.Fatal(err)
	}
	code := regexp.MustCompile("`([a-z_*]+)`")
	out := map[string][]string{}
	for _, line := range strings.Split(string(data), "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 4 || !strings.Contains(cells[1], "`usher_") {
			continue
		}
		if strings.Contains(cells[2], "…") {
			continue // an open list: not checked
		}
		var labels []string
		// Label names come before any parenthesised list of values.
		for _, m := range code.FindAllStringSubmatch(regexp.MustCompile(`\([^)]*\)`).ReplaceAllString(cells[2], ""), -1) {
			labels = append(labels, m[1])
		}
		sort.Strings(labels)
		for _, m := range code.FindAllStringSubmatch(cells[1], -1) {
			out[m[1]] = labels
		}
	}
	return out
}

// TestOperationsDocNamesMetricLabels scrapes a running usher whose
// website layer has synced and checks that each documented metric it
// exposes carries exactly the labels docs/operations.md lists.
func TestOperationsDocNamesMetricLabels(t *testing.T) {
	documented := documentedMetrics(t)
	if len(documented) < 10 {
		t.Fatalf("read only %d metrics from docs/operations.md's table", len(documented))
	}
	base := startDocumentedServer(t)
	push(t, base)
	var families map[string]*dto.MetricFamily
	deadline := time.Now().Add(waitTimeout)
	for {
		families = scrape(t, base)
		if _, ok := families["usher_site_syncs_total"]; ok || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	checked := 0
	for name, want := range documented {
		fam, ok := families[name]
		if !ok || len(fam.Metric) == 0 {
			continue // not exposed until it first counts something
		}
		var got []string
		for _, l := range fam.Metric[0].Label {
			got = append(got, l.GetName())
		}
		sort.Strings(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s has labels %v; docs/operations.md lists %v", name, got, want)
		}
		checked++
	}
	if _, ok := families["usher_site_syncs_total"]; !ok {
		t.Fatal("the website layer never synced: usher_site_syncs_total is not exposed")
	}
	t.Logf("checked the labels of %d documented metrics", checked)
}

func scrape(t *testing.T, base string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return families
}
