package digitinfer_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	digitinfer "github.com/digitinfer/digitinfer/bindings/go"
)

// The repository root: go test runs in bindings/go.
var root = func() string {
	dir, err := filepath.Abs("../..")
	if err != nil {
		panic(err)
	}
	return dir
}()

func repo(rel string) string { return filepath.Join(root, filepath.FromSlash(rel)) }

const (
	dimodel  = "models/convnet.dimodel"
	scripted = "models/convnet.scripted.pt"
	traced   = "models/convnet.traced.pt"
	digit7   = "examples/images/digit-7.png"
	digit2   = "examples/images/digit-2.png"
	noPlugin = "libtorch plugin is not installed"
)

func TestMain(m *testing.M) {
	// Loads of TorchScript files write the compiled-model cache: keep it out of $HOME.
	cache, err := os.MkdirTemp("", "digitinfer-go-cache-")
	if err != nil {
		panic(err)
	}
	os.Setenv("DIGITINFER_CACHE_DIR", cache)
	code := m.Run()
	closeModels()
	os.RemoveAll(cache)
	os.Exit(code)
}

// --- the golden file, made by tools/make_golden.py from the Python reference pipeline ---

type goldenCase struct {
	Image            string    `json:"image"`
	Model            string    `json:"model"`
	Mode             string    `json:"mode"`
	Format           string    `json:"format"`
	Lossless         bool      `json:"lossless"`
	Digit            int       `json:"digit"`
	Probabilities    []float64 `json:"probabilities"`
	LogProbabilities []float64 `json:"log_probabilities"`
	Preprocessed     []int     `json:"preprocessed"`
}

type goldenModel struct {
	Input          []int     `json:"input"`
	NormalizeTable []float64 `json:"normalize_table"`
}

type goldenFile struct {
	Models map[string]goldenModel `json:"models"`
	Cases  []goldenCase           `json:"cases"`
}

var golden = sync.OnceValues(func() (*goldenFile, error) {
	data, err := os.ReadFile(repo("tests/data/golden.json"))
	if err != nil {
		return nil, err
	}
	var g goldenFile
	if err := json.Unmarshal(data, &g); err != nil {
		return nil, err
	}
	if len(g.Cases) == 0 {
		return nil, errors.New("tests/data/golden.json has no cases: generate it with tools/make_golden.py")
	}
	return &g, nil
})

func goldenData(t *testing.T) *goldenFile {
	t.Helper()
	g, err := golden()
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// --- libraries built with or without the libtorch plugin ---

// withTorch tells whether the library loads TorchScript. DIGITINFER_WITH_TORCH
// (1 or 0, as CTest sets it) must agree with the library when set, so that a
// build's TorchScript tests are never skipped by mistake.
var withTorch = sync.OnceValues(func() (bool, error) {
	m, err := digitinfer.Load(repo(traced))
	probed := err == nil
	if m != nil {
		m.Close()
	}
	var e *digitinfer.Error
	if err != nil && !(errors.As(err, &e) && e.Code == digitinfer.ErrModel && strings.Contains(e.Message, noPlugin)) {
		return false, fmt.Errorf("loading %s: %w", traced, err)
	}
	switch v := strings.ToLower(os.Getenv("DIGITINFER_WITH_TORCH")); v {
	case "":
		return probed, nil
	case "1", "on", "true", "yes", "0", "off", "false", "no":
		declared := v == "1" || v == "on" || v == "true" || v == "yes"
		if declared != probed {
			return false, fmt.Errorf("DIGITINFER_WITH_TORCH=%s, but the library %s the libtorch plugin", v,
				map[bool]string{true: "has", false: "lacks"}[probed])
		}
		return probed, nil
	default:
		return false, fmt.Errorf("DIGITINFER_WITH_TORCH=%q: expected 1 or 0", v)
	}
})

func hasTorch(t *testing.T) bool {
	t.Helper()
	ok, err := withTorch()
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

// standIn is the model a test that needs `rel` loads: itself, or without the
// plugin models/convnet.dimodel for the shipped TorchScript models (their
// compiled form); "" when the model cannot be loaded by this library.
func standIn(t *testing.T, rel string) string {
	if hasTorch(t) || strings.HasSuffix(rel, ".dimodel") {
		return rel
	}
	if rel == scripted || rel == traced {
		return dimodel
	}
	return ""
}

// --- models shared by the tests, loaded once ---

var (
	modelsMu sync.Mutex
	models   = map[string]*digitinfer.Model{}
)

func model(t *testing.T, rel string) *digitinfer.Model {
	t.Helper()
	modelsMu.Lock()
	defer modelsMu.Unlock()
	if m, ok := models[rel]; ok {
		return m
	}
	m, err := digitinfer.Load(repo(rel), digitinfer.WithThreads(1))
	if err != nil {
		t.Fatalf("loading %s: %v", rel, err)
	}
	models[rel] = m
	return m
}

func closeModels() {
	for _, m := range models {
		m.Close()
	}
}

// --- assertions ---

func readFile(t *testing.T, rel string) []byte {
	t.Helper()
	data, err := os.ReadFile(repo(rel))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func assertGolden(t *testing.T, what string, p digitinfer.Prediction, c goldenCase) {
	t.Helper()
	if p.Digit != c.Digit {
		t.Errorf("%s: digit %d, the reference says %d", what, p.Digit, c.Digit)
	}
	if len(p.Probabilities) != len(c.Probabilities) || len(p.LogProbabilities) != len(c.LogProbabilities) {
		t.Fatalf("%s: %d probabilities, %d log-probabilities; the reference has %d", what,
			len(p.Probabilities), len(p.LogProbabilities), len(c.Probabilities))
	}
	for i, want := range c.Probabilities {
		if d := math.Abs(float64(p.Probabilities[i]) - want); d > 1e-5 {
			t.Errorf("%s: probability[%d] = %g, the reference says %g (off by %g)", what, i, p.Probabilities[i], want, d)
		}
	}
	for i, want := range c.LogProbabilities {
		if d := math.Abs(float64(p.LogProbabilities[i]) - want); d > 1e-4+1e-5*math.Abs(want) {
			t.Errorf("%s: log-probability[%d] = %g, the reference says %g", what, i, p.LogProbabilities[i], want)
		}
	}
}

// assertSame checks that two predictions of one image by different routes agree.
func assertSame(t *testing.T, what string, got, want digitinfer.Prediction) {
	t.Helper()
	if got.Digit != want.Digit || got.Label != want.Label {
		t.Errorf("%s: digit %d (%q), expected %d (%q)", what, got.Digit, got.Label, want.Digit, want.Label)
	}
	if len(got.Probabilities) != len(want.Probabilities) {
		t.Fatalf("%s: %d probabilities, expected %d", what, len(got.Probabilities), len(want.Probabilities))
	}
	for i := range want.Probabilities {
		if d := math.Abs(float64(got.Probabilities[i] - want.Probabilities[i])); d > 1e-6 {
			t.Errorf("%s: probability[%d] = %g, expected %g", what, i, got.Probabilities[i], want.Probabilities[i])
		}
	}
}

// assertCode checks that err is a *digitinfer.Error with the given code and a message.
func assertCode(t *testing.T, what string, err error, code digitinfer.Status) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error, expected %v", what, code)
		return
	}
	var e *digitinfer.Error
	if !errors.As(err, &e) {
		t.Errorf("%s: %T %v is not a *digitinfer.Error", what, err, err)
		return
	}
	if e.Code != code || !errors.Is(err, code) {
		t.Errorf("%s: %v, expected %v", what, err, code)
	}
	if e.Message == "" || !strings.HasPrefix(err.Error(), code.String()+": ") {
		t.Errorf("%s: error %q should read %q followed by the library's message", what, err, code.String()+": ")
	}
}
