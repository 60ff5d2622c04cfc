package main

// Tests of what an operator runs Palabre with (issue 26, docs/operations.md):
// the systemd unit, the nginx site, the Docker image where an engine runs,
// and a backup restored into another database.

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/palabre/palabre/forum/forumtest"
	"github.com/palabre/palabre/server"
)

// The unit passes systemd's own check.
func TestSystemdUnitVerifies(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Fatal("systemd-analyze is needed (Debian's systemd package; scripts/test.sh installs it)")
	}
	// Any executable stands for the server: systemd-analyze checks that
	// ExecStart names one. The test binary is at hand.
	bin, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	unit, err := os.ReadFile("deploy/palabre.service")
	if err != nil {
		t.Fatal(err)
	}
	env := filepath.Join(dir, "palabre.env")
	if err := os.WriteFile(env, []byte("PALABRE_DATABASE_URL=postgres:///palabre\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	text := strings.NewReplacer("/usr/local/bin/palabre", bin, "/etc/palabre/palabre.env", env).Replace(string(unit))
	if text == string(unit) {
		t.Fatal("the unit no longer names /usr/local/bin/palabre and /etc/palabre/palabre.env: update this test with it")
	}
	path := filepath.Join(dir, "palabre.service")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", path).CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) != 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}

// selfSigned writes a certificate and key for host into dir.
func selfSigned(t *testing.T, dir, host string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: host}, DNSNames: []string{host},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile, pool
}

// freePort returns a loopback port nothing listens on now.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return port
}

// deploy/nginx.conf, as written, in front of a running Palabre: HTTP
// redirects to HTTPS, pages come over HTTP/2 with TLS, and the moderators'
// live queue streams its events through the proxy as they happen.
func TestNginxExampleServesPalabre(t *testing.T) {
	nginx, err := exec.LookPath("nginx")
	if err != nil {
		t.Fatal("nginx is needed (Debian's nginx package; scripts/test.sh installs it)")
	}
	ts := startServer(t)
	backend := strings.TrimPrefix(ts.URL, "http://")
	dir := t.TempDir()
	const host = "forum.example.org"
	certFile, keyFile, pool := selfSigned(t, dir, host)
	site, err := os.ReadFile("deploy/nginx.conf")
	if err != nil {
		t.Fatal(err)
	}
	httpsPort, httpPort := freePort(t), freePort(t)
	conf := string(site)
	for _, r := range []struct{ old, new string }{
		{"server 127.0.0.1:8080;", "server " + backend + ";"},
		{"listen 443 ssl http2;", fmt.Sprintf("listen 127.0.0.1:%d ssl http2;", httpsPort)},
		{"listen [::]:443 ssl http2;", ""},
		{"listen 80;", fmt.Sprintf("listen 127.0.0.1:%d;", httpPort)},
		{"listen [::]:80;", ""},
		{"/etc/letsencrypt/live/forum.example.org/fullchain.pem", certFile},
		{"/etc/letsencrypt/live/forum.example.org/privkey.pem", keyFile},
	} {
		if !strings.Contains(conf, r.old) {
			t.Fatalf("deploy/nginx.conf no longer has %q: update this test with it", r.old)
		}
		conf = strings.ReplaceAll(conf, r.old, r.new)
	}
	main := fmt.Sprintf(`worker_processes 1;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log;
events { worker_connections 256; }
http {
	access_log off;
	client_body_temp_path %[1]s/body;
	proxy_temp_path %[1]s/proxy;
	fastcgi_temp_path %[1]s/fastcgi;
	uwsgi_temp_path %[1]s/uwsgi;
	scgi_temp_path %[1]s/scgi;
%[2]s
}
`, dir, conf)
	confFile := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(confFile, []byte(main), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(nginx, "-t", "-p", dir, "-e", filepath.Join(dir, "error.log"), "-c", confFile).CombinedOutput(); err != nil {
		t.Fatalf("nginx -t refuses the example: %v\n%s", err, out)
	}
	cmd := exec.Command(nginx, "-p", dir, "-e", filepath.Join(dir, "error.log"), "-c", confFile, "-g", "daemon off;")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
	})

	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		port := httpsPort
		if strings.HasSuffix(addr, ":80") {
			port = httpPort
		}
		return (&net.Dialer{}).DialContext(ctx, network, fmt.Sprintf("127.0.0.1:%d", port))
	}
	client := &http.Client{
		Transport:     &http.Transport{DialContext: dial, TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	// nginx is ready when it answers; it starts in milliseconds, the
	// deadline only bounds a broken start.
	var resp *http.Response
	for deadline := time.Now().Add(30 * time.Second); ; {
		if resp, err = client.Get("http://" + host + "/"); err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
		t.Fatalf("nginx does not answer: %v\n%s", err, log)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != "https://"+host+"/" {
		t.Errorf("plain HTTP answers %d to %q, want a redirect to HTTPS", resp.StatusCode, resp.Header.Get("Location"))
	}

	resp, err = client.Get("https://" + host + "/latest")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.ProtoMajor != 2 || !strings.Contains(string(body), `class="thread-list`) {
		t.Errorf("/latest through nginx: %d over %s, %d bytes", resp.StatusCode, resp.Proto, len(body))
	}
	if resp.Header.Get("Strict-Transport-Security") == "" || resp.Header.Get("Content-Security-Policy") == "" {
		t.Errorf("/latest lost a security header through nginx: %v", resp.Header)
	}
	metrics, _ := http.NewRequest("GET", "https://"+host+"/metrics", nil)
	metrics.Header.Set("Authorization", "Bearer jeton-des-metriques-de-test") // main_test.go's startServer
	resp, err = client.Do(metrics)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK { // the client is on the same host
		t.Errorf("/metrics from the host: %d", resp.StatusCode)
	}

	// A moderator's live queue, then a report: the event reaches the page
	// through the proxy while the stream stays open.
	mod := newAPIClient(t, ts.URL, "lea_modo")
	req, _ := http.NewRequest("GET", "https://"+host+"/mod/events", nil)
	req.Header.Set("Authorization", "Bearer "+mod.token)
	req.Header.Set("Accept", "text/event-stream")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	resp, err = client.Do(req.WithContext(ctx))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("/mod/events through nginx: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	events := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				select {
				case events <- data:
				case <-ctx.Done():
					return
				}
			}
		}
		close(events)
	}()
	first := <-events
	var count struct{ Count int }
	if err := json.Unmarshal([]byte(first), &count); err != nil {
		t.Fatalf("the first event: %q", first)
	}
	author, reporter := newAPIClient(t, ts.URL, "jeanne"), newAPIClient(t, ts.URL, "karim")
	th := author.startThread(forumtest.Unique("À signaler derrière nginx "), "Un message que quelqu’un va signaler.")
	var report map[string]any
	reporter.post(fmt.Sprintf("/api/v1/posts/%d/reports", th.Post.ID), map[string]any{"reason": "spam"}, &report)
	for data := range events {
		var ev struct {
			Count int
			Item  *struct{ ID int64 }
		}
		// An item without an id tells the page to read the queue again
		// (sent when the instance starts listening).
		if json.Unmarshal([]byte(data), &ev) == nil && ev.Item != nil && ev.Item.ID != 0 {
			if ev.Count <= count.Count {
				t.Errorf("after a report the queue counts %d, it counted %d before", ev.Count, count.Count)
			}
			return
		}
	}
	t.Error("the stream ended without the report's event")
}

// The Docker image builds and runs where a Docker engine does. This
// machine's kind has the docker client without an engine: the test says so
// and stops there.
func TestDockerImageBuilds(t *testing.T) {
	docker, err := exec.LookPath("docker")
	if err != nil {
		t.Skip("no docker command on this machine: the image is not built here")
	}
	if out, err := exec.Command(docker, "info").CombinedOutput(); err != nil {
		t.Skipf("no Docker engine runs on this machine (docker info: %s): the image is not built here", strings.TrimSpace(firstLine(string(out))))
	}
	tag := "palabre-test:" + strings.ToLower(forumtest.Unique("t"))
	if out, err := exec.Command(docker, "build", "-t", tag, "--build-arg", "VERSION=test", ".").CombinedOutput(); err != nil {
		t.Fatalf("docker build: %v\n%s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command(docker, "rmi", "-f", tag).Run() })
	out, err := exec.Command(docker, "run", "--rm", tag, "version").CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "palabre test" {
		t.Errorf("docker run %s version: %v %q", tag, err, out)
	}
	out, err = exec.Command(docker, "run", "--rm", "--entrypoint", "/bin/sh", tag, "-c", "true").CombinedOutput()
	if err == nil {
		t.Errorf("the image has a shell: %q", out)
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// pgTool finds a PostgreSQL client program: beside the server the tests
// run on (PG_BINDIR, set by scripts/test.sh), or on the PATH.
func pgTool(t *testing.T, name string) string {
	t.Helper()
	if dir := os.Getenv("PG_BINDIR"); dir != "" {
		if p := filepath.Join(dir, name); fileExists(p) {
			return p
		}
	}
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is needed: set PG_BINDIR or install postgresql-client", name)
	}
	return p
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// serveDatabase runs a Palabre server on dbURL until the test ends.
func serveDatabase(t *testing.T, dbURL string) string {
	t.Helper()
	env := map[string]string{"PALABRE_DATABASE_URL": dbURL, "PALABRE_LISTEN": "127.0.0.1:0", "PALABRE_LOCALE": "fr"}
	cfg, err := server.LoadConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	m := &Main{Config: cfg, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), NoMigrate: true}
	if err := m.Open(context.Background()); err != nil {
		t.Fatalf("serving %s: %v", dbURL, err)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("server on %s: %v", dbURL, err)
		}
	})
	return "http://" + m.Addr()
}

// A forum dumped with pg_dump and restored with pg_restore into another
// database, as docs/operations.md says to, serves the same pages, and its
// members log in with the passwords they had.
func TestBackupRestoresTheSameForum(t *testing.T) {
	src := forumtest.EmptyDatabaseURL(t)
	code, out, errOut := runCLI(t, map[string]string{"PALABRE_DATABASE_URL": src}, "demo")
	if code != 0 {
		t.Fatalf("palabre demo: %s", errOut)
	}
	var member, password string
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) == 4 && f[2] == "password:" && f[1] == "member" {
			member, password = f[0], f[3]
			break
		}
	}
	if member == "" {
		t.Fatalf("palabre demo printed no member:\n%s", out)
	}
	dump := filepath.Join(t.TempDir(), "palabre.dump")
	if b, err := exec.Command(pgTool(t, "pg_dump"), "--format=custom", "--file="+dump, "--dbname="+src).CombinedOutput(); err != nil {
		t.Fatalf("pg_dump: %v\n%s", err, b)
	}
	dst := forumtest.EmptyDatabaseURL(t)
	if b, err := exec.Command(pgTool(t, "pg_restore"), "--no-owner", "--exit-on-error", "--dbname="+dst, dump).CombinedOutput(); err != nil {
		t.Fatalf("pg_restore: %v\n%s", err, b)
	}
	before, after := serveDatabase(t, src), serveDatabase(t, dst)

	get := func(base, path string) string {
		t.Helper()
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s%s: %d", base, path, resp.StatusCode)
		}
		return string(b)
	}
	// Every page a visitor reaches from the home page and the latest
	// threads, and their JSON.
	pages := []string{"/", "/latest", "/guidelines", "/feed.atom", "/search?q=compost", "/api/v1/categories"}
	links := regexp.MustCompile(`href="(/(?:c|t|u)/[^"#?]+)"`)
	seen := map[string]bool{}
	for _, p := range []string{"/", "/latest"} {
		for _, m := range links.FindAllStringSubmatch(get(before, p), -1) {
			if !seen[m[1]] {
				seen[m[1]] = true
				pages = append(pages, m[1])
			}
		}
	}
	threads := regexp.MustCompile(`^/t/(\d+)/`)
	for p := range seen {
		if m := threads.FindStringSubmatch(p); m != nil {
			pages = append(pages, "/api/v1/threads/"+m[1])
		}
	}
	if len(seen) < 8 {
		t.Fatalf("only %d pages linked from the demo's home and latest pages: %v", len(seen), seen)
	}
	for _, p := range pages {
		a, b := get(before, p), get(after, p)
		// The addresses differ by their ports only.
		a = strings.ReplaceAll(a, strings.TrimPrefix(before, "http://"), "HOST")
		b = strings.ReplaceAll(b, strings.TrimPrefix(after, "http://"), "HOST")
		if a != b {
			t.Errorf("%s differs after the restore:\n%s", p, firstDifference(a, b))
		}
	}

	// The restored forum knows its members' passwords.
	form := url.Values{"login": {member}, "password": {password}}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequest("POST", after+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", after)
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || len(resp.Cookies()) == 0 {
		t.Errorf("logging in to the restored forum as %s: %d", member, resp.StatusCode)
	}
}

// firstDifference shows where two texts part.
func firstDifference(a, b string) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	from := max(0, i-80)
	return fmt.Sprintf("before: …%s…\nafter:  …%s…", a[from:min(len(a), i+80)], b[from:min(len(b), i+80)])
}

// palabre healthcheck, the image's HEALTHCHECK, says ready for a server
// that is, on the address of PALABRE_LISTEN (every interface: loopback),
// and fails where nothing answers.
func TestHealthcheckCommand(t *testing.T) {
	ts := startServer(t)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(ts.URL, "http://"))
	db := forumtest.URL(t)
	code, out, errOut := runCLI(t, map[string]string{"PALABRE_DATABASE_URL": db, "PALABRE_LISTEN": "0.0.0.0:" + port}, "healthcheck")
	if code != 0 || !strings.Contains(out, "ready: http://127.0.0.1:"+port+"/readyz") {
		t.Errorf("healthcheck of a running server: exit %d, %q %q", code, out, errOut)
	}
	code, _, errOut = runCLI(t, map[string]string{"PALABRE_DATABASE_URL": db, "PALABRE_LISTEN": fmt.Sprintf("127.0.0.1:%d", freePort(t))}, "healthcheck")
	if code != 1 || !strings.Contains(errOut, "healthcheck") {
		t.Errorf("healthcheck where nothing listens: exit %d, %q", code, errOut)
	}
	if code, _, errOut := runCLI(t, map[string]string{"PALABRE_DATABASE_URL": db}, "healthcheck", "--nope"); code != 2 {
		t.Errorf("healthcheck --nope: exit %d, %q", code, errOut)
	}
}
