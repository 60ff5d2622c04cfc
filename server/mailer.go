package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/wneessen/go-mail"
	"github.com/wneessen/go-mail/smtp"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/templates"
)

// Mailer sends the outbox: it claims due mail (any number of instances may
// run one), composes each in its recipient's language, and sends it through
// SMTP, or writes it to the log when PALABRE_SMTP_URL is not set. A failed
// delivery stays in the outbox and is tried again later.
type Mailer struct {
	cfg     Config
	db      *forum.DB
	catalog *Catalog
	log     *slog.Logger
	smtp    *mail.Client // nil when PALABRE_SMTP_URL is not set
	kick    chan struct{}
	work    *forum.Work // logs an outage once, not each failed round
	// Every is how often the outbox is looked at when nobody kicks.
	Every time.Duration
	// Gather is how long a kick waits for others before the round it
	// asks for.
	Gather time.Duration
}

// NewMailer returns a mail worker; main runs it beside the HTTP server.
func NewMailer(cfg Config, db *forum.DB, log *slog.Logger) (*Mailer, error) {
	catalog, err := LoadCatalog(templates.FS, "locales", cfg.Locale)
	if err != nil {
		return nil, err
	}
	w := &Mailer{cfg: cfg, db: db, catalog: catalog, log: log, kick: make(chan struct{}, 1), work: db.Work("mail", log), Every: 30 * time.Second, Gather: 50 * time.Millisecond}
	if cfg.SMTPURL != nil {
		if w.smtp, err = newSMTPClient(cfg.SMTPURL); err != nil {
			return nil, err
		}
	}
	return w, nil
}

// Kick tells the worker that mail was queued (any instance queueing mail
// sends a NOTIFY on forum.ChannelOutbox), so that it need not wait for its
// next round.
func (w *Mailer) Kick() {
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// Run sends mail until ctx ends, and once an hour purges what
// authentication leaves behind (expired sessions, old attempts and links,
// old mail) and finished jobs.
func (w *Mailer) Run(ctx context.Context) error {
	ctx = forum.WithSystem(ctx)
	tick := time.NewTicker(w.Every)
	defer tick.Stop()
	lastPurge := time.Time{}
	for {
		if _, err := w.SendDue(ctx); err != nil && ctx.Err() == nil {
			w.work.Failed("sending mail", err)
		} else if err == nil {
			w.work.Succeeded()
		}
		if time.Since(lastPurge) > time.Hour {
			w.purge(ctx)
			lastPurge = time.Now()
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		case <-w.kick:
			// Posts wake the workers one by one (forum.PayloadAfterCommit):
			// the wake-ups of a short while make one round.
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(w.Gather):
			}
		}
	}
}

func (w *Mailer) purge(ctx context.Context) {
	for name, purge := range map[string]func(context.Context) (int64, error){
		"sessions": w.db.PurgeSessions, "attempts": w.db.PurgeAttempts,
		"links": w.db.PurgeEmailTokens, "mail": w.db.PurgeMail, "jobs": w.db.PurgeJobs,
		"webhook deliveries": w.db.PurgeWebhookDeliveries,
	} {
		if n, err := purge(ctx); err != nil && ctx.Err() == nil {
			w.work.Failed("purging", err, "what", name)
		} else if n > 0 {
			w.log.Info("purged", "what", name, "rows", n)
		}
	}
}

// SendDue sends every mail that is due, in batches, and returns how many
// were sent. The messages of a round share one SMTP connection, and each
// batch is marked sent with one statement: a connection (and a TLS
// handshake) and a durable commit per mail had capped a worker at about a
// hundred mails a second. A mail sent whose mark is lost (the process dies
// in between) is sent again after its lease: delivery is at least once, as
// it was.
func (w *Mailer) SendDue(ctx context.Context) (int, error) {
	ctx = forum.WithSystem(ctx)
	var conn smtpConn
	defer conn.close()
	sent := 0
	for {
		batch, err := w.db.ClaimMail(ctx, mailBatch)
		if err != nil || len(batch) == 0 {
			return sent, err
		}
		claimed := time.Now()
		var done []int64
		for i, m := range batch {
			// The others are left to their lease rather than sent after
			// another worker may have taken them.
			if time.Since(claimed) > forum.MailLease/2 {
				w.log.Warn("mail left for later: the SMTP server is slow", "mails", len(batch)-i)
				break
			}
			if err := w.send(ctx, &conn, m); err != nil {
				var refused *mail.SendError
				if errors.As(err, &refused) && refused.Reason == mail.ErrSMTPRcptTo && refused.ErrorCode() >= 500 && !refused.IsTemp() {
					// The recipient refused for good (no such address, a
					// closed mailbox): not tried again, and the address
					// gets no more notifications. Other refusals (the
					// sender, the server's own state) are tried again.
					if merr := w.db.MarkMailBounced(ctx, m, err); merr != nil {
						return sent, merr
					}
					w.log.Warn("mail refused for good", "id", m.ID, "kind", m.Kind, "error", err)
					continue
				}
				gaveUp, merr := w.db.MarkMailFailed(ctx, m, err)
				if merr != nil {
					return sent, merr
				}
				w.log.Warn("mail not sent", "id", m.ID, "kind", m.Kind, "attempt", m.Attempts, "gave_up", gaveUp, "error", err)
				continue
			}
			done = append(done, m.ID)
		}
		if err := w.db.MarkMailSent(ctx, done...); err != nil {
			return sent, err
		}
		sent += len(done)
	}
}

// mailBatch is how many mails a worker claims at a time.
const mailBatch = 50

// from is the sender: the from parameter of PALABRE_SMTP_URL
// (smtp://user:pass@host:587?from=forum@example.org), else noreply at the
// site's host name.
func (w *Mailer) from() string {
	if w.cfg.SMTPURL != nil {
		if f := w.cfg.SMTPURL.Query().Get("from"); f != "" {
			return f
		}
	}
	return "noreply@" + w.cfg.BaseURL.Hostname()
}

// Compose returns the subject and plain-text body of a mail, in the
// recipient's language, with its link built from the public URL.
func (w *Mailer) Compose(m forum.Mail, siteName string) (subject, body string, err error) {
	c, err := w.compose(m, siteName)
	return c.subject, c.body, err
}

// composed is a mail ready to send: its subject and body, and the link
// that stops its list without logging in ("" for account mail).
type composed struct {
	subject, body, unsubscribe string
}

func (w *Mailer) compose(m forum.Mail, siteName string) (composed, error) {
	lang := w.catalog.Lang(m.Locale)
	data := map[string]any{"SiteName": siteName, "BaseURL": w.cfg.BaseURL.String()}
	for k, v := range m.Data {
		if k != "Token" {
			data[k] = v
		}
	}
	switch {
	case m.Kind == forum.MailVerifyEmail:
		data["Link"] = w.link("/verify-email", m.Data["Token"])
	case m.Kind == forum.MailResetPassword:
		data["Link"] = w.link("/password/reset", m.Data["Token"])
	case m.Kind == forum.MailLoginLink:
		data["Link"] = w.link("/login/link", m.Data["Token"])
	case m.Kind == forum.MailSignUpExisting:
		data["Link"] = w.link("/password/forgot", "")
	case m.Kind == forum.MailNotifySanction:
		// A suspended or banned member reads and appeals through the
		// notice link, without logging in; others from their account.
		data["Link"] = w.link("/account", "") + "#sanctions"
		if m.Data["Token"] != "" {
			data["Link"] = w.link("/suspended", m.Data["Token"])
		}
		if k := m.Data["Sanction"]; k != "" {
			data["What"] = lang.T(sanctionKindKey(k))
		}
	case m.Kind == forum.MailDigest:
		data["Period"] = lang.T(digestPeriodKeys[m.Data["Period"]])
		for _, k := range []string{"Popular", "Replies", "Watched"} {
			data[k] = w.digestSection(m.Data[k])
		}
	case strings.HasPrefix(m.Kind, "notify_") && lang.Has("mail."+m.Kind+".subject"):
		// Notifications (forum/notification_publish.go) carry their own path.
		if m.Kind == "notify_"+forum.NotifyModeration {
			// A decision says what happened in words, as the in-app
			// notification does.
			key := "notify.moderation." + m.Data["Action"]
			if !lang.Has(key) {
				key = "notify.moderation.other"
			}
			data["What"] = lang.Msg(key, map[string]any{"Title": m.Data["Title"]})
		}
	default:
		return composed{}, fmt.Errorf("unknown kind of mail %q", m.Kind)
	}
	c := composed{subject: lang.Msg("mail."+m.Kind+".subject", data), body: lang.Msg("mail."+m.Kind+".body", data)}
	if p := m.Data["Unsubscribe"]; p != "" {
		// The list's own link, under the signature separator of RFC 3676,
		// and in the List-Unsubscribe headers (message).
		c.unsubscribe = w.pathLink(p)
		c.body += "\n\n-- \n" + lang.Msg("mail.unsubscribe_footer", map[string]any{"Link": c.unsubscribe})
	}
	return c, nil
}

// digestPeriodKeys name a digest's period in the catalogues.
var digestPeriodKeys = map[string]string{forum.DigestDaily: "mail.digest.period_daily", forum.DigestWeekly: "mail.digest.period_weekly"}

// pathLink is the public URL of a path that may carry a query string.
func (w *Mailer) pathLink(p string) string {
	u := *w.cfg.BaseURL
	path, query, _ := strings.Cut(p, "?")
	u.Path = strings.TrimSuffix(u.Path, "/") + path
	u.RawQuery = query
	return u.String()
}

// digestSection writes a digest's section (forum's "title\tpath" lines) as
// the mail shows it: one thread a line, with its address.
func (w *Mailer) digestSection(lines string) string {
	if lines == "" {
		return ""
	}
	var b strings.Builder
	for line := range strings.SplitSeq(lines, "\n") {
		title, path, _ := strings.Cut(line, "\t")
		fmt.Fprintf(&b, "- %s\n  %s\n", title, w.pathLink(path))
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func (w *Mailer) link(path, token string) string {
	u := *w.cfg.BaseURL
	u.Path = strings.TrimSuffix(u.Path, "/") + path
	if token != "" {
		u.RawQuery = url.Values{"token": {token}}.Encode()
	}
	return u.String()
}

func (w *Mailer) send(ctx context.Context, conn *smtpConn, m forum.Mail) error {
	settings, err := w.db.Settings(ctx)
	if err != nil {
		return err
	}
	c, err := w.compose(m, settings.SiteName)
	if err != nil {
		return err
	}
	subject, body := c.subject, c.body
	if w.smtp == nil {
		// One short line: who, what, and the links a developer follows
		// (confirmation, reset, login); the whole mail at debug level.
		w.log.Info("mail not sent (PALABRE_SMTP_URL is not set)", "to", m.Recipient, "subject", subject, "links", strings.Join(mailLinks(body), " "))
		w.log.Debug("mail body", "to", m.Recipient, "body", body)
		return nil
	}
	msg, err := w.message(m.Recipient, subject, body)
	if err != nil {
		return err
	}
	if c.unsubscribe != "" {
		// RFC 2369 and RFC 8058: mail programs offer a one-click
		// unsubscribe that POSTs to the link.
		msg.SetGenHeader("List-Unsubscribe", "<"+c.unsubscribe+">")
		msg.SetGenHeader("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
	}
	return conn.deliver(ctx, w.smtp, msg)
}

// message builds a plain-text mail with go-mail: UTF-8, quoted-printable,
// headers encoded as RFC 2047 requires.
func (w *Mailer) message(to, subject, body string) (*mail.Msg, error) {
	for _, v := range []string{to, subject} {
		if strings.ContainsAny(v, "\r\n") {
			return nil, errors.New("line break in a mail header")
		}
	}
	msg := mail.NewMsg(mail.WithNoDefaultUserAgent())
	if err := msg.From(w.from()); err != nil {
		return nil, err
	}
	if err := msg.To(to); err != nil {
		return nil, err
	}
	msg.Subject(subject)
	msg.SetDate()
	id := make([]byte, 12)
	rand.Read(id)
	msg.SetMessageIDWithValue(hex.EncodeToString(id) + "@" + w.cfg.BaseURL.Hostname())
	msg.SetGenHeader("Auto-Submitted", "auto-generated")
	msg.SetBodyString(mail.TypeTextPlain, body)
	return msg, nil
}

// smtpTimeout bounds the delivery of one message, the connection included.
const smtpTimeout = 30 * time.Second

// newSMTPClient returns go-mail's client for PALABRE_SMTP_URL: smtps://
// speaks TLS from the start, smtp:// upgrades with STARTTLS when the server
// offers it; credentials in the URL are sent with PLAIN (which is refused
// without TLS, except to localhost). It holds settings only: smtpConn
// holds a connection.
func newSMTPClient(u *url.URL) (*mail.Client, error) {
	port := u.Port()
	if port == "" {
		port = map[string]string{"smtp": "587", "smtps": "465"}[u.Scheme]
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		return nil, fmt.Errorf("PALABRE_SMTP_URL: port %q: %w", port, err)
	}
	opts := []mail.Option{
		mail.WithPort(p), mail.WithTimeout(smtpTimeout),
		mail.WithTLSPolicy(mail.TLSOpportunistic),
		// A round's messages follow one another on one connection: no
		// NOOP before each, no RSET after each (deliver resets after a
		// refusal).
		mail.WithoutNoop(), mail.WithoutRset(),
	}
	if u.Scheme == "smtps" {
		opts = append(opts, mail.WithSSL())
	}
	if u.User != nil {
		pass, _ := u.User.Password()
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthPlain), mail.WithUsername(u.User.Username()), mail.WithPassword(pass))
	}
	return mail.NewClient(u.Hostname(), opts...)
}

// smtpConn is a connection to the SMTP server, opened at the first message
// and kept for the next ones.
type smtpConn struct {
	c *smtp.Client
}

// deliver sends one message, connecting first if needed. The server's
// refusal of a message (a 4xx or 5xx reply) leaves the connection usable
// for the next one; any other error closes it, and the next message
// connects again.
func (sc *smtpConn) deliver(ctx context.Context, mc *mail.Client, msg *mail.Msg) error {
	if sc.c == nil {
		c, err := mc.DialToSMTPClientWithContext(ctx)
		if err != nil {
			return err
		}
		sc.c = c
	}
	err := mc.SendWithSMTPClient(sc.c, msg)
	var refused *mail.SendError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &refused) && refused.ErrorCode() >= 400:
		if rerr := sc.c.Reset(); rerr != nil {
			sc.close()
		}
	default:
		sc.close()
	}
	return err
}

// close says goodbye to the server, if connected.
func (sc *smtpConn) close() {
	if sc.c == nil {
		return
	}
	// Leaving politely is best effort: the message is sent or queued again.
	_ = sc.c.UpdateDeadline(5 * time.Second)
	if err := sc.c.Quit(); err != nil {
		_ = sc.c.Close()
	}
	sc.c = nil
}

// mailLinks are the http(s) links of a plain-text mail, in order, once each.
func mailLinks(body string) []string {
	var out []string
	seen := map[string]bool{}
	for _, f := range strings.Fields(body) {
		f = strings.TrimRight(f, ".,;:)»>")
		if (strings.HasPrefix(f, "http://") || strings.HasPrefix(f, "https://")) && !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	return out
}
