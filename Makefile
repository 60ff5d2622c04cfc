# Palabre — the two set-up commands are `make run` and `make test`.
.PHONY: run test build vet lint bench schema chaos clean-data

run: ## local PostgreSQL under .data/, migrations, demo on first run, serve on :8080
	@scripts/run.sh

test: ## throwaway PostgreSQL, go vet, golangci-lint, go test -race over the whole suite
	@scripts/test.sh

build:
	go build -o bin/palabre .

vet:
	go vet ./...

lint: ## golangci-lint v2 (.golangci.yml), built once into .data/test-tools; make test runs it too
	@scripts/lint.sh

bench: ## load benchmark with wrk against a seeded forum (SCALE=large for 1M posts, SCALE=compare for both side by side), then the Go benchmarks
	@scripts/bench.sh
	go test -run '^$$' -bench . -benchmem ./moderation/...

schema: ## rewrites docs/schema.sql (the current tables, functions and triggers) from a freshly migrated throwaway database
	@scripts/test.sh ./migrations -run TestSchemaSnapshot -args -update

chaos: ## faults under load (SIGTERM, PostgreSQL restart and stall, kill -9, three instances behind nginx), ~5 min, loopback only; see docs/reliability.md
	@scripts/chaos.sh

clean-data: ## removes the local cluster and demo data of `make run`
	rm -rf .data
