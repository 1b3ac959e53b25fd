package mail

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"html/template"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strings"
	"time"
)

// Ticket is one admission: its barcode and what it admits.
type Ticket struct {
	Barcode     string
	Description string
}

// ETicket is the e-mail a visitor receives after a checkout.
type ETicket struct {
	To        string
	Name      string
	Venue     string
	Event     string
	Date      string // YYYY-MM-DD
	Start     string // HH:MM
	End       string
	BookingID string
	ReceiptNo string
	Total     string // formatted amount paid
	Tickets   []Ticket
}

var htmlBody = template.Must(template.New("eticket").Funcs(template.FuncMap{
	"inc":   func(i int) int { return i + 1 },
	"width": func(code string) int { b, _ := Code128(code); return 2 * len(b.Modules) },
}).Parse(`<!doctype html>
<html><body style="font-family:sans-serif">
<h1>{{.Venue}}: your tickets</h1>
<p>Dear {{.Name}}, thank you for booking <strong>{{.Event}}</strong> on {{.Date}} from {{.Start}} to {{.End}}.</p>
<p>Booking {{.BookingID}}, receipt {{.ReceiptNo}}, paid {{.Total}}. Show one barcode per person at the entrance, printed or on screen.</p>
{{range $i, $t := .Tickets}}<div style="margin:1em 0;padding:1em;border:1px solid #ccc">
<p>Ticket {{inc $i}}: {{$t.Description}}</p>
<img src="cid:ticket-{{inc $i}}@usher" alt="barcode {{$t.Barcode}}" width="{{width $t.Barcode}}" height="80">
<p style="font-family:monospace">{{$t.Barcode}}</p></div>
{{end}}</body></html>`))

// Compose builds the e-mail as RFC 5322 bytes: a plain-text part and an
// HTML part whose barcodes are PNG images carried inline (cid:), since
// e-mail clients block remote images and many do not show SVG.
func Compose(from string, e ETicket, now time.Time) ([]byte, error) {
	if _, err := mail.ParseAddress(e.To); err != nil {
		return nil, fmt.Errorf("e-ticket: recipient %q: %w", e.To, err)
	}
	images := make([][]byte, len(e.Tickets))
	for i, t := range e.Tickets {
		b, err := Code128(t.Barcode)
		if err != nil {
			return nil, fmt.Errorf("e-ticket: ticket %d: %w", i+1, err)
		}
		if images[i], err = b.PNG(2, 80); err != nil {
			return nil, err
		}
		if read, err := ScanPNG(images[i]); err != nil || read != t.Barcode {
			return nil, fmt.Errorf("e-ticket: ticket %d: barcode %q scans as %q (%v)", i+1, t.Barcode, read, err)
		}
	}
	var msg bytes.Buffer
	outer := multipart.NewWriter(&msg)
	writeHeaders(&msg, from, e, now, outer.Boundary())
	if err := writePlain(outer, e); err != nil {
		return nil, err
	}
	if err := writeRelated(outer, e, images); err != nil {
		return nil, err
	}
	if err := outer.Close(); err != nil {
		return nil, err
	}
	return msg.Bytes(), nil
}

func writeHeaders(buf *bytes.Buffer, from string, e ETicket, now time.Time, boundary string) {
	id := make([]byte, 12)
	_, _ = rand.Read(id)
	domain := "usher.invalid"
	if at := strings.LastIndex(from, "@"); at >= 0 {
		domain = strings.Trim(from[at+1:], "> ")
	}
	h := []string{
		"From: " + from,
		"To: " + e.To,
		"Subject: " + mime.QEncoding.Encode("utf-8", fmt.Sprintf("Your tickets: %s, %s %s", e.Event, e.Date, e.Start)),
		"Date: " + now.Format(time.RFC1123Z),
		"Message-ID: <" + hex.EncodeToString(id) + "@" + domain + ">",
		"MIME-Version: 1.0",
		`Content-Type: multipart/alternative; boundary="` + boundary + `"`,
	}
	buf.WriteString(strings.Join(h, "\r\n") + "\r\n\r\n")
}

func writePlain(w *multipart.Writer, e ETicket) error {
	part, err := w.CreatePart(textproto.MIMEHeader{
		"Content-Type": {"text/plain; charset=utf-8"}, "Content-Transfer-Encoding": {"quoted-printable"}})
	if err != nil {
		return err
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s: your tickets\r\n\r\n%s on %s from %s to %s.\r\nBooking %s, receipt %s, paid %s.\r\n\r\n",
		e.Venue, e.Event, e.Date, e.Start, e.End, e.BookingID, e.ReceiptNo, e.Total)
	for i, t := range e.Tickets {
		fmt.Fprintf(&sb, "Ticket %d (%s): %s\r\n", i+1, t.Description, t.Barcode)
	}
	return writeQuotedPrintable(part, sb.String())
}

func writeRelated(w *multipart.Writer, e ETicket, images [][]byte) error {
	var inner bytes.Buffer
	related := multipart.NewWriter(&inner)
	html, err := related.CreatePart(textproto.MIMEHeader{
		"Content-Type": {"text/html; charset=utf-8"}, "Content-Transfer-Encoding": {"quoted-printable"}})
	if err != nil {
		return err
	}
	var body strings.Builder
	if err := htmlBody.Execute(&body, e); err != nil {
		return fmt.Errorf("e-ticket: render: %w", err)
	}
	if err := writeQuotedPrintable(html, body.String()); err != nil {
		return err
	}
	for i, img := range images {
		part, err := related.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {"image/png"},
			"Content-Transfer-Encoding": {"base64"},
			"Content-ID":                {fmt.Sprintf("<ticket-%d@usher>", i+1)},
			"Content-Disposition":       {fmt.Sprintf(`inline; filename="ticket-%d.png"`, i+1)},
		})
		if err != nil {
			return err
		}
		if err := writeBase64(part, img); err != nil {
			return err
		}
	}
	if err := related.Close(); err != nil {
		return err
	}
	part, err := w.CreatePart(textproto.MIMEHeader{"Content-Type": {`multipart/related; boundary="` + related.Boundary() + `"`}})
	if err != nil {
		return err
	}
	_, err = part.Write(inner.Bytes())
	return err
}

// writeQuotedPrintable writes text so that no line is over 76 characters
// and 8-bit characters survive any relay.
func writeQuotedPrintable(w io.Writer, text string) error {
	qp := quotedprintable.NewWriter(w)
	if _, err := io.WriteString(qp, text); err != nil {
		return err
	}
	return qp.Close()
}

// writeBase64 writes data in 76-character lines, as MIME requires.
func writeBase64(w io.Writer, data []byte) error {
	enc := base64.StdEncoding.EncodeToString(data)
	for len(enc) > 0 {
		n := min(76, len(enc))
		if _, err := w.Write([]byte(enc[:n] + "\r\n")); err != nil {
			return err
		}
		enc = enc[n:]
	}
	return nil
}

// envelopeAddress returns the bare address of "Name <addr>".
func envelopeAddress(s string) string {
	if a, err := mail.ParseAddress(s); err == nil {
		return a.Address
	}
	return s
}
