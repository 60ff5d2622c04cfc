#!/usr/bin/env bash
# make bench: seeds a realistic forum (SCALE=default: 10k members, 20k threads,
# 200k posts; SCALE=large: 1M posts) into a local PostgreSQL kept under
# .data/bench-SCALE, once, and measures a fresh copy of it at each run: starts
# `palabre serve` on it as `make run` does, and measures
# each scenario with wrk after a warm-up, beside a Gin hello-world baseline
# measured in the same run. Writes the table to stdout and bench/results.md.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/pg.sh

scale=${SCALE:-default}
case "$scale" in
default) seed_args=(-members 10000 -threads 20000 -posts 200000) ;;
large) seed_args=(-members 50000 -threads 100000 -posts 1000000) ;;
small) seed_args=(-members 1000 -threads 2000 -posts 20000) ;; # a quick check of the harness itself
*) pg_die "SCALE must be default, large or small" ;;
esac
duration=${BENCH_DURATION:-10s}
conns=${BENCH_CONNECTIONS:-64}

if ! command -v wrk >/dev/null 2>&1; then
	if [ "$(id -u)" = 0 ]; then
		apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >&2
	else
		pg_die "wrk is needed: sudo apt-get install wrk"
	fi
fi

go build -o bin/palabre . && go build -o bin/benchseed ./scripts/benchseed && go build -o bin/benchbaseline ./scripts/benchbaseline

pg_find_bindir
data=$PWD/.data/bench-$scale/pg
sock=/tmp/palabre-bench-sock-$(id -u)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	pg_stop "$data"
}
trap cleanup EXIT
# Default durability: post creation is measured with durable commits.
pg_start "$data" "$sock" -c shared_buffers=512MB
# The forum is seeded once per scale into palabre_seed; each run measures a
# fresh copy of it, so that the replies a run posts (and their
# notifications, mails, search entries) do not weigh on the next run. The
# copy is of the files (the default strategy would write it all to the WAL
# too, and the checkpoints that follow would fall in the measurements).
pg_createdb "$sock" palabre_seed
pg_log "seeding (once per scale; a few minutes the first time)…"
eval "$(PALABRE_DATABASE_URL=$(pg_url "$sock" palabre_seed) bin/benchseed "${seed_args[@]}")"
"$PG_BINDIR/psql" -q -h "$sock" -U postgres -d postgres -v ON_ERROR_STOP=1 \
	-c 'DROP DATABASE IF EXISTS palabre' -c 'CREATE DATABASE palabre TEMPLATE palabre_seed STRATEGY FILE_COPY' \
	-c 'CHECKPOINT' ||
	pg_die "copying the seeded database failed"
PALABRE_DATABASE_URL=$(pg_url "$sock" palabre)
export PALABRE_DATABASE_URL

port=18080
start_ns=$(date +%s%N)
PALABRE_LISTEN=127.0.0.1:$port PALABRE_LOG_FORMAT=json bin/palabre serve >.data/bench-$scale/server.log 2>&1 &
server_pid=$!
pids+=("$server_pid")
until curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; do
	kill -0 "$server_pid" 2>/dev/null || { tail -5 ".data/bench-$scale/server.log"; pg_die "palabre serve exited"; }
	sleep 0.02
done
ready_ms=$((($(date +%s%N) - start_ns) / 1000000))
LISTEN=127.0.0.1:18081 bin/benchbaseline &
pids+=("$!")
until curl -fsS http://127.0.0.1:18081/ >/dev/null 2>&1; do sleep 0.02; done

rows=()
baseline=""
max_rss=0
# measure NAME URL [wrk args…]
measure() {
	local name=$1 url=$2
	shift 2
	local code=200
	# A scripted scenario (a POST) is checked by wrk's non-2xx count instead;
	# the others get the script that reports the 95th percentile.
	if [[ " $* " == *" -s "* ]]; then
		:
	else
		code=$(curl -s -o /dev/null -w '%{http_code}' "${curl_args[@]}" "$url")
		set -- "$@" -s scripts/bench_latency.lua
	fi
	if [ "$code" != 200 ]; then
		rows+=("| $name | n/a (HTTP $code) | | | | | |")
		return
	fi
	local threads=2
	[ "$conns" -lt 2 ] && threads=1
	wrk -t"$threads" -c"$conns" -d3s "$@" "$url" >/dev/null 2>&1 || true
	local out rps p50 p95 p99 errors rss
	out=$(wrk -t"$threads" -c"$conns" -d"$duration" --latency "$@" "$url")
	rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
	p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
	p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
	p95=$(awk '$1 == "p95" {print $2}' <<<"$out")
	errors=$(awk '/Non-2xx/ {print $5}' <<<"$out")
	rss=$(awk '/VmRSS/ {print $2}' "/proc/$server_pid/status")
	((rss > max_rss)) && max_rss=$rss
	if [ -z "$baseline" ]; then
		baseline=$rps
		rows+=("| $name | $rps | $p50 | $p95 | $p99 | — | 100% |")
	else
		rows+=("| $name | $rps | $p50 | $p95 | $p99 | $((rss / 1024)) MB | $(awk -v a="$rps" -v b="$baseline" 'BEGIN {printf "%.1f%%", 100 * a / b}') |")
	fi
	[ -n "$errors" ] && rows[-1]="${rows[-1]} ($errors non-2xx)"
	return 0
}

base=http://127.0.0.1:$port
curl_args=()
measure "Gin hello world (baseline)" http://127.0.0.1:18081/
measure "home / latest" "$base/"
measure "category page" "$base/c/$CATEGORY_SLUG"
measure "thread page, anonymous" "$base/t/$THREAD_ID/$THREAD_SLUG"
curl_args=(-H "Authorization: Bearer $MEMBER_TOKEN")
measure "thread page, signed in" "$base/t/$THREAD_ID/$THREAD_SLUG" -H "Authorization: Bearer $MEMBER_TOKEN"
# Members never get the anonymous cache: their lists and JSON are measured too.
measure "home / latest, signed in" "$base/" -H "Authorization: Bearer $MEMBER_TOKEN"
measure "thread JSON, signed in" "$base/api/v1/threads/$THREAD_ID" -H "Authorization: Bearer $MEMBER_TOKEN"
curl_args=()
measure "thread JSON" "$base/api/v1/threads/$THREAD_ID"
measure "search" "$base/search?q=communaut%C3%A9+charte"
# The search target is a latency: one reader at a time, a common and a rare word.
conns=1 measure "search latency, 1 client, common words" "$base/search?q=communaut%C3%A9+charte"
conns=1 measure "search latency, 1 client, rare word" "$base/search?q=montres"
curl_args=(-H "Authorization: Bearer $ADMIN_TOKEN")
measure "review queue page" "$base/mod/queue" -H "Authorization: Bearer $ADMIN_TOKEN"
curl_args=()
BENCH_TOKENS=$POSTER_TOKENS BENCH_THREAD_FIRST=$FIRST_THREAD BENCH_THREADS=$THREADS \
	measure "post creation (durable)" "$base/api/v1/threads/$THREAD_ID/posts" -s scripts/bench_post.lua

posts=$(psql "$PALABRE_DATABASE_URL" -tAc 'SELECT count(*) FROM posts')
mkdir -p bench
{
	echo "## SCALE=$scale"
	echo
	echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r), $(psql "$PALABRE_DATABASE_URL" -tAc 'SHOW server_version' | cut -d' ' -f1) PostgreSQL, SCALE=$scale ($posts posts), wrk -t2 -c$conns -d$duration after a 3 s warm-up."
	echo "Ready to serve $ready_ms ms after start; peak RSS under load $((max_rss / 1024)) MB."
	echo
	echo "| scenario | req/s | p50 | p95 | p99 | server RSS | of baseline |"
	echo "|---|---|---|---|---|---|---|"
	printf '%s\n' "${rows[@]}"
} >"bench/results-$scale.md"
# bench/results.md gathers the latest run of each scale.
{
	echo "# Palabre benchmark"
	echo
	echo "Written by \`make bench\` (scripts/bench.sh); ratios are to a Gin hello-world measured in the same"
	echo "run, since absolute figures drift on shared machines."
	for f in bench/results-default.md bench/results-large.md bench/results-small.md; do
		if [ -f "$f" ]; then
			echo
			cat "$f"
		fi
	done
} >bench/results.md
cat "bench/results-$scale.md"
