// The reviewed allow-list of operators an untrusted TorchScript model may run.
//
// A TorchScript file is a program: libtorch has operators that read and write files
// (aten::from_file, aten::save), print, sleep, start threads (prim::fork), call other
// processes (RPC), or hand out uninitialized memory. A model loaded without
// DI_LOAD_TRUSTED_MODEL runs only the operators listed here; each group says why its
// members are safe. What none of them can do: touch a file, a socket, another thread or
// process, the environment, or memory outside the tensors they are given (every indexing
// operator listed checks its indices). How long they run and how much they allocate is
// bounded by the budgets (torch/budget.cpp), not here.
//
// An in-place variant (relu_, add_) is allowed when its operator is: it writes only into
// a tensor the model already holds, of the same size (resize_ and set_ are not listed).
// Adding an operator: check that its schema takes and returns only tensors, numbers,
// strings, lists, tuples, dicts or None, and that it has no side effect but its result.
#include "torch/op_allowlist.hpp"

#include <set>
#include <unordered_set>

namespace digitinfer::core {
namespace {

const std::unordered_set<std::string> &allowed() {
    static const std::unordered_set<std::string> ops = {
        // Structure and control flow: constants, building and taking apart lists, tuples and
        // dicts, reading the module's own attributes, branches and loops (every loop body gets
        // the time check, torch/budget.cpp), raising an exception, type refinements. They
        // compute nothing outside the interpreter's own values.
        "prim::Constant", "prim::If", "prim::Loop", "prim::GetAttr", "prim::ListConstruct", "prim::ListUnpack",
        "prim::TupleConstruct", "prim::TupleUnpack", "prim::TupleIndex", "prim::TupleSlice", "prim::DictConstruct",
        "prim::RaiseException", "prim::Uninitialized", "prim::unchecked_cast", "prim::isinstance",
        // Calls: allowed because the callee's own graph is walked too (torch/forward_code.cpp);
        // a call whose callee cannot be found before running is refused there.
        "prim::CallMethod", "prim::CallFunction",
        // Numbers, booleans, strings, lists and dicts, as shape checks and Python code use them:
        // arithmetic, comparisons, conversions, indexing (bounds-checked), formatting a string.
        // aten::warn reports through c10's warning handler (stderr), as PyTorch's own
        // functional code does (F.dropout, F.interpolate); it touches nothing else.
        "aten::eq", "aten::ne", "aten::lt", "aten::le", "aten::gt", "aten::ge", "aten::__not__", "aten::__and__",
        "aten::__or__", "aten::__xor__", "aten::__is__", "aten::__isnot__", "aten::__contains__", "aten::add",
        "aten::sub", "aten::mul", "aten::div", "aten::floordiv", "aten::remainder", "aten::neg", "aten::pow",
        "aten::abs", "aten::Int", "aten::Float", "aten::Bool", "aten::ScalarImplicit", "aten::len",
        "aten::__getitem__", "aten::_set_item", "aten::append", "aten::extend", "aten::list", "aten::keys",
        "aten::values", "aten::items", "aten::format", "aten::str", "aten::__range_length", "aten::__derive_index",
        "aten::_infer_size", "aten::floor", "aten::ceil", "aten::warn", "prim::min", "prim::max", "prim::abs",
        // Facts about a tensor: its rank, sizes, element count, dtype, device, layout.
        "aten::dim", "aten::size", "aten::numel", "aten::is_floating_point", "aten::is_contiguous", "prim::device",
        "prim::dtype", "prim::layout", "prim::is_cuda", "prim::requires_grad", "prim::NumToTensor", "aten::item",
        // Element-wise tensor math: new values from the inputs' values, nothing else.
        "aten::exp", "aten::expm1", "aten::log", "aten::log1p", "aten::log2", "aten::sqrt", "aten::rsqrt",
        "aten::reciprocal", "aten::square", "aten::sin", "aten::cos", "aten::erf", "aten::sign", "aten::round",
        "aten::trunc", "aten::frac", "aten::clamp", "aten::clamp_min", "aten::clamp_max", "aten::clip",
        "aten::minimum", "aten::maximum", "aten::min", "aten::max", "aten::rsub", "aten::lerp", "aten::addcmul",
        "aten::addcdiv", "aten::where", "aten::masked_fill", "aten::logical_and", "aten::logical_or",
        "aten::logical_not", "aten::isnan", "aten::isfinite", "aten::fill", "aten::zero",
        // Activations: element-wise as well (rrelu and dropout use the global random generator
        // only in training mode, and write nothing but their output).
        "aten::relu", "aten::relu6", "aten::leaky_relu", "aten::prelu", "aten::elu", "aten::selu", "aten::celu",
        "aten::gelu", "aten::silu", "aten::mish", "aten::hardswish", "aten::hardsigmoid", "aten::hardtanh",
        "aten::sigmoid", "aten::tanh", "aten::softplus", "aten::threshold", "aten::log_sigmoid", "aten::glu",
        "aten::hardshrink", "aten::softshrink", "aten::softmax", "aten::log_softmax", "aten::_softmax",
        "aten::_log_softmax", "aten::dropout", "aten::feature_dropout", "aten::alpha_dropout",
        "aten::feature_alpha_dropout",
        // Reductions and linear algebra: outputs sized by the inputs' shapes.
        "aten::sum", "aten::mean", "aten::amax", "aten::amin", "aten::argmax", "aten::argmin", "aten::prod",
        "aten::std", "aten::var", "aten::norm", "aten::logsumexp", "aten::cumsum", "aten::all", "aten::any",
        "aten::topk", "aten::linear", "aten::matmul", "aten::mm", "aten::bmm", "aten::addmm", "aten::addmv",
        "aten::mv", "aten::dot", "aten::baddbmm", "aten::einsum", "aten::bilinear", "aten::cosine_similarity",
        "aten::pairwise_distance",
        // Neural-network layers: convolutions, normalizations, pooling, resampling, padding;
        // every index they compute stays inside their input.
        "aten::conv1d", "aten::conv2d", "aten::conv3d", "aten::_convolution", "aten::_convolution_mode",
        "aten::convolution", "aten::conv_transpose1d", "aten::conv_transpose2d", "aten::conv_transpose3d",
        "aten::batch_norm", "aten::instance_norm", "aten::layer_norm", "aten::group_norm", "aten::max_pool1d",
        "aten::max_pool2d", "aten::max_pool3d", "aten::max_pool1d_with_indices", "aten::max_pool2d_with_indices",
        "aten::max_pool3d_with_indices", "aten::avg_pool1d", "aten::avg_pool2d", "aten::avg_pool3d",
        "aten::adaptive_avg_pool1d", "aten::adaptive_avg_pool2d", "aten::adaptive_avg_pool3d",
        "aten::adaptive_max_pool1d", "aten::adaptive_max_pool2d", "aten::adaptive_max_pool3d",
        "aten::upsample_nearest1d", "aten::upsample_nearest2d", "aten::upsample_nearest3d",
        "aten::_upsample_nearest_exact1d", "aten::_upsample_nearest_exact2d", "aten::_upsample_nearest_exact3d",
        "aten::upsample_linear1d", "aten::upsample_bilinear2d", "aten::upsample_bicubic2d",
        "aten::upsample_trilinear3d", "aten::_upsample_bilinear2d_aa", "aten::_upsample_bicubic2d_aa",
        "aten::pad", "aten::constant_pad_nd", "aten::reflection_pad1d", "aten::reflection_pad2d",
        "aten::replication_pad1d", "aten::replication_pad2d", "aten::pixel_shuffle", "aten::pixel_unshuffle",
        "aten::channel_shuffle", "aten::embedding",
        // Shapes and views: the same values rearranged; a view keeps to its tensor's storage
        // (as_strided, which takes raw strides, is not listed); indexing is bounds-checked.
        "aten::view", "aten::reshape", "aten::flatten", "aten::unflatten", "aten::squeeze", "aten::unsqueeze",
        "aten::expand", "aten::expand_as", "aten::contiguous", "aten::permute", "aten::transpose", "aten::t",
        "aten::movedim", "aten::chunk", "aten::split", "aten::split_with_sizes", "aten::unbind", "aten::cat",
        "aten::concat", "aten::stack", "aten::select", "aten::slice", "aten::narrow", "aten::index_select",
        "aten::index", "aten::gather", "aten::repeat", "aten::repeat_interleave", "aten::flip", "aten::roll",
        "aten::view_as", "aten::reshape_as", "aten::type_as", "aten::to", "aten::detach", "aten::clone",
        // New tensors with defined contents (zeros, a constant, a range, a list's values).
        // Not aten::empty and its kin: uninitialized memory holds what the process freed
        // earlier (another request's image), and a model could return it in its scores.
        "aten::zeros", "aten::ones", "aten::full", "aten::zeros_like", "aten::ones_like", "aten::full_like",
        "aten::arange", "aten::tensor", "aten::scalar_tensor", "aten::eye", "aten::linspace",
    };
    return ops;
}

// relu_ -> relu (but not __and__ or _softmax).
std::string out_of_place(std::string kind) {
    if (kind.size() > 1 && kind.back() == '_' && kind[kind.size() - 2] != '_') kind.pop_back();
    return kind;
}

}  // namespace

std::vector<std::string> refused_operators(const ForwardCode &code) {
    std::set<std::string> refused(code.unresolved.begin(), code.unresolved.end());
    for (const auto &graph : code.graphs)
        for_each_node(*graph, [&](torch::jit::Node *node) {
            const std::string kind = node->kind().toQualString();
            if (!allowed().count(kind) && !allowed().count(out_of_place(kind))) refused.insert(kind);
        });
    return {refused.begin(), refused.end()};
}

}  // namespace digitinfer::core
