// Lowers a frozen TorchScript forward graph to an engine plan (plan.hpp).
//
// First the graph is normalized with libtorch's own passes: inlined, in-place
// ops made functional, dropout removed, and specialized to the input shape
// [kBatch, C, H, W], so that shape propagation, peephole and constant
// propagation fold the shape checks scripted code carries (aten::dim,
// aten::size, prim::RaiseException branches, `is None`) and dead code goes;
// FuseLinear turns t + addmm and matmul + add into linear. Then every node is
// matched to plan nodes. Nodes that don't match are all collected (with why,
// in plain words) and reported together.
#include "torch/graph_to_plan.hpp"

#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <unordered_map>

#include <torch/csrc/jit/passes/constant_propagation.h>
#include <torch/csrc/jit/passes/dead_code_elimination.h>
#include <torch/csrc/jit/passes/fuse_linear.h>
#include <torch/csrc/jit/passes/inliner.h>
#include <torch/csrc/jit/passes/lower_tuples.h>
#include <torch/csrc/jit/passes/peephole.h>
#include <torch/csrc/jit/passes/remove_dropout.h>
#include <torch/csrc/jit/passes/remove_mutation.h>
#include <torch/csrc/jit/passes/shape_analysis.h>

#include "engine/shapes.hpp"
#include "torch/budget.hpp"

namespace digitinfer::core {
namespace {

using torch::jit::Node;
using torch::jit::Value;
using engine::TensorShape;

// The batch size the graph is specialized to: shape checks fold against it, and a
// view(x.size(0), -1) becomes view(kBatch, -1). The load-time check runs other sizes.
constexpr int64_t kBatch = 7;

// A node that cannot be lowered: what it is and why.
struct Unsupported : std::runtime_error {
    using std::runtime_error::runtime_error;
};
[[noreturn]] void unsupported(const std::string &why) { throw Unsupported(why); }

std::vector<float> floats(const at::Tensor &t) {
    if (t.is_sparse() || t.is_quantized() || !t.is_floating_point()) unsupported("weights that are not dense floats");
    const at::Tensor c = t.to(at::kFloat).contiguous();
    return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

constexpr const char *kNotImplemented = "not implemented by the native engine";

// Pure operations on numbers, booleans, lists and None that shape checks use: computed at
// lowering when their inputs are known (e.g. x.dim() != 4, x.size(1) * x.size(2)).
const std::set<std::string> kScalarOps = {
    "aten::eq", "aten::ne", "aten::lt", "aten::le", "aten::gt", "aten::ge", "aten::__not__", "aten::__and__",
    "aten::__or__", "aten::__is__", "aten::__isnot__", "aten::add", "aten::sub", "aten::mul", "aten::floordiv",
    "aten::div", "aten::neg", "aten::Int", "aten::Float", "aten::Bool", "aten::len", "aten::__getitem__",
    "prim::TupleConstruct", "prim::TupleUnpack", "prim::ListUnpack", "prim::unchecked_cast", "aten::format",
    "prim::min", "prim::max", "aten::remainder"};

std::string normalized_kind(const Node *node) {
    std::string kind = node->kind().toQualString();
    if (kind.size() > 1 && kind.back() == '_' && kind[kind.size() - 2] != '_') kind.pop_back();  // relu_ -> relu
    return kind;
}

class Lowering {
public:
    Lowering(int channels, int height, int width) {
        plan_.channels = channels, plan_.height = height, plan_.width = width;
    }

    // `defaults`: the values forward's extra arguments take when it is called with the image only.
    engine::Plan run(const torch::jit::Graph &graph, const std::vector<c10::IValue> &defaults) {
        if (graph.inputs().size() < 2 || graph.inputs().size() != 2 + defaults.size())
            throw std::invalid_argument("forward takes more than one input");
        for (std::size_t i = 0; i < defaults.size(); ++i) known_[graph.inputs()[2 + i]] = defaults[i];
        values_[graph.inputs()[1]] = {engine::kInput, {false, plan_.channels, plan_.height, plan_.width}};
        for (const Node *node : graph.nodes()) lower(node);
        if (graph.outputs().size() != 1) problem("the graph", "returns more than one value");
        const Value *out = graph.outputs()[0];
        if (problems_.empty()) finish(out);
        if (!problems_.empty()) {
            std::ostringstream s;
            s << "unsupported: ";
            for (auto it = problems_.begin(); it != problems_.end(); ++it)
                s << (it == problems_.begin() ? "" : "; ") << it->first << " (" << it->second << ")";
            throw std::invalid_argument(s.str());
        }
        return std::move(plan_);
    }

private:
    struct Ref {
        int node = engine::kInput;
        TensorShape shape;
        engine::Activation softmax = engine::Activation::None;  // the output activation applied to `node`
    };

    engine::Plan plan_;
    std::unordered_map<const Value *, Ref> values_;
    std::unordered_map<const Value *, c10::IValue> known_;  // non-tensor values folded at lowering
    std::set<const Value *> poisoned_;                 // outputs of nodes that failed: not reported again
    std::map<std::string, std::string> problems_;      // kind -> first reason

    void problem(const std::string &kind, const std::string &why) { problems_.emplace(kind, why); }

    void lower(const Node *node) {
        const std::string kind = normalized_kind(node);
        if (kind == "prim::Constant") return;
        bool poisoned = false;
        for (const Value *in : node->inputs()) poisoned = poisoned || poisoned_.count(in);
        if (poisoned) {  // its arguments are unknown: only say whether the engine has the operation at all
            if (!handlers().count(kind) && !kScalarOps.count(kind) && kind != "prim::ListConstruct")
                problem(kind, kNotImplemented);
            return poison(node);
        }
        try {
            if (kind == "prim::If") return branch(node);
            if (fold(node, kind)) return;
            if (kind == "prim::ListConstruct") return;  // tensors, for cat
            auto handler = handlers().find(kind);
            if (handler == handlers().end()) unsupported(kNotImplemented);
            (this->*handler->second)(node, kind);
        } catch (const Unsupported &e) {
            problem(kind, e.what());
            poison(node);
        } catch (const c10::Error &e) {
            problem(kind, "unexpected arguments");
            poison(node);
        }
    }

    // A branch whose condition is known (a shape check, once shapes are known): the taken block, inlined.
    void branch(const Node *node) {
        const auto condition = known(node->input(0));
        if (!condition || !condition->isBool()) unsupported("a branch on a value known only at run time");
        const torch::jit::Block *block = node->blocks()[condition->toBool() ? 0 : 1];
        for (const Node *inner : block->nodes()) lower(inner);
        for (std::size_t i = 0; i < node->outputs().size(); ++i) {
            const Value *v = block->outputs()[i];
            if (poisoned_.count(v)) poisoned_.insert(node->output(i));
            else if (auto it = values_.find(v); it != values_.end()) values_[node->output(i)] = it->second;
            else if (auto k = known(v)) known_[node->output(i)] = *k;
            else unsupported("a branch result of an unsupported kind");
        }
    }

    // Shape queries answered from the lowered shapes, and pure scalar operations on known
    // values, computed now (libtorch runs the operation; nothing with effects is on the list).
    bool fold(const Node *node, const std::string &kind) {
        if (kind == "aten::size" || kind == "aten::dim") {
            const Ref &r = ref(node->input(0));
            const std::vector<int64_t> sizes = r.shape.flat ? std::vector<int64_t>{kBatch, r.shape.c}
                                                            : std::vector<int64_t>{kBatch, r.shape.c, r.shape.h, r.shape.w};
            if (kind == "aten::dim") {
                known_[node->output()] = int64_t(sizes.size());
            } else if (node->inputs().size() == 1) {
                known_[node->output()] = sizes;
            } else {
                int64_t d = constant(node, 1).toInt();
                if (d < 0) d += int64_t(sizes.size());
                if (d < 0 || d >= int64_t(sizes.size())) unsupported("a dimension out of range");
                known_[node->output()] = sizes[std::size_t(d)];
            }
            return true;
        }
        const bool list = kind == "prim::ListConstruct";
        if (!list && !kScalarOps.count(kind)) return false;
        torch::jit::Stack stack;
        for (const Value *in : node->inputs()) {
            auto v = known(in);
            if (!v || v->isTensor()) return false;  // not all known (or tensors: those are lowered)
            stack.push_back(*v);
        }
        if (list) {
            c10::List<int64_t> ints;
            for (const c10::IValue &v : stack) {
                if (!v.isInt()) return false;
                ints.push_back(v.toInt());
            }
            known_[node->output()] = ints;
            return true;
        }
        node->getOperation()(stack);
        if (stack.size() != node->outputs().size()) return false;
        for (std::size_t i = 0; i < stack.size(); ++i) known_[node->output(i)] = stack[i];
        return true;
    }

    void poison(const Node *node) {
        for (const Value *v : node->outputs()) poisoned_.insert(v);
    }

    const Ref &ref(const Value *v) {
        auto it = values_.find(v);
        if (it == values_.end()) unsupported("an input computed by an unsupported or non-tensor operation");
        if (it->second.softmax != engine::Activation::None) unsupported("(log_)softmax used inside the network");
        return it->second;
    }
    // A value known before run time: a graph constant, or one folded here.
    std::optional<c10::IValue> known(const Value *v) const {
        if (auto c = torch::jit::toIValue(v)) return *c;
        if (auto it = known_.find(v); it != known_.end()) return it->second;
        return std::nullopt;
    }
    c10::IValue constant(const Node *node, size_t i) const {
        auto v = known(node->input(i));
        if (!v) unsupported("argument " + std::to_string(i) + " computed at run time");
        return *v;
    }
    std::vector<int64_t> pair(const Node *node, size_t i, int64_t empty_means = -1) const {
        std::vector<int64_t> v = constant(node, i).toIntVector();
        if (v.empty() && empty_means >= 0) v = {empty_means, empty_means};
        if (v.size() == 1) v.push_back(v[0]);
        if (v.size() != 2) unsupported("a 2-D argument with " + std::to_string(v.size()) + " values");
        return v;
    }
    double number(const Node *node, size_t i) const { return constant(node, i).toScalar().toDouble(); }
    bool is_none(const Node *node, size_t i) const { return constant(node, i).isNone(); }
    at::Tensor tensor(const Node *node, size_t i) const {
        const c10::IValue v = constant(node, i);
        if (!v.isTensor()) unsupported("argument " + std::to_string(i) + " is not a tensor");
        return v.toTensor();
    }
    std::vector<float> optional_tensor(const Node *node, size_t i) const {
        const c10::IValue v = constant(node, i);
        return v.isNone() ? std::vector<float>{} : floats(v.toTensor());
    }

    // Appends `op` on `inputs` and binds it to the node's output.
    void emit(const Node *node, engine::Op op, std::vector<int> inputs) {
        std::vector<TensorShape> shapes;
        for (int j : inputs)
            shapes.push_back(j == engine::kInput ? TensorShape{false, plan_.channels, plan_.height, plan_.width}
                                                 : node_shapes_[std::size_t(j)]);
        engine::Node n{std::move(op), std::move(inputs)};
        TensorShape shape;
        try {
            shape = engine::output_shape(n, shapes);
        } catch (const std::invalid_argument &e) {
            std::string why = e.what();
            unsupported(why.substr(why.find(": ") + 2));  // "engine plan: Conv2d: ..." -> "Conv2d: ..."
        }
        plan_.nodes.push_back(std::move(n));
        node_shapes_.push_back(shape);
        values_[node->output()] = {int(plan_.nodes.size()) - 1, shape};
    }
    void emit(const Node *node, engine::Op op) { emit(node, std::move(op), {ref(node->input(0)).node}); }
    void alias(const Node *node, const Ref &r) { values_[node->output()] = r; }

    std::vector<TensorShape> node_shapes_;

    using Handler = void (Lowering::*)(const Node *, const std::string &);
    static const std::map<std::string, Handler> &handlers() {
        static const std::map<std::string, Handler> table = {
            {"aten::conv2d", &Lowering::conv}, {"aten::_convolution", &Lowering::conv},
            {"aten::convolution", &Lowering::conv}, {"aten::_convolution_mode", &Lowering::conv},
            {"aten::batch_norm", &Lowering::batch_norm}, {"aten::linear", &Lowering::linear},
            {"aten::addmm", &Lowering::addmm}, {"aten::matmul", &Lowering::matmul}, {"aten::mm", &Lowering::matmul},
            {"aten::add", &Lowering::add}, {"aten::max_pool2d", &Lowering::pool}, {"aten::avg_pool2d", &Lowering::pool},
            {"aten::adaptive_avg_pool2d", &Lowering::adaptive}, {"aten::mean", &Lowering::mean},
            {"aten::flatten", &Lowering::flatten}, {"aten::view", &Lowering::reshape},
            {"aten::reshape", &Lowering::reshape}, {"aten::cat", &Lowering::cat},
            {"aten::log_softmax", &Lowering::softmax}, {"aten::softmax", &Lowering::softmax},
            {"aten::dropout", &Lowering::dropout}, {"aten::feature_dropout", &Lowering::dropout},
            {"aten::alpha_dropout", &Lowering::dropout}, {"aten::feature_alpha_dropout", &Lowering::dropout},
            {"aten::contiguous", &Lowering::identity}, {"aten::detach", &Lowering::identity},
            {"aten::clone", &Lowering::identity}, {"aten::relu", &Lowering::activation},
            {"aten::relu6", &Lowering::activation}, {"aten::leaky_relu", &Lowering::activation},
            {"aten::elu", &Lowering::activation}, {"aten::gelu", &Lowering::activation},
            {"aten::silu", &Lowering::activation}, {"aten::sigmoid", &Lowering::activation},
            {"aten::tanh", &Lowering::activation}, {"aten::hardswish", &Lowering::activation},
            {"aten::hardtanh", &Lowering::activation}, {"aten::clamp", &Lowering::activation},
        };
        return table;
    }

    void identity(const Node *node, const std::string &) { alias(node, ref(node->input(0))); }

    void dropout(const Node *node, const std::string &) {
        if (constant(node, 2).toBool()) unsupported("dropout in training mode");
        alias(node, ref(node->input(0)));
    }

    void activation(const Node *node, const std::string &kind) {
        using engine::Pointwise;
        Pointwise p;
        if (kind == "aten::relu") p.kind = Pointwise::ReLU;
        else if (kind == "aten::relu6") p = {Pointwise::Hardtanh, 0.0f, 6.0f};
        else if (kind == "aten::leaky_relu") p = {Pointwise::LeakyReLU, float(number(node, 1))};
        else if (kind == "aten::elu") {
            if (number(node, 2) != 1.0 || number(node, 3) != 1.0) unsupported("ELU with scale or input_scale");
            p = {Pointwise::ELU, float(number(node, 1))};
        } else if (kind == "aten::gelu") {
            const std::string approximate = node->inputs().size() > 1 ? constant(node, 1).toStringRef() : "none";
            p.kind = approximate == "tanh" ? Pointwise::GELUTanh : Pointwise::GELU;
        } else if (kind == "aten::silu") p.kind = Pointwise::SiLU;
        else if (kind == "aten::sigmoid") p.kind = Pointwise::Sigmoid;
        else if (kind == "aten::tanh") p.kind = Pointwise::Tanh;
        else if (kind == "aten::hardswish") p.kind = Pointwise::Hardswish;
        else {  // hardtanh(x, min, max), clamp(x, min, max)
            if (is_none(node, 1) || is_none(node, 2)) unsupported("clamp without both bounds");
            p = {Pointwise::Hardtanh, float(number(node, 1)), float(number(node, 2))};
        }
        emit(node, p);
    }

    void adaptive(const Node *node, const std::string &) {
        const auto size = pair(node, 1);
        emit(node, engine::AdaptiveAvgPool2d{int(size[0]), int(size[1])});
    }

    void conv(const Node *node, const std::string &kind) {
        // aten::conv2d(x, w, b, stride, padding, dilation, groups); padding may be "same"/"valid";
        // aten::_convolution_mode: as conv2d, padding a string (traced padding='same')
        // aten::_convolution / aten::convolution(x, w, b, stride, padding, dilation, transposed, output_padding, groups, ...)
        const bool general = kind == "aten::_convolution" || kind == "aten::convolution";
        if (general && constant(node, 6).toBool()) unsupported("transposed convolution");
        const at::Tensor w = tensor(node, 1);
        if (w.dim() != 4) unsupported("a convolution that is not 2-D");
        engine::Conv2d c;
        c.out_channels = int(w.size(0));
        c.groups = int(constant(node, general ? 8 : 6).toInt());
        c.in_channels = int(w.size(1)) * c.groups;
        c.kernel_h = int(w.size(2)), c.kernel_w = int(w.size(3));
        const auto stride = pair(node, 3), dilation = pair(node, 5);
        c.stride_h = int(stride[0]), c.stride_w = int(stride[1]);
        c.dilation_h = int(dilation[0]), c.dilation_w = int(dilation[1]);
        const c10::IValue padding = constant(node, 4);
        if (padding.isString()) {
            if (padding.toStringRef() == "same") {  // torch puts the odd pixel at the bottom / right
                if (c.stride_h != 1 || c.stride_w != 1) unsupported("padding='same' with a stride");
                const int th = c.dilation_h * (c.kernel_h - 1), tw = c.dilation_w * (c.kernel_w - 1);
                c.pad_top = th / 2, c.pad_bottom = th - th / 2, c.pad_left = tw / 2, c.pad_right = tw - tw / 2;
            }
        } else {
            const auto pad = pair(node, 4);
            c.pad_top = c.pad_bottom = int(pad[0]), c.pad_left = c.pad_right = int(pad[1]);
        }
        c.weight = floats(w);
        c.bias = optional_tensor(node, 2);
        emit(node, std::move(c));
    }

    void batch_norm(const Node *node, const std::string &) {
        // aten::batch_norm(x, weight, bias, running_mean, running_var, training, momentum, eps, cudnn_enabled)
        if (constant(node, 5).toBool()) unsupported("batch norm in training mode");
        const std::vector<float> weight = optional_tensor(node, 1), bias = optional_tensor(node, 2);
        const std::vector<float> mean = floats(tensor(node, 3)), var = floats(tensor(node, 4));
        const double eps = number(node, 7);
        engine::BatchNorm bn;
        for (std::size_t i = 0; i < mean.size() && i < var.size(); ++i) {
            const double scale = (weight.empty() ? 1.0 : weight[i]) / std::sqrt(double(var[i]) + eps);
            bn.scale.push_back(float(scale));
            bn.shift.push_back(float((bias.empty() ? 0.0 : bias[i]) - mean[i] * scale));
        }
        emit(node, std::move(bn));
    }

    void linear(const Node *node, const std::string &) {
        linear_on(node, node->input(0), tensor(node, 1), optional_tensor(node, 2));
    }

    void matmul(const Node *node, const std::string &) {
        const at::Tensor m = tensor(node, 1);
        if (m.dim() != 2) unsupported("a matrix product with a " + std::to_string(m.dim()) + "-D operand");
        linear_on(node, node->input(0), m.t(), {});
    }

    void addmm(const Node *node, const std::string &) {
        // aten::addmm(bias, x, m, beta, alpha): beta * bias + alpha * x @ m
        if (number(node, 3) != 1.0 || number(node, 4) != 1.0) unsupported("addmm with beta or alpha other than 1");
        const at::Tensor m = tensor(node, 2);
        const at::Tensor b = tensor(node, 0);
        if (m.dim() != 2 || b.numel() != m.size(1)) unsupported("a bias that is not one value per output");
        linear_on(node, node->input(1), m.t(), floats(b));
    }
    void linear_on(const Node *node, const Value *x, const at::Tensor &w, std::vector<float> bias) {
        if (w.dim() != 2) unsupported("a weight that is not a matrix");
        const Ref &in = ref(x);
        if (!in.shape.flat) unsupported("a Linear layer on a [C, H, W] tensor (flatten it first)");
        engine::Linear l;
        l.out_features = int(w.size(0)), l.in_features = int(w.size(1));
        l.weight = floats(w);
        l.bias = std::move(bias);
        emit(node, std::move(l), {in.node});
    }

    void add(const Node *node, const std::string &) {
        // aten::add(a, b, alpha): two tensors, or a linear layer's output plus a constant bias
        if (number(node, 2) != 1.0) unsupported("add with alpha other than 1");
        const auto b_const = torch::jit::toIValue(node->input(1));
        if (!b_const) {
            const Ref a = ref(node->input(0)), b = ref(node->input(1));
            return emit(node, engine::Add{}, {a.node, b.node});
        }
        if (!b_const->isTensor()) unsupported("adding a number");
        const Ref &a = ref(node->input(0));
        auto *producer = a.node >= 0 ? std::get_if<engine::Linear>(&plan_.nodes[std::size_t(a.node)].op) : nullptr;
        const at::Tensor b = b_const->toTensor();
        if (!producer || node->input(0)->uses().size() != 1 || b.numel() != producer->out_features ||
            producer->activation.kind != engine::Pointwise::Identity)
            unsupported("adding a constant tensor other than a Linear layer's bias");
        const std::vector<float> values = floats(b);
        if (producer->bias.empty()) producer->bias.assign(values.size(), 0.0f);
        for (std::size_t i = 0; i < values.size(); ++i) producer->bias[i] += values[i];
        alias(node, a);
    }

    void pool(const Node *node, const std::string &kind) {
        const bool average = kind == "aten::avg_pool2d";
        // aten::max_pool2d(x, kernel, stride, padding, dilation, ceil_mode)
        // aten::avg_pool2d(x, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override)
        engine::Pool2d p;
        p.kind = average ? engine::Pool2d::Average : engine::Pool2d::Max;
        const auto kernel = pair(node, 1), stride = pair(node, 2, kernel[0]), padding = pair(node, 3);
        p.kernel_h = int(kernel[0]), p.kernel_w = int(kernel[1]);
        p.stride_h = int(stride[0]), p.stride_w = int(stride[1]);
        if (constant(node, 2).toIntVector().empty()) p.stride_h = p.kernel_h, p.stride_w = p.kernel_w;
        p.pad_h = int(padding[0]), p.pad_w = int(padding[1]);
        if (average) {
            p.ceil_mode = constant(node, 4).toBool();
            p.count_include_pad = constant(node, 5).toBool();
            if (!is_none(node, 6)) unsupported("divisor_override");
        } else {
            const auto dilation = pair(node, 4);
            if (dilation[0] != 1 || dilation[1] != 1) unsupported("dilated max-pooling");
            p.ceil_mode = constant(node, 5).toBool();
        }
        emit(node, p);
    }

    void mean(const Node *node, const std::string &) {
        // aten::mean(x, dims, keepdim, dtype) over H and W: global average pooling
        const Ref &in = ref(node->input(0));
        std::vector<int64_t> dims = constant(node, 1).toIntVector();
        for (int64_t &d : dims) d = d < 0 ? d + 4 : d;
        std::sort(dims.begin(), dims.end());
        if (in.shape.flat || dims != std::vector<int64_t>{2, 3}) unsupported("a mean other than over H and W");
        if (!is_none(node, 3)) unsupported("a dtype argument");
        emit(node, engine::AdaptiveAvgPool2d{1, 1});
        if (!constant(node, 2).toBool()) emit(node, engine::Flatten{}, {int(plan_.nodes.size()) - 1});
    }

    void flatten(const Node *node, const std::string &) {
        const Ref &in = ref(node->input(0));
        const int64_t rank = in.shape.flat ? 2 : 4;
        int64_t start = constant(node, 1).toInt(), end = constant(node, 2).toInt();
        start = start < 0 ? start + rank : start, end = end < 0 ? end + rank : end;
        if (start != 1 || end != rank - 1) unsupported("flatten other than from dimension 1 to the last");
        emit(node, engine::Flatten{});
    }

    void reshape(const Node *node, const std::string &) {
        // view/reshape to [N, features] (N: the batch or -1) is a flatten; to the same shape, nothing.
        const Ref &in = ref(node->input(0));
        const std::vector<int64_t> size = constant(node, 1).toIntVector();
        const int64_t features = int64_t(in.shape.size());
        const bool batch_first = size.size() == 2 && (size[0] == kBatch || size[0] == -1);
        if (batch_first && (size[1] == features || (size[1] == -1 && size[0] == kBatch)))
            return emit(node, engine::Flatten{});
        if (!in.shape.flat && size == std::vector<int64_t>{kBatch, in.shape.c, in.shape.h, in.shape.w})
            return alias(node, in);
        unsupported("a reshape other than to [batch, features]");
    }

    void cat(const Node *node, const std::string &) {
        const Node *list = node->input(0)->node();
        if (list->kind() != c10::prim::ListConstruct) unsupported("a list of tensors computed at run time");
        std::vector<int> inputs;
        bool flat = false;
        for (const Value *v : list->inputs()) {
            const Ref &r = ref(v);
            inputs.push_back(r.node);
            flat = r.shape.flat;
        }
        int64_t dim = constant(node, 1).toInt();
        if (dim < 0) dim += flat ? 2 : 4;
        if (dim != 1) unsupported("concatenation along a dimension other than channels or features");
        emit(node, engine::Concat{}, inputs);
    }

    void softmax(const Node *node, const std::string &kind) {
        const bool soft = kind == "aten::softmax";
        // aten::(log_)softmax(x, dim, dtype)
        Ref r = ref(node->input(0));
        const int64_t dim = constant(node, 1).toInt();
        if (!r.shape.flat || (dim != 1 && dim != -1)) unsupported("softmax over a spatial dimension");
        if (!is_none(node, 2)) unsupported("a dtype argument");
        r.softmax = soft ? engine::Activation::Softmax : engine::Activation::LogSoftmax;
        alias(node, r);
    }

    void finish(const Value *out) {
        auto it = values_.find(out);
        if (it == values_.end()) return problem("the graph", "returns a value that is not a lowered tensor");
        const Ref &r = it->second;
        if (r.node == engine::kInput) return problem("the graph", "returns its input");
        if (!r.shape.flat) return problem("the graph", "does not end with a [N, classes] tensor");
        if (r.node != int(plan_.nodes.size()) - 1) {  // make the output the last node
            plan_.then(engine::Pointwise{});
            plan_.nodes.back().inputs = {r.node};
        }
        plan_.output = r.softmax;
    }
};

// libtorch's normalizing passes, specialized to the input shape.
void normalize(std::shared_ptr<torch::jit::Graph> &graph, int channels, int height, int width) {
    torch::jit::Inline(*graph);
    torch::jit::RemoveListMutation(graph);
    torch::jit::RemoveTensorMutation(graph);
    torch::jit::removeDropout(graph);
    torch::jit::LowerSimpleTuples(graph);
    graph->inputs()[1]->setType(c10::TensorType::createContiguous(at::kFloat, at::kCPU, {kBatch, channels, height, width}));
    for (int round = 0; round < 3; ++round) {
        torch::jit::PropagateInputShapes(graph);
        torch::jit::PeepholeOptimize(graph);
        torch::jit::ConstantPropagation(graph);
        torch::jit::EliminateDeadCode(graph);
    }
    torch::jit::FuseLinear(graph);
    torch::jit::ConstantPropagation(graph);
    torch::jit::EliminateDeadCode(graph);
}

}  // namespace

engine::Plan extract_plan(const torch::jit::Module &frozen, int channels, int height, int width) {
    const torch::jit::Method forward = frozen.get_method("forward");
    std::vector<c10::IValue> defaults;  // of the arguments after self and the image
    const auto &arguments = forward.function().getSchema().arguments();
    for (std::size_t i = 2; i < arguments.size(); ++i) {
        if (!arguments[i].default_value()) throw std::invalid_argument("forward takes more than one input");
        defaults.push_back(*arguments[i].default_value());
    }
    const auto copy = [&] {  // without the budget's loop checks: the native engine needs none
        std::shared_ptr<torch::jit::Graph> graph = forward.graph()->copy();
        remove_loop_checks(*graph);
        return graph;
    };
    std::shared_ptr<torch::jit::Graph> graph = copy();
    try {
        normalize(graph, channels, height, width);
    } catch (const std::exception &) {  // a pass that fails on this graph
        graph = copy();  // lower the graph as it is
        torch::jit::Inline(*graph);
    }
    return Lowering(channels, height, width).run(*graph, defaults);
}

}  // namespace digitinfer::core
