#include "passes.hpp"

#include <vector>

#include "shapes.hpp"

namespace digitinfer::engine {
namespace {

// Marks the nodes the last one depends on.
std::vector<bool> live_nodes(const Plan &plan) {
    std::vector<bool> live(plan.nodes.size(), false);
    live.back() = true;
    for (std::size_t i = plan.nodes.size(); i-- > 0;)
        if (live[i])
            for (int j : plan.nodes[i].inputs)
                if (j != kInput) live[std::size_t(j)] = true;
    return live;
}

Pointwise *activation_slot(Op &op) {
    Pointwise *slot = nullptr;
    if (auto *c = std::get_if<Conv2d>(&op)) slot = &c->activation;
    if (auto *l = std::get_if<Linear>(&op)) slot = &l->activation;
    return slot && slot->kind == Pointwise::Identity ? slot : nullptr;
}

// Folds x * scale + shift (per output channel) into the layer's weights and bias.
template <class Layer>
void fold_scale(Layer &layer, int outputs, const BatchNorm &bn) {
    const std::size_t per_output = layer.weight.size() / std::size_t(outputs);
    if (layer.bias.empty()) layer.bias.assign(std::size_t(outputs), 0.0f);
    for (std::size_t o = 0; o < std::size_t(outputs); ++o) {
        for (std::size_t k = 0; k < per_output; ++k) layer.weight[o * per_output + k] *= bn.scale[o];
        layer.bias[o] = layer.bias[o] * bn.scale[o] + bn.shift[o];
    }
}

bool fold_batch_norm(Op &producer, const BatchNorm &bn) {
    if (!activation_slot(producer)) return false;  // a nonlinearity between them
    if (auto *c = std::get_if<Conv2d>(&producer)) fold_scale(*c, c->out_channels, bn);
    else if (auto *l = std::get_if<Linear>(&producer)) fold_scale(*l, l->out_features, bn);
    else return false;
    return true;
}

}  // namespace

Plan simplify(const Plan &plan) {
    const std::vector<TensorShape> shapes = infer_shapes(plan);
    if (plan.nodes.empty()) return plan;
    const std::vector<bool> live = live_nodes(plan);
    std::vector<int> uses(plan.nodes.size(), 0);
    uses.back() = 1;  // the output
    for (std::size_t i = 0; i < plan.nodes.size(); ++i)
        if (live[i])
            for (int j : plan.nodes[i].inputs)
                if (j != kInput) ++uses[std::size_t(j)];

    Plan out;
    out.channels = plan.channels, out.height = plan.height, out.width = plan.width, out.output = plan.output;
    std::vector<int> index(plan.nodes.size(), kInput);  // old node -> new node (or kInput)
    std::vector<int> new_uses;                          // per new node
    for (std::size_t i = 0; i < plan.nodes.size(); ++i) {
        if (!live[i]) continue;
        const Node &node = plan.nodes[i];
        std::vector<int> inputs;
        for (int j : node.inputs) inputs.push_back(j == kInput ? kInput : index[std::size_t(j)]);
        const int in0 = inputs[0];
        const bool only_use = in0 != kInput && new_uses[std::size_t(in0)] == 1;
        const auto *pointwise = std::get_if<Pointwise>(&node.op);
        const bool identity = (pointwise && pointwise->kind == Pointwise::Identity) ||
                              (std::holds_alternative<Flatten>(node.op) && in0 != kInput &&
                               shapes[std::size_t(node.inputs[0])].flat);
        bool merged = identity;
        if (!merged && only_use) {
            Op &producer = out.nodes[std::size_t(in0)].op;
            if (const auto *bn = std::get_if<BatchNorm>(&node.op)) {
                merged = fold_batch_norm(producer, *bn);
            } else if (Pointwise *slot = pointwise ? activation_slot(producer) : nullptr) {
                *slot = *pointwise;
                merged = true;
            }
        }
        if (merged && in0 != kInput) {  // this node's uses become its input's
            index[i] = in0;
            new_uses[std::size_t(in0)] += uses[i] - 1;
            continue;
        }
        if (merged && node.inputs.size() == 1 && identity && in0 == kInput && i + 1 < plan.nodes.size()) {
            index[i] = kInput;  // an identity on the input, not the output
            continue;
        }
        index[i] = int(out.nodes.size());
        out.nodes.push_back({node.op, std::move(inputs)});
        new_uses.push_back(uses[i]);
    }
    return out;
}

}  // namespace digitinfer::engine
