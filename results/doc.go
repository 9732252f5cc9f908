// Package results holds the records a run produces and writes them out: one Row per run cell,
// written as results.csv (for spreadsheets and plotting), results.json (the exact record,
// read back by ReadJSON) and summary.md (a readable table with the accuracy gap of each
// DataMix cell to its baseline). See DESIGN.md §5 for the run directory they live in.
//
// # Files
//
// The CSV columns are a user contract: the fixed columns that Columns returns, in that order,
// then one column per metric name (the union over all rows, sorted), then a notes column
// holding each row's Notes as a JSON object (empty when there are none). Floats
// are written with strconv's 'g' format and precision -1, the shortest text that parses back
// to the same float64, so ReadCSV gives back exactly what WriteCSV was given; a metric a row
// lacks is an empty field. The JSON file is an array of rows with the same snake_case names,
// metrics and notes as objects; NaN and ±Inf, which JSON numbers cannot hold, are written as
// the strings "NaN", "+Inf" and "-Inf". Empty Metrics and Notes maps read back as nil.
//
// # Atomic writes
//
// Every writer goes through WriteFileAtomic: the content goes to a temporary file in the
// destination's directory, is flushed to disk, and is renamed over the destination. A reader
// therefore sees the old file or the new one, never half of one, and a failed write leaves
// nothing behind. The presence of a file written this way marks that its writer finished.
//
// # Errors
//
// Errors start with "results:" and name the file; parse errors also name the line and the
// column. A metric named like a fixed column is an error rather than a panic: metric names
// come from many producers (attacks, later), and a run should keep its other outputs.
package results
