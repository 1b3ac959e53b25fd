package driver

import (
	"bufio"
	"fmt"
	"io/fs"
	"path"
	"strings"
)

// Queries are a driver's named SQL statements, read from .sql files in
// which each statement follows a line "-- name: Name" (sqlc's
// convention), so SQL is read and reviewed as SQL, next to its driver.
type Queries map[string]string

// LoadQueries reads every .sql file of dir in fsys. A name given twice,
// or a statement without a name, is a programming error: it panics at
// start, where every test sees it.
func LoadQueries(fsys fs.FS, dir string) Queries {
	q := Queries{}
	files, err := fs.Glob(fsys, path.Join(dir, "*.sql"))
	if err != nil {
		panic(err)
	}
	for _, f := range files {
		b, err := fs.ReadFile(fsys, f)
		if err != nil {
			panic(err)
		}
		if err := q.parse(f, string(b)); err != nil {
			panic(err)
		}
	}
	return q
}

func (q Queries) parse(file, text string) error {
	name := ""
	var body strings.Builder
	flush := func() error {
		stmt := strings.TrimSpace(body.String())
		body.Reset()
		switch {
		case name == "" && stmt != "":
			return fmt.Errorf("%s: a statement before any \"-- name:\" line", file)
		case name == "":
			return nil
		case stmt == "":
			return fmt.Errorf("%s: query %s is empty", file, name)
		}
		if _, dup := q[name]; dup {
			return fmt.Errorf("%s: query %s is named twice", file, name)
		}
		q[name] = strings.TrimSuffix(stmt, ";")
		return nil
	}
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if t := strings.TrimSpace(line); name == "" && (t == "" || strings.HasPrefix(t, "--") && !strings.HasPrefix(t, "-- name:")) {
			continue // a file's opening comment
		}
		if n, ok := strings.CutPrefix(strings.TrimSpace(line), "-- name:"); ok {
			if err := flush(); err != nil {
				return err
			}
			name = strings.Fields(n)[0]
			continue
		}
		if name == "" && (strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "--")) {
			continue // a file's heading comments, before its first statement
		}
		body.WriteString(line)
		body.WriteByte('\n')
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return flush()
}

// Get returns the statement called name; a name no file defines panics,
// since the driver itself is wrong.
func (q Queries) Get(name string) string {
	s, ok := q[name]
	if !ok {
		panic("driver: no query named " + name)
	}
	return s
}

// First returns the first of rows, nil if there is none: a verb that
// reads at most one row.
func First[T any](rows []T, err error) (*T, error) {
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	return &rows[0], nil
}
