// Command classify predicts the digit in each image file named on the command
// line, with DigitInfer's Go binding.
//
//	classify [-model MODEL] IMAGE...
package main

import (
	"flag"
	"fmt"
	"os"

	digitinfer "github.com/digitinfer/digitinfer/bindings/go"
)

func main() {
	modelPath := flag.String("model", "../../models/convnet.dimodel", "a .dimodel (or TorchScript with the libtorch plugin)")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: %s [-model MODEL] IMAGE...\n", os.Args[0])
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}

	model, err := digitinfer.Load(*modelPath)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", *modelPath, err)
		os.Exit(1)
	}
	defer model.Close()

	failed := false
	for _, path := range flag.Args() {
		p, err := model.PredictFile(path)
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", path, err) // e.g. "DI_ERR_DECODE: ..."
			failed = true
			continue
		}
		fmt.Printf("%s: %s (p=%.4f)\n", path, p.Label, p.Probability)
	}
	if failed {
		model.Close() // os.Exit skips deferred calls
		os.Exit(1)
	}
}
