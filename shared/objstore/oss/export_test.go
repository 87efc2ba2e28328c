package oss

// SetMaxCopyPart lowers the largest part one UploadPartCopy copies, so tests can make prefixes of
// several parts; the returned function restores it.
func SetMaxCopyPart(n int64) (restore func()) {
	old := maxCopyPart
	maxCopyPart = n
	return func() { maxCopyPart = old }
}
