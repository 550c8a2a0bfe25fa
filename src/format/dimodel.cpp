// Layout (all integers little-endian uint32 unless said otherwise):
//   "DIMODEL\0"  format_version (1)
//   metadata JSON: size, bytes (the digitinfer.json schema, output kind resolved)
//   layer count, then per layer a kind (1 conv, 2 max-pool, 3 linear) and:
//     conv:   in, out, kernel_h, kernel_w, relu, has_bias, weight[out*in*kh*kw] f32, bias[out] f32
//     pool:   kernel
//     linear: in, out, relu, has_bias, weight[out*in] f32, bias[out] f32
//   output activation (0 none, 1 log_softmax, 2 softmax)
//   FNV-1a 64-bit checksum of every byte before it (uint64)
#include "format/dimodel.hpp"
#include "format/model_file.hpp"

#include <cstring>
#include <type_traits>
#include <variant>

#include <nlohmann/json.hpp>

#include "common/failure.hpp"

namespace digitinfer::core {
namespace {

constexpr uint32_t kFormatVersion = 1;
constexpr uint32_t kMaxDimension = 1 << 16;
enum LayerKind : uint32_t { kConv = 1, kPool = 2, kLinear = 3 };

static_assert(sizeof(float) == 4 && std::numeric_limits<float>::is_iec559, "IEEE float32 expected");

uint64_t fnv1a(const char *data, std::size_t size) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (std::size_t i = 0; i < size; ++i) h = (h ^ uint8_t(data[i])) * 0x100000001b3ull;
    return h;
}

[[noreturn]] void corrupt(const std::string &what) { fail(DI_ERR_MODEL, "corrupt .dimodel file: " + what); }

class Writer {
public:
    void bytes(const void *p, std::size_t n) { out_.append(static_cast<const char *>(p), n); }
    void u32(uint32_t v) {
        const uint8_t b[4] = {uint8_t(v), uint8_t(v >> 8), uint8_t(v >> 16), uint8_t(v >> 24)};
        bytes(b, 4);
    }
    void u64(uint64_t v) {
        u32(uint32_t(v));
        u32(uint32_t(v >> 32));
    }
    void floats(const std::vector<float> &v) {
        for (float f : v) {
            uint32_t bits;
            std::memcpy(&bits, &f, 4);
            u32(bits);
        }
    }
    std::string &str() { return out_; }

private:
    std::string out_;
};

class Reader {
public:
    Reader(const char *data, std::size_t size) : data_(data), size_(size) {}
    void need(std::size_t n, const char *what) const {
        if (n > size_ - pos_) corrupt(std::string("truncated in ") + what);
    }
    uint32_t u32(const char *what) {
        need(4, what);
        const auto *b = reinterpret_cast<const uint8_t *>(data_ + pos_);
        pos_ += 4;
        return uint32_t(b[0]) | uint32_t(b[1]) << 8 | uint32_t(b[2]) << 16 | uint32_t(b[3]) << 24;
    }
    int dimension(const char *what) {
        const uint32_t v = u32(what);
        if (v < 1 || v > kMaxDimension) corrupt(std::string(what) + " " + std::to_string(v) + " out of range");
        return int(v);
    }
    bool flag(const char *what) {
        const uint32_t v = u32(what);
        if (v > 1) corrupt(std::string(what) + " is not 0 or 1");
        return v == 1;
    }
    std::string text(std::size_t n, const char *what) {
        need(n, what);
        std::string s(data_ + pos_, n);
        pos_ += n;
        return s;
    }
    // `count` floats, checked against the bytes left before anything is allocated.
    std::vector<float> floats(uint64_t count, const char *what) {
        if (count > (size_ - pos_) / 4) corrupt(std::string("truncated in ") + what);
        std::vector<float> v(count);
        for (float &f : v) {
            const uint32_t bits = u32(what);
            std::memcpy(&f, &bits, 4);
        }
        return v;
    }
    std::size_t position() const { return pos_; }

private:
    const char *data_;
    std::size_t size_, pos_ = 0;
};

// The digitinfer.json schema, output kind resolved, plus whether the source
// model carried metadata at all (has_metadata; absent in older files: true).
std::string metadata_json(const Metadata &m) {
    const nlohmann::json j = {
        {"name", m.name},
        {"input", {{"channels", m.channels}, {"height", m.height}, {"width", m.width}}},
        {"mean", m.mean},
        {"std", m.std},
        {"labels", m.labels},
        {"output", output_kind_name(m.output)},
        {"has_metadata", m.present},
    };
    return j.dump();
}

void write_layer(Writer &w, const engine::Layer &layer) {
    if (const auto *c = std::get_if<engine::Conv2d>(&layer)) {
        for (uint32_t v : {uint32_t(kConv), uint32_t(c->in_channels), uint32_t(c->out_channels), uint32_t(c->kernel_h),
                           uint32_t(c->kernel_w), uint32_t(c->relu), uint32_t(!c->bias.empty())})
            w.u32(v);
        w.floats(c->weight);
        w.floats(c->bias);
    } else if (const auto *p = std::get_if<engine::MaxPool2d>(&layer)) {
        w.u32(kPool);
        w.u32(uint32_t(p->kernel));
    } else if (const auto *l = std::get_if<engine::Linear>(&layer)) {
        for (uint32_t v : {uint32_t(kLinear), uint32_t(l->in_features), uint32_t(l->out_features), uint32_t(l->relu),
                           uint32_t(!l->bias.empty())})
            w.u32(v);
        w.floats(l->weight);
        w.floats(l->bias);
    }
}

engine::Layer read_layer(Reader &r) {
    switch (r.u32("layer kind")) {
        case kConv: {
            engine::Conv2d c;
            c.in_channels = r.dimension("conv in_channels");
            c.out_channels = r.dimension("conv out_channels");
            c.kernel_h = r.dimension("conv kernel_h");
            c.kernel_w = r.dimension("conv kernel_w");
            c.relu = r.flag("conv relu");
            const bool bias = r.flag("conv has_bias");
            c.weight = r.floats(uint64_t(c.out_channels) * uint64_t(c.in_channels) * uint64_t(c.kernel_h) *
                                    uint64_t(c.kernel_w),
                                "conv weight");
            if (bias) c.bias = r.floats(uint64_t(c.out_channels), "conv bias");
            return c;
        }
        case kPool: {
            engine::MaxPool2d p;
            p.kernel = r.dimension("pool kernel");
            return p;
        }
        case kLinear: {
            engine::Linear l;
            l.in_features = r.dimension("linear in_features");
            l.out_features = r.dimension("linear out_features");
            l.relu = r.flag("linear relu");
            const bool bias = r.flag("linear has_bias");
            l.weight = r.floats(uint64_t(l.out_features) * uint64_t(l.in_features), "linear weight");
            if (bias) l.bias = r.floats(uint64_t(l.out_features), "linear bias");
            return l;
        }
        default:
            corrupt("unknown layer kind");
    }
}

}  // namespace

std::string write_native_model(const NativeModel &model) {
    Writer w;
    w.bytes(kDimodelMagic, sizeof kDimodelMagic);
    w.u32(kFormatVersion);
    const std::string json = metadata_json(model.metadata);
    w.u32(uint32_t(json.size()));
    w.bytes(json.data(), json.size());
    w.u32(uint32_t(model.plan.layers.size()));
    for (const auto &layer : model.plan.layers) write_layer(w, layer);
    w.u32(uint32_t(model.plan.output));
    w.u64(fnv1a(w.str().data(), w.str().size()));
    return std::move(w.str());
}

NativeModel read_native_model(const std::string &bytes) {
    if (model_file_kind(bytes) != ModelFileKind::Dimodel) corrupt("bad magic");
    if (bytes.size() < sizeof kDimodelMagic + 8) corrupt("truncated");
    const std::size_t body = bytes.size() - 8;
    Reader tail(bytes.data() + body, 8);
    const uint64_t checksum = uint64_t(tail.u32("checksum")) | uint64_t(tail.u32("checksum")) << 32;
    if (checksum != fnv1a(bytes.data(), body)) corrupt("checksum mismatch");

    Reader r(bytes.data(), body);
    r.text(sizeof kDimodelMagic, "magic");
    if (const uint32_t version = r.u32("format version"); version != kFormatVersion)
        fail(DI_ERR_MODEL, ".dimodel format version " + std::to_string(version) + " is not supported (expected " +
                               std::to_string(kFormatVersion) + ")");
    NativeModel m;
    const uint32_t json_size = r.u32("metadata size");
    const std::string json = r.text(json_size, "metadata");
    m.metadata = parse_metadata(json);
    const auto has_metadata = nlohmann::json::parse(json, nullptr, false).value("has_metadata", nlohmann::json(true));
    if (!has_metadata.is_boolean()) corrupt("has_metadata is not a boolean");
    m.metadata.present = has_metadata.get<bool>();
    if (m.metadata.output == DI_OUTPUT_AUTO) corrupt("output kind not resolved");
    m.plan.channels = m.metadata.channels;
    m.plan.height = m.metadata.height;
    m.plan.width = m.metadata.width;
    const uint32_t layers = r.u32("layer count");
    if (layers < 1 || layers > 256) corrupt("layer count " + std::to_string(layers) + " out of range");
    for (uint32_t i = 0; i < layers; ++i) m.plan.layers.push_back(read_layer(r));
    const uint32_t output = r.u32("output activation");
    if (output > uint32_t(engine::Activation::Softmax)) corrupt("unknown output activation");
    m.plan.output = engine::Activation(output);
    if (r.position() != body) corrupt("trailing bytes");
    return m;
}

}  // namespace digitinfer::core
