package platform

import (
	"runtime/debug"
	"strconv"
	"sync"
)

// memoryShare is the part of the function's memory the Go heap may use before the garbage
// collector works harder to stay under it; the rest is left for the runtime, stacks, the
// payload buffers of the platform SDK and the binary itself (its pages count as resident:
// some 15-25 MB). The heap is collected only at the limit (CollectAtLimit), so it reaches it.
const memoryShare = 0.75

var memoryOnce sync.Once

// LimitMemory sets the Go runtime's soft memory limit to memoryShare of the function's
// memory size (in MB, as FC's fccontext and Lambda's AWS_LAMBDA_FUNCTION_MEMORY_SIZE give it),
// once per process, and makes the limit what triggers collections (see CollectAtLimit). Go
// does not see the sandbox's limit; without this the heap grows to twice the live data between
// collections and a function near its size is killed, not slowed. An explicit GOMEMLIMIT in
// the environment wins. It returns the limit in bytes (0: none set).
func LimitMemory(memoryMB int, getenv func(string) string) int64 {
	var limit int64
	memoryOnce.Do(func() { limit = setMemoryLimit(memoryMB, getenv) })
	return limit
}

func setMemoryLimit(memoryMB int, getenv func(string) string) int64 {
	limit := MemoryLimit(memoryMB, getenv)
	if limit > 0 {
		debug.SetMemoryLimit(limit)
		if CollectAtLimit(limit, getenv) {
			debug.SetGCPercent(-1)
		}
	}
	return limit
}

// CollectAtLimit reports whether LimitMemory also turns off the proportional collector
// (GOGC=off), so that the heap is collected when it reaches the limit rather than whenever it
// doubles: a function owns its sandbox's memory (FC bills the configured size, used or not),
// and collecting less often is CPU saved (about 15% on the stream benchmark, at the same peak
// RSS). An explicit GOGC in the environment wins, and without a limit nothing changes.
func CollectAtLimit(limit int64, getenv func(string) string) bool {
	return limit > 0 && getenv("GOGC") == ""
}

// MemoryLimit is the soft limit LimitMemory would set: memoryShare of memoryMB, or 0 when
// GOMEMLIMIT is set or the size is unknown.
func MemoryLimit(memoryMB int, getenv func(string) string) int64 {
	if getenv("GOMEMLIMIT") != "" || memoryMB <= 0 {
		return 0
	}
	return int64(float64(memoryMB) * memoryShare * (1 << 20))
}

// lambdaMemoryMB reads the memory size Lambda sets in the environment (0 if absent).
func lambdaMemoryMB(getenv func(string) string) int {
	n, err := strconv.Atoi(getenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"))
	if err != nil {
		return 0
	}
	return n
}
