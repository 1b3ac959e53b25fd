package sqlite

import (
	"embed"

	"github.com/usher-hub/usher/internal/store/driver"
)

//go:embed queries/*.sql
var queryFiles embed.FS

// queries are the driver's statements, one .sql file per area of the
// store (queries/*.sql), each statement named as its verb.
var queries = driver.LoadQueries(queryFiles, "queries")
