package server

import (
	"bufio"
	"fmt"
	"net/url"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/palabre/palabre/forum"
	"github.com/palabre/palabre/forum/forumtest"
)

// BenchmarkLoginBurst sends bursts of 64 log-ins at once for unknown names
// (each from its own address, so that no limit refuses them and each costs
// a hash) and reports the process's peak resident memory (VmHWM): with
// hashing bounded (PALABRE_HASH_SLOTS=2, the default) and, for comparison,
// with 64 slots, as before the bound. The process's memory limit is the
// one palabre serve sets for that configuration, with its pacing
// (Config.ApplyMemoryLimit).
// Run it alone, bounded first, since the peak of a process only grows:
//
//	go test -run '^$' -bench 'LoginBurst/bounded' -benchtime 5x ./server/
//	go test -run '^$' -bench 'LoginBurst/unbounded' -benchtime 5x ./server/
//
// Figures are in docs/login-throttling.md.
func BenchmarkLoginBurst(b *testing.B) {
	for _, c := range []struct {
		name  string
		slots string
	}{{"bounded", "2"}, {"unbounded", "64"}} {
		b.Run(c.name, func(b *testing.B) {
			s := loginBenchInstance(b, c.slots)
			codes := map[int]int{}
			var seq int
			for b.Loop() {
				start := make(chan struct{})
				var wg sync.WaitGroup
				var mu sync.Mutex
				for range 64 {
					seq++
					br := &browser{s: s, addr: fmt.Sprintf("10.99.%d.%d", seq/250, seq%250+1)}
					name := forumtest.Unique("nobody")
					wg.Add(1)
					go func() {
						defer wg.Done()
						<-start
						code := br.post(url.Values{"login": {name}, "password": {"not a password"}})
						mu.Lock()
						codes[code]++
						mu.Unlock()
					}()
				}
				close(start)
				wg.Wait()
			}
			b.ReportMetric(float64(peakRSS(b))/(1<<20), "peak-RSS-MB")
			b.ReportMetric(float64(codes[401])/float64(b.N), "checked/burst")
			b.ReportMetric(float64(codes[503])/float64(b.N), "503/burst")
		})
	}
}

func loginBenchInstance(b *testing.B, slots string) *Server {
	b.Helper()
	env := map[string]string{"PALABRE_HASH_SLOTS": slots, "PALABRE_HASH_WAIT": forum.DefaultHashWait.String()}
	cfg, err := LoadConfig(envOf(env))
	if err != nil {
		b.Fatal(err)
	}
	prev, prevGC := debug.SetMemoryLimit(-1), debug.SetGCPercent(100)
	debug.SetGCPercent(prevGC)
	cfg.ApplyMemoryLimit()
	b.Cleanup(func() { debug.SetMemoryLimit(prev); debug.SetGCPercent(prevGC) })
	s := loginInstance(b, env)
	runtime.GC()
	b.Logf("GOMAXPROCS %d, memory limit %d MiB, peak RSS before the bursts: %d MB", runtime.GOMAXPROCS(0), debug.SetMemoryLimit(-1)>>20, peakRSS(b)>>20)
	return s
}

// peakRSS reads VmHWM, the process's peak resident set, from /proc.
func peakRSS(tb testing.TB) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		tb.Skip("no /proc/self/status")
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}
