#!/usr/bin/env bash
# Fuzzes every Fuzz* target in the module for FUZZTIME each (default 30s).
# Their seed corpora already run with the ordinary tests (`make test`);
# this runs the fuzzer itself, one target at a time, and stops at the
# first failure, leaving the crashing input under testdata/fuzz/.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${FUZZTIME:-30s}
grep -rl --include='*_test.go' '^func Fuzz' . | sort | while read -r file; do
  pkg="./$(dirname "${file#./}")"
  grep -o '^func Fuzz[A-Za-z0-9_]*' "$file" | sed 's/^func //' | while read -r target; do
    echo "fuzz: $pkg $target for $fuzztime"
    go test "$pkg" -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime"
  done
done
