package mariadbtest

import "syscall"

// procAttr makes the server die with the process that started it, so a test binary that
// crashes or is killed leaves no server behind.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
