package config

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// FieldError is a config error the user can fix. It names the file, the line (when the
// offending value came from the file), the sweep cell, the field and what is wrong, in the
// form "configs/x.yaml:7: mixing.group_size: 0, need an integer ≥ 1".
type FieldError struct {
	File  string // the config file; "" for a config built in Go
	Line  int    // 1-based line of the offending value; 0 when unknown (a default, a value set in Go, an override)
	Cell  Params // the assignments of the sweep cell the error is in; nil outside a sweep
	Field string // dotted yaml path, e.g. "mixing.group_size"; "sweep: <key>" in the sweep; "" for the file
	Msg   string // what is wrong and what is allowed
	Err   error  // the underlying error, if any

	// Override is the command-line override (KEY=VALUE, see Overrides) the offending value
	// came from; "" for a value from the file. The message then names it instead of the file.
	Override string
}

// Error formats e on one line, starting with the file path (or "config" when there is
// no file, or "-set KEY=VALUE" when the value came from that override).
func (e *FieldError) Error() string {
	var b strings.Builder
	if e.Override != "" {
		b.WriteString("-set ")
		b.WriteString(printable(e.Override))
	} else if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d", e.Line)
		}
	} else {
		b.WriteString("config")
		if e.Line > 0 {
			fmt.Fprintf(&b, ": line %d", e.Line)
		}
	}
	b.WriteString(": ")
	if len(e.Cell) > 0 {
		b.WriteString("sweep cell ")
		b.WriteString(e.Cell.String())
		b.WriteString(": ")
	}
	if e.Field != "" {
		b.WriteString(printable(e.Field))
		b.WriteString(": ")
	}
	msg := e.Msg
	if msg == "" && e.Err != nil {
		msg = e.Err.Error()
	}
	b.WriteString(oneLine(msg))
	return b.String()
}

// Unwrap returns the underlying error.
func (e *FieldError) Unwrap() error { return e.Err }

// oneLine keeps the first line of s.
func oneLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// printable quotes s if it holds a line break or another character that does not print (a
// key or a -set argument can), so that the message stays one readable line.
func printable(s string) string {
	if strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
		return strconv.Quote(s)
	}
	return s
}
