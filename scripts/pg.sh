# shellcheck shell=bash
# Local PostgreSQL clusters for development and tests, from the system's
# PostgreSQL binaries. Sourced by run.sh, test.sh and bench.sh.
#
#   pg_find_bindir          sets PG_BINDIR (installs postgresql with apt when missing and allowed)
#   pg_start DATA SOCKDIR   initialises DATA when empty, starts a socket-only server
#   pg_stop DATA            stops it (fast shutdown)
#   pg_url SOCKDIR DB       prints a lib/pq URL for database DB
#
# As root, initdb refuses to run: the cluster then belongs to the 'postgres'
# system user (created when absent) and every server command runs as that user.

pg_log() { printf 'palabre: %s\n' "$*" >&2; }
pg_die() { pg_log "$*"; exit 1; }

pg_newest_bindir() {
	local d
	for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V); do
		[ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && echo "$d"
	done | tail -n 1
}

pg_find_bindir() {
	if [ -n "${PG_BINDIR:-}" ]; then
		[ -x "$PG_BINDIR/initdb" ] || pg_die "PG_BINDIR=$PG_BINDIR has no initdb"
		return
	fi
	PG_BINDIR=$(pg_newest_bindir)
	if [ -z "$PG_BINDIR" ] && command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
		PG_BINDIR=$(dirname "$(readlink -f "$(command -v initdb)")")
	fi
	if [ -z "$PG_BINDIR" ]; then
		local sudo=""
		if [ "$(id -u)" != 0 ]; then
			if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
				sudo="sudo -n"
			else
				pg_die "PostgreSQL server binaries not found. Install them (Debian/Ubuntu: sudo apt-get install postgresql) or set PALABRE_DATABASE_URL to an existing database."
			fi
		fi
		command -v apt-get >/dev/null 2>&1 || pg_die "PostgreSQL server binaries not found and apt-get is not available: install PostgreSQL 13 or newer, or set PALABRE_DATABASE_URL."
		pg_log "installing PostgreSQL with apt-get (once)…"
		$sudo apt-get update -qq >&2 || pg_die "apt-get update failed"
		DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >&2 || pg_die "apt-get install postgresql failed"
		PG_BINDIR=$(pg_newest_bindir)
		[ -n "$PG_BINDIR" ] || pg_die "postgresql was installed but no initdb was found under /usr/lib/postgresql"
	fi
	export PG_BINDIR
}

# pg_as runs a server command as the cluster's owner.
pg_as() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

pg_prepare_owner() {
	[ "$(id -u)" = 0 ] || return 0
	if ! id postgres >/dev/null 2>&1; then
		useradd --system --home-dir /var/lib/postgresql --shell /bin/sh postgres ||
			pg_die "could not create the 'postgres' system user"
	fi
}

pg_start() {
	local data=$1 sock=$2
	shift 2
	pg_prepare_owner
	mkdir -p "$data" "$sock"
	if [ "$(id -u)" = 0 ]; then
		chown postgres: "$data" "$sock"
		runuser -u postgres -- test -w "$data" ||
			pg_die "the 'postgres' user cannot reach $data (a parent folder is not traversable); move the checkout or set PALABRE_DATABASE_URL"
	fi
	chmod 700 "$data" "$sock"
	if [ ${#sock} -gt 90 ]; then
		pg_die "socket folder path too long for a Unix socket: $sock"
	fi
	if [ ! -f "$data/PG_VERSION" ]; then
		pg_log "creating a PostgreSQL cluster in $data"
		pg_as "$PG_BINDIR/initdb" -D "$data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-instructions >"$data.initdb.log" 2>&1 ||
			{ cat "$data.initdb.log" >&2; pg_die "initdb failed"; }
		rm -f "$data.initdb.log"
	fi
	if pg_as "$PG_BINDIR/pg_ctl" -D "$data" status >/dev/null 2>&1; then
		pg_log "PostgreSQL already running in $data"
		return 0
	fi
	# Socket only: no TCP port to clash with another cluster on this machine.
	pg_as "$PG_BINDIR/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 \
		-o "-c listen_addresses='' -k $sock -c max_connections=200 $*" start >/dev/null ||
		{ tail -n 20 "$data/server.log" >&2; pg_die "PostgreSQL did not start (log: $data/server.log)"; }
}

pg_stop() {
	local data=$1
	[ -f "$data/postmaster.pid" ] || return 0
	pg_as "$PG_BINDIR/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
}

pg_createdb() {
	local sock=$1 db=$2
	if ! "$PG_BINDIR/psql" -h "$sock" -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
		"$PG_BINDIR/createdb" -h "$sock" -U postgres "$db" || pg_die "createdb $db failed"
	fi
}

pg_url() {
	printf 'postgres:///%s?host=%s&user=postgres&sslmode=disable' "$2" "$1"
}
