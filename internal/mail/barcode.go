// Package mail sends e-tickets: an e-mail per checkout with a scannable
// Code 128 barcode for each ticket, rendered here as PNG (for the e-mail,
// inline) and SVG (for web pages), over SMTP.
package mail

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"strings"
)

// code128Widths are the bar and space widths (in modules, bar first) of
// the 107 Code 128 symbols; symbol 106 is the stop pattern with its final
// bar. Each symbol is 11 modules wide, and its bars add up to an even
// number, which the tests check.
var code128Widths = strings.Fields(`
212222 222122 222221 121223 121322 131222 122213 122312 132212 221213
221312 231212 112232 122132 122231 113222 123122 123221 223211 221132
221231 213212 223112 312131 311222 321122 321221 312212 322112 322211
212123 212321 232121 111323 131123 131321 112313 132113 132311 211313
231113 231311 112133 112331 132131 113123 113321 133121 313121 211331
231131 213113 213311 213131 311123 311321 331121 312113 312311 332111
314111 221411 431111 111224 111422 121124 121421 141122 141221 112214
112412 122114 122411 142112 142211 241211 221114 413111 241112 134111
111242 121142 121241 114212 124112 124211 411212 421112 421211 212141
214121 412121 111143 111341 131141 114113 114311 411113 411311 113141
114131 311141 411131 211412 211214 211232 2331112`)

// Code 128 control symbols.
const (
	code128CodeB  = 100
	code128StartB = 104
	code128StartC = 105
	code128Stop   = 106
)

// quietModules is the blank margin each side; scanners need ten modules.
const quietModules = 10

// Barcode is a Code 128 symbol as a row of modules (true = bar),
// quiet zones included.
type Barcode struct {
	Text    string
	Modules []bool
}

// Code128 encodes text: all digits use code set C (two digits a symbol,
// the compact form ticket numbers get), anything else printable ASCII
// uses code set B.
func Code128(text string) (Barcode, error) {
	symbols, err := code128Symbols(text)
	if err != nil {
		return Barcode{}, err
	}
	sum := symbols[0]
	for i, s := range symbols[1:] {
		sum += (i + 1) * s
	}
	symbols = append(symbols, sum%103, code128Stop)
	b := Barcode{Text: text, Modules: make([]bool, quietModules)}
	for _, s := range symbols {
		for i, w := range code128Widths[s] {
			for range int(w - '0') {
				b.Modules = append(b.Modules, i%2 == 0)
			}
		}
	}
	b.Modules = append(b.Modules, make([]bool, quietModules)...)
	return b, nil
}

func code128Symbols(text string) ([]int, error) {
	if text == "" {
		return nil, fmt.Errorf("code 128: nothing to encode")
	}
	if allDigits(text) && len(text) >= 2 {
		symbols := []int{code128StartC}
		for i := 0; i+1 < len(text); i += 2 {
			symbols = append(symbols, int(text[i]-'0')*10+int(text[i+1]-'0'))
		}
		if len(text)%2 == 1 {
			symbols = append(symbols, code128CodeB, int(text[len(text)-1])-32)
		}
		return symbols, nil
	}
	symbols := []int{code128StartB}
	for _, r := range text {
		if r < 32 || r > 126 {
			return nil, fmt.Errorf("code 128: %q is not printable ASCII", r)
		}
		symbols = append(symbols, int(r)-32)
	}
	return symbols, nil
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// PNG renders the barcode moduleWidth pixels per module and height pixels
// high, black on white.
func (b Barcode) PNG(moduleWidth, height int) ([]byte, error) {
	img := image.NewGray(image.Rect(0, 0, len(b.Modules)*moduleWidth, height))
	for x := range img.Rect.Dx() {
		c := color.Gray{Y: 255}
		if b.Modules[x/moduleWidth] {
			c = color.Gray{Y: 0}
		}
		for y := range height {
			img.SetGray(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("code 128 png: %w", err)
	}
	return buf.Bytes(), nil
}

// SVG renders the barcode as a scalable image, one rect per bar.
func (b Barcode) SVG(height int) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" shape-rendering="crispEdges">`, len(b.Modules), height)
	fmt.Fprintf(&sb, `<rect width="%d" height="%d" fill="#fff"/>`, len(b.Modules), height)
	for x := 0; x < len(b.Modules); {
		if !b.Modules[x] {
			x++
			continue
		}
		start := x
		for x < len(b.Modules) && b.Modules[x] {
			x++
		}
		fmt.Fprintf(&sb, `<rect x="%d" width="%d" height="%d"/>`, start, x-start, height)
	}
	sb.WriteString(`</svg>`)
	return sb.String()
}
