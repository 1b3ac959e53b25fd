package main

import (
	"net/http"

	"github.com/usher-hub/usher"
	"github.com/usher-hub/usher/internal/docdiff"
	"github.com/usher-hub/usher/internal/documents"
	"github.com/usher-hub/usher/internal/schema"
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
	h := documents.NewHandler(b, codes, a.logger).WithArrayKeys(a.arrayKeys)
	a.mounts = append(a.mounts, func(mux *http.ServeMux) { h.Mount(mux, a.apiKeys) })
}

// documentBrowser is st's document browser, nil if it has none.
func documentBrowser(st usher.Store) usher.DocumentBrowser {
	b, _ := st.(usher.DocumentBrowser)
	return b
}

// arrayKeysOf returns, for an institution's stream, the lists whose
// elements the schema in force keys: diffs match them by key.
func arrayKeysOf(reg *schema.Registry) documents.ArrayKeys {
	return func(institution string, stream usher.Stream) docdiff.Keys {
		return reg.ArrayKeys(institution, usher.DocTypeOf(stream))
	}
}
