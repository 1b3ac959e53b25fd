package mail

import (
	"strings"
	"testing"
)

func TestCode128TableIsWellFormed(t *testing.T) {
	if len(code128Widths) != 107 {
		t.Fatalf("%d symbols, want 107", len(code128Widths))
	}
	seen := map[string]int{}
	for i, w := range code128Widths {
		modules, bars := 0, 0
		for j, c := range w {
			modules += int(c - '0')
			if j%2 == 0 {
				bars += int(c - '0')
			}
		}
		want := 11
		if i == code128Stop {
			want = 13
		}
		if modules != want || bars%2 != 0 {
			t.Errorf("symbol %d (%s): %d modules, %d bar modules; want %d and an even count", i, w, modules, bars, want)
		}
		if j, dup := seen[w]; dup {
			t.Errorf("symbols %d and %d share %s", j, i, w)
		}
		seen[w] = i
	}
}

// A reference vector from a widely used Code 128 implementation: start C,
// 33, 44, 55, the checksum and the stop pattern.
func TestCode128MatchesReferenceVector(t *testing.T) {
	b, err := Code128("334455")
	if err != nil {
		t.Fatal(err)
	}
	const want = "11010011100101000110001000110111011101000110100100111101100011101011"
	if got := moduleString(b.Modules[quietModules : len(b.Modules)-quietModules]); got != want {
		t.Fatalf("334455 =\n%s\nwant\n%s", got, want)
	}
}

func moduleString(ms []bool) string {
	var sb strings.Builder
	for _, m := range ms {
		if m {
			sb.WriteByte('1')
		} else {
			sb.WriteByte('0')
		}
	}
	return sb.String()
}

// The PNG must scan: a decoder that sees only pixels reads back the text,
// checksum verified, for even and odd digit counts and for letters.
func TestCode128PNGScansBack(t *testing.T) {
	for _, text := range []string{"27000010050001", "123", "R0001005", "Ticket-42"} {
		b, err := Code128(text)
		if err != nil {
			t.Fatal(err)
		}
		data, err := b.PNG(2, 40)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ScanPNG(data)
		if err != nil || got != text {
			t.Fatalf("scan of %q = %q, %v", text, got, err)
		}
	}
	if _, err := Code128("é"); err == nil {
		t.Fatal("non-ASCII text encoded, want an error")
	}
}

func TestSVGDrawsEveryBar(t *testing.T) {
	b, _ := Code128("123456")
	svg := b.SVG(50)
	bars := 0
	for i := range b.Modules {
		if b.Modules[i] && (i == 0 || !b.Modules[i-1]) {
			bars++
		}
	}
	if got := strings.Count(svg, "<rect x="); got != bars || !strings.HasPrefix(svg, "<svg") {
		t.Fatalf("svg has %d bars, want %d", got, bars)
	}
}
