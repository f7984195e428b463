.PHONY: run test generate lint bench build

build:
	go build -o bin/paybybank .

run: build
	./bin/paybybank serve --demo

test:
	go vet ./...
	go test -count=1 ./...

generate:
	go tool templ generate

lint: generate
	gofmt -l . | (! grep .)
	go vet ./...
	git diff --exit-code -- '*_templ.go'
