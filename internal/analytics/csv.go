package analytics

import (
	"encoding/csv"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
)

// Table returns the columns of rows (a slice of one of the report row
// types), named by their json tags, and each row's cells as text. JSON,
// CSV and the command line thus share one set of column names.
func Table(rows any) (header []string, cells [][]string) {
	rv := reflect.ValueOf(rows)
	if rv.Kind() != reflect.Slice {
		return nil, nil
	}
	typ := rv.Type().Elem()
	for i := range typ.NumField() {
		header = append(header, columnName(typ.Field(i)))
	}
	for i := range rv.Len() {
		row := rv.Index(i)
		line := make([]string, typ.NumField())
		for j := range typ.NumField() {
			line[j] = cell(row.Field(j))
		}
		cells = append(cells, line)
	}
	return header, cells
}

func columnName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	if name == "" {
		return f.Name
	}
	return name
}

func cell(v reflect.Value) string {
	if s, ok := v.Interface().(fmt.Stringer); ok {
		return s.String()
	}
	switch v.Kind() {
	case reflect.String:
		return v.String()
	case reflect.Bool:
		return strconv.FormatBool(v.Bool())
	case reflect.Int, reflect.Int64:
		return strconv.FormatInt(v.Int(), 10)
	}
	return fmt.Sprint(v.Interface())
}

// WriteCSV writes rows as CSV with a header line. Text that a spreadsheet
// would run as a formula (a product named "=HYPERLINK(…)" sent by the
// upstream) is prefixed with a quote, so opening an export is safe.
func WriteCSV(w io.Writer, rows any) error {
	header, cells := Table(rows)
	textColumns := textColumns(rows)
	cw := csv.NewWriter(w)
	if err := cw.Write(header); err != nil {
		return err
	}
	for _, line := range cells {
		for j := range line {
			if textColumns[j] {
				line[j] = defuse(line[j])
			}
		}
		if err := cw.Write(line); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// textColumns marks the plain string columns: numbers are never defused,
// so a negative revenue stays a number.
func textColumns(rows any) []bool {
	typ := reflect.TypeOf(rows).Elem()
	out := make([]bool, typ.NumField())
	for i := range out {
		out[i] = typ.Field(i).Type.Kind() == reflect.String
	}
	return out
}

func defuse(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
