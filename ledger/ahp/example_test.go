package ahp_test

import (
	"errors"
	"fmt"

	"github.com/alliance-ledger/alliance/ledger/ahp"
)

func ExampleWeights() {
	// Three factors: technology is moderately more important than capital
	// (3) and strongly more than labour (5); capital slightly more than
	// labour (2). The lower triangle holds the reciprocals.
	m, err := ahp.ParseMatrix([][]string{
		{"1", "3", "5"},
		{"1/3", "1", "2"},
		{"1/5", "0.5", "1"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := ahp.Weights(m)
	var inconsistent *ahp.InconsistentError
	if errors.As(err, &inconsistent) {
		fmt.Println(err) // res is nil: the weights must not be used
		return
	}
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, w := range res.Weights {
		fmt.Println(w.FloatString(6))
	}
	fmt.Printf("λmax %.4f, CI %.4f, RI %.2f, CR %.4f\n", res.LambdaMax, res.CI, res.RI, res.CR)
	// Output:
	// 0.648329
	// 0.229651
	// 0.122020
	// λmax 3.0037, CI 0.0018, RI 0.58, CR 0.0032
}
