package forum

import (
	"context"
	"database/sql/driver"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lib/pq"
)

// cancelGrace is how long a query whose context ended still waits for the
// server to answer the cancel request before its connection is cut: a
// running server answers in a millisecond; a stopped one (SIGSTOP, a frozen
// host) never does.
const cancelGrace = 500 * time.Millisecond

// connector makes the pool's connections with lib/pq, each through its own
// dialer: lib/pq sends the cancel request of a query whose context ended
// through the connection's dialer, which then also puts a deadline on the
// connection's reads. Without it, a query on a stopped server waits, whatever
// its context, for as long as the server is stopped (lib/pq only cancels
// on the server side), and so do the request and /readyz.
type connector struct {
	cfg pq.Config
}

func (c *connector) Connect(ctx context.Context) (driver.Conn, error) {
	pc, err := pq.NewConnectorConfig(c.cfg)
	if err != nil {
		return nil, err
	}
	d := &connDialer{}
	pc.Dialer(d)
	cn, err := pc.Connect(ctx)
	if err != nil {
		return nil, err
	}
	pqc, ok := cn.(pqConn)
	d.mu.Lock()
	dc := d.conn
	d.mu.Unlock()
	if !ok || dc == nil {
		_ = cn.Close()
		return nil, errors.New("palabre: lib/pq's connection is not what the pool expects")
	}
	return &poolConn{pqConn: pqc, net: dc}, nil
}

// pqConn is what lib/pq's connection implements and database/sql uses.
type pqConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.QueryerContext
	driver.ExecerContext
	driver.Pinger
	driver.NamedValueChecker
	driver.SessionResetter
	driver.Validator
}

// poolConn is a pool connection that database/sql closes, rather than
// keeps, once one of its queries was cancelled (deadlineConn.aborted).
// lib/pq itself marks a connection bad for a cancelled query but not for a
// cancelled prepared statement: that connection went back to the pool,
// where it refused the next query (errAborted, driver.ErrBadConn) and
// database/sql tried another. After a burst of cancelled requests (clients
// that left), a request could draw three such connections in a row, the
// most database/sql tries, and answer 503 "driver: bad connection" to a
// client that had done nothing wrong.
type poolConn struct {
	pqConn
	net *deadlineConn
}

// IsValid is asked when the connection goes back to the pool.
func (c *poolConn) IsValid() bool {
	return !c.net.aborted.Load() && c.pqConn.IsValid()
}

// ResetSession is asked before the connection is used again.
func (c *poolConn) ResetSession(ctx context.Context) error {
	if c.net.aborted.Load() {
		return driver.ErrBadConn
	}
	return c.pqConn.ResetSession(ctx)
}

func (c *connector) Driver() driver.Driver { return &pq.Driver{} }

// connDialer dials one pool connection, then the cancel requests of its
// queries.
type connDialer struct {
	d    net.Dialer
	mu   sync.Mutex
	conn *deadlineConn
}

func (d *connDialer) Dial(network, address string) (net.Conn, error) {
	return d.DialContext(context.Background(), network, address)
}

func (d *connDialer) DialTimeout(network, address string, timeout time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return d.DialContext(ctx, network, address)
}

func (d *connDialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	d.mu.Lock()
	main := d.conn
	d.mu.Unlock()
	if main != nil && !main.isClosed() {
		// lib/pq dials again on an open connection only to cancel its
		// running query, whose context ended: the query's wait ends soon,
		// whether or not the server hears the cancel.
		main.abortAfter(cancelGrace)
		return d.d.DialContext(ctx, network, address)
	}
	c, err := d.d.DialContext(ctx, network, address)
	if err != nil {
		return nil, err
	}
	dc := &deadlineConn{Conn: c}
	if dl, ok := ctx.Deadline(); ok {
		dc.startup = dl
	}
	d.mu.Lock()
	d.conn = dc
	d.mu.Unlock()
	return dc, nil
}

// deadlineConn is a pool connection whose deadlines its dialer can shorten.
type deadlineConn struct {
	net.Conn
	mu sync.Mutex
	// startup is the deadline of the dial (the request's, or
	// connect_timeout): lib/pq's own deadline for the start-up handshake
	// is not allowed past it, so that a request waits no longer for a new
	// connection than its context allows. lib/pq clears its deadline once
	// the connection has started, which ends this.
	startup time.Time
	// aborted: a query's context ended and its cancel request was sent;
	// the connection's reads end cancelGrace later. The connection is not
	// used again, even when the cancelled query was answered in time: a
	// prepared statement's cancel leaves its connection in the pool
	// (lib/pq's stmt.watchCancel does not mark it bad), where its deadline
	// would cut whatever query came next (errAborted).
	aborted atomic.Bool
	closed  bool
}

// errAborted refuses a query on a connection whose previous query was
// cancelled: nothing is sent, so lib/pq reports driver.ErrBadConn and
// database/sql runs the query again on another connection.
var errAborted = errors.New("palabre: connection retired after a cancelled query")

func (c *deadlineConn) Write(b []byte) (int, error) {
	if c.aborted.Load() {
		return 0, errAborted
	}
	return c.Conn.Write(b)
}

func (c *deadlineConn) SetDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.aborted.Load() {
		return nil
	}
	if !c.startup.IsZero() {
		if t.IsZero() {
			c.startup = time.Time{}
		} else if c.startup.Before(t) {
			t = c.startup
		}
	}
	return c.Conn.SetDeadline(t)
}

func (c *deadlineConn) abortAfter(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.aborted.Store(true)
	_ = c.Conn.SetDeadline(time.Now().Add(d)) // a closed connection needs no deadline
}

func (c *deadlineConn) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

func (c *deadlineConn) Close() error {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	return c.Conn.Close()
}
