// The model zoo (tools/zoo.py, tools/make_zoo.py): classifiers written the ways users write them
// (tests/data/zoo/*.pt) and the reference ConvNet rewritten several ways (generated into the
// directory $DIGITINFER_ZOO_VARIANTS by the CTest fixture "zoo: generate the ConvNet variants"),
// through the public API only. tests/data/zoo/golden.json holds what the Python reference
// (tools/reference.py) gives for every file on every image of tests/data/images.
//
// Each file must load with DI_ENGINE_AUTO on the engine golden.json names (native, except the
// deliberately unsupported model: libtorch, with an engine note naming its operators), predict
// every image as Python does (digit, probabilities within 1e-5), one at a time and as one batch on
// 1 and 2 threads, and compile to a .dimodel that predicts what the file predicts (within 1e-6).
// The same parity on the libtorch engines shows that the golden values and this test are right
// whatever the native engine supports (DI_ENGINE_LIBTORCH_REFERENCE), and that the fallback
// DI_ENGINE_AUTO takes is right too (DI_ENGINE_LIBTORCH).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "digitinfer/digitinfer.hpp"
#include "support.hpp"

using digitinfer::LoadOptions;
using digitinfer::Model;
using digitinfer::Prediction;

namespace {

const char *kZooDir = "tests/data/zoo/";
constexpr double kPythonMargin = 1e-5;    // against the Python reference
constexpr double kCompiledMargin = 1e-6;  // a .dimodel against the file it was compiled from

struct ZooCase {
    std::string image;
    int digit = -1;
    std::vector<float> probabilities;
};

struct ZooModel {
    std::string name, file, source, engine;  // source: "committed" or "variant"
    std::vector<std::string> note_must_name;
    int channels = 0, height = 0, width = 0;
    std::string output;
    bool output_declared = true;
    std::vector<ZooCase> cases;
};

struct ZooDimodel {
    std::string file, source;
};

struct Zoo {
    std::vector<ZooModel> models;
    std::vector<ZooDimodel> dimodels;
    std::map<std::string, std::vector<uint8_t>> images;  // every golden image's bytes
};

const Zoo &zoo() {
    static const Zoo z = [] {
        std::ifstream in(testing::repo_path(std::string(kZooDir) + "golden.json"));
        if (!in) throw std::runtime_error("tests/data/zoo/golden.json missing: run tools/make_zoo.py");
        const auto root = nlohmann::json::parse(in);
        Zoo out;
        std::map<std::string, size_t> index;
        for (const auto &m : root.at("models")) {
            ZooModel g;
            g.name = m.at("name");
            g.file = m.at("file");
            g.source = m.at("source");
            g.engine = m.at("engine");
            g.note_must_name = m.at("note_must_name").get<std::vector<std::string>>();
            const auto shape = m.at("input").get<std::vector<int>>();
            g.channels = shape.at(0);
            g.height = shape.at(1);
            g.width = shape.at(2);
            g.output = m.at("output");
            g.output_declared = m.at("output_declared");
            index[g.file] = out.models.size();
            out.models.push_back(std::move(g));
        }
        for (const auto &c : root.at("cases")) {
            ZooCase g;
            g.image = c.at("image");
            g.digit = c.at("digit");
            g.probabilities = c.at("probabilities").get<std::vector<float>>();
            if (!out.images.count(g.image)) out.images[g.image] = testing::read_bytes(g.image);
            out.models.at(index.at(c.at("model"))).cases.push_back(std::move(g));
        }
        for (const auto &d : root.at("dimodels")) out.dimodels.push_back({d.at("file"), d.at("source")});
        return out;
    }();
    return z;
}

const ZooModel &zoo_model(const std::string &file) {
    for (const auto &m : zoo().models)
        if (m.file == file) return m;
    throw std::runtime_error("tests/data/zoo/golden.json: no model " + file);
}

// The directory the variants were generated into, or "" (then the variant tests are skipped).
std::string variants_dir() {
    const char *dir = std::getenv("DIGITINFER_ZOO_VARIANTS");
    if (!dir || !*dir) return "";
    std::ifstream probe(std::string(dir) + "/" + "convnet_sequential.traced.pt");
    return probe ? dir : "";
}

std::string model_path(const ZooModel &m) {
    return m.source == "committed" ? testing::repo_path(kZooDir + m.file) : variants_dir() + "/" + m.file;
}

bool file_exists(const std::string &path) { return bool(std::ifstream(path)); }

std::vector<uint8_t> file_bytes(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<std::vector<uint8_t>> case_images(const ZooModel &m) {
    std::vector<std::vector<uint8_t>> out;
    for (const auto &c : m.cases) out.push_back(zoo().images.at(c.image));
    return out;
}

// How far predictions are from expected ones: digits that differ, the largest probability
// difference and where. One CHECK per comparison keeps a failing model's report short.
struct Agreement {
    int digits_differ = 0, rows_missing = 0;
    double worst = 0;
    std::string worst_at = "-";

    void add(const std::string &image, const Prediction &got, int digit, const std::vector<float> &probs) {
        digits_differ += got.digit != digit;
        if (got.probabilities.size() != probs.size()) {
            ++rows_missing;
            return;
        }
        for (size_t k = 0; k < probs.size(); ++k) {
            const double d = std::fabs(double(got.probabilities[k]) - double(probs[k]));
            if (!(d <= worst)) {  // NaN counts as the worst
                worst = std::isnan(d) ? INFINITY : d;
                std::ostringstream s;
                s << image << " class " << k << ": " << got.probabilities[k] << " vs " << probs[k];
                worst_at = s.str();
            }
        }
    }
    void check(const std::string &what, double margin) const {
        INFO(what << ": largest probability difference " << worst << " at " << worst_at);
        CHECK(digits_differ == 0);
        CHECK(rows_missing == 0);
        CHECK(worst <= margin);
    }
};

// Predictions against the Python reference.
void check_python(const ZooModel &m, const std::vector<Prediction> &got, const std::string &what) {
    REQUIRE(got.size() == m.cases.size());
    Agreement a;
    for (size_t i = 0; i < got.size(); ++i) a.add(m.cases[i].image, got[i], m.cases[i].digit, m.cases[i].probabilities);
    a.check(what + " vs Python", kPythonMargin);
}

std::vector<Prediction> predict_each(const Model &model, const std::vector<std::vector<uint8_t>> &images) {
    std::vector<Prediction> out;
    for (const auto &bytes : images) out.push_back(model.predict_encoded(bytes));
    return out;
}

// One at a time, then as one batch on 1 and 2 threads; returns the one-at-a-time results.
std::vector<Prediction> check_predictions(const ZooModel &m, const Model &model, const std::string &what) {
    const auto images = case_images(m);
    const auto single = predict_each(model, images);
    check_python(m, single, what + ", one image at a time");
    for (int threads : {1, 2}) {
        digitinfer::PredictOptions o;
        o.num_threads = threads;
        check_python(m, model.predict_encoded_batch(images, o), what + ", one batch on " + std::to_string(threads) +
                                                                     " thread(s)");
    }
    return single;
}

void check_description(const ZooModel &m, const digitinfer::ModelInfo &info) {
    CHECK(info.name == m.name);
    CHECK(info.has_metadata);
    CHECK((info.channels == m.channels && info.height == m.height && info.width == m.width));
    CHECK(info.num_classes == 10);
    // Declared or detected, the library reads the output as the reference did.
    CHECK(digitinfer::output_kind_name(info.output_kind) == m.output);
}

// The library's parity with Python on libtorch, whatever the native engine supports: on the
// module as loaded (DI_ENGINE_LIBTORCH_REFERENCE) and frozen + optimize_for_inference'd
// (DI_ENGINE_LIBTORCH, where AUTO falls back to).
void check_on_libtorch(const ZooModel &m) {
    for (di_engine engine : {DI_ENGINE_LIBTORCH_REFERENCE, DI_ENGINE_LIBTORCH}) {
        INFO(m.file << " (" << m.source << ") on DI_ENGINE_" << (engine == DI_ENGINE_LIBTORCH ? "LIBTORCH" : "LIBTORCH_REFERENCE"));
        LoadOptions o;
        o.engine = engine;
        const Model model(model_path(m), o);
        const auto info = model.info();
        INFO("engine note: \"" << info.engine_note << "\"");
        if (engine == DI_ENGINE_LIBTORCH && info.engine == DI_ENGINE_LIBTORCH_REFERENCE)
            CHECK(!info.engine_note.empty());  // optimize_for_inference failed: the note says so
        else
            CHECK(info.engine == engine);
        check_description(m, info);
        check_predictions(m, model, m.file + " on " + digitinfer::engine_name(engine));
    }
}

// What users get: DI_ENGINE_AUTO picks the expected engine, matches Python, and (native) compiles.
void check_on_auto_engine(const ZooModel &m) {
    INFO(m.file << " (" << m.source << ") on DI_ENGINE_AUTO");
    const Model model(model_path(m));
    const auto info = model.info();
    INFO("engine " << digitinfer::engine_name(info.engine) << ", engine note: \"" << info.engine_note << "\"");
    check_description(m, info);
    const bool native = m.engine == "native";
    CHECK(info.engine == (native ? DI_ENGINE_NATIVE : DI_ENGINE_LIBTORCH));
    if (native) CHECK(info.engine_note.empty());
    for (const auto &op : m.note_must_name) {
        INFO("the note must name " << op);
        CHECK(info.engine_note.find(op) != std::string::npos);
    }
    const auto single = check_predictions(m, model, m.file);

    const std::string out = std::string(DIGITINFER_BINARY_DIR) + "/zoo-" + m.file + ".dimodel";
    std::remove(out.c_str());
    const di_status exported = di_model_export_native(model.get(), out.c_str());
    if (!native) {
        CHECK(exported == DI_ERR_MODEL);
        return;
    }
    INFO("di_model_export_native: " << di_status_string(exported) << " " << di_last_error_message());
    CHECK(exported == DI_OK);
    if (exported != DI_OK) return;
    const auto bytes = file_bytes(out);
    const Model compiled = Model::from_memory(bytes.data(), bytes.size());
    const auto cinfo = compiled.info();
    CHECK(cinfo.engine == DI_ENGINE_NATIVE);
    check_description(m, cinfo);
    const auto images = case_images(m);
    Agreement a;
    const auto again = predict_each(compiled, images);
    for (size_t i = 0; i < images.size(); ++i) a.add(m.cases[i].image, again[i], single[i].digit, single[i].probabilities);
    a.check(m.file + ": its .dimodel vs the file", kCompiledMargin);
    check_predictions(m, compiled, m.file + "'s .dimodel");
    std::remove(out.c_str());
}

// A model that fails to load or predict fails its own checks, not the rest of the zoo's.
template <class Check>
void guarded(const ZooModel &m, Check check) {
    try {
        check(m);
    } catch (const std::exception &e) {
        FAIL_CHECK(m.file << " (" << m.source << "): " << e.what());
    }
}

std::vector<const ZooModel *> models_from(const std::string &source) {
    std::vector<const ZooModel *> out;
    for (const auto &m : zoo().models)
        if (m.source == source) out.push_back(&m);
    return out;
}

}  // namespace

TEST_CASE("zoo: golden.json covers the zoo and every committed file is there", "[zoo]") {
    const auto committed = models_from("committed"), variants = models_from("variant");
    CHECK(committed.size() >= 26);
    CHECK(variants.size() >= 16);
    std::map<std::string, int> kinds;  // output kinds the library must detect (undeclared)
    int unsupported = 0;
    for (const auto &m : zoo().models) {
        INFO(m.file);
        CHECK(m.cases.size() == zoo().images.size());
        CHECK((m.engine == "native" || m.engine == "libtorch"));
        CHECK((m.engine == "libtorch") == !m.note_must_name.empty());
        if (!m.output_declared) ++kinds[m.output];
        unsupported += m.engine == "libtorch";
        if (m.source == "committed") CHECK(file_exists(model_path(m)));
    }
    CHECK(kinds["logits"] >= 1);
    CHECK(kinds["probabilities"] >= 1);
    CHECK(unsupported >= 1);
    CHECK(zoo().images.size() >= 100);
}

TEST_CASE("zoo: every committed model matches Python on both libtorch engines", "[zoo][torch]") {
    for (const auto *m : models_from("committed")) guarded(*m, check_on_libtorch);
}

TEST_CASE("zoo: every committed model runs on its engine and matches Python and so does its .dimodel",
          "[zoo][torch]") {
    for (const auto *m : models_from("committed")) guarded(*m, check_on_auto_engine);
}

// The ConvNet variants (generated by ctest's fixture into $DIGITINFER_ZOO_VARIANTS), each through `check`.
template <class Check>
void for_each_variant(Check check) {
    if (variants_dir().empty()) {
        WARN("skipped: DIGITINFER_ZOO_VARIANTS names no directory of ConvNet variants "
             "(ctest makes one; or run tools/make_zoo.py --variants DIR)");
        return;
    }
    for (const auto *m : models_from("variant")) {
        REQUIRE(file_exists(model_path(*m)));
        guarded(*m, check);
    }
}

TEST_CASE("zoo: every ConvNet variant matches Python on both libtorch engines",
          "[zoo][torch][zoo_variants]") {
    for_each_variant(check_on_libtorch);
}

TEST_CASE("zoo: every ConvNet variant runs natively and matches Python and so does its .dimodel",
          "[zoo][torch][zoo_variants]") {
    for_each_variant(check_on_auto_engine);
}

TEST_CASE("zoo: the committed .dimodel files predict as Python", "[zoo]") {
    REQUIRE(zoo().dimodels.size() >= 3);
    for (const auto &d : zoo().dimodels) {
        const std::string path = testing::repo_path(kZooDir + d.file);
        if (!file_exists(path)) {
            WARN("skipped: " << kZooDir << d.file << " is not there yet (tools/make_zoo.py --dimodels "
                 "compiles it from " << d.source << " with a library whose native engine runs it)");
            continue;
        }
        INFO(d.file << " (from " << d.source << ")");
        guarded(zoo_model(d.source), [&](const ZooModel &m) {
            const Model model(path);
            const auto info = model.info();
            CHECK(info.engine == DI_ENGINE_NATIVE);
            check_description(m, info);
            check_predictions(m, model, d.file);
        });
    }
}

TEST_CASE("zoo: the committed .dimodel files are what compiling their source gives", "[zoo][torch]") {
    for (const auto &d : zoo().dimodels) {
        const std::string path = testing::repo_path(kZooDir + d.file);
        if (!file_exists(path)) {
            WARN("skipped: " << kZooDir << d.file << " is not there yet (tools/make_zoo.py --dimodels)");
            continue;
        }
        INFO(d.file << " (from " << d.source << ")");
        const std::string out = std::string(DIGITINFER_BINARY_DIR) + "/zoo-recompiled-" + d.file;
        Model(testing::repo_path(kZooDir + d.source)).export_native(out);
        CHECK(file_bytes(out) == file_bytes(path));
        std::remove(out.c_str());
    }
}
