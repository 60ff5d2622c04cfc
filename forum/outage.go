package forum

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"regexp"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/lib/pq"
)

// IsUnavailable reports whether err says that the database cannot serve
// now, rather than that a statement is wrong: it is down or restarting
// (connection refused, administrator shutdown, starting up), out of
// connections, unreachable, or too slow (a timeout). Such a request is
// answered 503 with Retry-After, not 500.
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		switch {
		case strings.HasPrefix(string(pqErr.Code), "08"): // connection exception
			return true
		}
		switch pqErr.Code {
		case "57P01", "57P02", "57P03", // admin_shutdown, crash_shutdown, cannot_connect_now
			"53300",                   // too_many_connections
			"57014",                   // query_canceled: statement_timeout, or a cancelled context
			"55P03",                   // lock_not_available: lock_timeout
			"53000", "53100", "53200": // insufficient resources, disk full, out of memory
			return true
		}
		return false
	}
	var netErr net.Error
	return errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, driver.ErrBadConn) ||
		errors.Is(err, sql.ErrConnDone) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.As(err, &netErr)
}

// Unavailable returns err as an EUNAVAILABLE domain error when the database
// cannot serve now (IsUnavailable), and nil otherwise. It notes the failure:
// the first one of an outage is logged, with the cause, and the outage's end
// once the database answers again, with its duration; the requests refused
// meanwhile are not logged one by one (a restart under load refused
// thousands a second).
func (db *DB) Unavailable(err error) *Error {
	if !IsUnavailable(err) {
		return nil
	}
	db.outage.failed(db, err)
	return &Error{Code: EUNAVAILABLE, Key: "error.unavailable", Err: err}
}

// outage follows the database's availability as requests see it. Its
// probe is a worker (StartWorkers): without it (a command), a request
// refused logs its cause itself.
type outage struct {
	work     worker // guards the fields below
	cause    error  // the failure the probe is to check next
	checking bool   // a check or the outage's probe is running
	refused  atomic.Int64
}

// outageProbeEvery is how often a database found down is tried again.
const outageProbeEvery = 500 * time.Millisecond

// outagePingTimeout bounds each try.
const outagePingTimeout = time.Second

// failed notes a request refused because of err. One check runs at a time:
// a ping tells an outage (logged once as it starts, then probed until the
// database answers) from a slow statement (logged as a warning, one per
// check).
func (o *outage) failed(db *DB, err error) {
	o.refused.Add(1)
	if !o.work.give(func() {
		if !o.checking && o.cause == nil {
			o.cause = err
		}
	}) {
		db.log.Error("database unavailable", "error", RedactSecrets(err.Error()))
	}
}

// checkOutage, the probe's work, checks the failure given to it: a slow
// statement, or an outage, which it probes until the database answers or
// the worker stops.
func (db *DB) checkOutage(ctx context.Context) {
	o := &db.outage
	o.work.mu.Lock()
	cause := o.cause
	o.cause = nil
	o.checking = cause != nil
	o.work.mu.Unlock()
	if cause == nil || ctx.Err() != nil {
		o.work.mu.Lock()
		o.checking = false
		o.work.mu.Unlock()
		return
	}
	defer func() {
		o.work.mu.Lock()
		o.checking = false
		o.work.mu.Unlock()
	}()
	pingErr := db.pingWithin(outagePingTimeout)
	if pingErr == nil {
		db.log.Warn("database too slow for a request", "error", RedactSecrets(cause.Error()))
		o.refused.Store(0)
		return
	}
	start := time.Now()
	db.log.Error("database unavailable: requests are answered 503 until it answers again",
		"error", RedactSecrets(cause.Error()), "ping", RedactSecrets(pingErr.Error()))
	t := time.NewTicker(outageProbeEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if db.pingWithin(outagePingTimeout) == nil {
			db.log.Info("database available again", "after", time.Since(start).Round(time.Millisecond).String(), "refused_requests", o.refused.Swap(0))
			return
		}
	}
}

func (db *DB) pingWithin(d time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return db.pool.PingContext(ctx)
}

var (
	urlPassword   = regexp.MustCompile(`(?i)([a-z][a-z0-9+.-]*://[^:/@?#\s]*:)([^@]*)@`)
	rawPassword   = regexp.MustCompile(`(?i)^\s*[a-z][a-z0-9+.-]*://[^:/@?#]*:(.*)@`)
	paramPassword = regexp.MustCompile(`(?i)(password\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&]+)`)
)

// RedactSecrets replaces the passwords of database URLs (user:password@,
// password=…) in s, for error messages and logs.
func RedactSecrets(s string) string {
	s = urlPassword.ReplaceAllString(s, "${1}xxxxx@")
	return paramPassword.ReplaceAllString(s, "${1}xxxxx")
}

// secretsOf are the passwords a database URL holds, as written.
func secretsOf(url string) []string {
	var out []string
	if m := rawPassword.FindStringSubmatch(url); m != nil {
		out = append(out, m[1])
	}
	for _, m := range paramPassword.FindAllStringSubmatch(url, -1) {
		out = append(out, strings.Trim(m[2], "'"))
	}
	return out
}

// redactedError is err's message with the URL's passwords hidden, however
// the message quotes them.
func redactedError(prefix string, err error, url string) error {
	msg := RedactSecrets(err.Error())
	for _, s := range secretsOf(url) {
		if len(s) >= 3 {
			msg = strings.ReplaceAll(msg, s, "xxxxx")
		}
	}
	return errors.New(prefix + msg)
}
