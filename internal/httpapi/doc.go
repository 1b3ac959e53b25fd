// Package httpapi is usher's HTTP layer: what every HTTP face shares, and
// the server's handler that mounts the faces.
//
// Shared by every face (ingest, analytics, crm, quarantine, site, outbox
// status, the dashboard, the storefront): JSON responses and the one table
// that maps error codes to statuses (StatusOf), middleware, API keys
// (APIKeys), the authentication throttle shared by every door
// (AuthThrottle), the client address behind trusted proxies (ClientAddr),
// strict query strings (Query) and file servers without directory
// listings (FilesOnly).
//
// NewHandler assembles a server: it registers the server's own routes
// (the S-360 push, /healthz, /readyz and, unless a listener of its own
// serves it, /metrics), lets each function of Deps.Mount add a face's
// routes, and wraps them all in one middleware chain. This package
// imports no face: the faces provide their handlers, it only mounts them.
// The list of every route is docs/openapi.yaml, which
// TestOpenAPIDescribesEveryRoute and the e2e OpenAPI test hold against
// the code.
package httpapi
