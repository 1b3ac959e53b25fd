package mail

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"strings"
)

// ScanPNG reads a Code 128 barcode from a PNG image; see Scan.
func ScanPNG(data []byte) (string, error) {
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return "", fmt.Errorf("scan: %w", err)
	}
	return Scan(img)
}

// Scan reads a Code 128 barcode the way a gate scanner does: along one
// row of pixels, measuring runs, knowing nothing of the text, and checking
// the checksum. Compose scans every image it renders, so an e-ticket that
// would not scan at the gate is never sent.
func Scan(img image.Image) (string, error) {
	modules := rowModules(img)
	for len(modules) > 0 && !modules[0] {
		modules = modules[1:]
	}
	for len(modules) > 0 && !modules[len(modules)-1] {
		modules = modules[:len(modules)-1]
	}
	var symbols []int
	for len(modules) >= 11 {
		n := 11
		if len(modules) == 13 {
			n = 13
		}
		s, ok := symbolOf(widthsOf(modules[:n]))
		if !ok {
			return "", fmt.Errorf("scan: unknown pattern %s", widthsOf(modules[:n]))
		}
		symbols = append(symbols, s)
		modules = modules[n:]
	}
	return decodeSymbols(symbols)
}

// rowModules samples the middle row and measures the narrowest run as one
// module.
func rowModules(img image.Image) []bool {
	y := img.Bounds().Dy() / 2
	var dark []bool
	for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
		r, _, _, _ := img.At(x, y).RGBA()
		dark = append(dark, r < 0x8000)
	}
	unit := len(dark)
	for i := 0; i < len(dark); {
		j := i
		for j < len(dark) && dark[j] == dark[i] {
			j++
		}
		if dark[i] && j-i < unit {
			unit = j - i
		}
		i = j
	}
	var out []bool
	for i := 0; i < len(dark); i += unit {
		out = append(out, dark[i])
	}
	return out
}

func widthsOf(ms []bool) string {
	var sb strings.Builder
	for i := 0; i < len(ms); {
		j := i
		for j < len(ms) && ms[j] == ms[i] {
			j++
		}
		sb.WriteByte(byte('0' + j - i))
		i = j
	}
	return sb.String()
}

func symbolOf(w string) (int, bool) {
	for i, p := range code128Widths {
		if p == w {
			return i, true
		}
	}
	return 0, false
}

func decodeSymbols(symbols []int) (string, error) {
	if len(symbols) < 3 || symbols[len(symbols)-1] != code128Stop {
		return "", fmt.Errorf("scan: no stop pattern in %v", symbols)
	}
	body, check := symbols[:len(symbols)-2], symbols[len(symbols)-2]
	sum := body[0]
	for i, s := range body[1:] {
		sum += (i + 1) * s
	}
	if sum%103 != check {
		return "", fmt.Errorf("scan: checksum %d, want %d", check, sum%103)
	}
	set := body[0]
	var sb strings.Builder
	for _, s := range body[1:] {
		switch {
		case s == code128CodeB:
			set = code128StartB
		case set == code128StartC:
			fmt.Fprintf(&sb, "%02d", s)
		default:
			sb.WriteByte(byte(s + 32))
		}
	}
	return sb.String(), nil
}
