//go:build !linux

package mariadbtest

import "syscall"

func procAttr() *syscall.SysProcAttr { return nil }
