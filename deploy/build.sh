#!/bin/sh
# Builds the release binary: static (CGO off, so it runs in an empty
# image), paths trimmed, the IANA time zone database embedded (a scratch
# image has no /usr/share/zoneinfo, and analytics.timezone needs it).
# The Dockerfile runs this script, and e2e/deploy_test.go runs it too, so
# the binary tested in an empty root is built exactly as the image's.
#
# usage: deploy/build.sh OUTPUT   (VERSION=v1.2.3 to stamp a version)
set -eu
out=${1:?usage: deploy/build.sh OUTPUT}
CGO_ENABLED=0 go build -trimpath -tags timetzdata \
  -ldflags "-s -w${VERSION:+ -X main.version=$VERSION}" \
  -o "$out" ./cmd/usher
