// A downstream program whose default model is the installed one: its path is
// compiled in from the package's DigitInfer_MODEL_DIR, so running it with only
// image arguments checks that variable points at a model that loads.
#include <iostream>

#include <digitinfer/digitinfer.hpp>

#ifndef DOWNSTREAM_DEFAULT_MODEL
#error "DOWNSTREAM_DEFAULT_MODEL (from DigitInfer_MODEL_DIR) is not defined"
#endif

int main(int argc, char **argv) try {
    if (argc < 2) {
        std::cerr << "usage: " << argv[0] << " IMAGE...   (model: " DOWNSTREAM_DEFAULT_MODEL ")\n";
        return 2;
    }
    const digitinfer::Model model(DOWNSTREAM_DEFAULT_MODEL);
    std::cout << "model: " DOWNSTREAM_DEFAULT_MODEL "\n";
    std::vector<std::vector<uint8_t>> files;
    for (int i = 1; i < argc; ++i) files.push_back(digitinfer::read_file(argv[i]));
    // The 1.1 per-image call, so that the installed header and library must both have it.
    digitinfer::PredictOptions options;
    options.num_threads = 1;
    const auto results = model.predict_encoded_each(files, options);
    const auto labels = model.info().labels;
    int failures = 0;
    for (size_t i = 0; i < results.size(); ++i) {
        if (!results[i].ok()) {
            std::cerr << argv[i + 1] << ": " << results[i].error().what() << "\n";
            ++failures;
            continue;
        }
        const auto &p = results[i].prediction;
        std::cout << argv[i + 1] << ": " << labels[size_t(p.digit)] << " (p=" << p.probability() << ")\n";
    }
    return failures ? 1 : 0;
} catch (const digitinfer::Error &e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
}
