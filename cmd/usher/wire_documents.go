package main

import (
	"net/http"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/documents"
)

// wireDocuments mounts the document browser's API (/api/v1/documents/...)
// behind the API keys, where the store browses documents (every engine
// under internal/store does).
func wireDocuments(a *app) {
	b := documentBrowser(a.store)
	if b == nil {
		return
	}
	codes := make([]string, len(a.cfg.Institutions))
	for i, inst := range a.cfg.Institutions {
		codes[i] = inst.Code
	}
	h := documents.NewHandler(b, codes, a.logger)
	a.mounts = append(a.mounts, func(mux *http.ServeMux) { h.Mount(mux, a.apiKeys) })
}

// documentBrowser is st's document browser, nil if it has none.
func documentBrowser(st usher.Store) usher.DocumentBrowser {
	b, _ := st.(usher.DocumentBrowser)
	return b
}
