//go:build !race

package sharing_test

const raceEnabled = false
