#ifndef EVBUS_CORE_HANDLER_LIST_HPP
#define EVBUS_CORE_HANDLER_LIST_HPP

/// @file
/// @brief detail::handler_list: the priority-ordered, copy-on-write handler array behind
/// every channel and every event type of a bus.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <new>
#include <type_traits>
#include <utility>
#include <vector>

#include "../config.hpp"
#include "rcu.hpp"
#include "subscription.hpp"
#include "threading.hpp"

#if EVBUS_HAS_EXCEPTIONS
#    include <exception>
#endif

namespace evbus::detail {

template<typename Policy>
struct handler_node {
    using invoke_fn = void (*)(const void *, handler_node *); // event first: it is the handler's own argument
    using destroy_fn = void (*)(handler_node *) noexcept;

    handler_node(invoke_fn invoke_function, destroy_fn destroy_function, int handler_priority) noexcept
        : invoke{invoke_function}, destroy{destroy_function}, priority{handler_priority} {}

    invoke_fn invoke;
    destroy_fn destroy;
    int priority;
};

template<typename Policy, typename Event, typename Fn>
struct handler_node_impl final: handler_node<Policy> {
    using base = handler_node<Policy>;

    template<typename Arg>
    handler_node_impl(Arg &&arg, int priority)
        : base{&invoke_impl, &destroy_impl, priority}, fn{std::forward<Arg>(arg)} {}

    static void invoke_impl(const void *event, base *self) {
        std::invoke(static_cast<handler_node_impl *>(self)->fn, *static_cast<const Event *>(event));
    }

    static void destroy_impl(base *self) noexcept { delete static_cast<handler_node_impl *>(self); }

    Fn fn;
};

/// One call in a snapshot: the node's invoke function is copied next to the node so the call
/// target does not depend on loading the node first. Unsubscribing swaps it for a stub that
/// calls nothing, in every snapshot a reader may still be walking.
template<typename Policy, typename Node>
struct handler_entry {
    handler_entry(typename Node::invoke_fn function, Node *node) noexcept: invoke{function}, target{node} {}

    typename Policy::template atomic<typename Node::invoke_fn> invoke;
    Node *target;
};

/// Immutable array of entries in call order, in one allocation (only the entries' invoke
/// functions change, to the stub, when a handler is unsubscribed).
template<typename Policy, typename Node>
struct handler_snapshot {
    using entry = handler_entry<Policy, Node>;

    std::size_t size;
    entry *last; // one past the last entry, stored so a publish need not compute it

    [[nodiscard]] const entry *begin() const noexcept {
        return std::launder(reinterpret_cast<const entry *>(this + 1));
    }
    [[nodiscard]] const entry *end() const noexcept { return last; }
    [[nodiscard]] entry *begin() noexcept { return std::launder(reinterpret_cast<entry *>(this + 1)); }
    [[nodiscard]] entry *end() noexcept { return last; }

    /// A snapshot of count entries; fill(i) gives entry i as a pair {invoke, node}.
    template<typename Fill>
    [[nodiscard]] static handler_snapshot *make(std::size_t count, Fill fill) {
        static_assert(alignof(entry) <= alignof(std::size_t) && std::is_trivially_destructible_v<entry>);
        void *memory = ::operator new(sizeof(handler_snapshot) + count * sizeof(entry));
        auto *slots = reinterpret_cast<entry *>(static_cast<handler_snapshot *>(memory) + 1);
        auto *made = ::new(memory) handler_snapshot{count, slots + count};
        for(std::size_t i = 0; i < count; ++i) {
            const auto [function, node] = fill(i);
            ::new(static_cast<void *>(slots + i)) entry{function, node};
        }
        return made;
    }

    static void destroy(handler_snapshot *snapshot) noexcept { ::operator delete(snapshot); }
};

/// True for handler types that can be null: function pointers, member pointers, std::function.
template<typename Fn>
struct is_nullable_handler: std::bool_constant<std::is_pointer_v<Fn> || std::is_member_pointer_v<Fn>> {};
template<typename Signature>
struct is_nullable_handler<std::function<Signature>>: std::true_type {};

template<typename Fn>
[[nodiscard]] bool is_null_handler(const Fn &fn) noexcept {
    if constexpr(is_nullable_handler<Fn>::value) {
        return !static_cast<bool>(fn);
    } else {
        return false;
    }
}

/// Handlers of one event type. Readers (publish) never lock: they load the current snapshot and
/// call each entry's invoke function. Writers build a new snapshot under the mutex, swap it in,
/// and retire the old one until no reader can still see it (policy-specific, see commit()).
/// Unsubscribing also swaps the removed handler's entries for a stub in every snapshot that is
/// not yet freed, so a reader still walking one (a nested publish on this thread, or a thread
/// the grace period skipped) calls nothing from then on, without a check per call.
template<typename Policy>
class handler_list final: public connection_owner, public std::enable_shared_from_this<handler_list<Policy>> {
    using node = handler_node<Policy>;
    using snapshot = handler_snapshot<Policy, node>;
    using entry = typename snapshot::entry;

    struct retired {
        snapshot *old_snapshot;
        node *removed;
        std::uint64_t sequence; // order of retirement: a grace period frees what came before it
    };

public:
    handler_list() = default;
    handler_list(const handler_list &) = delete;
    handler_list &operator=(const handler_list &) = delete;

    ~handler_list() {
        if(snapshot *current = current_.load(std::memory_order_relaxed)) {
            for(const auto &e: *current) {
                e.target->destroy(e.target);
            }
            snapshot::destroy(current);
        }
        free_retired(pending_);
    }

    /// Adds fn; with `exclusive`, refuses (errc::duplicate_responder) when the list is not empty.
    template<typename Event, typename Fn>
    [[nodiscard]] subscription subscribe(Fn &&fn, int priority, bool exclusive = false) {
        using handler_type = std::decay_t<Fn>;
        static_assert(std::is_invocable_v<handler_type &, const Event &>,
                      "evbus: a handler must be callable with `const Event&`");
        EVBUS_EXPECT(!is_null_handler(fn), "evbus: subscribe() was given a null handler");
        std::unique_ptr<node, void (*)(node *)> created{
            new handler_node_impl<Policy, Event, handler_type>{std::forward<Fn>(fn), priority},
            [](node *n) { n->destroy(n); }};

        std::unique_lock<typename Policy::mutex> lock{mutex_};
        snapshot *old = current_.load(std::memory_order_relaxed);
        const std::size_t old_size = old ? old->size : 0u;
        if(exclusive && old_size != 0u) {
            raise(errc::duplicate_responder, "evbus: this query type already has a responder");
        }
        // Higher priority first; equal priorities keep subscription order.
        std::size_t at = 0;
        while(at < old_size && old->begin()[at].target->priority >= priority) {
            ++at;
        }
        node *added = created.get();
        snapshot *next = snapshot::make(old_size + 1u, [&](std::size_t i) {
            if(i == at) {
                return std::pair{added->invoke, added};
            }
            const entry &e = old->begin()[i < at ? i : i - 1u];
            return std::pair{e.invoke.load(std::memory_order_relaxed), e.target};
        });
        current_.store(next, std::memory_order_release);
        created.release();
        commit(lock, old, nullptr, false);
        return subscription{this->weak_from_this(), added};
    }

    void disconnect(void *token) noexcept override {
        auto *target = static_cast<node *>(token);
        std::unique_lock<typename Policy::mutex> lock{mutex_};
        snapshot *old = current_.load(std::memory_order_relaxed);
        if(!old || std::find_if(old->begin(), old->end(), [target](const entry &e) { return e.target == target; }) ==
                       old->end()) {
            return; // not (or no longer) in this list
        }
        stub_out(old, target);
        for(const retired &item: pending_) {
            if(item.old_snapshot) {
                stub_out(item.old_snapshot, target);
            }
        }
        snapshot *next = nullptr;
        if(old->size > 1u) {
            std::size_t from = 0;
            next = snapshot::make(old->size - 1u, [&](std::size_t) {
                if(old->begin()[from].target == target) {
                    ++from;
                }
                const entry &e = old->begin()[from++];
                return std::pair{e.invoke.load(std::memory_order_relaxed), e.target};
            });
        }
        current_.store(next, std::memory_order_release);
        commit(lock, old, target, true);
    }

    /// Calls every subscribed handler with *event in priority order; returns how many ran.
    /// If handlers throw, the rest still run and the first exception is rethrown.
    EVBUS_ALWAYS_INLINE std::size_t publish(const void *event) {
        if constexpr(Policy::concurrent) {
            rcu_read_guard guard{};
            return invoke_all(current_.load(std::memory_order_acquire), event);
        } else {
            depth_guard guard{*this};
            return invoke_all(current_.load(std::memory_order_relaxed), event);
        }
    }

    /// publish() for a caller that already holds a read section (a dispatch batch).
    std::size_t publish_in_section(const void *event) {
        if constexpr(Policy::concurrent) {
            return invoke_all(current_.load(std::memory_order_acquire), event);
        } else {
            return publish(event);
        }
    }

    /// Number of subscribed handlers.
    [[nodiscard]] std::size_t size() const noexcept {
        if constexpr(Policy::concurrent) {
            rcu_read_guard guard{};
            const snapshot *current = current_.load(std::memory_order_acquire);
            return current ? current->size : 0u;
        } else {
            const snapshot *current = current_.load(std::memory_order_relaxed);
            return current ? current->size : 0u;
        }
    }

private:
    /// single_thread: counts nested publishes in depth_, so retired memory is freed after the
    /// outermost one returns; the top bit of depth_ says that something waits to be freed.
    struct depth_guard {
        explicit depth_guard(handler_list &list) noexcept: owner{list} { ++owner.depth_; }
        depth_guard(const depth_guard &) = delete;
        depth_guard &operator=(const depth_guard &) = delete;
        ~depth_guard() {
            if(EVBUS_UNLIKELY(--owner.depth_ == retired_waiting)) {
                owner.depth_ = 0u;
                owner.free_all_retired();
            }
        }
        handler_list &owner;
    };

    static constexpr std::uint32_t retired_waiting = std::uint32_t{1} << 31u;

    /// What an unsubscribed handler's entries call instead: counts the skip for publish's result.
    static void skip(const void *, node *) noexcept { ++this_thread_reader.skipped; }

    static void stub_out(snapshot *in, node *target) noexcept {
        for(entry &e: *in) {
            if(e.target == target) {
                e.invoke.store(&skip, std::memory_order_seq_cst);
            }
        }
    }

    // The seq_cst load pairs with stub_out's store for a thread that a grace period skipped while
    // it was parked: it sees the stub once it resumes (see rcu_domain::synchronize).
    EVBUS_ALWAYS_INLINE static std::size_t invoke_all(const snapshot *current, const void *event) {
        if(!current) {
            return 0u;
        }
        // Skips are counted per thread; each level of nesting restores the count it started from.
        std::size_t &skipped = this_thread_reader.skipped;
        const std::size_t skipped_before = skipped;
        for(const entry *it = current->begin(), *last = current->end(); it != last; ++it) {
#if EVBUS_HAS_EXCEPTIONS
            try {
                it->invoke.load(std::memory_order_seq_cst)(event, it->target);
            } catch(...) {
                finish_after_exception(it + 1, last, event, skipped_before);
            }
#else
            it->invoke.load(std::memory_order_seq_cst)(event, it->target);
#endif
        }
        const std::size_t skipped_here = skipped - skipped_before;
        skipped = skipped_before;
        return current->size - skipped_here;
    }

#if EVBUS_HAS_EXCEPTIONS
    /// Runs the handlers after one that threw, then rethrows the first exception.
    [[noreturn]] EVBUS_COLD static void finish_after_exception(const entry *it, const entry *last, const void *event,
                                                               std::size_t skipped_before) {
        std::exception_ptr first = std::current_exception();
        for(; it != last; ++it) {
            try {
                it->invoke.load(std::memory_order_seq_cst)(event, it->target);
            } catch(...) { // only the first exception propagates
            }
        }
        this_thread_reader.skipped = skipped_before;
        std::rethrow_exception(first);
    }
#endif

    /// Retires `old` (and `removed`, a node no longer in the list), then frees whatever no reader
    /// can still see. Retired snapshots stay in pending_ until freed, so a later unsubscribe can
    /// stub them out.
    void commit(std::unique_lock<typename Policy::mutex> &lock, snapshot *old, node *removed, bool unsubscribing) {
        if(old || removed) {
            pending_.push_back(retired{old, removed, next_sequence_++});
        }
        if constexpr(Policy::concurrent) {
            const bool nested = in_read_section();
            if(nested && !unsubscribing) {
                return; // a subscribe inside a handler needs no wait; memory is freed later
            }
            const std::uint64_t retired_before = next_sequence_;
            lock.unlock();
            // Unsubscribe waits so that, once it returns, no thread can begin a call
            // to the removed handler; subscribe waits only to reclaim memory.
            if(rcu_synchronize() && !nested) {
                std::vector<retired> done;
                lock.lock();
                const auto keep = std::stable_partition(pending_.begin(), pending_.end(), [&](const retired &item) {
                    return item.sequence >= retired_before;
                });
                done.assign(keep, pending_.end());
                pending_.erase(keep, pending_.end());
                lock.unlock();
                free_retired(done); // outside the lock: a handler's destructor may use this list
            }
        } else {
            (void)unsubscribing;
            if((depth_ & ~retired_waiting) == 0u) {
                free_all_retired();
            } else {
                depth_ |= retired_waiting;
            }
        }
    }

    /// single_thread: frees every retired snapshot and node (no publish is running).
    EVBUS_COLD void free_all_retired() noexcept {
        std::vector<retired> done;
        done.swap(pending_);
        free_retired(done);
    }

    static void free_retired(std::vector<retired> &items) noexcept {
        for(const retired &item: items) {
            if(item.old_snapshot) {
                snapshot::destroy(item.old_snapshot);
            }
            if(item.removed) {
                item.removed->destroy(item.removed);
            }
        }
        items.clear();
    }

    typename Policy::mutex mutex_;
    typename Policy::template atomic<snapshot *> current_{nullptr};
    std::vector<retired> pending_;
    std::uint64_t next_sequence_{0};
    std::uint32_t depth_{0}; // single_thread: publish nesting depth, plus retired_waiting
};

} // namespace evbus::detail

#endif
