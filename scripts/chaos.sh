#!/usr/bin/env bash
# make chaos: faults injected under load, on this machine only (loopback and
# Unix sockets), in about five minutes. Builds palabre, provisions its own
# PostgreSQL cluster (durable: fsync on), seeds a small forum, then:
#   1. SIGTERM under load (with a moderator's event stream open), restart;
#   2. PostgreSQL restart under load;
#   3. kill -9 under load, restart;
#   4. PostgreSQL stalled (SIGSTOP for 8 s, then SIGCONT) under load;
#   5. three instances behind nginx (installed with apt when missing):
#      sessions, rate limits, caches and live updates checked across them,
#      then posting through nginx while one instance is stopped and restarted.
# Prints, per scenario, the requests acknowledged and the statuses seen, the
# recovery times, and at the end the acknowledged posts against those found
# in the database. Results of a run: docs/reliability.md.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/pg.sh

pg_find_bindir
if ! command -v nginx >/dev/null 2>&1; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		pg_log "installing nginx with apt-get (once)…"
		apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >&2 || pg_die "apt-get install nginx failed"
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
		sudo -n apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive sudo -n apt-get install -y -qq nginx >&2 || pg_die "apt-get install nginx failed"
	else
		pg_die "nginx is needed: sudo apt-get install nginx"
	fi
fi
NGINX=$(command -v nginx)

tmp=$(mktemp -d /tmp/palabre-chaos.XXXXXX)
chmod 755 "$tmp"
declare -a pid=()
nginx_pid=""
cleanup() {
	set +e
	pg_signal CONT
	for p in "${pid[@]}" $nginx_pid; do [ -n "$p" ] && kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	pg_stop "$tmp/pg"
	if [ -n "${KEEP:-}" ]; then echo "logs kept in $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap "exit 1" TERM INT
# Everything is bounded: a stuck run ends after 8 minutes.
( sleep 480 && pg_log "chaos: over 8 minutes, stopping" && kill -TERM $$ ) 2>/dev/null &
watchdog=$!

pg_log "building…"
go build -o "$tmp/palabre" . && go build -o "$tmp/chaos" ./scripts/chaos && go build -o "$tmp/benchseed" ./scripts/benchseed
pg_start "$tmp/pg" "$tmp/s" -c max_connections=200
pg_createdb "$tmp/s" palabre
DB=$(pg_url "$tmp/s" palabre)
pg_log "seeding a small forum…"
PALABRE_DATABASE_URL=$DB "$tmp/benchseed" -members 1100 -threads 300 -posts 3000 >"$tmp/seed.env" 2>"$tmp/seed.log"
# shellcheck disable=SC1091
. "$tmp/seed.env"
CHAOS=$tmp/chaos
PORT0=19180
# The default request timeout; scenario 4 restarts the instance with a
# shorter one, which its stall outlasts.
REQUEST_TIMEOUT=20s
PROXY_PORT=19190
now_ms() { date +%s%3N; }

# pg_signal SIG: to the postmaster and its children.
pg_signal() {
	[ -f "$tmp/pg/postmaster.pid" ] || return 0
	local pm
	pm=$(head -1 "$tmp/pg/postmaster.pid")
	kill -"$1" "$pm" $(pgrep -P "$pm") 2>/dev/null || true
}

# start_instance I: palabre serve on port PORT0+I, waits until ready.
start_instance() {
	local i=$1 port=$((PORT0 + $1)) start
	start=$(now_ms)
	PALABRE_DATABASE_URL=$DB PALABRE_LISTEN=127.0.0.1:$port PALABRE_LOG_FORMAT=json \
		PALABRE_BASE_URL=http://127.0.0.1:$PROXY_PORT PALABRE_TRUSTED_PROXIES=127.0.0.1 \
		PALABRE_SHUTDOWN_TIMEOUT=10s PALABRE_REQUEST_TIMEOUT=$REQUEST_TIMEOUT "$tmp/palabre" serve --no-migrate >>"$tmp/palabre-$i.log" 2>&1 &
	pid[i]=$!
	"$CHAOS" ready -url "http://127.0.0.1:$port/readyz" -label "  instance $((i + 1)) (re)started" >/dev/null
	echo "  instance $((i + 1)) ready $(($(now_ms) - start)) ms after its start"
}

# load LABEL SECONDS URLS: posting clients in the background (load_pid).
load() {
	: >"$tmp/marks"
	"$CHAOS" post -label "$1" -duration "$2s" -urls "$3" -workers 8 -tokens "$POSTER_TOKENS" \
		-first "$FIRST_THREAD" -threads "$THREADS" -acked "$tmp/acked" -marks "$tmp/marks" &
	load_pid=$!
}
mark() { echo "$(now_ms) $*" >>"$tmp/marks"; }
errors_logged() { cat "$tmp"/palabre-*.log 2>/dev/null | grep -c '"level":"ERROR"' || true; }

URL0=http://127.0.0.1:$PORT0
start_instance 0
: >"$tmp/acked"

echo "== 1. SIGTERM under load, with a moderator's event stream open"
load "sigterm" 20 "$URL0"
curl -sN -H "Authorization: Bearer $ADMIN_TOKEN" "$URL0/mod/events" >/dev/null 2>&1 &
stream=$!
sleep 6
mark SIGTERM
t=$(now_ms)
kill -TERM "${pid[0]}"
rc=0
wait "${pid[0]}" || rc=$?
echo "  palabre exited with status $rc, $(($(now_ms) - t)) ms after SIGTERM"
wait "$stream" 2>/dev/null || true
start_instance 0
wait "$load_pid"

echo "== 2. PostgreSQL restart under load"
before=$(errors_logged)
load "pg restart" 20 "$URL0"
sleep 6
mark "pg_ctl restart"
t=$(now_ms)
pg_as "$PG_BINDIR/pg_ctl" -D "$tmp/pg" -m fast -w restart >/dev/null
echo "  PostgreSQL back $(($(now_ms) - t)) ms after the restart began"
"$CHAOS" ready -url "$URL0/readyz" -label "  /readyz"
wait "$load_pid"
echo "  ERROR lines logged meanwhile: $(($(errors_logged) - before))"
grep -h '"database unavailable\|"database available again' "$tmp/palabre-0.log" | tail -2 | sed 's/^/  log: /'

echo "== 3. kill -9 under load"
load "kill -9" 20 "$URL0"
sleep 6
mark "kill -9"
kill -KILL "${pid[0]}"
wait "${pid[0]}" 2>/dev/null || true
start_instance 0
wait "$load_pid"

REQUEST_TIMEOUT=5s
echo "== 4. PostgreSQL stalled (SIGSTOP 8 s, longer than PALABRE_REQUEST_TIMEOUT=$REQUEST_TIMEOUT) under load"
kill -TERM "${pid[0]}"
wait "${pid[0]}" || true
start_instance 0
before=$(errors_logged)
load "pg stall" 20 "$URL0"
sleep 6
mark "SIGSTOP"
pg_signal STOP
"$CHAOS" ready -once -url "$URL0/readyz" -label "  /readyz while stalled"
"$CHAOS" ready -once -url "$URL0/healthz" -label "  /healthz while stalled"
sleep 6.5
pg_signal CONT
mark "SIGCONT"
"$CHAOS" ready -url "$URL0/readyz" -label "  /readyz after SIGCONT"
wait "$load_pid"
echo "  ERROR lines logged meanwhile: $(($(errors_logged) - before))"

echo "== 5. three instances behind nginx"
REQUEST_TIMEOUT=20s
kill -TERM "${pid[0]}"
wait "${pid[0]}" || true
start_instance 0
start_instance 1
start_instance 2
mkdir -p "$tmp/nginx"
cat >"$tmp/nginx.conf" <<CONF
worker_processes 1;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log;
events { worker_connections 1024; }
http {
	access_log off;
	client_body_temp_path $tmp/nginx/body;
	proxy_temp_path $tmp/nginx/proxy;
	fastcgi_temp_path $tmp/nginx/fastcgi;
	uwsgi_temp_path $tmp/nginx/uwsgi;
	scgi_temp_path $tmp/nginx/scgi;
	upstream palabre {
		server 127.0.0.1:$PORT0 max_fails=1 fail_timeout=2s;
		server 127.0.0.1:$((PORT0 + 1)) max_fails=1 fail_timeout=2s;
		server 127.0.0.1:$((PORT0 + 2)) max_fails=1 fail_timeout=2s;
		keepalive 32;
	}
	server {
		listen 127.0.0.1:$PROXY_PORT;
		location / {
			proxy_pass http://palabre;
			proxy_http_version 1.1;
			proxy_set_header Connection "";
			proxy_set_header Host \$host:\$server_port;
			proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
			proxy_buffering off;
			proxy_next_upstream error timeout http_503;
		}
	}
}
CONF
"$NGINX" -p "$tmp/nginx" -e "$tmp/nginx/error.log" -c "$tmp/nginx.conf" -g 'daemon off;' &
nginx_pid=$!
"$CHAOS" ready -url "http://127.0.0.1:$PROXY_PORT/healthz" -label "  nginx" >/dev/null
BACKENDS=$URL0,http://127.0.0.1:$((PORT0 + 1)),http://127.0.0.1:$((PORT0 + 2))
cluster_rc=0
"$CHAOS" cluster -proxy "http://127.0.0.1:$PROXY_PORT" -backends "$BACKENDS" -admin-token "$ADMIN_TOKEN" \
	-member-token "$MEMBER_TOKEN" -login membre00002 -victim membre00003 -password "bench password 2026" \
	-thread "$THREAD_ID" || cluster_rc=$?
load "nginx" 25 "http://127.0.0.1:$PROXY_PORT"
sleep 6
mark "SIGTERM instance 2"
kill -TERM "${pid[1]}"
wait "${pid[1]}" || true
sleep 4
mark "instance 2 restarted"
start_instance 1
wait "$load_pid"

echo "== acknowledged posts"
verify_rc=0
"$CHAOS" verify -db "$DB" -acked "$tmp/acked" || verify_rc=$?
kill "$watchdog" 2>/dev/null || true
[ "$verify_rc" = 0 ] && [ "$cluster_rc" = 0 ]
