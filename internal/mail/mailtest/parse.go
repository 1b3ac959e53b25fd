// Package mailtest reads e-ticket messages back for tests: headers, text,
// HTML, and the barcodes scanned from the inline images, so a test checks
// what a visitor (and the gate) would see.
package mailtest

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"

	ushermail "github.com/usher-hub/usher/internal/mail"
)

// ETicket is a parsed e-ticket message.
type ETicket struct {
	To      string
	Subject string
	Text    string
	HTML    string
	// Barcodes are read from the inline PNG images, in order.
	Barcodes []string
	// ContentIDs are the images' Content-IDs, in order.
	ContentIDs []string
}

// Parse reads an e-ticket message.
func Parse(raw []byte) (ETicket, error) {
	var e ETicket
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return e, err
	}
	e.To = msg.Header.Get("To")
	e.Subject, _ = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	return e, walk(&e, msg.Header.Get("Content-Type"), msg.Body)
}

func walk(e *ETicket, contentType string, body io.Reader) error {
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return fmt.Errorf("content type %q: %w", contentType, err)
	}
	if !strings.HasPrefix(mediaType, "multipart/") {
		return fmt.Errorf("unexpected top-level %s", mediaType)
	}
	r := multipart.NewReader(body, params["boundary"])
	for {
		p, err := r.NextRawPart()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := part(e, p); err != nil {
			return err
		}
	}
}

func part(e *ETicket, p *multipart.Part) error {
	ct := p.Header.Get("Content-Type")
	if strings.HasPrefix(ct, "multipart/") {
		return walk(e, ct, p)
	}
	data, err := decode(p)
	if err != nil {
		return err
	}
	switch {
	case strings.HasPrefix(ct, "text/plain"):
		e.Text = string(data)
	case strings.HasPrefix(ct, "text/html"):
		e.HTML = string(data)
	case strings.HasPrefix(ct, "image/png"):
		code, err := ushermail.ScanPNG(data)
		if err != nil {
			return err
		}
		e.Barcodes = append(e.Barcodes, code)
		e.ContentIDs = append(e.ContentIDs, strings.Trim(p.Header.Get("Content-ID"), "<>"))
	}
	return nil
}

func decode(p *multipart.Part) ([]byte, error) {
	switch strings.ToLower(p.Header.Get("Content-Transfer-Encoding")) {
	case "base64":
		return io.ReadAll(base64.NewDecoder(base64.StdEncoding, p))
	case "quoted-printable":
		return io.ReadAll(quotedprintable.NewReader(p))
	default:
		return io.ReadAll(p)
	}
}
