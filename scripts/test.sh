#!/usr/bin/env bash
# make test: a throwaway socket-only PostgreSQL cluster, Chromium for the browser
# tests (installed with apt when missing), then go vet, golangci-lint and the whole suite with
# the race detector. Each test package clones its own database from a migrated
# template (see forum/forumtest).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/pg.sh

pg_find_bindir
tmp=$(mktemp -d /tmp/palabre-test.XXXXXX)
chmod 755 "$tmp"
cleanup() {
	pg_stop "$tmp/pg"
	rm -rf "$tmp"
}
trap cleanup EXIT
# Durability is not under test: fsync off makes cloning databases cheap.
# pg_stat_statements lets tests count the queries a page costs (no N+1).
pg_start "$tmp/pg" "$tmp/sock" -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
	-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all
PALABRE_TEST_DATABASE_URL=$(pg_url "$tmp/sock" postgres)
export PALABRE_TEST_DATABASE_URL

if [ -z "${PALABRE_CHROMIUM:-}" ] && ! command -v chromium >/dev/null 2>&1; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		pg_log "installing chromium with apt-get for the browser tests (once)…"
		apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2 ||
			pg_die "apt-get install chromium failed"
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
		sudo -n apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive sudo -n apt-get install -y -qq chromium >&2 ||
			pg_die "apt-get install chromium failed"
	else
		pg_die "chromium is needed by the browser tests: sudo apt-get install chromium (or set PALABRE_CHROMIUM to a Chromium binary)"
	fi
fi

# wfrench and wamerican, the word lists the default watched words are judged
# on (moderation/dictionary_test.go, which is skipped, saying so, without them).
if [ ! -f /usr/share/dict/french ] || [ ! -f /usr/share/dict/american-english ]; then
	pg_log "installing the word lists wfrench and wamerican with apt-get (once)…"
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		{ DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wfrench wamerican >&2 ||
			{ apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wfrench wamerican >&2; }; } ||
			pg_die "apt-get install wfrench wamerican failed"
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
		DEBIAN_FRONTEND=noninteractive sudo -n apt-get install -y -qq wfrench wamerican >&2 ||
			pg_die "apt-get install wfrench wamerican failed"
	else
		pg_die "the word lists are needed by the watched-word tests: sudo apt-get install wfrench wamerican"
	fi
fi

# nginx and systemd-analyze check the deployment examples (deploy_test.go:
# deploy/nginx.conf in front of a real server, deploy/palabre.service).
missing=""
command -v nginx >/dev/null 2>&1 || missing="$missing nginx"
command -v systemd-analyze >/dev/null 2>&1 || missing="$missing systemd"
if [ -n "$missing" ]; then
	pg_log "installing$missing with apt-get for the deployment tests (once)…"
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		# shellcheck disable=SC2086
		{ DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >&2 ||
			{ apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >&2; }; } ||
			pg_die "apt-get install$missing failed"
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
		# shellcheck disable=SC2086
		sudo -n apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive sudo -n apt-get install -y -qq --no-install-recommends $missing >&2 ||
			pg_die "apt-get install$missing failed"
	else
		pg_die "the deployment tests need:$missing (sudo apt-get install$missing)"
	fi
fi

# promtool (Debian's prometheus package) checks /metrics in the server tests.
if [ -z "${PALABRE_PROMTOOL:-}" ] && ! command -v promtool >/dev/null 2>&1; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		pg_log "installing prometheus (for promtool) with apt-get for the /metrics test (once)…"
		{ DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >&2 ||
			{ apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >&2; }; } ||
			pg_die "apt-get install prometheus failed"
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
		sudo -n apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive sudo -n apt-get install -y -qq --no-install-recommends prometheus >&2 ||
			pg_die "apt-get install prometheus failed"
	else
		pg_die "promtool is needed by the /metrics test: sudo apt-get install prometheus (or set PALABRE_PROMTOOL to a promtool binary)"
	fi
fi

# axe-core, for the accessibility audit of the browser tests, from the npm
# registry; kept under .data so that it is fetched once.
axe=$PWD/.data/test-tools/node_modules/axe-core/axe.min.js
if [ ! -f "$axe" ]; then
	if ! command -v npm >/dev/null 2>&1; then
		if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >&2 || pg_die "apt-get install npm failed"
		else
			pg_die "npm is needed to fetch axe-core for the accessibility tests: sudo apt-get install npm"
		fi
	fi
	pg_log "installing axe-core for the accessibility tests (once)…"
	mkdir -p .data/test-tools
	npm install --silent --no-audit --no-fund --prefix .data/test-tools axe-core@4.14.1 >&2 || pg_die "npm install axe-core failed"
fi
PALABRE_AXE_JS=$axe
export PALABRE_AXE_JS

# With arguments, only `go test ARGS` runs (make schema); without, the whole suite.
# Not exec: the cluster is stopped and removed when the script exits.
if [ $# -gt 0 ]; then
	go test -count=1 "$@"
	exit
fi
go vet ./...
scripts/lint.sh
# The browser package takes about 10 minutes on 2 quiet cores; the limit leaves room for a busy machine.
go test -race -count=1 -timeout 40m ./...
