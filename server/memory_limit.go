package server

import (
	"math"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/palabre/palabre/forum"
)

// memoryBaseBudget is the memory an instance needs besides password
// hashing: its idle heap (about 10 MiB), the page cache (24 MiB at most),
// requests in flight and room for the collector to work.
const memoryBaseBudget = 64 << 20

// DefaultMemoryLimit is the Go runtime's memory limit by default: the base
// budget plus what slots concurrent hashes hold (argon2id's memory
// parameter each). Each hash leaves its 19 MiB as garbage; with the
// collector's default pacing (a collection when the heap doubles) that
// garbage, not the hashes at work, took a burst of log-ins past 150 MB of
// RSS. The limit makes the runtime collect and return memory to the system
// before it grows past it.
func DefaultMemoryLimit(slots int) int64 {
	return memoryBaseBudget + int64(slots)*forum.HashMemory()
}

// memoryLimit reads PALABRE_MEMORY_LIMIT: a size (bytes, or with a unit
// KiB, MiB or GiB, as GOMEMLIMIT), or "off"; 0 means the runtime's own
// (none, or GOMEMLIMIT's). By default, the derived limit, unless GOMEMLIMIT
// is set, which the runtime has already applied.
func (r *envReader) memoryLimit(slots int) int64 {
	s := r.str("PALABRE_MEMORY_LIMIT", "")
	switch {
	case s == "" && r.getenv("GOMEMLIMIT") != "":
		return 0
	case s == "":
		return DefaultMemoryLimit(slots)
	case s == "off":
		return math.MaxInt64
	}
	n, ok := parseSize(s)
	if !ok || n < 32<<20 {
		r.fail("PALABRE_MEMORY_LIMIT", s, "want a size of at least 32MiB, such as 512MiB or 2GiB, or off")
		return DefaultMemoryLimit(slots)
	}
	return n
}

// defaultGCPercent is the collector's pacing (GOGC) palabre serve sets
// when GOGC is not set and a memory limit applies: a collection when the
// heap has grown to five times what the last one left, rather than twice.
// A member's page allocates most of what it writes, and collecting half as
// often took a fifth off the server's CPU per page (bench/results.md);
// the memory limit, not the pacing, then bounds the heap, as it does for a
// burst of log-ins.
const defaultGCPercent = 400

// gcPercent is the pacing to set: 0 (the runtime's own) when GOGC is set,
// or when no memory limit applies (PALABRE_MEMORY_LIMIT or GOMEMLIMIT
// "off"), since the heap would then grow five times with nothing to stop it.
func (r *envReader) gcPercent(limit int64) int {
	if r.getenv("GOGC") != "" || limit == math.MaxInt64 || (limit == 0 && r.getenv("GOMEMLIMIT") == "off") {
		return 0
	}
	return defaultGCPercent
}

// parseSize reads a whole number of bytes with an optional unit.
func parseSize(s string) (int64, bool) {
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"B", 1}} {
		if v, ok := strings.CutSuffix(s, u.suffix); ok {
			s, mult = v, u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > math.MaxInt64/mult {
		return 0, false
	}
	return n * mult, true
}

// ApplyMemoryLimit sets the process's memory limit and the collector's
// pacing from the configuration (palabre serve does, at start). They are
// process-wide, so a server built for a test leaves the test process's own
// alone.
func (c Config) ApplyMemoryLimit() {
	if c.MemoryLimit > 0 {
		debug.SetMemoryLimit(c.MemoryLimit)
	}
	if c.GCPercent > 0 {
		debug.SetGCPercent(c.GCPercent)
	}
}
