# usher: every command a developer needs. `make test` is the one the README
# and CI run.
.PHONY: test build serve demo lint fuzz bench

test:
	bash scripts/test.sh

build:
	go build -o bin/usher ./cmd/usher

serve:
	go run ./cmd/usher serve

demo:
	go run ./cmd/usher demo

lint:
	gofmt -l . | tee /dev/stderr | (! read)
	go vet ./...
	go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

# Fuzz each HTTP endpoint for a while (FUZZTIME=30s by default).
FUZZTIME ?= 30s
fuzz:
	go test ./internal/ingest -run '^$$' -fuzz '^FuzzIngest$$' -fuzztime $(FUZZTIME)
	go test ./internal/site -run '^$$' -fuzz '^FuzzSiteAPI$$' -fuzztime $(FUZZTIME)
	go test ./internal/storefront -run '^$$' -fuzz '^FuzzStorefrontAPI$$' -fuzztime $(FUZZTIME)

bench:
	go test ./... -run '^$$' -bench . -benchtime 2s
