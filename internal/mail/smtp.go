package mail

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/smtp"
	"time"
)

// Config configures the SMTP relay e-tickets go through.
type Config struct {
	// Addr is host:port of the relay.
	Addr string
	// From is the sender address, such as "Museum <tickets@museum.example>".
	From string
	// Username and Password, when set, authenticate with AUTH PLAIN,
	// which net/smtp allows only over TLS or to a loopback relay.
	Username string
	Password string
	// Timeout bounds one delivery; 30 seconds when zero.
	Timeout time.Duration
}

// Sender delivers e-tickets over SMTP.
type Sender struct {
	cfg Config
	now func() time.Time
}

// NewSender returns a sender for cfg; now dates the messages.
func NewSender(cfg Config, now func() time.Time) *Sender {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	return &Sender{cfg: cfg, now: now}
}

// SendTickets composes and delivers one e-ticket message.
func (s *Sender) SendTickets(ctx context.Context, e ETicket) error {
	msg, err := Compose(s.cfg.From, e, s.now())
	if err != nil {
		return err
	}
	return s.send(ctx, e.To, msg)
}

func (s *Sender) send(ctx context.Context, to string, msg []byte) error {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("smtp: dial %s: %w", s.cfg.Addr, err)
	}
	defer conn.Close()
	if deadline, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(deadline)
	}
	host, _, _ := net.SplitHostPort(s.cfg.Addr)
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		return fmt.Errorf("smtp: greeting: %w", err)
	}
	defer c.Close()
	if err := s.deliver(c, host, to, msg); err != nil {
		return fmt.Errorf("smtp: %w", err)
	}
	return c.Quit()
}

func (s *Sender) deliver(c *smtp.Client, host, to string, msg []byte) error {
	if err := c.Hello("usher"); err != nil {
		return err
	}
	if ok, _ := c.Extension("STARTTLS"); ok {
		if err := c.StartTLS(&tls.Config{ServerName: host}); err != nil {
			return err
		}
	}
	if s.cfg.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", s.cfg.Username, s.cfg.Password, host)); err != nil {
			return err
		}
	}
	if err := c.Mail(envelopeAddress(s.cfg.From)); err != nil {
		return err
	}
	if err := c.Rcpt(envelopeAddress(to)); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(msg); err != nil {
		return err
	}
	return w.Close()
}
