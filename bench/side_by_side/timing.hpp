// Shared by the side-by-side benchmark programs: a per-call timer that reports
// medians, the deterministic test input every implementation uses, and the
// process's memory figures. Results go to stdout as one JSON object per line;
// tools/compare.py reads them.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace sbs {

struct Stats {
    double median = 0, p10 = 0, p90 = 0;  // seconds per call
    std::size_t n = 0;                    // timed calls
};

// Calls `f` `warmup` times untimed, then times single calls until at least
// `min_iters` calls and `min_time` seconds of timed calls (at most `max_iters`).
template <class F>
Stats measure(F &&f, double min_time, std::size_t min_iters = 10, std::size_t max_iters = 200000,
              std::size_t warmup = 5) {
    using clock = std::chrono::steady_clock;
    for (std::size_t i = 0; i < warmup; ++i) f();
    std::vector<double> t;
    t.reserve(1024);
    double total = 0;
    while ((t.size() < min_iters || total < min_time) && t.size() < max_iters) {
        const auto a = clock::now();
        f();
        const auto b = clock::now();
        const double s = std::chrono::duration<double>(b - a).count();
        t.push_back(s);
        total += s;
    }
    std::sort(t.begin(), t.end());
    auto q = [&](double p) { return t[std::min(t.size() - 1, std::size_t(p * double(t.size() - 1) + 0.5))]; };
    Stats st;
    st.median = t.size() % 2 ? t[t.size() / 2] : 0.5 * (t[t.size() / 2 - 1] + t[t.size() / 2]);
    st.p10 = q(0.10);
    st.p90 = q(0.90);
    st.n = t.size();
    return st;
}

inline std::string json_escape(const std::string &s) {
    std::string o;
    for (char c : s) {
        if (c == '"' || c == '\\') o += '\\';
        o += c;
    }
    return o;
}

// One result line: {"impl": ..., "kind": ..., <extra>, "median_s": ..., ...}.
inline void emit(const std::string &impl, const std::string &kind, const std::string &extra, const Stats &s) {
    std::printf("{\"impl\": \"%s\", \"kind\": \"%s\"%s%s, \"median_s\": %.9g, \"p10_s\": %.9g, \"p90_s\": %.9g, "
                "\"n\": %zu}\n",
                json_escape(impl).c_str(), json_escape(kind).c_str(), extra.empty() ? "" : ", ", extra.c_str(),
                s.median, s.p10, s.p90, s.n);
    std::fflush(stdout);
}

// The deterministic input all implementations share: image j of a batch,
// pixel i (C order), as a normalized float. Pixel values are uint8 steps / 255.
inline float test_pixel(std::size_t j, std::size_t i) {
    const double v = double((i * 37 + j * 11) % 256) / 255.0;
    return float((v - 0.1302) / 0.3069);
}

inline std::vector<float> test_batch(std::size_t batch, std::size_t per_image) {
    std::vector<float> x(batch * per_image);
    for (std::size_t j = 0; j < batch; ++j)
        for (std::size_t i = 0; i < per_image; ++i) x[j * per_image + i] = test_pixel(j, i);
    return x;
}

// VmHWM and VmRSS of this process, in KiB, from /proc/self/status.
inline std::string memory_json() {
    std::ifstream f("/proc/self/status");
    std::string line, out;
    while (std::getline(f, line)) {
        for (const char *key : {"VmHWM:", "VmRSS:"}) {
            if (line.rfind(key, 0) == 0) {
                std::istringstream s(line.substr(std::strlen(key)));
                long kib = 0;
                s >> kib;
                if (!out.empty()) out += ", ";
                out += "\"" + std::string(key, std::strlen(key) - 1) + "_kib\": " + std::to_string(kib);
            }
        }
    }
    return out;
}

inline std::vector<std::size_t> parse_list(const std::string &s) {
    std::vector<std::size_t> v;
    std::stringstream in(s);
    std::string item;
    while (std::getline(in, item, ',')) v.push_back(std::size_t(std::stoul(item)));
    return v;
}

inline std::string read_bytes(const std::string &path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) {
        std::fprintf(stderr, "cannot read %s\n", path.c_str());
        std::exit(2);
    }
    std::ostringstream s;
    s << f.rdbuf();
    return s.str();
}

}  // namespace sbs
