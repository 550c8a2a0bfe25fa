#include "torch/budget.hpp"

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <unordered_set>
#include <utility>

#include <ATen/Parallel.h>
#include <c10/core/CPUAllocator.h>
#include <torch/library.h>

#include "common/failure.hpp"

namespace digitinfer::core {
namespace {

using Clock = std::chrono::steady_clock;

enum class Exceeded { None, Memory, Time };

// The limits of one budgeted step, and what it has used.
class Budget {
public:
    explicit Budget(const TorchOpenOptions &o)
        : memory_limit_(o.memory_limit_bytes), time_limit_(o.time_limit_ms),
          deadline_(Clock::now() + std::chrono::milliseconds(o.time_limit_ms)) {}

    void check_time() {
        if (time_limit_ == 0 || Clock::now() <= deadline_) return;
        exceeded_ = Exceeded::Time;  // and every later check fails too, until the step unwinds
        TORCH_CHECK(false, "DigitInfer: time limit exceeded");
    }

    // Counts `bytes` about to be allocated; throws when they would pass the limit. Not inside
    // a parallel region: an exception must not leave an OpenMP block (the next allocation
    // outside it throws instead).
    void charge(std::size_t bytes) {
        const uint64_t live = live_.fetch_add(bytes) + bytes;
        if (memory_limit_ == 0 || live <= memory_limit_ || at::in_parallel_region()) return;
        live_.fetch_sub(bytes);
        exceeded_ = Exceeded::Memory;
        TORCH_CHECK(false, "DigitInfer: memory limit exceeded");
    }
    void release(std::size_t bytes) noexcept { live_.fetch_sub(bytes); }

    Exceeded exceeded() const { return exceeded_; }

private:
    const uint64_t memory_limit_;
    const uint32_t time_limit_;
    const Clock::time_point deadline_;
    std::atomic<uint64_t> live_{0};
    std::atomic<Exceeded> exceeded_{Exceeded::None};
};

// The budget of the step running on this thread, if any.
thread_local std::shared_ptr<Budget> t_budget;

// An allocation made under a budget carries a header in front of its data: the budget, which
// it keeps alive and releases when freed, whenever that is, and how c10's allocator frees it.
// A header rather than a separate context, because c10's raw_allocate (oneDNN uses it) needs
// the context to be the data pointer itself. Allocations made outside a budget are c10's own,
// untouched: memory allocated before the allocator was installed frees as it always did.
struct Header {
    std::shared_ptr<Budget> budget;
    std::size_t bytes;
    void *inner_context;
    c10::DeleterFnPtr inner_deleter;
};
constexpr std::size_t kHeaderBytes = 64;  // c10's alignment (gAlignment): the data stays aligned
static_assert(sizeof(Header) <= kHeaderBytes);

// The data pointers that carry a header, for raw_deleter(), which is handed both kinds.
class HeaderedPointers {
public:
    void add(const void *data) {
        std::lock_guard<std::mutex> lock(mutex_);
        pointers_.insert(data);
    }
    bool remove(const void *data) {
        std::lock_guard<std::mutex> lock(mutex_);
        return pointers_.erase(data) != 0;
    }

private:
    std::mutex mutex_;
    std::unordered_set<const void *> pointers_;
};
HeaderedPointers &headered() {
    static auto *pointers = new HeaderedPointers;  // never destroyed: memory is freed until the process ends
    return *pointers;
}

// c10's own raw deleter, for raw allocations made outside a budget.
std::atomic<c10::DeleterFnPtr> g_inner_raw_deleter{nullptr};

// Releases a headered allocation (already taken out of headered()).
void release_headered(void *data) {
    auto *header = reinterpret_cast<Header *>(static_cast<char *>(data) - kHeaderBytes);
    header->budget->release(header->bytes);
    void *context = header->inner_context;
    const c10::DeleterFnPtr deleter = header->inner_deleter;
    header->~Header();
    if (deleter) deleter(context);
}

void free_with_header(void *data) {
    headered().remove(data);
    release_headered(data);
}

void free_raw(void *data) {
    if (headered().remove(data)) return release_headered(data);
    if (const c10::DeleterFnPtr inner = g_inner_raw_deleter) inner(data);
}

class BudgetedAllocator final : public c10::Allocator {
public:
    explicit BudgetedAllocator(c10::Allocator *inner) : inner_(inner) {}

    c10::DataPtr allocate(std::size_t bytes) const override {
        const std::shared_ptr<Budget> &budget = t_budget;
        if (!budget) return inner_->allocate(bytes);  // outside any step: c10's allocator as it is
        budget->check_time();
        budget->charge(bytes);
        try {
            c10::DataPtr inner = inner_->allocate(bytes + kHeaderBytes);
            char *base = static_cast<char *>(inner.get());
            const c10::Device device = inner.device();
            const c10::DeleterFnPtr deleter = inner.get_deleter();
            headered().add(base + kHeaderBytes);
            new (base) Header{budget, bytes, inner.get_context(), deleter};
            inner.release_context();  // the header owns it now
            return {base + kHeaderBytes, base + kHeaderBytes, &free_with_header, device};
        } catch (...) {
            budget->release(bytes);
            throw;
        }
    }

    c10::DeleterFnPtr raw_deleter() const override { return inner_->raw_deleter() ? &free_raw : nullptr; }

private:
    c10::Allocator *inner_;
};

// Above c10's own CPU allocator (registered with priority 0).
constexpr uint8_t kAllocatorPriority = 1;

// The loop-body time check: a no-op outside a budgeted step. Conservative alias analysis
// marks it as having side effects, so that no pass (dead code elimination) removes it.
void check_budget() {
    if (const std::shared_ptr<Budget> &budget = t_budget) budget->check_time();
}

const c10::Symbol kCheckBudget = c10::Symbol::fromQualString("digitinfer::check_budget");

// Puts the previous budget back when a step ends, however it ends.
class BudgetScope {
public:
    explicit BudgetScope(std::shared_ptr<Budget> budget) : previous_(std::exchange(t_budget, std::move(budget))) {}
    ~BudgetScope() { t_budget = std::move(previous_); }
    BudgetScope(const BudgetScope &) = delete;
    BudgetScope &operator=(const BudgetScope &) = delete;

private:
    std::shared_ptr<Budget> previous_;
};

}  // namespace

}  // namespace digitinfer::core

TORCH_LIBRARY(digitinfer, m) {
    m.def(torch::schema("digitinfer::check_budget() -> ()", c10::AliasAnalysisKind::CONSERVATIVE),
          &digitinfer::core::check_budget);
}

namespace digitinfer::core {

bool install_budget_allocator() {
    // Never destroyed: c10 keeps the pointer until the process ends.
    static c10::Allocator *const budgeted = [] {
        c10::Allocator *inner = c10::GetCPUAllocator();
        g_inner_raw_deleter = inner->raw_deleter();
        auto *allocator = new BudgetedAllocator(inner);
        c10::SetCPUAllocator(allocator, kAllocatorPriority);
        return allocator;
    }();
    return c10::GetCPUAllocator() == budgeted;
}

std::optional<std::size_t> allocated_bytes(const c10::DataPtr &data) {
    if (data.get_deleter() != &free_with_header || data.get() == nullptr) return std::nullopt;
    return reinterpret_cast<const Header *>(static_cast<const char *>(data.get()) - kHeaderBytes)->bytes;
}

void under_budget(const TorchOpenOptions &options, const std::function<void()> &body) {
    auto budget = std::make_shared<Budget>(options);
    try {
        BudgetScope scope(budget);
        body();
    } catch (...) {
        switch (budget->exceeded()) {
            case Exceeded::Memory:
                fail(DI_ERR_OUT_OF_MEMORY, "the model needs more than its memory limit of " +
                                               std::to_string(options.memory_limit_bytes) +
                                               " bytes in one libtorch forward (torch_memory_limit_bytes)");
            case Exceeded::Time:
                fail(DI_ERR_INFERENCE, "the model ran past its time limit of " + std::to_string(options.time_limit_ms) +
                                           " ms for one libtorch forward (torch_time_limit_ms)");
            case Exceeded::None: throw;
        }
    }
}

void insert_loop_checks(const ForwardCode &code) {
    for (const auto &graph : code.graphs)
        for_each_node(*graph, [](torch::jit::Node *node) {
            if (node->kind() != c10::prim::Loop) return;
            node->blocks().at(0)->prependNode(node->owningGraph()->create(kCheckBudget, 0));
        });
}

void remove_loop_checks(torch::jit::Graph &graph) {
    std::vector<torch::jit::Node *> checks;
    for_each_node(graph, [&](torch::jit::Node *node) {
        if (node->kind() == kCheckBudget) checks.push_back(node);
    });
    for (torch::jit::Node *check : checks) check->destroy();
}

}  // namespace digitinfer::core
