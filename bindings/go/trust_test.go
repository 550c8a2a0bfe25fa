package digitinfer_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	digitinfer "github.com/digitinfer/digitinfer/bindings/go"
)

// A TorchScript classifier that prints from forward (prim::Print, off the allow-list).
const printingModel = `
import sys, torch
class Print(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(784, 10)
    def forward(self, x):
        print("a model printing from forward")
        return torch.log_softmax(self.fc(x.flatten(1)), 1)
torch.jit.script(Print()).save(sys.argv[1])
`

// printingModelPath is tools/make_hostile_models.py's print model when CTest
// has made them (DIGITINFER_HOSTILE_MODELS), else one written here with torch.
func printingModelPath(t *testing.T) string {
	if dir := os.Getenv("DIGITINFER_HOSTILE_MODELS"); dir != "" {
		if path := filepath.Join(dir, "print.scripted.pt"); fileExists(path) {
			return path
		}
	}
	python := os.Getenv("DIGITINFER_PYTHON")
	if python == "" {
		python = "/usr/bin/python3"
	}
	dir := t.TempDir()
	script, path := filepath.Join(dir, "make.py"), filepath.Join(dir, "print.scripted.pt")
	if err := os.WriteFile(script, []byte(printingModel), 0o600); err != nil { // torch.jit.script reads the source
		t.Fatal(err)
	}
	if out, err := exec.Command(python, script, path).CombinedOutput(); err != nil {
		t.Skipf("cannot write a TorchScript model with %s (set DIGITINFER_PYTHON to a Python with torch): %v\n%s",
			python, err, out)
	}
	return path
}

func fileExists(path string) bool { _, err := os.Stat(path); return err == nil }

func TestTheTrustFlagReachesTheLibrary(t *testing.T) {
	if !hasTorch(t) {
		t.Skip("needs the libtorch plugin: loads a TorchScript model that prints")
	}
	path := printingModelPath(t)
	m, err := digitinfer.Load(path)
	if m != nil {
		m.Close()
	}
	assertCode(t, "untrusted printing model", err, digitinfer.ErrModel)
	var e *digitinfer.Error
	if errors.As(err, &e) && !(strings.Contains(e.Message, "prim::Print") && strings.Contains(e.Message, "DI_LOAD_TRUSTED_MODEL")) {
		t.Errorf("the refusal should name prim::Print and DI_LOAD_TRUSTED_MODEL: %q", e.Message)
	}
	m, err = digitinfer.Load(path, digitinfer.WithTrustedModel())
	if err != nil {
		t.Fatalf("trusted: %v", err)
	}
	defer m.Close()
	if m.Info().NumClasses != 10 {
		t.Errorf("info %+v", m.Info())
	}
}
