#include "torch/forward_code.hpp"

#include <set>

#include <torch/csrc/jit/api/function_impl.h>
#include <torch/csrc/jit/passes/inliner.h>

namespace digitinfer::core {
namespace {

using torch::jit::Node;

void visit_block(torch::jit::Block *block, const std::function<void(Node *)> &visit) {
    for (Node *node : block->nodes()) {
        visit(node);
        for (torch::jit::Block *nested : node->blocks()) visit_block(nested, visit);
        if (node->hasAttribute(torch::jit::attr::Subgraph) &&
            node->kindOf(torch::jit::attr::Subgraph) == torch::jit::AttributeKind::g)
            visit_block(node->g(torch::jit::attr::Subgraph)->block(), visit);
    }
}

bool is_call(const Node *node) { return node->kind() == c10::prim::CallMethod || node->kind() == c10::prim::CallFunction; }

std::string describe_call(const Node *node) {
    std::string what = node->kind().toQualString();
    if (node->kind() == c10::prim::CallMethod) what += " " + node->s(torch::jit::attr::name);
    return what + " (its callee cannot be known before running)";
}

// The graph of the function `call` calls, or nullptr when it is not a TorchScript graph known now.
std::shared_ptr<torch::jit::Graph> callee(Node *call) {
    try {
        if (torch::jit::GraphFunction *f = torch::jit::tryToGraphFunction(call)) return f->graph();
    } catch (const std::exception &) {  // an assertion on a malformed call: unresolved
    }
    return nullptr;
}

}  // namespace

void for_each_node(torch::jit::Graph &graph, const std::function<void(Node *)> &visit) {
    visit_block(graph.block(), visit);
}

ForwardCode forward_code(const torch::jit::Module &module) {
    const auto forward = module.find_method("forward");
    if (!forward) throw std::runtime_error("the model has no forward method");
    ForwardCode code;
    std::set<const torch::jit::Graph *> seen;
    std::vector<std::shared_ptr<torch::jit::Graph>> pending{forward->graph()};
    while (!pending.empty()) {
        std::shared_ptr<torch::jit::Graph> graph = std::move(pending.back());
        pending.pop_back();
        if (!seen.insert(graph.get()).second) continue;
        code.graphs.push_back(graph);
        for_each_node(*graph, [&](Node *node) {
            if (!is_call(node)) return;
            if (auto g = callee(node))
                pending.push_back(std::move(g));
            else
                code.unresolved.push_back(describe_call(node));
        });
    }
    return code;
}

}  // namespace digitinfer::core
