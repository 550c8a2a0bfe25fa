// Pillow's decision on hostile and odd files (tests/data/pillow-corpus, written
// by tools/pillow_corpus.py): where Pillow accepts a file, the library's
// preprocessing gives DI_OK and Pillow's 28x28 exactly; where Pillow refuses
// it, the library refuses it with DI_ERR_DECODE.
#include <catch2/catch.hpp>

#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "digitinfer/digitinfer.hpp"
#include "shared_model.hpp"
#include "support.hpp"

namespace {

struct CorpusFile {
    std::string name;  // below tests/data/pillow-corpus, e.g. "gif/lzw-cut.gif"
    bool accepted = false;
    std::string pillow_error;
    std::vector<uint8_t> preprocessed;
};

std::vector<CorpusFile> corpus() {
    std::ifstream in(testing::repo_path("tests/data/pillow-corpus/expected.json"));
    const auto expected = nlohmann::json::parse(in);
    std::vector<CorpusFile> files;
    for (const auto &[name, v] : expected.at("files").items()) {
        CorpusFile f{name, v.at("accepted").get<bool>(), {}, {}};
        if (f.accepted)
            f.preprocessed = v.at("preprocessed").get<std::vector<uint8_t>>();
        else
            f.pillow_error = v.at("error").get<std::string>();
        files.push_back(std::move(f));
    }
    return files;
}

}  // namespace

TEST_CASE("every file of the Pillow corpus gets Pillow's decision and Pillow's pixels", "[pillow_corpus]") {
    const auto files = corpus();
    REQUIRE(files.size() >= 10);
    const auto &model = testing::shared_model(testing::kDefaultModel);
    for (const auto &f : files) {
        const auto bytes = testing::read_bytes("tests/data/pillow-corpus/" + f.name);
        di_status status = DI_OK;
        std::string message;
        digitinfer::Preprocessed p;
        try {
            p = model.preprocess_encoded(bytes.data(), bytes.size());
        } catch (const digitinfer::Error &e) {
            status = e.code();
            message = e.what();
        }
        INFO(f.name << ": Pillow " << (f.accepted ? "accepts it" : "refuses it (" + f.pillow_error + ")")
                    << "; the library: " << (status == DI_OK ? "DI_OK" : message));
        if (f.accepted) {
            CHECK(status == DI_OK);
            if (status == DI_OK) CHECK(testing::differing_pixels(p.image, f.preprocessed) == 0);
        } else {
            CHECK(status == DI_ERR_DECODE);
        }
    }
}
