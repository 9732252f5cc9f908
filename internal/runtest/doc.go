// Package runtest holds what the tests of the config language and of the cell runner share:
// config texts small enough to train in seconds, and synthetic dataset folders of the sizes a
// test asks for.
//
// It imports neither experiments nor its config package, so that the tests of both can use it
// without an import cycle. Every helper fails the test (t.Fatal) on an error of its own.
package runtest
