#include "torch/tensor_check.hpp"

#include <optional>
#include <set>
#include <sstream>

#include "common/failure.hpp"
#include "torch/budget.hpp"

namespace digitinfer::core {
namespace {

[[noreturn]] void refuse(const std::string &name, const std::string &why) {
    fail(DI_ERR_MODEL, "tensor " + name + " " + why + "; a model's tensors must be dense, on the CPU and finite");
}

template <class T>
std::string text(const T &value) {
    std::ostringstream s;
    s << value;
    return s.str();
}

// Whether the tensor's storage has every element its sizes and strides reach, in bytes that
// were allocated for it: torch::jit::load gives a storage the size the archive's pickle says
// and the bytes its record holds (none for a tensor saved from the meta device).
bool storage_holds(const at::Tensor &t) {
    if (t.numel() == 0) return true;
    if (!t.has_storage() || t.storage().data() == nullptr) return false;
    uint64_t last = uint64_t(t.storage_offset());
    for (int64_t d = 0; d < t.dim(); ++d) {
        if (t.stride(d) < 0 || uint64_t(t.stride(d)) > (uint64_t(1) << 62) / uint64_t(t.size(d))) return false;
        last += uint64_t(t.size(d) - 1) * uint64_t(t.stride(d));
        if (last > (uint64_t(1) << 62)) return false;
    }
    const uint64_t needed = (last + 1) * uint64_t(t.element_size());
    const std::optional<std::size_t> allocated = allocated_bytes(t.storage().data_ptr());
    return needed <= t.storage().nbytes() && (!allocated || needed <= *allocated);
}

void check_tensor(const std::string &name, const at::Tensor &t) {
    if (!t.defined()) return;
    if (t.is_meta()) refuse(name, "is on the meta device (it has no values)");
    if (!t.device().is_cpu()) refuse(name, "is on the " + text(t.device()) + " device, not the CPU");
    if (t.is_sparse()) refuse(name, "is sparse, not dense");
    if (t.layout() != at::kStrided) refuse(name, "has the " + text(t.layout()) + " layout, not a dense (strided) one");
    if (!storage_holds(t))
        refuse(name, "has fewer bytes in the file than its shape needs (a tensor saved from the meta device, or a "
                     "truncated file)");
    if (t.is_quantized() || t.is_complex() || !(t.is_floating_point() || at::isIntegralType(t.scalar_type(), true)))
        refuse(name, "holds " + std::string(c10::toString(t.scalar_type())) +
                         " values, not floating point, integer or boolean ones");
    if (!t.is_floating_point() || at::isfinite(t).all().item<bool>()) return;
    refuse(name, at::isnan(t).any().item<bool>() ? "holds NaN values" : "holds infinite values (inf)");
}

// Walks an attribute value: tensors are checked, containers and objects entered.
class Walk {
public:
    void value(const std::string &name, const c10::IValue &v) {
        if (v.isTensor()) return check_tensor(name, v.toTensor());
        if (v.isTensorList()) {
            const auto list = v.toTensorList();
            for (std::size_t i = 0; i < list.size(); ++i) check_tensor(name + "[" + std::to_string(i) + "]", list[i]);
        } else if (v.isList()) {
            const auto list = v.toListRef();
            for (std::size_t i = 0; i < list.size(); ++i) value(name + "[" + std::to_string(i) + "]", list[i]);
        } else if (v.isTuple()) {
            const auto &elements = v.toTupleRef().elements();
            for (std::size_t i = 0; i < elements.size(); ++i) value(name + "[" + std::to_string(i) + "]", elements[i]);
        } else if (v.isGenericDict()) {
            for (const auto &entry : v.toGenericDict()) {
                value(name + "[key]", entry.key());
                value(name + "[" + (entry.key().isString() ? entry.key().toStringRef() : "...") + "]", entry.value());
            }
        } else if (v.isObject()) {
            object(name, v.toObject());
        }
    }

    void object(const std::string &prefix, const c10::intrusive_ptr<c10::ivalue::Object> &obj) {
        if (!seen_.insert(obj.get()).second) return;
        const auto type = obj->type();
        for (std::size_t i = 0; i < obj->slots().size() && i < type->numAttributes(); ++i)
            value((prefix.empty() ? "" : prefix + ".") + type->getAttributeName(i), obj->getSlot(i));
    }

private:
    std::set<const c10::ivalue::Object *> seen_;
};

}  // namespace

void check_tensors(const torch::jit::Module &module, const ForwardCode &code) {
    Walk walk;
    walk.object("", module._ivalue());
    for (const auto &graph : code.graphs)
        for_each_node(*graph, [&](torch::jit::Node *node) {
            if (node->kind() != c10::prim::Constant) return;
            if (auto constant = torch::jit::toIValue(node->output())) walk.value("(a constant of the code)", *constant);
        });
}

}  // namespace digitinfer::core
