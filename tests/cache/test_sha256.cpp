// src/common/sha256.cpp against hashlib: tests/data/sha256_vectors.txt is
// written by tests/cache/make_sha256_vectors.py, never by hand.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "common/sha256.hpp"
#include "../support.hpp"

using digitinfer::core::Sha256;
using digitinfer::core::sha256;
using digitinfer::core::to_hex;

namespace {

struct Vector {
    std::string spec, input, digest;
};

std::string from_hex(const std::string &hex) {
    std::string out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) out += char(std::stoi(hex.substr(i, 2), nullptr, 16));
    return out;
}

// The input a line describes; see make_sha256_vectors.py for the three forms.
std::string input_of(const std::string &spec) {
    if (spec.rfind("hex:", 0) == 0) return from_hex(spec.substr(4));
    if (spec.rfind("pattern:", 0) == 0) {
        std::string out(std::stoul(spec.substr(8)), '\0');
        for (std::size_t i = 0; i < out.size(); ++i) out[i] = char((i * 31 + (i >> 8) + 7) & 0xFF);
        return out;
    }
    if (spec.rfind("repeat:", 0) == 0) {
        const std::size_t colon = spec.find(':', 7);
        return std::string(std::stoul(spec.substr(7, colon - 7)), from_hex(spec.substr(colon + 1))[0]);
    }
    FAIL("unknown vector input " << spec);
    return {};
}

const std::vector<Vector> &vectors() {
    static const std::vector<Vector> all = [] {
        std::ifstream in(testing::repo_path("tests/data/sha256_vectors.txt"));
        REQUIRE(in);
        std::vector<Vector> v;
        std::string spec, digest;
        while (in >> spec >> digest) v.push_back({spec, input_of(spec), digest});
        return v;
    }();
    return all;
}

}  // namespace

TEST_CASE("sha256 of whole inputs is hashlib's, from the empty string to a million bytes", "[sha256]") {
    REQUIRE(vectors().size() >= 30);
    bool empty = false, multi_block = false;
    for (const auto &v : vectors()) {
        INFO(v.spec);
        CHECK(to_hex(sha256(v.input)) == v.digest);
        empty |= v.input.empty();
        multi_block |= v.input.size() > 128;
    }
    CHECK(empty);
    CHECK(multi_block);
}

TEST_CASE("sha256 fed in pieces of any size gives the one-shot digest", "[sha256]") {
    for (const auto &v : vectors()) {
        if (v.input.size() > 70000) continue;  // the long inputs add nothing here but time
        for (std::size_t piece : {1, 3, 55, 63, 64, 65, 200}) {
            INFO(v.spec << " in pieces of " << piece);
            Sha256 h;
            for (std::size_t at = 0; at < v.input.size(); at += piece)
                h.update(v.input.data() + at, std::min(piece, v.input.size() - at));
            CHECK(to_hex(h.finish()) == v.digest);
        }
    }
}
