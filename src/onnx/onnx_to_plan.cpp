// Lowers an ONNX graph to an engine plan (plan.hpp); see onnx_to_plan.hpp.
//
// First the structure: the file's size, the protobuf parse (a size-limited
// buffer, bounded nesting), the opset, one image input and one output, every
// node reading only names defined before it (so no cycles), every initializer's
// data matching its dims, no external data. Then every node is matched to plan
// nodes, in order; shapes are tracked and each plan node's shape checked
// (engine::output_shape) as it is made. Nodes that don't match are collected
// (with why, in plain words) and reported together, as graph_to_plan does.
//
// What torch.onnx.export (opsets 9-17) writes for the operations the engine
// runs: Conv, Gemm/MatMul(+Add), BatchNormalization, MaxPool/AveragePool
// (AveragePool after a Pad: torch's count_include_pad), GlobalAveragePool,
// ReduceMean over H and W, Flatten, Reshape to [N, -1] (its shape computed by
// Shape/Gather/Unsqueeze/Concat, folded here with the batch symbolic), the
// activations (HardSigmoid * x: Hardswish before opset 14; Sigmoid(x) * x:
// SiLU; x * (1 + Erf(x / sqrt 2)) * 0.5: GELU), Dropout/Identity, Add/Concat
// of tensors, Softmax/LogSoftmax at the end.
#include "onnx/onnx_to_plan.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include <google/protobuf/io/coded_stream.h>
#include <nlohmann/json.hpp>

#include "common/failure.hpp"
#include "engine/shapes.hpp"
#include "onnx.pb.h"

namespace digitinfer::core {
namespace {

namespace pb = digitinfer_onnx;
using engine::TensorShape;

constexpr int kMinOpset = 7, kMaxOpset = 18;
constexpr int kMaxGraphNodes = 20000;
constexpr int kMaxInitializers = 20000;
constexpr int kMaxRank = 8;
constexpr int kMaxDimension = 4096;                           // C, H, W of the input, as digitinfer.json
constexpr uint64_t kMaxTensorElements = uint64_t(1) << 26;    // per initializer (the engine's packed-weight budget)
constexpr std::size_t kMaxFolded = 4096;                      // elements of a tensor computed here (shape arithmetic)
constexpr int64_t kMaxAttribute = 1 << 16;                    // kernel, stride, padding, dilation, group, axis
constexpr int kRecursionLimit = 64;                           // protobuf nesting (subgraphs in attributes)
constexpr int64_t kBatch = std::numeric_limits<int64_t>::min();  // the symbolic batch size in shape arithmetic
constexpr const char *kNotImplemented = "not implemented by the native engine";

[[noreturn]] void invalid(const std::string &what) { fail(DI_ERR_MODEL, "invalid ONNX model: " + what); }

// A node that cannot be lowered: why; `op`, when set, is the operator to blame instead of the node's.
struct Unsupported : std::runtime_error {
    Unsupported(const std::string &why, std::string blame = "") : std::runtime_error(why), op(std::move(blame)) {}
    std::string op;
};
[[noreturn]] void unsupported(const std::string &why) { throw Unsupported(why); }

std::string shown(const std::string &s) {
    std::string out = "'";
    for (char c : s.substr(0, 80)) out += (c >= 32 && c < 127) ? c : '?';
    return out + (s.size() > 80 ? "...'" : "'");
}

std::string dims_text(const std::vector<int64_t> &dims) {
    std::string s = "[";
    for (std::size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
    return s + "]";
}

// A tensor known at load time: an initializer, a Constant, or folded shape arithmetic.
struct Const {
    std::vector<int64_t> dims;
    bool integer = false;
    std::vector<float> f;    // !integer
    std::vector<int64_t> i;  // integer; may hold kBatch
    std::size_t numel() const { return integer ? i.size() : f.size(); }
};
using ConstPtr = std::shared_ptr<const Const>;

uint64_t element_count(const google::protobuf::RepeatedField<int64_t> &dims, const std::string &what) {
    if (dims.size() > kMaxRank) invalid("tensor " + what + " has " + std::to_string(dims.size()) + " dimensions");
    uint64_t n = 1;
    for (int64_t d : dims) {
        if (d < 0) invalid("tensor " + what + " has a negative dimension");
        if (d > int64_t(kMaxTensorElements) || (d && n > kMaxTensorElements / uint64_t(d)))
            invalid("tensor " + what + " has over " + std::to_string(kMaxTensorElements) + " elements");
        n *= uint64_t(d);
    }
    if (n > kMaxTensorElements) invalid("tensor " + what + " has over " + std::to_string(kMaxTensorElements) + " elements");
    return n;
}

template <typename T>
std::vector<T> raw_values(const std::string &raw, uint64_t n, const std::string &what) {
    if (raw.size() != n * sizeof(T))
        invalid("tensor " + what + " has " + std::to_string(raw.size()) + " bytes of data, its dims need " +
                std::to_string(n * sizeof(T)));
    std::vector<T> v(n);
    if (n) std::memcpy(v.data(), raw.data(), n * sizeof(T));  // little-endian, as ONNX stores raw data
    return v;
}

template <typename Field>
void check_count(const Field &field, uint64_t n, const std::string &what) {
    if (uint64_t(field.size()) != n)
        invalid("tensor " + what + " has " + std::to_string(field.size()) + " values, its dims need " + std::to_string(n));
}

ConstPtr read_tensor(const pb::TensorProto &t, const std::string &name) {
    const std::string what = shown(name);
    if (t.data_location() == pb::TensorProto::EXTERNAL || t.external_data_size() > 0)
        invalid("tensor " + what + " keeps its data in an external file: external data is refused");
    if (t.has_segment()) invalid("tensor " + what + " is a segment: segmented tensors are refused");
    const uint64_t n = element_count(t.dims(), what);
    auto c = std::make_shared<Const>();
    c->dims.assign(t.dims().begin(), t.dims().end());
    const bool raw = t.has_raw_data();
    switch (t.data_type()) {
        case pb::TensorProto::FLOAT:
            if (raw) c->f = raw_values<float>(t.raw_data(), n, what);
            else check_count(t.float_data(), n, what), c->f.assign(t.float_data().begin(), t.float_data().end());
            break;
        case pb::TensorProto::DOUBLE: {
            std::vector<double> d;
            if (raw) d = raw_values<double>(t.raw_data(), n, what);
            else check_count(t.double_data(), n, what), d.assign(t.double_data().begin(), t.double_data().end());
            c->f.assign(d.begin(), d.end());  // out of float range: inf, refused by the engine's finite check
            break;
        }
        case pb::TensorProto::INT64:
            c->integer = true;
            if (raw) c->i = raw_values<int64_t>(t.raw_data(), n, what);
            else check_count(t.int64_data(), n, what), c->i.assign(t.int64_data().begin(), t.int64_data().end());
            for (int64_t &v : c->i) v = std::max(v, kBatch + 1);  // kBatch is ours
            break;
        case pb::TensorProto::INT32: {
            c->integer = true;
            std::vector<int32_t> v;
            if (raw) v = raw_values<int32_t>(t.raw_data(), n, what);
            else check_count(t.int32_data(), n, what), v.assign(t.int32_data().begin(), t.int32_data().end());
            c->i.assign(v.begin(), v.end());
            break;
        }
        case pb::TensorProto::BOOL: {  // Dropout's training_mode
            c->integer = true;
            if (raw) {
                const std::vector<uint8_t> v = raw_values<uint8_t>(t.raw_data(), n, what);
                c->i.assign(v.begin(), v.end());
            } else {
                check_count(t.int32_data(), n, what), c->i.assign(t.int32_data().begin(), t.int32_data().end());
            }
            break;
        }
        case pb::TensorProto::UNDEFINED: invalid("tensor " + what + " has no data type");
        default:
            invalid("tensor " + what + " has data type " + std::to_string(t.data_type()) +
                    " (float, double, int32, int64 and bool are read)");
    }
    return c;
}

struct Attributes {
    std::map<std::string, const pb::AttributeProto *> by_name;

    explicit Attributes(const pb::NodeProto &node) {
        for (const pb::AttributeProto &a : node.attribute()) by_name[a.name()] = &a;
    }
    const pb::AttributeProto *find(const std::string &name) const {
        auto it = by_name.find(name);
        return it == by_name.end() ? nullptr : it->second;
    }
    bool has(const std::string &name) const { return find(name) != nullptr; }
    int64_t i(const std::string &name, int64_t fallback) const {
        const auto *a = find(name);
        if (!a) return fallback;
        if (a->type() != pb::AttributeProto::INT && !a->has_i()) unsupported("attribute " + name + " is not an integer");
        return a->i();
    }
    float f(const std::string &name, float fallback) const {
        const auto *a = find(name);
        if (!a) return fallback;
        if (a->type() != pb::AttributeProto::FLOAT && !a->has_f()) unsupported("attribute " + name + " is not a number");
        return a->f();
    }
    std::string s(const std::string &name, const std::string &fallback) const {
        const auto *a = find(name);
        return a ? a->s() : fallback;
    }
    std::vector<int64_t> ints(const std::string &name) const {
        const auto *a = find(name);
        if (!a) return {};
        if (a->ints_size() > kMaxRank * 2) unsupported("attribute " + name + " has too many values");
        return {a->ints().begin(), a->ints().end()};
    }
};

// An attribute value that must be in [lo, hi].
int bounded(int64_t v, int64_t lo, int64_t hi, const std::string &what) {
    if (v < lo || v > hi)
        unsupported(what + " " + std::to_string(v) + " out of range [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
    return int(v);
}

// A 2-D attribute (kernel, strides, dilations): `fallback` when absent.
std::pair<int, int> pair_attr(const Attributes &a, const std::string &name, int fallback, int64_t lo) {
    if (!a.has(name)) return {fallback, fallback};
    const std::vector<int64_t> v = a.ints(name);
    if (v.size() != 2) unsupported(name + " with " + std::to_string(v.size()) + " values (2-D only)");
    return {bounded(v[0], lo, kMaxAttribute, name), bounded(v[1], lo, kMaxAttribute, name)};
}

// ONNX pads [top, left, bottom, right].
std::array<int, 4> pads_attr(const Attributes &a) {
    std::array<int, 4> p{0, 0, 0, 0};
    if (!a.has("pads")) return p;
    const std::vector<int64_t> v = a.ints("pads");
    if (v.size() != 4) unsupported("pads with " + std::to_string(v.size()) + " values (2-D only)");
    for (int k = 0; k < 4; ++k) p[std::size_t(k)] = bounded(v[std::size_t(k)], 0, kMaxAttribute, "padding");
    return p;
}

class Lowering {
public:
    Lowering(const pb::GraphProto &graph, int opset) : graph_(graph), opset_(opset) {}

    // `input_dims`: the image input's [C, H, W]; `batch_one`: its batch dimension is 1, not symbolic.
    engine::Plan run(const std::string &input, int channels, int height, int width, bool batch_one) {
        plan_.channels = channels, plan_.height = height, plan_.width = width;
        batch_one_ = batch_one;
        Value in;
        in.shape = {false, channels, height, width};
        values_[input] = in;
        for (const pb::TensorProto &t : graph_.initializer()) {
            if (values_.count(t.name())) continue;  // an input of the same name: the initializer is its default
            Value v;
            v.kind = Value::Constant;
            v.constant = read_tensor(t, t.name());
            values_[t.name()] = std::move(v);
        }
        count_uses();
        for (int i = 0; i < graph_.node_size(); ++i) lower(graph_.node(i));
        if (problems_.empty()) finish(graph_.output(0).name());
        if (!problems_.empty()) {
            std::ostringstream s;
            s << "unsupported: ";
            for (auto it = problems_.begin(); it != problems_.end(); ++it)
                s << (it == problems_.begin() ? "" : "; ") << it->first << " (" << it->second << ")";
            fail(DI_ERR_MODEL, s.str());
        }
        return std::move(plan_);
    }

private:
    struct Value {
        enum Kind { Tensor, Constant, Pending } kind = Tensor;
        int node = engine::kInput;
        TensorShape shape;
        engine::Activation softmax = engine::Activation::None;  // applied to `node`
        bool own = false;  // bound by the node that made `node` (not an alias: then its uses are all of `node`'s)
        ConstPtr constant;
        // Pending: part of a pattern over the tensor `base` that is not a plan node by itself.
        std::string pattern, blame, base;
        std::array<int, 4> pads{0, 0, 0, 0};  // pattern "pad": top, left, bottom, right
    };

    const pb::GraphProto &graph_;
    const int opset_;
    bool batch_one_ = false;
    engine::Plan plan_;
    std::vector<TensorShape> node_shapes_;
    std::unordered_map<std::string, Value> values_;
    std::unordered_map<std::string, int> uses_;
    std::unordered_map<std::string, std::string> sigmoid_of_, gelu_div_of_;  // output -> the tensor it is of
    std::unordered_set<std::string> poisoned_;
    std::map<std::string, std::string> problems_;  // op -> first reason

    void count_uses() {
        for (const pb::NodeProto &n : graph_.node())
            for (const std::string &in : n.input()) ++uses_[in];
        for (const pb::ValueInfoProto &o : graph_.output()) ++uses_[o.name()];
    }
    bool used(const pb::NodeProto &n, int output) const {
        if (output >= n.output_size() || n.output(output).empty()) return false;
        auto it = uses_.find(n.output(output));
        return it != uses_.end() && it->second > 0;
    }

    void lower(const pb::NodeProto &node) {
        const std::string &op = node.op_type();
        const std::string kind = node.domain().empty() || node.domain() == "ai.onnx" ? op : node.domain() + "." + op;
        bool poisoned = false;
        for (const std::string &in : node.input()) poisoned = poisoned || poisoned_.count(in);
        if (poisoned) {  // its inputs are unknown: only say whether the engine has the operation at all
            if (!handlers().count(kind)) problems_.emplace(kind, kNotImplemented);
            return poison(node);
        }
        try {
            auto handler = handlers().find(kind);
            if (handler == handlers().end()) unsupported(kNotImplemented);
            (this->*handler->second)(node, Attributes(node));
        } catch (const Unsupported &e) {
            problems_.emplace(e.op.empty() ? kind : e.op, e.what());
            poison(node);
        }
    }
    void poison(const pb::NodeProto &node) {
        for (const std::string &v : node.output()) poisoned_.insert(v);
    }

    // --- values
    const Value &value(const std::string &name) const {
        auto it = values_.find(name);
        if (it == values_.end()) unsupported("an input that is not a tensor the native engine computes");
        return it->second;
    }
    // A tensor the plan computes (not a constant, not part of a pattern).
    const Value &tensor(const pb::NodeProto &node, int i) const {
        if (i >= node.input_size() || node.input(i).empty()) unsupported("input " + std::to_string(i) + " missing");
        const Value &v = value(node.input(i));
        if (v.kind == Value::Constant) unsupported("a constant where a computed tensor is expected");
        if (v.kind == Value::Pending) throw Unsupported(kNotImplemented, v.blame);
        if (v.softmax != engine::Activation::None) unsupported("(log_)softmax used inside the network");
        return v;
    }
    bool has_input(const pb::NodeProto &node, int i) const { return i < node.input_size() && !node.input(i).empty(); }
    bool is_const(const pb::NodeProto &node, int i) const {
        return has_input(node, i) && value(node.input(i)).kind == Value::Constant;
    }
    ConstPtr constant(const pb::NodeProto &node, int i) const {
        if (!has_input(node, i)) unsupported("input " + std::to_string(i) + " missing");
        const Value &v = value(node.input(i));
        if (v.kind != Value::Constant) unsupported("input " + std::to_string(i) + " computed at run time");
        return v.constant;
    }
    std::vector<float> floats(const pb::NodeProto &node, int i) const {
        ConstPtr c = constant(node, i);
        if (c->integer) unsupported("integer weights");
        return c->f;
    }
    std::vector<int64_t> ints(const pb::NodeProto &node, int i) const {
        ConstPtr c = constant(node, i);
        if (!c->integer) unsupported("a shape or axis list that is not integers");
        return c->i;
    }
    void bind(const pb::NodeProto &node, Value v, int output = 0) {
        if (output < node.output_size() && !node.output(output).empty()) values_[node.output(output)] = std::move(v);
    }
    void bind_const(const pb::NodeProto &node, Const c) {
        if (c.numel() > kMaxFolded) unsupported("a computed constant of over " + std::to_string(kMaxFolded) + " values");
        Value v;
        v.kind = Value::Constant;
        v.constant = std::make_shared<const Const>(std::move(c));
        bind(node, std::move(v));
    }
    void pending(const pb::NodeProto &node, const std::string &pattern, const std::string &base, std::string blame) {
        Value v;
        v.kind = Value::Pending;
        v.pattern = pattern, v.base = base, v.blame = std::move(blame);
        bind(node, std::move(v));
    }
    // Outputs beyond the first (indices, masks, training statistics) must be unused.
    void only_first_output(const pb::NodeProto &node) const {
        for (int k = 1; k < node.output_size(); ++k)
            if (used(node, k)) unsupported("output " + std::to_string(k) + " used");
    }

    // Appends `op` on `inputs` and binds it to the node's first output.
    void emit(const pb::NodeProto &node, engine::Op op, std::vector<int> inputs) {
        std::vector<TensorShape> shapes;
        for (int j : inputs)
            shapes.push_back(j == engine::kInput ? TensorShape{false, plan_.channels, plan_.height, plan_.width}
                                                 : node_shapes_[std::size_t(j)]);
        engine::Node n{std::move(op), std::move(inputs)};
        TensorShape shape;
        try {
            shape = engine::output_shape(n, shapes);
        } catch (const std::invalid_argument &e) {
            const std::string why = e.what();
            const auto colon = why.find(": ");
            unsupported(colon == std::string::npos ? why : why.substr(colon + 2));  // "engine plan: Conv2d: ..."
        }
        plan_.nodes.push_back(std::move(n));
        node_shapes_.push_back(shape);
        Value v;
        v.node = int(plan_.nodes.size()) - 1;
        v.shape = shape;
        v.own = true;
        bind(node, std::move(v));
    }
    void emit(const pb::NodeProto &node, engine::Op op) { emit(node, std::move(op), {tensor(node, 0).node}); }
    void alias(const pb::NodeProto &node, const Value &v) {
        Value copy = v;
        copy.own = false;
        bind(node, std::move(copy));
    }

    using Handler = void (Lowering::*)(const pb::NodeProto &, const Attributes &);
    static const std::map<std::string, Handler> &handlers() {
        static const std::map<std::string, Handler> table = {
            {"Conv", &Lowering::conv}, {"Gemm", &Lowering::gemm}, {"MatMul", &Lowering::matmul},
            {"Add", &Lowering::add}, {"Sub", &Lowering::sub}, {"Mul", &Lowering::mul}, {"Div", &Lowering::div},
            {"Relu", &Lowering::activation}, {"LeakyRelu", &Lowering::activation}, {"Elu", &Lowering::activation},
            {"Sigmoid", &Lowering::activation}, {"Tanh", &Lowering::activation}, {"HardSwish", &Lowering::activation},
            {"Gelu", &Lowering::activation}, {"Clip", &Lowering::clip}, {"HardSigmoid", &Lowering::hard_sigmoid},
            {"Erf", &Lowering::erf}, {"MaxPool", &Lowering::pool}, {"AveragePool", &Lowering::pool},
            {"GlobalAveragePool", &Lowering::global_average}, {"ReduceMean", &Lowering::reduce_mean},
            {"BatchNormalization", &Lowering::batch_norm}, {"Flatten", &Lowering::flatten},
            {"Reshape", &Lowering::reshape}, {"Dropout", &Lowering::dropout}, {"Identity", &Lowering::identity},
            {"Softmax", &Lowering::softmax}, {"LogSoftmax", &Lowering::softmax}, {"Concat", &Lowering::concat},
            {"Pad", &Lowering::pad}, {"Constant", &Lowering::constant_node}, {"Shape", &Lowering::shape},
            {"Gather", &Lowering::gather}, {"Unsqueeze", &Lowering::unsqueeze}, {"Squeeze", &Lowering::squeeze},
            {"Cast", &Lowering::cast},
        };
        return table;
    }

    // --- layers
    void conv(const pb::NodeProto &node, const Attributes &a) {
        if (!has_input(node, 0)) unsupported("input 0 missing");
        std::array<int, 4> extra{0, 0, 0, 0};  // a Pad before it
        const Value *x = &value(node.input(0));
        if (x->kind == Value::Pending && x->pattern == "pad") {
            extra = x->pads;
            x = &value(x->base);
        } else {
            x = &tensor(node, 0);
        }
        if (x->shape.flat) unsupported("a convolution on a flat tensor");
        ConstPtr w = constant(node, 1);
        if (w->integer) unsupported("integer weights");
        if (w->dims.size() != 4) unsupported("a convolution that is not 2-D");
        engine::Conv2d c;
        c.groups = bounded(a.i("group", 1), 1, kMaxAttribute, "group");
        c.out_channels = bounded(w->dims[0], 1, kMaxAttribute, "output channels");
        c.in_channels = x->shape.c;
        if (w->dims[1] * c.groups != x->shape.c)
            unsupported("weight " + dims_text(w->dims) + " with group " + std::to_string(c.groups) + " on " +
                        std::to_string(x->shape.c) + " input channels");
        c.kernel_h = bounded(w->dims[2], 1, kMaxAttribute, "kernel"), c.kernel_w = bounded(w->dims[3], 1, kMaxAttribute, "kernel");
        if (a.has("kernel_shape") && a.ints("kernel_shape") != std::vector<int64_t>{w->dims[2], w->dims[3]})
            unsupported("kernel_shape other than the weight's");
        std::tie(c.stride_h, c.stride_w) = pair_attr(a, "strides", 1, 1);
        std::tie(c.dilation_h, c.dilation_w) = pair_attr(a, "dilations", 1, 1);
        std::array<int, 4> p = pads_attr(a);
        const std::string auto_pad = a.s("auto_pad", "NOTSET");
        if (auto_pad == "VALID") {
            p = {0, 0, 0, 0};
        } else if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
            const int in[2] = {x->shape.h, x->shape.w}, k[2] = {c.kernel_h, c.kernel_w};
            const int s[2] = {c.stride_h, c.stride_w}, d[2] = {c.dilation_h, c.dilation_w};
            for (int i = 0; i < 2; ++i) {
                const int64_t out = (int64_t(in[i]) + s[i] - 1) / s[i];
                const int64_t total = std::max<int64_t>(0, (out - 1) * s[i] + int64_t(k[i] - 1) * d[i] + 1 - in[i]);
                const int small = int(total / 2), big = int(total - total / 2);
                p[std::size_t(i)] = auto_pad == "SAME_UPPER" ? small : big;
                p[std::size_t(i + 2)] = auto_pad == "SAME_UPPER" ? big : small;
            }
        } else if (auto_pad != "NOTSET") {
            unsupported("auto_pad " + shown(auto_pad));
        }
        c.pad_top = p[0] + extra[0], c.pad_left = p[1] + extra[1], c.pad_bottom = p[2] + extra[2], c.pad_right = p[3] + extra[3];
        c.weight = w->f;
        if (has_input(node, 2)) {
            c.bias = floats(node, 2);
            if (c.bias.size() != std::size_t(c.out_channels)) unsupported("a bias that is not one value per output channel");
        }
        emit(node, std::move(c), {x->node});
    }

    // A Linear layer on the flat tensor x: weight [out][in].
    void linear_on(const pb::NodeProto &node, const Value &x, std::vector<float> weight, int out, int in,
                   std::vector<float> bias) {
        if (!x.shape.flat) unsupported("a matrix product on a [C, H, W] tensor (flatten it first)");
        if (in != x.shape.c)
            unsupported("a " + std::to_string(in) + "-feature weight on " + std::to_string(x.shape.c) + " features");
        engine::Linear l;
        l.in_features = in, l.out_features = out;
        l.weight = std::move(weight);
        l.bias = std::move(bias);
        emit(node, std::move(l), {x.node});
    }
    // B [K][N] -> [N][K].
    static std::vector<float> transposed(const std::vector<float> &b, int64_t k, int64_t n) {
        std::vector<float> t(b.size());
        for (int64_t i = 0; i < k; ++i)
            for (int64_t j = 0; j < n; ++j) t[std::size_t(j * k + i)] = b[std::size_t(i * n + j)];
        return t;
    }

    void gemm(const pb::NodeProto &node, const Attributes &a) {
        // Y = alpha * A' B' + beta * C
        if (a.i("transA", 0) != 0) unsupported("transA");
        const Value &x = tensor(node, 0);
        ConstPtr b = constant(node, 1);
        if (b->integer || b->dims.size() != 2) unsupported("a weight that is not a float matrix");
        const bool trans_b = a.i("transB", 0) != 0;
        const int64_t k = trans_b ? b->dims[1] : b->dims[0], n = trans_b ? b->dims[0] : b->dims[1];
        const int out = bounded(n, 1, int64_t(1) << 24, "output features"), in = bounded(k, 1, int64_t(1) << 24, "input features");
        std::vector<float> w = trans_b ? b->f : transposed(b->f, k, n);
        const float alpha = a.f("alpha", 1.0f), beta = a.f("beta", 1.0f);
        if (alpha != 1.0f)
            for (float &v : w) v *= alpha;
        std::vector<float> bias;
        if (has_input(node, 2)) {
            ConstPtr c = constant(node, 2);
            if (c->integer) unsupported("an integer bias");
            const bool per_output = c->f.size() == std::size_t(out) &&
                                    (c->dims == std::vector<int64_t>{n} || c->dims == std::vector<int64_t>{1, n});
            if (per_output) bias = c->f;
            else if (c->f.size() == 1) bias.assign(std::size_t(out), c->f[0]);
            else unsupported("a bias of shape " + dims_text(c->dims) + " (one value per output, or one)");
            if (beta != 1.0f)
                for (float &v : bias) v *= beta;
        }
        linear_on(node, x, std::move(w), out, in, std::move(bias));
    }

    void matmul(const pb::NodeProto &node, const Attributes &) {
        const Value &x = tensor(node, 0);
        if (!is_const(node, 1)) unsupported("a product of two computed tensors");
        ConstPtr b = constant(node, 1);
        if (b->integer || b->dims.size() != 2) unsupported("a matrix product with a " + std::to_string(b->dims.size()) + "-D operand");
        const int out = bounded(b->dims[1], 1, int64_t(1) << 24, "output features");
        const int in = bounded(b->dims[0], 1, int64_t(1) << 24, "input features");
        linear_on(node, x, transposed(b->f, in, out), out, in, {});
    }

    // A constant that broadcasts per channel (spatial: [C,1,1] or [1,C,1,1]) or per feature
    // ([F] or [1,F]) of x, or a scalar: its values, one per channel; empty when it does not.
    static std::vector<float> per_channel(const Const &c, const TensorShape &x) {
        if (c.integer) return {};
        const std::size_t n = std::size_t(x.c);
        if (c.f.size() == 1) return std::vector<float>(n, c.f[0]);
        if (c.f.size() != n) return {};
        std::vector<int64_t> dims = c.dims;
        while (!dims.empty() && dims.front() == 1 && dims.size() > (x.flat ? 1u : 3u)) dims.erase(dims.begin());
        const std::vector<int64_t> want = x.flat ? std::vector<int64_t>{x.c} : std::vector<int64_t>{x.c, 1, 1};
        return dims == want ? c.f : std::vector<float>{};
    }

    // x * scale + shift, per channel: folded into the bias of the Linear or Conv2d before it when
    // that is all it is, else a BatchNorm node.
    void affine(const pb::NodeProto &node, const std::string &x_name, std::vector<float> scale, std::vector<float> shift) {
        const Value &x = value(x_name);
        if (x.node >= 0 && x.own && uses_[x_name] == 1 && std::all_of(scale.begin(), scale.end(), [](float s) { return s == 1.0f; })) {
            engine::Op &op = plan_.nodes[std::size_t(x.node)].op;
            std::vector<float> *bias = nullptr;
            if (auto *l = std::get_if<engine::Linear>(&op); l && l->activation.kind == engine::Pointwise::Identity)
                bias = &l->bias;
            if (auto *c = std::get_if<engine::Conv2d>(&op); c && c->activation.kind == engine::Pointwise::Identity)
                bias = &c->bias;
            if (bias) {
                if (bias->empty()) bias->assign(shift.size(), 0.0f);
                for (std::size_t i = 0; i < shift.size(); ++i) (*bias)[i] += shift[i];
                return alias(node, x);
            }
        }
        engine::BatchNorm bn;
        bn.scale = std::move(scale), bn.shift = std::move(shift);
        emit(node, std::move(bn), {x.node});
    }

    // Element-wise arithmetic with one constant operand: `x op c` (or `c op x` when commutative).
    void arithmetic(const pb::NodeProto &node, char op) {
        if (node.input_size() != 2) unsupported("not two inputs");
        const bool c_first = is_const(node, 0) && (op == '+' || op == '*');
        const int xi = c_first ? 1 : 0, ci = c_first ? 0 : 1;
        const std::string &x_name = node.input(xi);
        const Value &x = tensor(node, xi);
        if (!is_const(node, ci)) unsupported(op == '+' ? "adding tensors of different shapes" : "two computed operands");
        const std::vector<float> c = per_channel(*constant(node, ci), x.shape);
        if (c.empty()) unsupported("a constant of shape " + dims_text(constant(node, ci)->dims) + " (one value per channel, or one)");
        std::vector<float> scale(c.size(), 1.0f), shift(c.size(), 0.0f);
        for (std::size_t i = 0; i < c.size(); ++i) {
            if (op == '+') shift[i] = c[i];
            else if (op == '-') shift[i] = -c[i];
            else if (op == '*') scale[i] = c[i];
            else {
                if (c[i] == 0.0f) unsupported("division by zero");
                scale[i] = 1.0f / c[i];
            }
        }
        affine(node, x_name, std::move(scale), std::move(shift));
    }

    const Value *pending_input(const pb::NodeProto &node, int i, const char *pattern) const {
        if (!has_input(node, i)) return nullptr;
        const Value &v = value(node.input(i));
        return v.kind == Value::Pending && v.pattern == pattern ? &v : nullptr;
    }
    bool const_equals(const pb::NodeProto &node, int i, double expected, double tolerance) const {
        if (!is_const(node, i)) return false;
        const ConstPtr c = constant(node, i);
        return !c->integer && c->f.size() == 1 && std::fabs(double(c->f[0]) - expected) <= tolerance;
    }

    void add(const pb::NodeProto &node, const Attributes &) {
        for (int i : {0, 1})  // GELU: Erf(x / sqrt 2) + 1
            if (const Value *p = pending_input(node, i, "gelu_erf"); p && const_equals(node, 1 - i, 1.0, 1e-6))
                return pending(node, "gelu_add", p->base, "Erf");
        if (is_const(node, 0) || is_const(node, 1)) return arithmetic(node, '+');
        const Value &a = tensor(node, 0), &b = tensor(node, 1);
        emit(node, engine::Add{}, {a.node, b.node});
    }
    void sub(const pb::NodeProto &node, const Attributes &) { arithmetic(node, '-'); }
    void div(const pb::NodeProto &node, const Attributes &) {
        arithmetic(node, '/');
        if (const_equals(node, 1, std::sqrt(2.0), 1e-6)) gelu_div_of_[node.output(0)] = node.input(0);
    }
    void mul(const pb::NodeProto &node, const Attributes &) {
        using engine::Pointwise;
        if (node.input_size() != 2) unsupported("not two inputs");
        for (int i : {0, 1}) {
            const std::string &x = node.input(1 - i), &other = node.input(i);
            if (const Value *p = pending_input(node, i, "hard_sigmoid"); p && p->base == x)
                return emit(node, Pointwise{Pointwise::Hardswish}, {tensor(node, 1 - i).node});  // x * HardSigmoid(x)
            if (const Value *p = pending_input(node, i, "gelu_add"); p && p->base == x)
                return pending(node, "gelu_mul", x, "Erf");  // x * (1 + Erf(x / sqrt 2))
            if (const Value *p = pending_input(node, i, "gelu_mul"); p && const_equals(node, 1 - i, 0.5, 1e-7)) {
                return emit(node, Pointwise{Pointwise::GELU}, {value(p->base).node});
            }
            if (auto it = sigmoid_of_.find(other); it != sigmoid_of_.end() && it->second == x && !is_const(node, 1 - i))
                return emit(node, Pointwise{Pointwise::SiLU}, {tensor(node, 1 - i).node});  // x * Sigmoid(x)
        }
        if (is_const(node, 0) || is_const(node, 1)) return arithmetic(node, '*');
        tensor(node, 0), tensor(node, 1);
        unsupported("a product of two computed tensors");
    }

    void activation(const pb::NodeProto &node, const Attributes &a) {
        using engine::Pointwise;
        const std::string &op = node.op_type();
        Pointwise p;
        if (op == "Relu") p.kind = Pointwise::ReLU;
        else if (op == "LeakyRelu") p = {Pointwise::LeakyReLU, a.f("alpha", 0.01f)};
        else if (op == "Elu") p = {Pointwise::ELU, a.f("alpha", 1.0f)};
        else if (op == "Sigmoid") p.kind = Pointwise::Sigmoid;
        else if (op == "Tanh") p.kind = Pointwise::Tanh;
        else if (op == "HardSwish") p.kind = Pointwise::Hardswish;
        else {  // Gelu (opset 20)
            const std::string approximate = a.s("approximate", "none");
            if (approximate != "none" && approximate != "tanh") unsupported("approximate " + shown(approximate));
            p.kind = approximate == "tanh" ? Pointwise::GELUTanh : Pointwise::GELU;
        }
        emit(node, p);
        if (op == "Sigmoid") sigmoid_of_[node.output(0)] = node.input(0);
    }

    void clip(const pb::NodeProto &node, const Attributes &a) {
        using engine::Pointwise;
        const Value &x = tensor(node, 0);
        std::optional<float> lo, hi;
        if (opset_ < 11) {
            if (a.has("min")) lo = a.f("min", 0.0f);
            if (a.has("max")) hi = a.f("max", 0.0f);
        } else {
            auto bound = [&](int i) -> std::optional<float> {
                if (!has_input(node, i)) return std::nullopt;
                const std::vector<float> v = floats(node, i);
                if (v.size() != 1) unsupported("a bound that is not one number");
                return v[0];
            };
            lo = bound(1), hi = bound(2);
        }
        if (lo && hi) return emit(node, Pointwise{Pointwise::Hardtanh, *lo, *hi}, {x.node});
        if (lo && *lo == 0.0f && !hi) return emit(node, Pointwise{Pointwise::ReLU}, {x.node});
        unsupported("a clip without both bounds");
    }

    void hard_sigmoid(const pb::NodeProto &node, const Attributes &a) {
        // HardSigmoid(x, 1/6, 1/2) * x is Hardswish (torch before opset 14); alone it is not in the engine.
        tensor(node, 0);
        if (std::fabs(a.f("alpha", 0.2f) - 1.0f / 6.0f) > 1e-6f || a.f("beta", 0.5f) != 0.5f)
            unsupported("HardSigmoid other than Hardswish's (alpha 1/6, beta 1/2)");
        pending(node, "hard_sigmoid", node.input(0), "HardSigmoid");
    }

    void erf(const pb::NodeProto &node, const Attributes &) {
        auto it = gelu_div_of_.find(has_input(node, 0) ? node.input(0) : "");
        if (it == gelu_div_of_.end()) unsupported(kNotImplemented);
        pending(node, "gelu_erf", it->second, "Erf");  // Erf(x / sqrt 2): GELU's, if the rest follows
    }

    void pool(const pb::NodeProto &node, const Attributes &a) {
        const bool average = node.op_type() == "AveragePool";
        only_first_output(node);
        if (!has_input(node, 0)) unsupported("input 0 missing");
        std::array<int, 4> extra{0, 0, 0, 0};
        const Value *x = &value(node.input(0));
        if (average && x->kind == Value::Pending && x->pattern == "pad") {  // torch's count_include_pad
            extra = x->pads;
            x = &value(x->base);
        } else {
            x = &tensor(node, 0);
        }
        engine::Pool2d p;
        p.kind = average ? engine::Pool2d::Average : engine::Pool2d::Max;
        if (!a.has("kernel_shape")) unsupported("no kernel_shape");
        std::tie(p.kernel_h, p.kernel_w) = pair_attr(a, "kernel_shape", 1, 1);
        std::tie(p.stride_h, p.stride_w) = pair_attr(a, "strides", 1, 1);
        const std::pair<int, int> dilation = pair_attr(a, "dilations", 1, 1);
        if (dilation.first != 1 || dilation.second != 1) unsupported("dilated pooling");
        if (a.i("storage_order", 0) != 0) unsupported("storage_order");
        const std::string auto_pad = a.s("auto_pad", "NOTSET");
        if (auto_pad != "NOTSET" && auto_pad != "VALID") unsupported("auto_pad " + shown(auto_pad));
        std::array<int, 4> pads = auto_pad == "VALID" ? std::array<int, 4>{0, 0, 0, 0} : pads_attr(a);
        p.ceil_mode = a.i("ceil_mode", 0) != 0;
        p.count_include_pad = a.i("count_include_pad", 0) != 0;
        if (extra != std::array<int, 4>{0, 0, 0, 0}) {
            if (pads != std::array<int, 4>{0, 0, 0, 0}) unsupported("a Pad before a padded pooling");
            pads = extra;
            p.count_include_pad = true;
        }
        if (pads[0] != pads[2] || pads[1] != pads[3]) unsupported("asymmetric padding");
        p.pad_h = pads[0], p.pad_w = pads[1];
        emit(node, p, {x->node});
    }

    void global_average(const pb::NodeProto &node, const Attributes &) { emit(node, engine::AdaptiveAvgPool2d{1, 1}); }

    void reduce_mean(const pb::NodeProto &node, const Attributes &a) {
        const Value &x = tensor(node, 0);
        std::vector<int64_t> axes = opset_ >= 18 && has_input(node, 1) ? ints(node, 1) : a.ints("axes");
        for (int64_t &d : axes) d = d < 0 ? d + 4 : d;
        std::sort(axes.begin(), axes.end());
        if (x.shape.flat || axes != std::vector<int64_t>{2, 3}) unsupported("a mean other than over H and W");
        emit(node, engine::AdaptiveAvgPool2d{1, 1}, {x.node});
        if (a.i("keepdims", 1) == 0) emit(node, engine::Flatten{}, {int(plan_.nodes.size()) - 1});
    }

    void batch_norm(const pb::NodeProto &node, const Attributes &a) {
        if (a.i("training_mode", 0) != 0) unsupported("batch norm in training mode");
        only_first_output(node);
        const Value &x = tensor(node, 0);
        const std::vector<float> scale = floats(node, 1), bias = floats(node, 2), mean = floats(node, 3), var = floats(node, 4);
        const std::size_t n = std::size_t(x.shape.c);
        if (scale.size() != n || bias.size() != n || mean.size() != n || var.size() != n)
            unsupported("parameters that are not one value per channel");
        const double eps = a.f("epsilon", 1e-5f);
        engine::BatchNorm bn;
        for (std::size_t i = 0; i < n; ++i) {
            const double s = scale[i] / std::sqrt(double(var[i]) + eps);  // var < -eps: NaN, refused by the engine
            bn.scale.push_back(float(s));
            bn.shift.push_back(float(bias[i] - mean[i] * s));
        }
        emit(node, std::move(bn), {x.node});
    }

    void flatten(const pb::NodeProto &node, const Attributes &a) {
        const Value &x = tensor(node, 0);
        const int64_t rank = x.shape.flat ? 2 : 4;
        int64_t axis = a.i("axis", 1);
        if (axis < 0) axis += rank;
        if (axis != 1) unsupported("flatten other than from dimension 1");
        if (x.shape.flat) return alias(node, x);
        emit(node, engine::Flatten{}, {x.node});
    }

    bool is_batch(int64_t v) const { return v == kBatch || v == 0 || (batch_one_ && v == 1); }

    void reshape(const pb::NodeProto &node, const Attributes &a) {
        // to [N, features] (N: the batch, 0 or -1) is a flatten; to the same shape, nothing.
        const Value &x = tensor(node, 0);
        const std::vector<int64_t> size = ints(node, 1);
        if (a.i("allowzero", 0) != 0 && std::count(size.begin(), size.end(), 0)) unsupported("allowzero");
        const int64_t features = int64_t(x.shape.size());
        const bool to_flat = size.size() == 2 && ((is_batch(size[0]) && (size[1] == features || size[1] == -1)) ||
                                                  (size[0] == -1 && size[1] == features));
        if (to_flat) return x.shape.flat ? alias(node, x) : emit(node, engine::Flatten{}, {x.node});
        if (!x.shape.flat && size.size() == 4 && (is_batch(size[0]) || size[0] == -1) && size[1] == x.shape.c &&
            size[2] == x.shape.h && size[3] == x.shape.w)
            return alias(node, x);
        unsupported("a reshape other than to [batch, features]");
    }

    void dropout(const pb::NodeProto &node, const Attributes &) {
        only_first_output(node);
        if (has_input(node, 2)) {  // training_mode (opset 12)
            const ConstPtr t = constant(node, 2);
            const bool training = t->integer ? (!t->i.empty() && t->i[0]) : (!t->f.empty() && t->f[0] != 0.0f);
            if (training) unsupported("dropout in training mode");
        }
        alias(node, tensor(node, 0));
    }

    void identity(const pb::NodeProto &node, const Attributes &) {
        if (!has_input(node, 0)) unsupported("input 0 missing");
        alias(node, value(node.input(0)));
    }

    void softmax(const pb::NodeProto &node, const Attributes &a) {
        Value v = tensor(node, 0);
        const int64_t axis = a.i("axis", opset_ >= 13 ? -1 : 1);
        if (!v.shape.flat || (axis != 1 && axis != -1)) unsupported("softmax over a spatial dimension");
        v.softmax = node.op_type() == "Softmax" ? engine::Activation::Softmax : engine::Activation::LogSoftmax;
        alias(node, v);
    }

    void concat(const pb::NodeProto &node, const Attributes &a) {
        int64_t axis = a.i("axis", 1);
        bool all_const = node.input_size() > 0;
        for (int i = 0; i < node.input_size(); ++i) all_const = all_const && is_const(node, i);
        if (all_const) {  // shape arithmetic: 1-D integer lists
            Const out;
            out.integer = true;
            for (int i = 0; i < node.input_size(); ++i) {
                const ConstPtr c = constant(node, i);
                if (!c->integer || c->dims.size() != 1 || (axis != 0 && axis != -1)) unsupported("a concatenation of constants other than lists of integers");
                if (out.i.size() + c->i.size() > kMaxFolded) unsupported("a computed constant of over " + std::to_string(kMaxFolded) + " values");
                out.i.insert(out.i.end(), c->i.begin(), c->i.end());
            }
            out.dims = {int64_t(out.i.size())};
            return bind_const(node, std::move(out));
        }
        std::vector<int> inputs;
        bool flat = false;
        for (int i = 0; i < node.input_size(); ++i) {
            const Value &v = tensor(node, i);
            inputs.push_back(v.node);
            flat = v.shape.flat;
        }
        if (axis < 0) axis += flat ? 2 : 4;
        if (axis != 1) unsupported("concatenation along a dimension other than channels or features");
        emit(node, engine::Concat{}, inputs);
    }

    void pad(const pb::NodeProto &node, const Attributes &a) {
        const Value &x = tensor(node, 0);
        if (a.s("mode", "constant") != "constant") unsupported("mode " + shown(a.s("mode", "")));
        std::vector<int64_t> pads;
        float fill = 0.0f;
        if (opset_ < 11) {
            pads = a.ints("pads");
            fill = a.f("value", 0.0f);
        } else {
            pads = ints(node, 1);
            if (has_input(node, 2)) {
                const std::vector<float> v = floats(node, 2);
                if (v.size() != 1) unsupported("a fill value that is not one number");
                fill = v[0];
            }
            if (has_input(node, 3)) unsupported("axes");
        }
        if (x.shape.flat || pads.size() != 8) unsupported("padding other than of a [N, C, H, W] tensor");
        if (pads[0] || pads[1] || pads[4] || pads[5]) unsupported("padding of the batch or channel dimension");
        if (fill != 0.0f) unsupported("padding with a value other than 0");
        std::array<int, 4> p{};
        const int64_t order[4] = {pads[2], pads[3], pads[6], pads[7]};  // top, left, bottom, right
        for (int k = 0; k < 4; ++k) p[std::size_t(k)] = bounded(order[k], 0, kMaxAttribute, "padding");
        if (p == std::array<int, 4>{0, 0, 0, 0}) return alias(node, x);
        Value v;
        v.kind = Value::Pending;
        v.pattern = "pad", v.base = node.input(0), v.blame = "Pad", v.pads = p;
        bind(node, std::move(v));  // the Conv or AveragePool after it takes the padding
    }

    // --- constants and shape arithmetic
    void constant_node(const pb::NodeProto &node, const Attributes &a) {
        Const c;
        if (const auto *t = a.find("value")) {
            Value v;
            v.kind = Value::Constant;
            v.constant = read_tensor(t->t(), node.output_size() ? node.output(0) : "Constant");
            return bind(node, std::move(v));
        }
        if (const auto *f = a.find("value_float")) c.f = {f->f()};
        else if (const auto *fs = a.find("value_floats")) c.f.assign(fs->floats().begin(), fs->floats().end()), c.dims = {int64_t(c.f.size())};
        else if (const auto *i = a.find("value_int")) c.integer = true, c.i = {i->i()};
        else if (const auto *is = a.find("value_ints")) c.integer = true, c.i.assign(is->ints().begin(), is->ints().end()), c.dims = {int64_t(c.i.size())};
        else unsupported("a constant other than a dense tensor or numbers");
        for (int64_t &v : c.i) v = std::max(v, kBatch + 1);
        bind_const(node, std::move(c));
    }

    void shape(const pb::NodeProto &node, const Attributes &a) {
        const Value &x = tensor(node, 0);
        std::vector<int64_t> dims = x.shape.flat ? std::vector<int64_t>{kBatch, x.shape.c}
                                                 : std::vector<int64_t>{kBatch, x.shape.c, x.shape.h, x.shape.w};
        if (batch_one_) dims[0] = 1;
        const int64_t rank = int64_t(dims.size());
        int64_t start = a.i("start", 0), end = a.i("end", rank);  // opset 15
        start = std::clamp(start < 0 ? start + rank : start, int64_t(0), rank);
        end = std::clamp(end < 0 ? end + rank : end, int64_t(0), rank);
        Const c;
        c.integer = true;
        if (start < end) c.i.assign(dims.begin() + start, dims.begin() + end);
        c.dims = {int64_t(c.i.size())};
        bind_const(node, std::move(c));
    }

    void gather(const pb::NodeProto &node, const Attributes &a) {
        const ConstPtr data = constant(node, 0), idx = constant(node, 1);
        if (!data->integer || data->dims.size() != 1 || !idx->integer || idx->dims.size() > 1 || a.i("axis", 0) != 0)
            unsupported("a gather other than from a list of integers");
        Const c;
        c.integer = true;
        c.dims = idx->dims;
        const int64_t n = int64_t(data->i.size());
        for (int64_t i : idx->i) {
            if (i < 0) i += n;
            if (i < 0 || i >= n) unsupported("an index out of range");
            c.i.push_back(data->i[std::size_t(i)]);
        }
        bind_const(node, std::move(c));
    }

    std::vector<int64_t> axes_of(const pb::NodeProto &node, const Attributes &a) const {
        return opset_ >= 13 ? (has_input(node, 1) ? ints(node, 1) : std::vector<int64_t>{}) : a.ints("axes");
    }

    void unsqueeze(const pb::NodeProto &node, const Attributes &a) {
        Const c = *constant(node, 0);
        std::vector<int64_t> axes = axes_of(node, a);
        const int64_t rank = int64_t(c.dims.size() + axes.size());
        if (rank > kMaxRank) unsupported("over " + std::to_string(kMaxRank) + " dimensions");
        for (int64_t &d : axes) d = d < 0 ? d + rank : d;
        std::sort(axes.begin(), axes.end());
        for (int64_t d : axes) {
            if (d < 0 || d > int64_t(c.dims.size())) unsupported("an axis out of range");
            c.dims.insert(c.dims.begin() + d, 1);
        }
        bind_const(node, std::move(c));
    }

    void squeeze(const pb::NodeProto &node, const Attributes &a) {
        Const c = *constant(node, 0);
        std::vector<int64_t> axes = axes_of(node, a);
        const int64_t rank = int64_t(c.dims.size());
        std::vector<int64_t> dims;
        for (int64_t d = 0; d < rank; ++d) {
            const bool listed = axes.empty() ? c.dims[std::size_t(d)] == 1
                                             : std::count(axes.begin(), axes.end(), d) || std::count(axes.begin(), axes.end(), d - rank);
            if (listed && c.dims[std::size_t(d)] != 1) unsupported("squeezing a dimension that is not 1");
            if (!listed) dims.push_back(c.dims[std::size_t(d)]);
        }
        c.dims = dims;
        bind_const(node, std::move(c));
    }

    void cast(const pb::NodeProto &node, const Attributes &a) {
        if (!is_const(node, 0)) {  // float to float on a tensor: nothing
            if (a.i("to", 0) != pb::TensorProto::FLOAT) unsupported("a cast of a computed tensor to another type");
            return alias(node, tensor(node, 0));
        }
        Const c = *constant(node, 0);
        const int64_t to = a.i("to", 0);
        if (to == pb::TensorProto::FLOAT || to == pb::TensorProto::DOUBLE) {
            if (c.integer) {
                for (int64_t v : c.i) {
                    if (v == kBatch) unsupported("the batch size as a number");
                    c.f.push_back(float(v));
                }
                c.i.clear(), c.integer = false;
            }
        } else if (to == pb::TensorProto::INT64 || to == pb::TensorProto::INT32) {
            if (!c.integer) {
                for (float v : c.f) {
                    if (!(std::fabs(v) < 1e15f)) unsupported("a number out of integer range");
                    c.i.push_back(int64_t(v));
                }
                c.f.clear(), c.integer = true;
            }
        } else {
            unsupported("a cast to data type " + std::to_string(to));
        }
        bind_const(node, std::move(c));
    }

    void finish(const std::string &out) {
        auto it = values_.find(out);
        if (it == values_.end() || it->second.kind != Value::Tensor)
            return void(problems_.emplace("the graph", "returns a value that is not a computed tensor"));
        const Value &r = it->second;
        if (r.node == engine::kInput) return void(problems_.emplace("the graph", "returns its input"));
        if (!r.shape.flat) return void(problems_.emplace("the graph", "does not end with a [N, classes] tensor"));
        if (r.node != int(plan_.nodes.size()) - 1) {  // make the output the last node
            plan_.then(engine::Pointwise{});
            plan_.nodes.back().inputs = {r.node};
            node_shapes_.push_back(r.shape);
        }
        plan_.output = r.softmax;
    }

public:
    int classes() const { return node_shapes_.empty() ? 0 : int(node_shapes_.back().size()); }
};

// --- the model around the graph

int default_opset(const pb::ModelProto &model) {
    int version = -1;
    for (const pb::OperatorSetIdProto &o : model.opset_import())
        if (o.domain().empty() || o.domain() == "ai.onnx") version = int(std::clamp<int64_t>(o.version(), -1, 1 << 20));
    if (version < 0) invalid("no opset of the default domain (opset_import)");
    if (version < kMinOpset || version > kMaxOpset)
        fail(DI_ERR_MODEL, "ONNX opset " + std::to_string(version) + " is not supported (opsets " +
                               std::to_string(kMinOpset) + "-" + std::to_string(kMaxOpset) + " are)");
    return version;
}

// Names defined before use, each once: the graph is acyclic and in order, as ONNX requires.
void check_structure(const pb::GraphProto &g) {
    if (g.node_size() > kMaxGraphNodes) invalid("over " + std::to_string(kMaxGraphNodes) + " nodes");
    if (g.initializer_size() > kMaxInitializers) invalid("over " + std::to_string(kMaxInitializers) + " initializers");
    if (g.sparse_initializer_size() > 0) invalid("sparse initializers are refused");
    std::unordered_set<std::string> defined;
    for (const pb::ValueInfoProto &v : g.input()) defined.insert(v.name());
    for (const pb::TensorProto &t : g.initializer()) defined.insert(t.name());
    for (int i = 0; i < g.node_size(); ++i) {
        const pb::NodeProto &n = g.node(i);
        const std::string where = "node " + std::to_string(i) + " (" + shown(n.op_type()) + ")";
        for (const std::string &in : n.input())
            if (!in.empty() && !defined.count(in))
                invalid(where + " reads " + shown(in) +
                        ", which no graph input, initializer or earlier node defines (a cycle, or a name that is not there)");
        for (const std::string &out : n.output())
            if (!out.empty() && !defined.insert(out).second) invalid(where + " defines " + shown(out) + " again");
    }
    if (g.output_size() != 1) invalid("the graph has " + std::to_string(g.output_size()) + " outputs, not one");
    if (!defined.count(g.output(0).name())) invalid("the graph's output " + shown(g.output(0).name()) + " is not defined");
}

// digitinfer.json from metadata_props: a "digitinfer.json" entry, else the schema's keys as
// entries of their own (each value JSON, or a plain string).
// `input_declared`: whether it gives the input's shape.
Metadata read_metadata(const pb::ModelProto &model, bool &input_declared) {
    static const std::set<std::string> keys = {"name", "input", "mean", "std", "labels", "output", "format_version"};
    nlohmann::json fields = nlohmann::json::object();
    input_declared = false;
    for (const pb::StringStringEntryProto &e : model.metadata_props()) {
        if (e.key() == kMetadataFile) {
            Metadata m = parse_metadata(e.value());  // a JSON object, or it throws
            input_declared = nlohmann::json::parse(e.value(), nullptr, false).contains("input");
            return m;
        }
        if (!keys.count(e.key())) continue;
        nlohmann::json v = nlohmann::json::parse(e.value(), nullptr, /*allow_exceptions=*/false);
        if (v.is_discarded() || ((e.key() == "name" || e.key() == "output") && !v.is_string())) v = e.value();
        fields[e.key()] = std::move(v);
    }
    if (fields.empty()) return Metadata{};
    input_declared = fields.contains("input");
    return parse_metadata(fields.dump());
}

struct ImageInput {
    std::string name;
    int dims[3] = {0, 0, 0};  // C, H, W; 0: not fixed by the graph
    bool batch_one = false;
};

ImageInput image_input(const pb::GraphProto &g) {
    std::unordered_set<std::string> initializers;
    for (const pb::TensorProto &t : g.initializer()) initializers.insert(t.name());
    const pb::ValueInfoProto *input = nullptr;
    for (const pb::ValueInfoProto &v : g.input()) {
        if (initializers.count(v.name())) continue;
        if (input) invalid("the graph takes more than one input (" + shown(input->name()) + ", " + shown(v.name()) + ")");
        input = &v;
    }
    if (!input) invalid("the graph takes no input");
    ImageInput in;
    in.name = input->name();
    if (!input->has_type() || !input->type().has_tensor_type()) return in;  // untyped: the metadata says
    const pb::TypeProto::Tensor &t = input->type().tensor_type();
    if (t.elem_type() != pb::TensorProto::FLOAT)
        fail(DI_ERR_MODEL, "the model's input " + shown(in.name) + " is not float32 (data type " +
                               std::to_string(t.elem_type()) + ")");
    if (!t.has_shape()) return in;
    if (t.shape().dim_size() != 4)
        fail(DI_ERR_MODEL, "the model's input " + shown(in.name) + " has " + std::to_string(t.shape().dim_size()) +
                               " dimensions, not [N, C, H, W]");
    const auto &batch = t.shape().dim(0);
    in.batch_one = batch.has_dim_value() && batch.dim_value() == 1;
    if (batch.has_dim_value() && batch.dim_value() != 1)
        fail(DI_ERR_MODEL, "the model's input has a fixed batch size of " + std::to_string(batch.dim_value()) +
                               " (export it with a dynamic batch axis, or batch 1)");
    for (int i = 0; i < 3; ++i) {
        const auto &d = t.shape().dim(i + 1);
        if (!d.has_dim_value()) continue;
        if (d.dim_value() < 1 || d.dim_value() > kMaxDimension)
            fail(DI_ERR_MODEL, "the model's input dimension " + std::to_string(i + 1) + " is " +
                                   std::to_string(d.dim_value()) + ", not in [1, " + std::to_string(kMaxDimension) + "]");
        in.dims[i] = int(d.dim_value());
    }
    return in;
}

di_output_kind output_kind_of(engine::Activation a) {
    switch (a) {
        case engine::Activation::LogSoftmax: return DI_OUTPUT_LOG_PROBABILITIES;
        case engine::Activation::Softmax: return DI_OUTPUT_PROBABILITIES;
        case engine::Activation::None: break;
    }
    return DI_OUTPUT_LOGITS;
}

}  // namespace

bool looks_like_onnx(const std::string &bytes) {
    if (bytes.empty() || bytes.size() > kMaxOnnxBytes) return false;
    if (uint8_t(bytes[0]) == 0x08) return true;  // field 1 (ir_version), a varint
    pb::ModelProto model;
    google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t *>(bytes.data()), int(bytes.size()));
    in.SetRecursionLimit(kRecursionLimit);
    return model.ParseFromCodedStream(&in) && in.ConsumedEntireMessage() && model.has_graph();
}

OnnxModel read_onnx_model(const std::string &bytes) {
    if (bytes.size() > kMaxOnnxBytes)
        fail(DI_ERR_MODEL, "ONNX model of " + std::to_string(bytes.size()) + " bytes, over the limit of " +
                               std::to_string(kMaxOnnxBytes));
    pb::ModelProto model;
    {
        google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t *>(bytes.data()), int(bytes.size()));
        in.SetTotalBytesLimit(int(bytes.size()));
        in.SetRecursionLimit(kRecursionLimit);
        if (!model.ParseFromCodedStream(&in) || !in.ConsumedEntireMessage())
            invalid("the file does not parse as an ONNX ModelProto (truncated or corrupt)");
    }
    if (!model.has_graph()) invalid("no graph");
    const int opset = default_opset(model);
    const pb::GraphProto &graph = model.graph();
    check_structure(graph);

    OnnxModel out;
    bool input_declared = false;
    out.metadata = read_metadata(model, input_declared);
    Metadata &meta = out.metadata;
    const ImageInput input = image_input(graph);
    int *dims[3] = {&meta.channels, &meta.height, &meta.width};
    for (int i = 0; i < 3; ++i) {
        if (!input.dims[i]) continue;
        if (input_declared && *dims[i] != input.dims[i])
            fail(DI_ERR_MODEL, "the model's metadata says its input is [N, " + std::to_string(meta.channels) + ", " +
                                   std::to_string(meta.height) + ", " + std::to_string(meta.width) +
                                   "], its graph's input dimension " + std::to_string(i + 1) + " is " +
                                   std::to_string(input.dims[i]));
        *dims[i] = input.dims[i];
    }

    Lowering lowering(graph, opset);
    out.plan = lowering.run(input.name, meta.channels, meta.height, meta.width, input.batch_one);
    const int classes = lowering.classes();
    if (!meta.labels.empty() && int(meta.labels.size()) != classes)
        fail(DI_ERR_MODEL, "metadata lists " + std::to_string(meta.labels.size()) + " labels but the model has " +
                               std::to_string(classes) + " classes");
    for (int i = int(meta.labels.size()); i < classes; ++i) meta.labels.push_back(std::to_string(i));

    const di_output_kind graph_kind = output_kind_of(out.plan.output);
    if (meta.output == DI_OUTPUT_AUTO) {
        meta.output = graph_kind;
    } else if (meta.output != DI_OUTPUT_LOGITS && meta.output != graph_kind) {
        fail(DI_ERR_MODEL, std::string("the model's metadata says it returns ") + di_output_kind_name(meta.output) +
                               ", but its graph ends with " +
                               (out.plan.output == engine::Activation::None ? "no (log_)softmax"
                                : out.plan.output == engine::Activation::Softmax ? "Softmax" : "LogSoftmax") +
                               ": declare \"logits\" (or pass output_kind)");
    }
    return out;
}

}  // namespace digitinfer::core
