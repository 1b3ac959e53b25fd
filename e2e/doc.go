// Package e2e tests usher the way an operator meets it: the built binary,
// the shell blocks of README.md and docs/, the routes docs/openapi.yaml
// documents, and the ways it ships (Dockerfile, systemd unit). Its process
// tests start the binary, kill and restart it, and ask it what it did
// through the client package, as a venue's code would; only the crash and
// fault tests read the database, since their point is what is on disk. It
// has no code of its own; everything is in its tests.
package e2e
