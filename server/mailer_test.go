package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/jmoiron/sqlx"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
)

// smtpSink is a real SMTP server (go-smtp) on a loopback port that keeps
// what it receives; while failing is set it refuses every message.
type smtpSink struct {
	mu          sync.Mutex
	mails       []sunkMail
	failing     bool
	addr        string
	connections int    // connections opened so far
	refuse      string // RCPT of addresses containing it is refused
	hangUpAfter int    // the connection drops after this many messages (0: never)
}

type sunkMail struct {
	From, To, Subject, Body string
	Header                  mail.Header // as received, encoded
}

func startSMTPSink(t *testing.T) *smtpSink {
	t.Helper()
	sink := &smtpSink{}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		sink.mu.Lock()
		sink.connections++
		sink.mu.Unlock()
		return &sinkSession{sink: sink, conn: c}, nil
	}))
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }() // returns when the test closes it
	t.Cleanup(func() { _ = srv.Close() })
	sink.addr = ln.Addr().String()
	return sink
}

// to returns the mails received for an address.
func (s *smtpSink) to(addr string) []sunkMail {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []sunkMail
	for _, m := range s.mails {
		if strings.EqualFold(m.To, addr) {
			out = append(out, m)
		}
	}
	return out
}

type sinkSession struct {
	sink     *smtpSink
	conn     *smtp.Conn
	from, to string
	messages int
}

func (s *sinkSession) Reset()        {}
func (s *sinkSession) Logout() error { return nil }
func (s *sinkSession) Mail(from string, _ *smtp.MailOptions) error {
	s.from = from
	return nil
}
func (s *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.sink.mu.Lock()
	refuse := s.sink.refuse
	s.sink.mu.Unlock()
	if refuse != "" && strings.Contains(to, refuse) {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such mailbox"}
	}
	s.to = to
	return nil
}
func (s *sinkSession) Data(r io.Reader) error {
	s.sink.mu.Lock()
	failing := s.sink.failing
	s.sink.mu.Unlock()
	if failing {
		_, _ = io.Copy(io.Discard, r) // refused anyway
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "mailbox server on fire"}
	}
	msg, err := mail.ReadMessage(r)
	if err != nil {
		return err
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	var body []byte
	if msg.Header.Get("Content-Transfer-Encoding") == "quoted-printable" {
		body, err = io.ReadAll(quotedprintable.NewReader(msg.Body))
	} else {
		body, err = io.ReadAll(msg.Body)
	}
	if err != nil {
		return err
	}
	s.sink.mu.Lock()
	s.sink.mails = append(s.sink.mails, sunkMail{From: s.from, To: s.to, Subject: subject, Body: string(body), Header: msg.Header})
	hangUp := s.sink.hangUpAfter
	s.sink.mu.Unlock()
	if s.messages++; hangUp > 0 && s.messages >= hangUp {
		_ = s.conn.Close()
	}
	return nil
}

// newTestMailer returns a mail worker that sends to the sink.
func newTestMailer(t *testing.T, sink *smtpSink) *Mailer {
	t.Helper()
	cfg, err := LoadConfig(func(k string) string {
		return map[string]string{
			"PALABRE_SMTP_URL": "smtp://" + sink.addr + "?from=forum@example.org",
			"PALABRE_BASE_URL": "https://forum.example.org/community",
		}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	w, err := NewMailer(cfg, forumtest.DB(t), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return w
}

var linkRe = regexp.MustCompile(`https://forum\.example\.org/community/[a-z/-]+\?token=[A-Za-z0-9_-]+`)

// tokenOf returns the token of the only link in a mail.
func tokenOf(t *testing.T, m sunkMail, path string) string {
	t.Helper()
	link := linkRe.FindString(m.Body)
	u, err := url.Parse(link)
	if link == "" || err != nil || u.Path != "/community"+path {
		t.Fatalf("no %s link in the mail:\n%s", path, m.Body)
	}
	return u.Query().Get("token")
}

func TestVerificationMailArrivesAndConfirmsTheAddress(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	sink := startSMTPSink(t)
	mailer := newTestMailer(t, sink)
	version := currentGuidelines(t, db)
	b := newBrowser(s)
	name := forumtest.Unique("Verified_")
	if w := b.do(t, "POST", "/signup", signUpForm(name, name+"@example.org", "a quiet river bank", version), nil); w.Code != 200 {
		t.Fatalf("sign-up: %d %s", w.Code, w.Body)
	}
	if _, err := mailer.SendDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := sink.to(name + "@example.org")
	if len(got) != 1 || got[0].From != "forum@example.org" || got[0].Subject != "Confirm your email address on Palabre" ||
		!strings.Contains(got[0].Body, "Hello "+name) {
		t.Fatalf("verification mail: %+v", got)
	}
	token := tokenOf(t, got[0], "/verify-email")
	var data string
	if err := db.GetContext(context.Background(), &data, `SELECT data::text FROM outbox WHERE recipient = $1`, name+"@example.org"); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(data, token) {
		t.Error("the token stays in the outbox after sending")
	}

	// Opening the link changes nothing (mail scanners open links); the
	// button confirms.
	w := b.do(t, "GET", "/verify-email?token="+token, nil, nil)
	if w.Code != 200 || !strings.Contains(w.Body.String(), `action="/verify-email"`) {
		t.Fatalf("verification page: %d %s", w.Code, w.Body)
	}
	w = b.do(t, "POST", "/verify-email", url.Values{"token": {token}}, nil)
	if w.Code != 200 || !strings.Contains(w.Body.String(), "your email address is confirmed") {
		t.Fatalf("verification: %d %s", w.Code, w.Body)
	}
	var verified bool
	if err := db.GetContext(context.Background(), &verified, `SELECT email_verified_at IS NOT NULL FROM members WHERE username = $1`, name); err != nil {
		t.Fatal(err)
	}
	if !verified {
		t.Error("the address is not marked verified")
	}
	if w := b.do(t, "POST", "/verify-email", url.Values{"token": {token}}, nil); w.Code != 400 || !strings.Contains(w.Body.String(), "This link is not valid") {
		t.Errorf("a link used twice: %d %s", w.Code, w.Body)
	}
}

func TestPasswordResetThroughTheMail(t *testing.T) {
	s := newTestServer(t)
	db := forumtest.DB(t)
	sink := startSMTPSink(t)
	mailer := newTestMailer(t, sink)
	m := forumtest.MustMember(t, db, forum.RoleMember, 1)
	logged := newBrowser(s)
	logged.logIn(t, m.Username, forumtest.Password, true)

	b := newBrowser(s)
	known := b.do(t, "POST", "/password/forgot", url.Values{"email": {strings.ToUpper(m.Email)}}, nil)
	unknown := b.do(t, "POST", "/password/forgot", url.Values{"email": {"nobody-" + m.Email}}, nil)
	strip := func(body, email string) string { return strings.ReplaceAll(body, email, "EMAIL") }
	if known.Code != 200 || unknown.Code != 200 || !strings.Contains(known.Body.String(), "If an account uses") ||
		strip(known.Body.String(), strings.ToUpper(m.Email)) != strip(unknown.Body.String(), "nobody-"+m.Email) {
		t.Fatalf("the answers differ between a known and an unknown address:\n%s\n%s", known.Body, unknown.Body)
	}
	if w := b.do(t, "POST", "/password/forgot", url.Values{"email": {"' OR 1=1 --"}}, nil); w.Code != 400 || !strings.Contains(w.Body.String(), "valid email address") {
		t.Errorf("invalid address: %d", w.Code)
	}
	if _, err := mailer.SendDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := sink.to("nobody-" + m.Email); len(got) != 0 {
		t.Errorf("mail sent to an address without an account: %+v", got)
	}
	got := sink.to(m.Email)
	if len(got) != 1 {
		t.Fatalf("%d reset mails", len(got))
	}
	token := tokenOf(t, got[0], "/password/reset")

	if w := b.do(t, "GET", "/password/reset?token=nonsense", nil, nil); w.Code != 400 || !strings.Contains(w.Body.String(), "This link is not valid") {
		t.Errorf("bad link: %d", w.Code)
	}
	if w := b.do(t, "GET", "/password/reset?token="+token, nil, nil); w.Code != 200 || !strings.Contains(w.Body.String(), `name="token" value="`+token+`"`) {
		t.Fatalf("reset form: %d %s", w.Code, w.Body)
	}
	form := func(pw, confirm string) url.Values {
		return url.Values{"token": {token}, "password": {pw}, "password_confirm": {confirm}}
	}
	if w := b.do(t, "POST", "/password/reset", form("a brand new secret", "a brand new secreT"), nil); w.Code != 400 || !strings.Contains(w.Body.String(), "The two passwords are different") {
		t.Errorf("mismatch: %d", w.Code)
	}
	if w := b.do(t, "POST", "/password/reset", form("sunshine2024", "sunshine2024"), nil); w.Code != 400 || !strings.Contains(w.Body.String(), "most common") {
		t.Errorf("common password: %d", w.Code)
	}
	if w := b.do(t, "POST", "/password/reset", form("a brand new secret", "a brand new secret"), nil); w.Code != 200 || !strings.Contains(w.Body.String(), "Your password has been changed") {
		t.Fatalf("reset: %d %s", w.Code, w.Body)
	}
	if logged.me(t) != "" {
		t.Error("a session opened before the reset survives it")
	}
	if w := b.do(t, "POST", "/password/reset", form("another new secret", "another new secret"), nil); w.Code != 400 || !strings.Contains(w.Body.String(), "This link is not valid") {
		t.Errorf("a reset link used twice: %d", w.Code)
	}
	if w := b.logIn(t, m.Username, forumtest.Password, false); w.Code != 401 {
		t.Errorf("the old password still works: %d", w.Code)
	}
	if w := b.logIn(t, m.Username, "a brand new secret", false); w.Code != 303 {
		t.Errorf("the new password does not work: %d", w.Code)
	}
}

func TestFailedDeliveriesStayInTheOutbox(t *testing.T) {
	db := forumtest.DB(t)
	sink := startSMTPSink(t)
	mailer := newTestMailer(t, sink)
	m := forumtest.MustMember(t, db, forum.RoleMember, 1)
	ctx := context.Background()
	// Other tests' mail may be due too: count only this member's.
	mine := func() (status string, attempts int, lastError string, due bool) {
		var row struct {
			Status    string `db:"status"`
			Attempts  int    `db:"attempts"`
			LastError string `db:"last_error"`
			Due       bool   `db:"due"`
		}
		if err := db.GetContext(ctx, &row, `SELECT status, attempts, last_error, next_attempt_at <= now() AS due FROM outbox WHERE recipient = $1`, m.Email); err != nil {
			t.Fatal(err)
		}
		return row.Status, row.Attempts, row.LastError, row.Due
	}
	sink.mu.Lock()
	sink.failing = true
	sink.mu.Unlock()
	if err := db.RequestPasswordReset(ctx, m.Email, "fr", "10.99.0.1"); err != nil {
		t.Fatal(err)
	}
	if _, err := mailer.SendDue(ctx); err != nil {
		t.Fatal(err)
	}
	status, attempts, lastError, due := mine()
	if status != "pending" || attempts != 1 || !strings.Contains(lastError, "on fire") || due {
		t.Fatalf("after a refused delivery: %s, %d attempts, %q, due %v", status, attempts, lastError, due)
	}
	if len(sink.to(m.Email)) != 0 {
		t.Fatal("the sink kept a refused mail")
	}
	// Later, the server is back: the mail goes out.
	sink.mu.Lock()
	sink.failing = false
	sink.mu.Unlock()
	if _, err := db.ExecContext(ctx, `UPDATE outbox SET next_attempt_at = now() WHERE recipient = $1`, m.Email); err != nil {
		t.Fatal(err)
	}
	if _, err := mailer.SendDue(ctx); err != nil {
		t.Fatal(err)
	}
	if status, attempts, _, _ := mine(); status != "sent" || attempts != 2 {
		t.Errorf("after the retry: %s, %d attempts", status, attempts)
	}
	got := sink.to(m.Email)
	if len(got) != 1 || got[0].Subject != "Choisissez un nouveau mot de passe sur Palabre" {
		t.Errorf("retried mail: %+v", got)
	}
	if d := forum.MailBackoff(1); d != time.Minute {
		t.Errorf("first backoff %s", d)
	}
	if d := forum.MailBackoff(20); d != time.Hour {
		t.Errorf("backoff is not capped: %s", d)
	}
}

func TestMailerWithoutSMTPLogsTheMail(t *testing.T) {
	db := forumtest.DB(t)
	cfg, _ := LoadConfig(func(string) string { return "" })
	var log strings.Builder
	var mu sync.Mutex
	w, err := NewMailer(cfg, db, slog.New(slog.NewTextHandler(lockedWriter{&mu, &log}, nil)))
	if err != nil {
		t.Fatal(err)
	}
	m := forumtest.MustMember(t, db, forum.RoleMember, 1)
	if err := db.RequestPasswordReset(context.Background(), m.Email, "en", "10.99.0.2"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- w.Run(ctx) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		logged := strings.Contains(log.String(), m.Email) && strings.Contains(log.String(), "/password/reset?token=")
		mu.Unlock()
		if logged {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the mail was not logged: %s", log.String())
		}
		w.Kick()
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
		t.Errorf("Run: %v", err)
	}
	// One short line per mail: the recipient, the subject and the links,
	// never the body (make run would flood the terminal).
	mu.Lock()
	var lines []string
	for _, l := range strings.Split(log.String(), "\n") {
		if strings.Contains(l, m.Email) {
			lines = append(lines, l)
		}
	}
	mu.Unlock()
	if len(lines) != 1 || !strings.Contains(lines[0], "/password/reset?token=") || strings.Contains(lines[0], "\\n") {
		t.Errorf("the mail to %s was logged as %q, want one line with its link", m.Email, lines)
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// Notification mails are composed from the notify catalogue, in the
// recipient's language, with a link to the post.
func TestNotificationMailsAreComposed(t *testing.T) {
	db := forumtest.DB(t)
	cfg, _ := LoadConfig(func(k string) string {
		return map[string]string{"PALABRE_BASE_URL": "https://forum.example.org"}[k]
	})
	w, err := NewMailer(cfg, db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{"reply", "mention", "quote", "like", "moderation", "watching", "new_thread"} {
		for _, lang := range []string{"fr", "en"} {
			subject, body, err := w.Compose(forum.Mail{Kind: "notify_" + kind, Locale: lang, Data: map[string]string{
				"Username": "sophie", "Actor": "karim", "Title": "Un sujet", "Path": "/p/42", "Count": "3",
			}}, "Palabre")
			link := "https://forum.example.org/p/42"
			if kind == "moderation" { // a decision may be about no post: the list of notifications
				link = "https://forum.example.org/notifications"
			}
			if err != nil || subject == "" || strings.HasPrefix(subject, "[") || !strings.Contains(body, link) {
				t.Errorf("notify_%s in %s: %q / %q, %v", kind, lang, subject, body, err)
			}
		}
	}
	if _, _, err := w.Compose(forum.Mail{Kind: "notify_nonsense", Locale: "fr"}, "Palabre"); err == nil {
		t.Error("an unknown notification kind was composed")
	}
}

func TestMailOfARoundSharesAConnection(t *testing.T) {
	db := forumtest.DB(t)
	sink := startSMTPSink(t)
	mailer := newTestMailer(t, sink)
	ctx := context.Background()
	// Mail queued by earlier tests goes out in the first round.
	if _, err := mailer.SendDue(ctx); err != nil {
		t.Fatal(err)
	}
	queue := func(n int, prefix string) []string {
		var to []string
		for range n {
			addr := forumtest.Unique(prefix) + "@example.org"
			err := db.InTx(ctx, func(tx *sqlx.Tx) error {
				return forum.EnqueueMailTx(ctx, tx, forum.Mail{Recipient: addr, Kind: forum.MailSignUpExisting, Data: map[string]string{"Username": "x"}})
			})
			if err != nil {
				t.Fatal(err)
			}
			to = append(to, addr)
		}
		return to
	}
	status := func(addr string) string {
		var st string
		if err := db.GetContext(ctx, &st, `SELECT status FROM outbox WHERE recipient = $1`, addr); err != nil {
			t.Fatal(err)
		}
		return st
	}
	sink.mu.Lock()
	sink.connections, sink.refuse = 0, "refused"
	sink.mu.Unlock()
	ok := queue(mailBatch+5, "shared")
	refused := queue(1, "refused")
	ok = append(ok, queue(2, "after")...)
	n, err := mailer.SendDue(ctx)
	if err != nil || n != len(ok) {
		t.Fatalf("sent %d of %d: %v", n, len(ok), err)
	}
	for _, addr := range ok {
		if len(sink.to(addr)) != 1 || status(addr) != "sent" {
			t.Fatalf("%s: %d received, %s", addr, len(sink.to(addr)), status(addr))
		}
	}
	// The recipient refused it for good (550 at RCPT): it is given up at
	// once, not tried again for a day, and the others went out.
	if st := status(refused[0]); st != "failed" {
		t.Errorf("the refused mail is %s, want failed", st)
	}
	sink.mu.Lock()
	conns := sink.connections
	sink.mu.Unlock()
	if conns != 1 {
		t.Errorf("%d connections for one round", conns)
	}

	// A connection the server drops is opened again for the next mail.
	sink.mu.Lock()
	sink.connections, sink.hangUpAfter = 0, 2
	sink.mu.Unlock()
	ok = queue(5, "dropped")
	if _, err := mailer.SendDue(ctx); err != nil {
		t.Fatal(err)
	}
	received := 0
	for _, addr := range ok {
		received += len(sink.to(addr))
	}
	sink.mu.Lock()
	conns = sink.connections
	sink.mu.Unlock()
	if received != len(ok) || conns < 2 {
		t.Errorf("after hang-ups: %d of %d received over %d connections", received, len(ok), conns)
	}
}

// A French mail arrives as it was composed: accented subject (RFC 2047) and
// body (quoted-printable, UTF-8), typographic quotes and apostrophes, long
// lines, with the headers the mailer sets.
func TestNonASCIIMailRoundTrip(t *testing.T) {
	db := forumtest.DB(t)
	sink := startSMTPSink(t)
	mailer := newTestMailer(t, sink)
	ctx := context.Background()
	addr := forumtest.Unique("zoe") + "@example.org"
	m := forum.Mail{Recipient: addr, Kind: "notify_reply", Locale: "fr", Data: map[string]string{
		"Username": "Zoé", "Actor": "Gaëlle Châtelet-Müller",
		"Title": "Réunion d’été : « où » et quand ? Ça dépend de l’ordre du jour, très long, très très long — 日本語 aussi",
		"Path":  "/p/42",
	}}
	if err := db.InTx(ctx, func(tx *sqlx.Tx) error { return forum.EnqueueMailTx(ctx, tx, m) }); err != nil {
		t.Fatal(err)
	}
	if _, err := mailer.SendDue(ctx); err != nil {
		t.Fatal(err)
	}
	got := sink.to(addr)
	if len(got) != 1 {
		t.Fatalf("%d mails", len(got))
	}
	settings, err := db.Settings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	subject, body, err := mailer.Compose(m, settings.SiteName)
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Subject != subject || !strings.Contains(subject, "Gaëlle Châtelet-Müller vous a répondu dans « Réunion d’été") {
		t.Errorf("subject: %q, want %q", got[0].Subject, subject)
	}
	if b := strings.ReplaceAll(got[0].Body, "\r\n", "\n"); strings.TrimRight(b, "\n") != strings.TrimRight(body, "\n") || !strings.Contains(b, "Bonjour Zoé,") {
		t.Errorf("body:\n%q\nwant\n%q", b, body)
	}
	h := got[0].Header
	raw := h.Get("Subject")
	for _, r := range raw {
		if r > 127 {
			t.Errorf("the Subject header is not encoded: %q", raw)
			break
		}
	}
	if ct := h.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") || !strings.Contains(strings.ToLower(ct), "charset=utf-8") ||
		h.Get("Content-Transfer-Encoding") != "quoted-printable" || h.Get("Auto-Submitted") != "auto-generated" ||
		h.Get("Mime-Version") != "1.0" || h.Get("User-Agent") != "" || h.Get("X-Mailer") != "" || !strings.HasSuffix(h.Get("Message-Id"), "@forum.example.org>") || h.Get("Date") == "" {
		t.Errorf("headers: %v", h)
	}
	if from, _ := h.AddressList("From"); len(from) != 1 || from[0].Address != "forum@example.org" {
		t.Errorf("From: %q", h.Get("From"))
	}
}

func TestMailLinksAreTheLinksOfAMail(t *testing.T) {
	body := "Bonjour,\n\nConfirmez votre adresse : https://forum.example/verify-email?token=abc.\nOu copiez https://forum.example/verify-email?token=abc (le même).\nhttp://x.example/a, puis rien.\n"
	got := strings.Join(mailLinks(body), " ")
	if want := "https://forum.example/verify-email?token=abc http://x.example/a"; got != want {
		t.Errorf("mailLinks = %q, want %q", got, want)
	}
}
