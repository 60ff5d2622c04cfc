// Command chaos is the load client and checker of `make chaos`
// (scripts/chaos.sh): it posts replies while the script injects faults and
// counts what was acknowledged, checks that acknowledged posts are in the
// database, and checks what three instances behind nginx share (sessions,
// rate limits, caches, live updates). Loopback only.
package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lib/pq"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: chaos post|verify|cluster|ready [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "post":
		err = post(os.Args[2:])
	case "verify":
		err = verify(os.Args[2:])
	case "cluster":
		err = cluster(os.Args[2:])
	case "ready":
		err = ready(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "chaos:", err)
		os.Exit(1)
	}
}

var client = &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// outcome is one request's result: an HTTP status, or a transport error
// (connection refused or reset: "conn-error").
type outcome struct {
	at      time.Time
	status  string
	latency time.Duration
}

// post sends replies from -workers clients for -duration, spread over the
// threads and the posters' tokens, and writes the acknowledged post ids to
// -acked. At the end it prints the statuses seen and, for each fault the
// script marked in -marks ("unixms name" lines), when errors started and
// ended after it.
func post(args []string) error {
	fs := flag.NewFlagSet("post", flag.ExitOnError)
	urls := fs.String("urls", "", "base URLs, comma-separated (round robin)")
	tokens := fs.String("tokens", "", "posters' API tokens, comma-separated")
	first := fs.Int64("first", 1, "first thread id")
	threads := fs.Int64("threads", 1, "number of threads")
	duration := fs.Duration("duration", 20*time.Second, "how long to post")
	workers := fs.Int("workers", 8, "concurrent clients")
	acked := fs.String("acked", "", "file to append acknowledged post ids to")
	marks := fs.String("marks", "", "file of the faults' times (unixms name), read at the end")
	label := fs.String("label", "", "scenario name for the summary")
	_ = fs.Parse(args) // ExitOnError
	bases := strings.Split(*urls, ",")
	toks := strings.Split(*tokens, ",")
	out, err := os.OpenFile(*acked, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer out.Close()
	var (
		mu       sync.Mutex
		outcomes []outcome
		ids      []int64
		n        atomic.Int64
		wg       sync.WaitGroup
	)
	run := time.Now().UnixNano()
	stop := time.Now().Add(*duration)
	for w := range *workers {
		wg.Go(func() {
			for time.Now().Before(stop) {
				i := n.Add(1)
				base := bases[int(i)%len(bases)]
				thread := *first + (i*7919+int64(w)*104729)%*threads
				body := fmt.Sprintf(`{"body": "Chaos %d-%d-%d : une réponse pour vérifier que rien ne se perd quand tout tombe."}`, run, w, i)
				req, _ := http.NewRequest(http.MethodPost, fmt.Sprintf("%s/api/v1/threads/%d/posts", base, thread), strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+toks[int(i)%len(toks)])
				sent := time.Now()
				resp, err := client.Do(req)
				o := outcome{at: time.Now(), status: "conn-error", latency: time.Since(sent)}
				var id int64
				if err == nil {
					o.status = strconv.Itoa(resp.StatusCode)
					var got struct {
						Post struct {
							ID int64 `json:"id"`
						} `json:"post"`
					}
					b, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if resp.StatusCode/100 == 2 && json.Unmarshal(b, &got) == nil {
						id = got.Post.ID
					}
				}
				mu.Lock()
				outcomes = append(outcomes, o)
				if id != 0 {
					ids = append(ids, id)
				}
				mu.Unlock()
				if o.status != "201" && o.status != "202" {
					time.Sleep(100 * time.Millisecond) // as a client backing off
				}
			}
		})
	}
	wg.Wait()
	for _, id := range ids {
		fmt.Fprintln(out, id)
	}
	counts := map[string]int{}
	for _, o := range outcomes {
		counts[o.status]++
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s×%d", k, counts[k]))
	}
	lat := make([]time.Duration, len(outcomes))
	for i, o := range outcomes {
		lat[i] = o.latency
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(p*float64(len(lat))))].Round(time.Millisecond)
	}
	fmt.Printf("%s: %d requests, %d acknowledged; statuses: %s; latency p50 %s, p99 %s, max %s\n",
		*label, len(outcomes), len(ids), strings.Join(parts, " "), pct(0.5), pct(0.99), pct(1))
	if *marks != "" {
		b, _ := os.ReadFile(*marks)
		for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			f := strings.Fields(line)
			if len(f) < 2 {
				continue
			}
			ms, _ := strconv.ParseInt(f[0], 10, 64)
			reportRecovery(*label, strings.Join(f[1:], " "), time.UnixMilli(ms), outcomes)
		}
	}
	return nil
}

// reportRecovery prints, for a fault at t, when the first and last failed
// request after it came and when requests succeeded again.
func reportRecovery(label, name string, t time.Time, outcomes []outcome) {
	sort.Slice(outcomes, func(i, j int) bool { return outcomes[i].at.Before(outcomes[j].at) })
	var firstFail, lastFail time.Time
	failures := 0
	for _, o := range outcomes {
		if o.at.Before(t) || o.at.After(t.Add(time.Minute)) {
			continue
		}
		if o.status != "201" && o.status != "202" {
			failures++
			if firstFail.IsZero() {
				firstFail = o.at
			}
			lastFail = o.at
		}
	}
	if failures == 0 {
		fmt.Printf("%s: %s: no failed request after the fault\n", label, name)
		return
	}
	var back time.Time
	for _, o := range outcomes {
		if o.at.After(lastFail) && (o.status == "201" || o.status == "202") {
			back = o.at
			break
		}
	}
	rel := func(x time.Time) string { return x.Sub(t).Round(10 * time.Millisecond).String() }
	recovered := "never within the run"
	if !back.IsZero() {
		recovered = "+" + rel(back)
	}
	fmt.Printf("%s: %s: %d failed requests from +%s to +%s; posting again at %s\n", label, name, failures, rel(firstFail), rel(lastFail), recovered)
}

// verify counts the acknowledged posts found in the database.
func verify(args []string) error {
	fs := flag.NewFlagSet("verify", flag.ExitOnError)
	dbURL := fs.String("db", "", "database URL")
	acked := fs.String("acked", "", "file of acknowledged post ids")
	_ = fs.Parse(args) // ExitOnError
	b, err := os.ReadFile(*acked)
	if err != nil {
		return err
	}
	var ids []int64
	for _, f := range strings.Fields(string(b)) {
		id, err := strconv.ParseInt(f, 10, 64)
		if err == nil {
			ids = append(ids, id)
		}
	}
	db, err := sql.Open("postgres", *dbURL)
	if err != nil {
		return err
	}
	defer db.Close()
	var found int
	if err := db.QueryRow(`SELECT count(*) FROM posts WHERE id = ANY($1)`, pq.Array(ids)).Scan(&found); err != nil {
		return err
	}
	fmt.Printf("acknowledged posts: %d, found in the database: %d, missing: %d\n", len(ids), found, len(ids)-found)
	if found != len(ids) {
		return fmt.Errorf("%d acknowledged posts are missing", len(ids)-found)
	}
	return nil
}

// ready waits for -url to answer 200 and prints how long it took; with
// -stalled, it prints how long one /readyz took to answer, and its status.
func ready(args []string) error {
	fs := flag.NewFlagSet("ready", flag.ExitOnError)
	u := fs.String("url", "", "URL to wait for")
	once := fs.Bool("once", false, "one request: print its status and duration")
	label := fs.String("label", "", "what is measured")
	_ = fs.Parse(args) // ExitOnError
	start := time.Now()
	if *once {
		resp, err := client.Get(*u)
		if err != nil {
			fmt.Printf("%s: %v after %s\n", *label, err, time.Since(start).Round(time.Millisecond))
			return nil
		}
		resp.Body.Close()
		fmt.Printf("%s: %d after %s\n", *label, resp.StatusCode, time.Since(start).Round(time.Millisecond))
		return nil
	}
	for time.Since(start) < 2*time.Minute {
		resp, err := client.Get(*u)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				fmt.Printf("%s: ready after %s\n", *label, time.Since(start).Round(time.Millisecond))
				return nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("%s not ready after 2 minutes", *u)
}

// cluster checks what the instances behind nginx share.
func cluster(args []string) error {
	fs := flag.NewFlagSet("cluster", flag.ExitOnError)
	proxy := fs.String("proxy", "", "nginx's URL")
	backends := fs.String("backends", "", "the instances' URLs, comma-separated")
	admin := fs.String("admin-token", "", "an admin's API token")
	member := fs.String("member-token", "", "a member's API token")
	login := fs.String("login", "", "a member's username (session check)")
	victim := fs.String("victim", "", "a member's username (rate limit check)")
	password := fs.String("password", "", "their password")
	thread := fs.Int64("thread", 0, "a thread with posts")
	_ = fs.Parse(args) // ExitOnError
	bs := strings.Split(*backends, ",")
	failed := 0
	check := func(ok bool, format string, a ...any) {
		mark := "ok  "
		if !ok {
			mark = "FAIL"
			failed++
		}
		fmt.Printf("  %s "+format+"\n", append([]any{mark}, a...)...)
	}

	// Sessions: a log-in through nginx is known to every instance.
	form := url.Values{"login": {*login}, "password": {*password}}
	resp, err := client.PostForm(*proxy+"/login", form)
	if err != nil {
		return err
	}
	resp.Body.Close()
	var session *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Value != "" && strings.Contains(strings.ToLower(ck.Name), "session") {
			session = ck
		}
	}
	check(resp.StatusCode == http.StatusSeeOther && session != nil, "log-in through nginx: %d, session cookie %v", resp.StatusCode, session != nil)
	if session != nil {
		known := 0
		for _, b := range bs {
			req, _ := http.NewRequest(http.MethodGet, b+"/api/v1/me", nil)
			req.AddCookie(session)
			if resp, err := client.Do(req); err == nil {
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode == 200 && bytes.Contains(body, []byte(`"`+*login+`"`)) {
					known++
				}
			}
		}
		check(known == len(bs), "the session is known to %d of %d instances", known, len(bs))
	}

	// Rate limits: 30 concurrent wrong passwords for one account, spread
	// over the instances (limit: 5 per account).
	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := map[int]int{}
	for i := range 30 {
		wg.Go(func() {
			f := url.Values{"login": {*victim}, "password": {fmt.Sprintf("wrong password %d", i)}}
			resp, err := client.PostForm(bs[i%len(bs)]+"/login", f)
			if err != nil {
				return
			}
			resp.Body.Close()
			mu.Lock()
			statuses[resp.StatusCode]++
			mu.Unlock()
		})
	}
	wg.Wait()
	retryAfter := ""
	if resp, err := client.PostForm(bs[0]+"/login", url.Values{"login": {*victim}, "password": {"wrong again"}}); err == nil {
		resp.Body.Close()
		retryAfter = resp.Header.Get("Retry-After")
	}
	checked := statuses[200] + statuses[401] + statuses[422] + statuses[400]
	check(statuses[429] > 0 && checked <= 5, "30 concurrent wrong passwords over %d instances: statuses %v (passwords checked: %d, limit 5); Retry-After on the next: %q", len(bs), statuses, checked, retryAfter)

	// Caches: a category made on one instance is listed by the others
	// (their caches are told through NOTIFY).
	name := fmt.Sprintf("Chaos %d", time.Now().UnixNano()%1e9)
	req, _ := http.NewRequest(http.MethodPost, bs[0]+"/api/v1/categories", strings.NewReader(`{"name": "`+name+`", "description": "made by make chaos"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+*admin)
	// The lists are read once first, so that they are cached.
	for _, b := range bs {
		if resp, err := client.Get(b + "/api/v1/categories"); err == nil {
			resp.Body.Close()
		}
	}
	start := time.Now()
	resp, err = client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	check(resp.StatusCode == http.StatusCreated, "category created on instance 1: %d", resp.StatusCode)
	for i, b := range bs[1:] {
		seen := time.Duration(-1)
		for time.Since(start) < 10*time.Second {
			if resp, err := client.Get(b + "/api/v1/categories"); err == nil {
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if bytes.Contains(body, []byte(name)) {
					seen = time.Since(start)
					break
				}
			}
			time.Sleep(5 * time.Millisecond)
		}
		check(seen >= 0, "instance %d lists it after %s", i+2, seen.Round(time.Millisecond))
	}

	// Live updates: a moderator's event stream on one instance hears of a
	// report made on another.
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	req, _ = http.NewRequestWithContext(ctx, http.MethodGet, bs[1]+"/mod/events", nil)
	req.Header.Set("Authorization", "Bearer "+*admin)
	stream, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer stream.Body.Close()
	lines := bufio.NewReader(stream.Body)
	for {
		line, err := lines.ReadString('\n')
		if err != nil {
			return fmt.Errorf("event stream: %w", err)
		}
		if strings.HasPrefix(line, "data:") {
			break // the first event: the current count
		}
	}
	var postID int64
	if resp, err := client.Get(fmt.Sprintf("%s/api/v1/threads/%d", bs[2%len(bs)], *thread)); err == nil {
		var th struct {
			Posts []struct {
				ID int64 `json:"id"`
			} `json:"posts"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&th) // an unreadable answer counts no posts
		resp.Body.Close()
		if len(th.Posts) > 1 {
			postID = th.Posts[len(th.Posts)-1].ID
		}
	}
	req, _ = http.NewRequest(http.MethodPost, fmt.Sprintf("%s/api/v1/posts/%d/reports", bs[2%len(bs)], postID), strings.NewReader(`{"reason": "spam"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+*member)
	start = time.Now()
	resp, err = client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	check(resp.StatusCode == http.StatusCreated, "report of post %d on instance 3: %d", postID, resp.StatusCode)
	heard := time.Duration(-1)
	for {
		line, err := lines.ReadString('\n')
		if err != nil {
			break
		}
		if strings.HasPrefix(line, "data:") && strings.Contains(line, `"item"`) {
			heard = time.Since(start)
			break
		}
	}
	check(heard >= 0, "the moderator's stream on instance 2 hears of it after %s", heard.Round(time.Millisecond))
	if failed > 0 {
		return fmt.Errorf("%d cluster checks failed", failed)
	}
	return nil
}
