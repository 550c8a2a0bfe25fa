// Predicts the digit in each image file with the DigitInfer C++ API, in one batch.
// Usage: predict_cpp MODEL IMAGE...
// MODEL is best a compiled model, such as the installed share/digitinfer/models/convnet.dimodel:
// it loads in milliseconds without libtorch. A TorchScript file (convnet.scripted.pt) loads the
// same way through the libtorch plugin.
#include <iostream>

#include <digitinfer/digitinfer.hpp>

int main(int argc, char **argv) try {
    if (argc < 3) {
        std::cerr << "usage: " << argv[0] << " MODEL IMAGE...\n"
                  << "  MODEL: a .dimodel (e.g. convnet.dimodel, no libtorch needed),\n"
                  << "         or a TorchScript .pt (e.g. convnet.scripted.pt, through the libtorch plugin)\n";
        return 2;
    }
    const digitinfer::Model model(argv[1]);
    std::vector<std::vector<uint8_t>> files;
    for (int i = 2; i < argc; ++i) files.push_back(digitinfer::read_file(argv[i]));
    const auto predictions = model.predict_encoded_batch(files);
    const auto labels = model.info().labels;
    for (size_t i = 0; i < predictions.size(); ++i)
        std::cout << argv[i + 2] << ": " << labels[size_t(predictions[i].digit)] << " (p=" << predictions[i].probability()
                  << ")\n";
    return 0;
} catch (const digitinfer::Error &e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
}
