.PHONY: run test generate lint bench build fuzz screenshots tools static/lean-qr.js

build:
	go build -o bin/paybybank .

# Starts the server on http://localhost:8080 with the sandbox banks and a demo merchant.
run: build
	./bin/paybybank serve --demo

# Test-only tools from the npm registry (axe-core for the accessibility checks).
node_modules/axe-core/axe.min.js: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

tools: node_modules/axe-core/axe.min.js

# The QR encoder the BankID page draws with in the browser (lean-qr, MIT), copied from npm into
# static/ with its licence; the copy is committed, so `make run` needs no npm. CI checks it.
static/lean-qr.js: node_modules/axe-core/axe.min.js
	{ echo "/*! lean-qr $$(node -p 'require("./node_modules/lean-qr/package.json").version') (index.mjs), https://github.com/davidje13/lean-qr"; \
	  echo; cat node_modules/lean-qr/LICENSE; echo "*/"; cat node_modules/lean-qr/index.mjs; } > $@

# The browser tests drive Debian's chromium (apt-get install chromium); without it they skip
# loudly, except with CI=true, where they fail.
test: tools
	go vet ./...
	go test -count=1 ./...

# Retakes the README's screenshots with the browser tests.
screenshots: tools
	SCREENSHOTS=$(CURDIR)/docs go test -count=1 -run 'TestBrowser(RedirectJourney|DecoupledPhone|DecoupledDesktop|AccountQuestion|Attempts|ReceiptAndAutoReturn|RefundsBankID|Workspace)$$' ./e2e

# Regenerates the templ views; the generated *_templ.go files are committed.
generate:
	go tool templ generate

lint: generate
	@test -z "$$(gofmt -l .)" || (gofmt -l . && exit 1)
	go vet ./...
	go tool staticcheck ./...
	git diff --exit-code -- '*_templ.go'

# Runs every fuzz target for a minute each (FUZZTIME=10m for a longer run). FuzzCallback goes
# through the whole HTTP server and manages about one input a second; FuzzCallbackNext fuzzes the
# same parsing and state checks directly, thousands of inputs a second.
FUZZTIME ?= 1m
fuzz:
	go test -run XXX -fuzz '^FuzzAmount$$' -fuzztime $(FUZZTIME) ./payment
	go test -run XXX -fuzz '^FuzzIBAN$$' -fuzztime $(FUZZTIME) ./payment
	go test -run XXX -fuzz '^FuzzLifecycle$$' -fuzztime $(FUZZTIME) ./payment
	go test -run XXX -fuzz '^FuzzDecodeStrict$$' -fuzztime $(FUZZTIME) ./handlers
	go test -run XXX -fuzz '^FuzzCallbackNext$$' -fuzztime $(FUZZTIME) ./e2e
	go test -run XXX -fuzz '^FuzzCallback$$' -fuzztime $(FUZZTIME) ./e2e

# Measures throughput and capacity against baselines in the same run; writes bench/results.md.
# It needs npm (Lighthouse, pinned in package.json) and Chromium for the browser rows.
bench: tools
	go run ./cmd/bench
