.PHONY: run test generate lint bench build fuzz

build:
	go build -o bin/paybybank .

# Starts the server on http://localhost:8080 with the sandbox banks and a demo merchant.
run: build
	./bin/paybybank serve --demo

test:
	go vet ./...
	go test -count=1 ./...

# Regenerates the templ views; the generated *_templ.go files are committed.
generate:
	go tool templ generate

lint: generate
	@test -z "$$(gofmt -l .)" || (gofmt -l . && exit 1)
	go vet ./...
	git diff --exit-code -- '*_templ.go'

# Runs each fuzz target for a short while.
fuzz:
	go test -run XXX -fuzz FuzzAmount -fuzztime 20s ./payment
	go test -run XXX -fuzz FuzzIBAN -fuzztime 20s ./payment
	go test -run XXX -fuzz FuzzCallback -fuzztime 20s .
