#!/usr/bin/env bash
# golangci-lint v2 with .golangci.yml (errcheck, staticcheck, unused), built
# once into .data/test-tools/bin from its module at a pinned version.
set -euo pipefail
cd "$(dirname "$0")/.."
version=v2.15.0
bin=$PWD/.data/test-tools/bin/golangci-lint
if [ ! -x "$bin" ] || ! "$bin" version 2>/dev/null | grep -q "${version#v}"; then
	echo "building golangci-lint $version (once; a few minutes on a small machine)…" >&2
	mkdir -p "$(dirname "$bin")"
	GOBIN=$(dirname "$bin") go install "github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$version"
fi
# Several checkouts may lint at once on one machine (they share the analysis cache).
exec "$bin" run --allow-parallel-runners --timeout 15m ./...
