// Package runtest holds what the tests of the config language, the cell runner and the runexp
// command share: config texts small enough to train in seconds, synthetic dataset folders of
// the sizes a test asks for, and a listing of a directory for checking that a refused run
// wrote nothing.
//
// It imports neither experiments nor its config package, so that the tests of both can use it
// without an import cycle. Every helper fails the test (t.Fatal) on an error of its own.
package runtest
