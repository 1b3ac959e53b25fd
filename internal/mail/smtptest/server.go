// Package smtptest is a small real SMTP server for tests: it listens on a
// loopback TCP port, speaks the SMTP dialogue (EHLO/HELO, AUTH PLAIN,
// MAIL, RCPT, DATA, RSET, NOOP, QUIT) and keeps every message it accepts.
package smtptest

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"strings"
	"sync"
)

// maxMessage bounds one message, as a real relay does.
const maxMessage = 10 << 20

// Message is one accepted message.
type Message struct {
	From string
	To   []string
	Data []byte
}

// Server is a running test SMTP server.
type Server struct {
	ln       net.Listener
	username string
	password string

	mu       sync.Mutex
	messages []Message
	failNext int
	arrived  chan struct{}
	wg       sync.WaitGroup
}

// Options configures a server.
type Options struct {
	// Username and Password, when set, are required through AUTH PLAIN.
	Username string
	Password string
}

// Start listens on 127.0.0.1 on a free port and serves until Close.
func Start(opts Options) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Server{ln: ln, username: opts.Username, password: opts.Password, arrived: make(chan struct{}, 1024)}
	s.wg.Add(1)
	go s.serve()
	return s, nil
}

// Addr is the host:port to send to.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close stops listening and waits for the connections to end.
func (s *Server) Close() error {
	err := s.ln.Close()
	s.wg.Wait()
	return err
}

// Messages returns the accepted messages, oldest first.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// Arrived signals once per accepted message, so a test can wait for one
// without polling.
func (s *Server) Arrived() <-chan struct{} { return s.arrived }

// FailNext makes the next n messages be refused at DATA with a 451
// (temporary failure), as a relay under trouble does.
func (s *Server) FailNext(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext = n
}

func (s *Server) serve() {
	defer s.wg.Done()
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer conn.Close()
			_ = s.session(textproto.NewConn(conn))
		}()
	}
}

// session runs one SMTP dialogue.
func (s *Server) session(c *textproto.Conn) error {
	if err := c.PrintfLine("220 smtptest ESMTP ready"); err != nil {
		return err
	}
	var msg Message
	authed := s.username == ""
	for {
		line, err := c.ReadLine()
		if err != nil {
			return err
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO":
			err = c.PrintfLine("250-smtptest greets %s\r\n250-AUTH PLAIN\r\n250-8BITMIME\r\n250 SIZE %d", arg, maxMessage)
		case "HELO":
			err = c.PrintfLine("250 smtptest")
		case "AUTH":
			authed = s.checkAuth(arg)
			err = reply(c, authed, "235 2.7.0 authenticated", "535 5.7.8 authentication failed")
		case "MAIL":
			if !authed {
				err = c.PrintfLine("530 5.7.0 authentication required")
				break
			}
			msg = Message{From: address(arg)}
			err = c.PrintfLine("250 2.1.0 ok")
		case "RCPT":
			msg.To = append(msg.To, address(arg))
			err = c.PrintfLine("250 2.1.5 ok")
		case "DATA":
			err = s.data(c, msg)
			msg = Message{}
		case "RSET":
			msg = Message{}
			err = c.PrintfLine("250 2.0.0 ok")
		case "NOOP":
			err = c.PrintfLine("250 2.0.0 ok")
		case "QUIT":
			_ = c.PrintfLine("221 2.0.0 bye")
			return nil
		default:
			err = c.PrintfLine("502 5.5.2 command not recognised")
		}
		if err != nil {
			return err
		}
	}
}

func reply(c *textproto.Conn, ok bool, yes, no string) error {
	if ok {
		return c.PrintfLine("%s", yes)
	}
	return c.PrintfLine("%s", no)
}

func (s *Server) checkAuth(arg string) bool {
	mech, payload, _ := strings.Cut(arg, " ")
	if !strings.EqualFold(mech, "PLAIN") {
		return false
	}
	raw, err := base64.StdEncoding.DecodeString(payload)
	if err != nil {
		return false
	}
	parts := strings.Split(string(raw), "\x00")
	return len(parts) == 3 && parts[1] == s.username && parts[2] == s.password
}

func (s *Server) data(c *textproto.Conn, msg Message) error {
	if msg.From == "" || len(msg.To) == 0 {
		return c.PrintfLine("503 5.5.1 MAIL and RCPT first")
	}
	if err := c.PrintfLine("354 end data with <CR><LF>.<CR><LF>"); err != nil {
		return err
	}
	data, err := io.ReadAll(io.LimitReader(c.DotReader(), maxMessage+1))
	if err != nil {
		return err
	}
	if len(data) > maxMessage {
		return c.PrintfLine("552 5.3.4 message too big")
	}
	s.mu.Lock()
	fail := s.failNext > 0
	if fail {
		s.failNext--
	} else {
		msg.Data = data
		s.messages = append(s.messages, msg)
	}
	s.mu.Unlock()
	if fail {
		return c.PrintfLine("451 4.3.0 temporary failure, try again later")
	}
	select {
	case s.arrived <- struct{}{}:
	default:
	}
	return c.PrintfLine("250 2.0.0 queued")
}

// address returns the address of "FROM:<a@b>" or "TO:<a@b>".
func address(arg string) string {
	_, rest, ok := strings.Cut(arg, ":")
	if !ok {
		return ""
	}
	rest = strings.TrimSpace(rest)
	if i := strings.IndexByte(rest, ' '); i >= 0 {
		rest = rest[:i]
	}
	return strings.Trim(rest, "<>")
}

// ErrNoMessage is returned by Only when the count is wrong.
var ErrNoMessage = errors.New("smtptest: unexpected number of messages")

// Only returns the single accepted message, or an error saying how many
// there were.
func (s *Server) Only() (Message, error) {
	msgs := s.Messages()
	if len(msgs) != 1 {
		return Message{}, fmt.Errorf("%w: %d", ErrNoMessage, len(msgs))
	}
	return msgs[0], nil
}
