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

# Fuzz every Fuzz* target (every HTTP endpoint and parser) for FUZZTIME
# each, 30s by default: make fuzz FUZZTIME=5m
fuzz:
	bash scripts/fuzz.sh

bench:
	go test ./... -run '^$$' -bench . -benchtime 2s
