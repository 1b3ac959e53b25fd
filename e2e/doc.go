// Package e2e tests usher the way an operator meets it: the built binary,
// the shell blocks of README.md and docs/, the routes docs/openapi.yaml
// documents, and the ways it ships (Dockerfile, systemd unit). It has no
// code of its own; everything is in its tests.
package e2e
