//go:build !unix

package hudi_test

// processCPU is not measured outside Unix-like systems.
func processCPU() int64 { return 0 }
