package results

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
)

// WriteJSON writes rows to path as an indented JSON array, atomically.
func WriteJSON(path string, rows []Row) error {
	if rows == nil {
		rows = []Row{} // an empty array, not null
	}
	b, err := json.MarshalIndent(rows, "", "  ")
	if err != nil {
		return fmt.Errorf("results: write %s: %w", path, err)
	}
	return WriteFileAtomic(path, func(w io.Writer) error {
		_, err := w.Write(append(b, '\n'))
		return err
	})
}

// ReadJSON reads the rows WriteJSON wrote. Unknown fields and trailing data are errors.
func ReadJSON(path string) ([]Row, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("results: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	var rows []Row
	if err := dec.Decode(&rows); err != nil {
		return nil, fmt.Errorf("results: read %s: %w", path, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("results: read %s: data after the array of rows", path)
	}
	return rows, nil
}
