//go:build !unix

package natsstore

// lockDir does not lock on this platform: run one process per data
// directory.
func lockDir(string) (func(), error) { return func() {}, nil }
