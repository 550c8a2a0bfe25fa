// Which runner the native engine picks for a .dimodel (chain or graph), its
// nodes, and a rough per-node cost: each prefix of the plan (nodes 0..k, on the
// graph runner) timed at one batch size; a node's cost is its prefix's time
// minus the previous prefix's. Internal API (src/engine, src/format): built by
// bench/zoo/run.sh against the static libraries of a build directory.
//
//   plan_probe MODEL.dimodel [--time] [--batch B] [--threads T] [--min-time S] [--as-relu]
//
// --as-relu: every fused or standalone activation other than ReLU replaced by ReLU
// (which the kernels fuse): what the model would cost if its activations were free.
// Prints one JSON object.
#include <cstdio>
#include <string>
#include <variant>
#include <vector>

#include "../side_by_side/timing.hpp"
#include "engine/engine.hpp"
#include "engine/runner.hpp"
#include "format/dimodel.hpp"

using namespace digitinfer;
using namespace digitinfer::engine;

namespace {

const char *pointwise(const Pointwise &p) {
    static const char *names[] = {"", "relu", "leaky_relu", "elu", "gelu", "gelu_tanh", "silu",
                                  "sigmoid", "tanh", "hardtanh", "hardswish"};
    return names[p.kind];
}

std::string describe(const Node &n) {
    char b[256];
    if (const auto *c = std::get_if<Conv2d>(&n.op)) {
        std::snprintf(b, sizeof b, "conv %d->%d %dx%d s%d p%d,%d,%d,%d d%d g%d %s", c->in_channels, c->out_channels,
                      c->kernel_h, c->kernel_w, c->stride_h, c->pad_top, c->pad_left, c->pad_bottom, c->pad_right,
                      c->dilation_h, c->groups, pointwise(c->activation));
    } else if (const auto *p = std::get_if<Pool2d>(&n.op)) {
        std::snprintf(b, sizeof b, "%s_pool %dx%d s%d p%d%s", p->kind == Pool2d::Max ? "max" : "avg", p->kernel_h,
                      p->kernel_w, p->stride_h, p->pad_h, p->ceil_mode ? " ceil" : "");
    } else if (const auto *a = std::get_if<AdaptiveAvgPool2d>(&n.op)) {
        std::snprintf(b, sizeof b, "adaptive_avg_pool %dx%d", a->out_h, a->out_w);
    } else if (const auto *l = std::get_if<Linear>(&n.op)) {
        std::snprintf(b, sizeof b, "linear %d->%d %s", l->in_features, l->out_features, pointwise(l->activation));
    } else if (std::get_if<BatchNorm>(&n.op)) {
        std::snprintf(b, sizeof b, "batch_norm");
    } else if (const auto *q = std::get_if<Pointwise>(&n.op)) {
        std::snprintf(b, sizeof b, "pointwise %s", pointwise(*q));
    } else if (std::get_if<Flatten>(&n.op)) {
        std::snprintf(b, sizeof b, "flatten");
    } else if (std::get_if<Add>(&n.op)) {
        std::snprintf(b, sizeof b, "add");
    } else {
        std::snprintf(b, sizeof b, "concat");
    }
    std::string s = b;
    while (!s.empty() && s.back() == ' ') s.pop_back();
    return s;
}

}  // namespace

int main(int argc, char **argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s MODEL.dimodel [--time] [--batch B] [--threads T] [--min-time S] [--as-relu]\n",
                     argv[0]);
        return 2;
    }
    bool time = false, as_relu = false;
    std::size_t batch = 1;
    int threads = 1;
    double min_time = 0.3;
    for (int i = 2; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--time") time = true;
        else if (a == "--as-relu") as_relu = true;
        else if (a == "--batch" && i + 1 < argc) batch = std::stoul(argv[++i]);
        else if (a == "--threads" && i + 1 < argc) threads = std::stoi(argv[++i]);
        else if (a == "--min-time" && i + 1 < argc) min_time = std::stod(argv[++i]);
        else { std::fprintf(stderr, "unknown option %s\n", a.c_str()); return 2; }
    }
    core::NativeModel m = core::read_native_model(sbs::read_bytes(argv[1]));
    if (as_relu) {
        const auto relu = [](Pointwise &p) { if (p.kind != Pointwise::Identity) p = Pointwise{Pointwise::ReLU}; };
        for (Node &n : m.plan.nodes) {
            if (auto *c = std::get_if<Conv2d>(&n.op)) relu(c->activation);
            else if (auto *l = std::get_if<Linear>(&n.op)) relu(l->activation);
            else if (auto *q = std::get_if<Pointwise>(&n.op)) relu(*q);
        }
    }
    const auto engine = Engine::create(m.plan);
    const Isa isa = engine->isa();
    std::printf("{\"file\": \"%s\", \"runner\": \"%s\", \"isa\": \"%s\", \"flops_per_image\": %.0f, \"batch\": %zu, "
                "\"threads\": %d, \"as_relu\": %s, \"nodes\": [",
                sbs::json_escape(argv[1]).c_str(), engine->is_chain() ? "chain" : "graph", isa_name(isa),
                engine->flops_per_image(), batch, threads, as_relu ? "true" : "false");
    const std::vector<float> x = sbs::test_batch(batch, engine->num_inputs());
    std::vector<float> out;
    double before = 0;
    for (std::size_t k = 0; k < m.plan.nodes.size(); ++k) {
        const Node &n = m.plan.nodes[k];
        std::printf("%s\n  {\"node\": %zu, \"op\": \"%s\", \"inputs\": [", k ? "," : "", k, describe(n).c_str());
        for (std::size_t i = 0; i < n.inputs.size(); ++i) std::printf("%s%d", i ? ", " : "", n.inputs[i]);
        std::printf("]");
        if (time) {
            Plan prefix = m.plan;
            prefix.nodes.resize(k + 1);
            prefix.output = k + 1 == m.plan.nodes.size() ? m.plan.output : Activation::None;
            const auto r = detail::make_graph_runner(prefix, isa);
            out.resize(batch * r->n_out);
            const sbs::Stats s = sbs::measure([&] { r->forward(x.data(), batch, out.data(), threads); }, min_time);
            std::printf(", \"prefix_s\": %.9g, \"node_s\": %.9g", s.median, s.median - before);
            before = s.median;
        }
        std::printf("}");
    }
    if (time) {
        out.resize(batch * engine->num_outputs());
        const sbs::Stats s = sbs::measure([&] { engine->forward(x.data(), batch, out.data(), threads); }, min_time);
        std::printf("],\n \"engine_s\": %.9g}\n", s.median);
    } else {
        std::printf("]}\n");
    }
    return 0;
}
