package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/palabre/palabre/server"
)

// cmdHealthcheck asks the server listening on PALABRE_LISTEN whether it is
// ready (GET /readyz): exit 0 when it is. For a container image without a
// shell or curl (Dockerfile's HEALTHCHECK), and for scripts.
func cmdHealthcheck(ctx context.Context, cfg server.Config, args []string, stdout io.Writer) error {
	fs := newFlagSet("healthcheck")
	timeout := fs.Duration("timeout", 3*time.Second, "")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	host, port, err := net.SplitHostPort(cfg.Listen)
	if err != nil {
		return fmt.Errorf("PALABRE_LISTEN: %w", err)
	}
	// A server listening on every interface answers on loopback.
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
		if ip != nil && ip.To4() == nil {
			host = "::1"
		}
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	url := "http://" + net.JoinHostPort(host, port) + "/readyz"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s answers %d: %s", url, resp.StatusCode, body)
	}
	fmt.Fprintf(stdout, "ready: %s\n", url)
	return nil
}
