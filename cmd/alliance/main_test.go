package main

import (
	"context"
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"alliance": func() {
			err := run(context.Background(), os.Args, os.Stdin, os.Stdout, os.Stderr, os.Getenv)
			if err != nil {
				if err != errUsage {
					os.Stderr.WriteString("alliance: " + err.Error() + "\n")
				}
				os.Exit(1)
			}
		},
	})
}

// The CLI's behaviour is specified by the scripts in testdata/script.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{Dir: "testdata/script"})
}
