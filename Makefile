# Bursar. `make run` serves the demo school; `make test` runs every test. Tools are pinned and installed on demand.
SHELL := /bin/bash
GO ?= go
TEMPL_VERSION := v0.3.977
SQLC_VERSION := v1.31.1
STRIPE_MOCK_VERSION := v0.203.0
GOLANGCI_LINT_VERSION := v2.15.0
TOOLS := $(CURDIR)/bin/tools
TEMPL := $(TOOLS)/templ
SQLC := $(TOOLS)/sqlc
STRIPE_MOCK := $(TOOLS)/stripe-mock
GOLANGCI_LINT := $(TOOLS)/golangci-lint
export GOFLAGS ?= -buildvcs=false

.PHONY: run build test test-short fuzz chaos generate check-generated bench startup load lint clean tools

build: ## the bursar binary in bin/
	$(GO) build -o bin/bursar ./cmd/bursar

run: build ## private PostgreSQL (unless DATABASE_URL), migrations, demo school, serve on :8080
	./bin/bursar demo
	exec ./bin/bursar serve

test: $(STRIPE_MOCK) ## every test, with the race detector
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 20m ./...

# A count, not a duration: a duration ends the run with a deadline that can cut a worker off mid-minimization and fail
# with "context deadline exceeded" (seen in CI here); 50,000 inputs take a few seconds per parser.
FUZZTIME ?= 50000x
FUZZ_PACKAGES := $(sort $(dir $(shell grep -rl --include='*_test.go' '^func FuzzVerify' internal)))

fuzz: $(STRIPE_MOCK) ## every gateway notification parser under the fuzzer for FUZZTIME each
	@for p in $(FUZZ_PACKAGES); do \
		echo "fuzz ./$$p FuzzVerify for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz '^FuzzVerify$$' -fuzztime $(FUZZTIME) ./$$p || exit 1; \
	done

# The chaos harness (internal/chaos, docs/RELIABILITY.md): CHAOS_N orders paid through three `serve` processes while
# one is SIGKILLed, database connections are terminated and the SMTP server fails now and then; then every count is
# checked. CI runs it at 300; the documented manual run is `make chaos CHAOS_N=3000`. CHAOS_SEED replays a run.
CHAOS_N ?= 300
CHAOS_SEED ?=

chaos: $(STRIPE_MOCK) ## the chaos harness at CHAOS_N orders
	BURSAR_CHAOS_N=$(CHAOS_N) BURSAR_CHAOS_SEED=$(CHAOS_SEED) $(GO) test -count=1 -v -timeout 30m -run '^TestChaos$$' ./internal/chaos/

test-short:
	$(GO) test -count=1 ./...

# go_install installs a pinned tool into bin/tools, trying three times: a connection to the module proxy reset once
# must not fail a CI run (seen here).
go_install = for try in 1 2 3; do GOBIN=$(TOOLS) $(GO) install $(1) && exit 0; \
	echo "go install $(1) failed (try $$try of 3)"; sleep $$((try * 5)); done; exit 1

$(TEMPL):
	@$(call go_install,github.com/a-h/templ/cmd/templ@$(TEMPL_VERSION))

$(SQLC):
	@export CGO_ENABLED=1; $(call go_install,github.com/sqlc-dev/sqlc/cmd/sqlc@$(SQLC_VERSION))

$(STRIPE_MOCK): ## stripe-mock for the gateway tests (internal/gateway/stripemock finds it here)
	@$(call go_install,github.com/stripe/stripe-mock@$(STRIPE_MOCK_VERSION))

$(GOLANGCI_LINT): ## golangci-lint for make lint (.golangci.yaml)
	@$(call go_install,github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION))

tools: $(TEMPL) $(SQLC)

generate: tools ## templ components and sqlc queries
	$(TEMPL) generate
	$(SQLC) generate
	gofmt -w $$(git ls-files -co --exclude-standard '*.go')

check-generated: generate ## fails when committed generated code is stale
	@git diff --exit-code -- '*_templ.go' '*q/*.go' || { echo "generated code is stale: run make generate and commit"; exit 1; }
	@test -z "$$(git ls-files -o --exclude-standard -- '*_templ.go' '*q/*.go')" || { echo "generated files not committed"; exit 1; }

# BenchmarkScreens measures every admin screen and API list at 1,000,000 orders beside 1,000 (issue 12): the big
# database (bursar_bench_scale) is kept between runs on TEST_DATABASE_URL's server, or in a private cluster under
# bin/bench-postgres, and filled again only when the fixture, the schema or its week changes (docs/PERFORMANCE.md).
bench: ## benchmarks; see docs/PERFORMANCE.md
	$(GO) test -run '^$$' -bench . -skip '^BenchmarkScreens$$' -benchmem -benchtime 3s ./internal/server/
	$(GO) test -run '^$$' -bench '^BenchmarkScreens$$' -benchtime 1x -timeout 60m ./internal/server/
	$(GO) test -run '^$$' -bench '^BenchmarkIssue100k$$' -benchtime 1x -timeout 60m ./internal/billing/
	$(GO) test -run '^$$' -bench '^BenchmarkImport$$' -benchtime 1x -timeout 30m ./internal/importer/

# Cold start and idle memory of serve and the time of CLI commands (docs/PERFORMANCE.md): needs DATABASE_URL on a
# server where the scratch database bursar_startup may be created; BASE=<git ref> adds a same-run baseline.
STARTUP_RUNS ?= 11
BASE ?=

startup: ## serve's cold start and idle RSS, CLI times; BASE=<ref> for a same-run baseline
	RUNS=$(STARTUP_RUNS) BASE=$(BASE) scripts/startup.sh

# The load generator (cmd/bursar-load, docs/PERFORMANCE.md): the real binary serving on a free 127.0.0.1 port, on a
# database of its own (on TEST_DATABASE_URL's server, else a private temporary cluster) dropped at the end; the offer
# page against a bare handler serving the same bytes, then checkout and Stripe webhooks, LOAD_DURATION each.
LOAD_DURATION ?= 10s
LOAD_FLAGS ?=

load: build ## drive the real binary over loopback HTTP for a bounded time and print req/s and p50/p95/p99
	$(GO) build -o bin/bursar-load ./cmd/bursar-load
	./bin/bursar-load -bin bin/bursar -duration $(LOAD_DURATION) $(LOAD_FLAGS)

lint: $(GOLANGCI_LINT) ## go vet, gofmt, then golangci-lint with .golangci.yaml
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GOLANGCI_LINT) run --timeout 10m ./...

clean:
	rm -rf bin
