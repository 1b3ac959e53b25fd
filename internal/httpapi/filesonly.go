package httpapi

import (
	"io/fs"
)

// FilesOnly wraps fsys so that directories do not exist: an
// http.FileServerFS over it serves files and answers 404 where it would
// otherwise list a directory's contents.
func FilesOnly(fsys fs.FS) fs.FS { return filesOnly{fsys} }

type filesOnly struct{ fsys fs.FS }

func (f filesOnly) Open(name string) (fs.File, error) {
	file, err := f.fsys.Open(name)
	if err != nil {
		return nil, err
	}
	info, err := file.Stat()
	if err != nil || info.IsDir() {
		file.Close()
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return file, nil
}
