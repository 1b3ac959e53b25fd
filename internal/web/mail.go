package web

import (
	"net/http"
	"strconv"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/mail"
)

// Mailbox is a mail catcher's inbox: the e-mails usher sent, for the
// demo's e-mails page. A real server has none; its mail goes to a relay.
type Mailbox interface {
	// Sent returns the messages caught so far, oldest first.
	Sent() []SentMail
}

// SentMail is one caught e-mail, as a visitor would read it.
type SentMail struct {
	To, Subject string
	// Text is the plain-text part.
	Text string
	// Barcodes are the tickets' barcodes, read back from the images.
	Barcodes []string
}

type mailData struct {
	pageData
	Messages []SentMail
}

// mail lists the caught e-mails, newest first. It needs a key for every
// institution: e-mails carry visitors' names and addresses.
func (h *Handler) mail(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	pd := pageData{Title: "E-mails sent", Nav: "mail", User: p.Name, Institutions: h.visible(p), Mail: h.showsMail(p), Load: h.loadSource != nil}
	if !p.AllowsAll() {
		h.renderError(w, r, pd, usher.Errorf(usher.ENOTFOUND, "the e-mails page needs a key for every institution"))
		return
	}
	sent := h.mailbox.Sent()
	data := mailData{pageData: pd, Messages: make([]SentMail, len(sent))}
	for i, m := range sent {
		data.Messages[len(sent)-1-i] = m
	}
	h.render(w, r, http.StatusOK, "mail", data)
}

// barcode draws one ticket's barcode of a caught e-mail as a PNG, as the
// e-mail itself carries it. Messages are numbered oldest first from 1.
func (h *Handler) barcode(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	sent := h.mailbox.Sent()
	msg, err1 := strconv.Atoi(r.PathValue("message"))
	ticket, err2 := strconv.Atoi(r.PathValue("ticket"))
	if !p.AllowsAll() || err1 != nil || err2 != nil || msg < 1 || msg > len(sent) || ticket < 1 || ticket > len(sent[msg-1].Barcodes) {
		http.NotFound(w, r)
		return
	}
	b, err := mail.Code128(sent[msg-1].Barcodes[ticket-1])
	if err != nil {
		http.NotFound(w, r)
		return
	}
	img, err := b.PNG(2, 60)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "private, no-store")
	_, _ = w.Write(img)
}

// showsMail reports whether p's menu links to the e-mails page.
func (h *Handler) showsMail(p usher.Principal) bool { return h.mailbox != nil && p.AllowsAll() }
