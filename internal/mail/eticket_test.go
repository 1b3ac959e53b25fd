package mail_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/usher-hub/usher/internal/mail"
	"github.com/usher-hub/usher/internal/mail/mailtest"
	"github.com/usher-hub/usher/internal/mail/smtptest"
)

var sample = mail.ETicket{
	To: "ann@example.org", Name: "Ann Nguyen", Venue: "The Museum", Event: "Dinosaurs: the exhibition",
	Date: "2026-05-01", Start: "10:00", End: "11:00", BookingID: "1005", ReceiptNo: "R0001005", Total: "$85.12",
	Tickets: []mail.Ticket{{Barcode: "27000010050001", Description: "Adult"}, {Barcode: "27000010050002", Description: "Adult <VIP>"}},
}

func TestComposedMessageCarriesAScannableBarcodePerTicket(t *testing.T) {
	raw, err := mail.Compose("Museum <tickets@museum.example>", sample, time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	e, err := mailtest.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if e.To != sample.To || !strings.Contains(e.Subject, "Dinosaurs") {
		t.Fatalf("to %q subject %q", e.To, e.Subject)
	}
	if strings.Join(e.Barcodes, ",") != "27000010050001,27000010050002" {
		t.Fatalf("scanned barcodes %v, want one per ticket in order", e.Barcodes)
	}
	for _, id := range e.ContentIDs {
		if !strings.Contains(e.HTML, "cid:"+id) {
			t.Fatalf("html does not show image %s", id)
		}
	}
	if !strings.Contains(e.HTML, "Adult &lt;VIP&gt;") || strings.Contains(e.HTML, "<VIP>") {
		t.Fatal("ticket description is not HTML-escaped")
	}
	if !strings.Contains(e.Text, "27000010050002") {
		t.Fatalf("text part lacks the barcodes: %q", e.Text)
	}
	for _, line := range strings.Split(string(raw), "\r\n") {
		if len(line) > 998 {
			t.Fatalf("line of %d bytes breaks SMTP's limit", len(line))
		}
	}
}

func TestComposeRefusesABadRecipient(t *testing.T) {
	bad := sample
	bad.To = "not an address"
	if _, err := mail.Compose("tickets@museum.example", bad, time.Now()); err == nil {
		t.Fatal("composed a message to a bad address")
	}
}

func TestSendOverSMTPWithAuthAndRetry(t *testing.T) {
	srv, err := smtptest.Start(smtptest.Options{Username: "usher", Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	sender := mail.NewSender(mail.Config{Addr: srv.Addr(), From: "Museum <tickets@museum.example>", Username: "usher", Password: "pw"}, time.Now)
	srv.FailNext(1)
	if err := sender.SendTickets(context.Background(), sample); err == nil || !strings.Contains(err.Error(), "451") {
		t.Fatalf("send into a failing relay: %v, want the 451", err)
	}
	if err := sender.SendTickets(context.Background(), sample); err != nil {
		t.Fatal(err)
	}
	msg, err := srv.Only()
	if err != nil {
		t.Fatal(err)
	}
	if msg.From != "tickets@museum.example" || len(msg.To) != 1 || msg.To[0] != "ann@example.org" {
		t.Fatalf("envelope %s -> %v", msg.From, msg.To)
	}
	if e, err := mailtest.Parse(msg.Data); err != nil || len(e.Barcodes) != 2 {
		t.Fatalf("delivered message: %+v, %v", e, err)
	}
	wrong := mail.NewSender(mail.Config{Addr: srv.Addr(), From: "tickets@museum.example", Username: "usher", Password: "nope"}, time.Now)
	if err := wrong.SendTickets(context.Background(), sample); err == nil {
		t.Fatal("sent with a wrong password")
	}
}
