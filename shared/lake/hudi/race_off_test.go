//go:build !race

package hudi_test

// raceDetector is true in -race builds, which use several times the memory.
const raceDetector = false
