// Layout (all integers little-endian uint32 unless said otherwise; f32: IEEE bits as uint32):
//   "DIMODEL\0"  format_version (2; version 1 files are read too)
//   metadata JSON: size, bytes (the digitinfer.json schema, output kind resolved)
//   node count, then per node: op kind, input count, inputs (0: the network input,
//   k: node k - 1), then the op's fields (write_op below; floats as f32):
//     1 conv:    in, out, kh, kw, stride h/w, pad top/left/bottom/right, dilation h/w, groups,
//                activation, has_bias, weight[out*in/groups*kh*kw], bias[out]
//     2 pool:    kind (0 max, 1 average), kernel h/w, stride h/w, pad h/w, ceil_mode, count_include_pad
//     3 linear:  in, out, activation, has_bias, weight[out*in], bias[out]
//     4 adaptive average pool: out h, w      5 batch norm: channels, scale[], shift[]
//     6 pointwise: activation                7 flatten    8 add    9 concat
//     activation: kind (plan.hpp's Pointwise::Kind), alpha f32, beta f32
//   output activation (0 none, 1 log_softmax, 2 softmax)
//   FNV-1a 64-bit checksum of every byte before it (uint64)
// Version 1 held a chain: per layer 1 conv (in, out, kh, kw, relu, has_bias, weight, bias),
// 2 max-pool (kernel), 3 linear (in, out, relu, has_bias, weight, bias).
#include "format/dimodel.hpp"
#include "format/model_file.hpp"

#include <cstring>
#include <type_traits>
#include <variant>

#include <nlohmann/json.hpp>

#include "common/failure.hpp"

namespace digitinfer::core {
namespace {

constexpr uint32_t kFormatVersion = 2;
constexpr uint32_t kMaxDimension = 1 << 16;
constexpr uint32_t kMaxNodes = 4096;
enum OpKind : uint32_t {
    kConv = 1, kPool = 2, kLinear = 3, kAdaptive = 4, kBatchNorm = 5, kPointwise = 6, kFlatten = 7, kAdd = 8,
    kConcat = 9
};

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
    void f32(float f) {
        uint32_t bits;
        std::memcpy(&bits, &f, 4);
        u32(bits);
    }
    void floats(const std::vector<float> &v) {
        for (float f : v) f32(f);
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
    int count(const char *what, uint32_t max = kMaxDimension) {
        const uint32_t v = u32(what);
        if (v > max) corrupt(std::string(what) + " " + std::to_string(v) + " out of range");
        return int(v);
    }
    float f32(const char *what) {
        const uint32_t bits = u32(what);
        float f;
        std::memcpy(&f, &bits, 4);
        return f;
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

void write_activation(Writer &w, const engine::Pointwise &p) {
    w.u32(uint32_t(p.kind));
    w.f32(p.alpha);
    w.f32(p.beta);
}

engine::Pointwise read_activation(Reader &r) {
    engine::Pointwise p;
    p.kind = engine::Pointwise::Kind(r.count("activation", engine::Pointwise::Hardswish));
    p.alpha = r.f32("activation alpha");
    p.beta = r.f32("activation beta");
    return p;
}

uint32_t op_kind(const engine::Op &op) {
    // In engine::Op's order: Conv2d, Pool2d, AdaptiveAvgPool2d, Linear, BatchNorm, Pointwise, Flatten, Add, Concat.
    static constexpr uint32_t kinds[] = {kConv, kPool, kAdaptive, kLinear, kBatchNorm, kPointwise, kFlatten, kAdd, kConcat};
    static_assert(std::variant_size_v<engine::Op> == sizeof kinds / sizeof *kinds);
    return kinds[op.index()];
}

// The fields of each op, in file order.
struct OpWriter {
    Writer &w;
    void u32s(std::initializer_list<uint32_t> values) {
        for (uint32_t v : values) w.u32(v);
    }
    void weights(const std::vector<float> &weight, const std::vector<float> &bias) {
        w.u32(!bias.empty());
        w.floats(weight);
        w.floats(bias);
    }
    void operator()(const engine::Conv2d &c) {
        u32s({uint32_t(c.in_channels), uint32_t(c.out_channels), uint32_t(c.kernel_h), uint32_t(c.kernel_w),
              uint32_t(c.stride_h), uint32_t(c.stride_w), uint32_t(c.pad_top), uint32_t(c.pad_left),
              uint32_t(c.pad_bottom), uint32_t(c.pad_right), uint32_t(c.dilation_h), uint32_t(c.dilation_w),
              uint32_t(c.groups)});
        write_activation(w, c.activation);
        weights(c.weight, c.bias);
    }
    void operator()(const engine::Pool2d &p) {
        u32s({uint32_t(p.kind), uint32_t(p.kernel_h), uint32_t(p.kernel_w), uint32_t(p.stride_h),
              uint32_t(p.stride_w), uint32_t(p.pad_h), uint32_t(p.pad_w), uint32_t(p.ceil_mode),
              uint32_t(p.count_include_pad)});
    }
    void operator()(const engine::Linear &l) {
        u32s({uint32_t(l.in_features), uint32_t(l.out_features)});
        write_activation(w, l.activation);
        weights(l.weight, l.bias);
    }
    void operator()(const engine::AdaptiveAvgPool2d &a) { u32s({uint32_t(a.out_h), uint32_t(a.out_w)}); }
    void operator()(const engine::BatchNorm &b) {
        w.u32(uint32_t(b.scale.size()));
        w.floats(b.scale);
        w.floats(b.shift);
    }
    void operator()(const engine::Pointwise &p) { write_activation(w, p); }
    void operator()(const engine::Flatten &) {}
    void operator()(const engine::Add &) {}
    void operator()(const engine::Concat &) {}
};

// Weight and bias of `out` rows of `per_out` values each; sizes checked against the file first.
void read_weights(Reader &r, uint64_t out, uint64_t per_out, std::vector<float> &weight, std::vector<float> &bias,
                  const char *what) {
    const bool has_bias = r.flag(what);
    weight = r.floats(out * per_out, what);
    if (has_bias) bias = r.floats(out, what);
}

// The fields both formats start a convolution with.
engine::Conv2d read_conv_shape(Reader &r) {
    engine::Conv2d c;
    c.in_channels = r.dimension("conv in_channels");
    c.out_channels = r.dimension("conv out_channels");
    c.kernel_h = r.dimension("conv kernel_h");
    c.kernel_w = r.dimension("conv kernel_w");
    return c;
}

engine::Op read_op(Reader &r, uint32_t kind) {
    switch (kind) {
        case kConv: {
            engine::Conv2d c = read_conv_shape(r);
            c.stride_h = r.dimension("conv stride_h");
            c.stride_w = r.dimension("conv stride_w");
            c.pad_top = r.count("conv pad_top");
            c.pad_left = r.count("conv pad_left");
            c.pad_bottom = r.count("conv pad_bottom");
            c.pad_right = r.count("conv pad_right");
            c.dilation_h = r.dimension("conv dilation_h");
            c.dilation_w = r.dimension("conv dilation_w");
            c.groups = r.dimension("conv groups");
            c.activation = read_activation(r);
            if (c.in_channels % c.groups) corrupt("conv groups do not divide in_channels");
            read_weights(r, uint64_t(c.out_channels),
                         uint64_t(c.in_channels / c.groups) * uint64_t(c.kernel_h) * uint64_t(c.kernel_w), c.weight,
                         c.bias, "conv weights");
            return c;
        }
        case kPool: {
            engine::Pool2d p;
            p.kind = engine::Pool2d::Kind(r.count("pool kind", engine::Pool2d::Average));
            p.kernel_h = r.dimension("pool kernel_h");
            p.kernel_w = r.dimension("pool kernel_w");
            p.stride_h = r.dimension("pool stride_h");
            p.stride_w = r.dimension("pool stride_w");
            p.pad_h = r.count("pool pad_h");
            p.pad_w = r.count("pool pad_w");
            p.ceil_mode = r.flag("pool ceil_mode");
            p.count_include_pad = r.flag("pool count_include_pad");
            return p;
        }
        case kLinear: {
            engine::Linear l;
            l.in_features = r.dimension("linear in_features");
            l.out_features = r.dimension("linear out_features");
            l.activation = read_activation(r);
            read_weights(r, uint64_t(l.out_features), uint64_t(l.in_features), l.weight, l.bias, "linear weights");
            return l;
        }
        case kAdaptive: {
            engine::AdaptiveAvgPool2d a;
            a.out_h = r.dimension("adaptive pool out_h");
            a.out_w = r.dimension("adaptive pool out_w");
            return a;
        }
        case kBatchNorm: {
            engine::BatchNorm b;
            const uint64_t channels = uint64_t(r.dimension("batch norm channels"));
            b.scale = r.floats(channels, "batch norm scale");
            b.shift = r.floats(channels, "batch norm shift");
            return b;
        }
        case kPointwise: return read_activation(r);
        case kFlatten: return engine::Flatten{};
        case kAdd: return engine::Add{};
        case kConcat: return engine::Concat{};
        default: corrupt("unknown op kind " + std::to_string(kind));
    }
}

// A version 1 layer, as the node it is today.
engine::Op read_v1_layer(Reader &r, bool &spatial) {
    const engine::Pointwise relu{engine::Pointwise::ReLU};
    switch (r.u32("layer kind")) {
        case kConv: {
            engine::Conv2d c = read_conv_shape(r);
            if (r.flag("conv relu")) c.activation = relu;
            read_weights(r, uint64_t(c.out_channels),
                         uint64_t(c.in_channels) * uint64_t(c.kernel_h) * uint64_t(c.kernel_w), c.weight, c.bias,
                         "conv weights");
            return c;
        }
        case kPool: {
            engine::Pool2d p;
            p.kernel_h = p.kernel_w = p.stride_h = p.stride_w = r.dimension("pool kernel");
            return p;
        }
        case kLinear: {
            engine::Linear l;
            l.in_features = r.dimension("linear in_features");
            l.out_features = r.dimension("linear out_features");
            if (r.flag("linear relu")) l.activation = relu;
            read_weights(r, uint64_t(l.out_features), uint64_t(l.in_features), l.weight, l.bias, "linear weights");
            spatial = false;
            return l;
        }
        default:
            corrupt("unknown layer kind");
    }
}

void read_nodes(Reader &r, uint32_t version, engine::Plan &plan) {
    if (version == 1) {  // a chain; Flatten was implied by the first Linear
        const uint32_t layers = r.u32("layer count");
        if (layers < 1 || layers > 256) corrupt("layer count " + std::to_string(layers) + " out of range");
        bool spatial = true;
        for (uint32_t i = 0; i < layers; ++i) {
            const bool was_spatial = spatial;
            engine::Op op = read_v1_layer(r, spatial);
            if (was_spatial && !spatial) plan.then(engine::Flatten{});
            plan.then(std::move(op));
        }
        return;
    }
    const uint32_t nodes = r.u32("node count");
    if (nodes < 1 || nodes > kMaxNodes) corrupt("node count " + std::to_string(nodes) + " out of range");
    for (uint32_t i = 0; i < nodes; ++i) {
        const uint32_t kind = r.u32("op kind");
        engine::Node node;
        const int inputs = r.count("input count", 64);
        if (inputs < 1) corrupt("node without inputs");
        for (int k = 0; k < inputs; ++k) {
            const int in = r.count("input", i);
            node.inputs.push_back(in - 1);  // 0: the network input (kInput = -1)
        }
        node.op = read_op(r, kind);
        plan.nodes.push_back(std::move(node));
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
    w.u32(uint32_t(model.plan.nodes.size()));
    for (const engine::Node &node : model.plan.nodes) {
        w.u32(op_kind(node.op));
        w.u32(uint32_t(node.inputs.size()));
        for (int in : node.inputs) w.u32(uint32_t(in + 1));
        std::visit(OpWriter{w}, node.op);
    }
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
    const uint32_t version = r.u32("format version");
    if (version < 1 || version > kFormatVersion)
        fail(DI_ERR_MODEL, ".dimodel format version " + std::to_string(version) + " is not supported (expected 1 to " +
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
    read_nodes(r, version, m.plan);
    const uint32_t output = r.u32("output activation");
    if (output > uint32_t(engine::Activation::Softmax)) corrupt("unknown output activation");
    m.plan.output = engine::Activation(output);
    if (r.position() != body) corrupt("trailing bytes");
    return m;
}

}  // namespace digitinfer::core
