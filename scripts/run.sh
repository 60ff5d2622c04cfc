#!/usr/bin/env bash
# make run: a local PostgreSQL cluster under ./.data (unless PALABRE_DATABASE_URL
# is set), migrations, the demo community on first run, then the server.
# Ctrl-C stops the server, then the cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/pg.sh

pg_log "building bin/palabre (the first build fetches and compiles the dependencies: a few minutes on a small machine)…"
go build -o bin/palabre . || pg_die "build failed"

mkdir -p .data
if [ -z "${PALABRE_DATABASE_URL:-}" ]; then
	pg_find_bindir
	data=$PWD/.data/pg
	sock=$PWD/.data/sock
	if [ ${#sock} -gt 90 ]; then
		sock=/tmp/palabre-sock-$(id -u)-$(printf '%s' "$PWD" | cksum | cut -d' ' -f1)
	fi
	trap 'pg_log "stopping PostgreSQL"; pg_stop "$data"' EXIT
	pg_start "$data" "$sock"
	pg_createdb "$sock" palabre
	PALABRE_DATABASE_URL=$(pg_url "$sock" palabre)
	export PALABRE_DATABASE_URL
fi

bin/palabre migrate up
# The demo is seeded once, into an empty database; its admin's credentials are
# kept beside the data so that every later run can print them again.
if bin/palabre demo --if-empty >.data/demo.out && [ -s .data/demo.out ]; then
	cat .data/demo.out
	mv .data/demo.out .data/demo-credentials.txt
elif [ -f .data/demo-credentials.txt ]; then
	echo "Demo accounts (seeded on the first run, kept in .data/demo-credentials.txt):"
	grep -e 'password:' -e '^Open ' .data/demo-credentials.txt || true
fi
rm -f .data/demo.out
bin/palabre serve --no-migrate
