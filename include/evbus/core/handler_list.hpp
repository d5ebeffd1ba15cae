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

/// A handler that is a plain function of the event, called without a thunk (see handler_entry).
template<typename Event>
using direct_handler = void (*)(const Event &);

/// Storage for a direct_handler of any event type (converted back before each call).
using any_direct_handler = void (*)();

/// One call in a snapshot. A handler that converts to direct_handler<Event> (a function pointer, a
/// lambda without captures) is called through `direct`; any other through `invoke`, a thunk copied
/// next to its node. Unsubscribing nulls both, in every snapshot a reader may still be walking:
/// `invoke` first, then `direct`, while readers load `direct` first, so a reader that sees no
/// `direct` also sees no `invoke` (both seq_cst).
template<typename Policy, typename Node>
struct handler_entry {
    /// The entry's three words, copied when a writer builds the next snapshot.
    struct value {
        any_direct_handler direct;
        typename Node::invoke_fn invoke;
        Node *target;
    };

    explicit handler_entry(const value &v) noexcept: direct{v.direct}, invoke{v.invoke}, target{v.target} {}

    [[nodiscard]] value load() const noexcept {
        return {direct.load(std::memory_order_relaxed), invoke.load(std::memory_order_relaxed), target};
    }

    typename Policy::template atomic<any_direct_handler> direct;
    typename Policy::template atomic<typename Node::invoke_fn> invoke;
    Node *target;
};

/// Immutable array of entries in call order, in one allocation (only the entries' call
/// pointers change, to null, when a handler is unsubscribed).
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

    /// A snapshot of count entries; fill(i) gives entry i's entry::value.
    template<typename Fill>
    [[nodiscard]] static handler_snapshot *make(std::size_t count, Fill fill) {
        static_assert(alignof(entry) <= alignof(std::size_t) && std::is_trivially_destructible_v<entry>);
        void *memory = ::operator new(sizeof(handler_snapshot) + count * sizeof(entry));
        auto *slots = reinterpret_cast<entry *>(static_cast<handler_snapshot *>(memory) + 1);
        auto *made = ::new(memory) handler_snapshot{count, slots + count};
        for(std::size_t i = 0; i < count; ++i) {
            ::new(static_cast<void *>(slots + i)) entry{fill(i)};
        }
        return made;
    }

    static void destroy(handler_snapshot *snapshot) noexcept { ::operator delete(snapshot); }

    /// The snapshot of every list without handlers: the only one of size 0 (make() never builds
    /// one), shared and never freed, so that a list's current snapshot is never null. It holds one
    /// entry, which calls nothing and is not counted, so that a publish never checks for an empty
    /// snapshot: it walks at least one entry and returns size minus the entries it skipped.
    [[nodiscard]] static handler_snapshot *empty() noexcept {
        static_assert(sizeof(handler_snapshot) % alignof(entry) == 0u, "the entries follow the header");
        struct holder {
            handler_snapshot header;
            entry nothing;
        };
        static holder none{{0u, &none.nothing + 1}, entry{typename entry::value{nullptr, &call_nothing, nullptr}}};
        return &none.header;
    }

    /// Whether this is empty(), by its size: a program may hold several copies of empty() (one
    /// per shared library that hides its symbols), and each is recognized.
    [[nodiscard]] bool is_empty() const noexcept { return size == 0u; }

private:
    static void call_nothing(const void *, Node *) noexcept {}
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
/// call each entry. Writers build a new snapshot under the mutex, swap it in, and retire the old
/// one until no reader can still see it (policy-specific, see commit()). Unsubscribing also
/// nulls the removed handler's entries in every snapshot that is not yet freed, so a reader still
/// walking one (a nested publish on this thread, or a thread the grace period skipped) calls
/// nothing from then on.
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
    handler_list() noexcept: current_{snapshot::empty()} {}
    handler_list(const handler_list &) = delete;
    handler_list &operator=(const handler_list &) = delete;

    ~handler_list() {
        snapshot *current = current_.load(std::memory_order_relaxed);
        if(!current->is_empty()) {
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
        if constexpr(std::is_convertible_v<handler_type, direct_handler<Event>> &&
                     !std::is_same_v<handler_type, direct_handler<Event>>) {
            // A lambda without captures, or a noexcept function: called as a plain function.
            return subscribe<Event>(static_cast<direct_handler<Event>>(fn), priority, exclusive);
        } else {
            any_direct_handler direct = nullptr;
            if constexpr(std::is_same_v<handler_type, direct_handler<Event>>) {
                direct = reinterpret_cast<any_direct_handler>(fn);
            }
            return add(new handler_node_impl<Policy, Event, handler_type>{std::forward<Fn>(fn), priority}, direct,
                       exclusive);
        }
    }

    void disconnect(void *token) noexcept override {
        auto *target = static_cast<node *>(token);
        std::unique_lock<typename Policy::mutex> lock{mutex_};
        snapshot *old = current_.load(std::memory_order_relaxed);
        if(std::find_if(old->begin(), old->end(), [target](const entry &e) { return e.target == target; }) ==
           old->end()) {
            return; // not (or no longer) in this list
        }
        stub_out(old, target);
        for(const retired &item: pending_) {
            if(item.old_snapshot) {
                stub_out(item.old_snapshot, target);
            }
        }
        snapshot *next = snapshot::empty();
        if(old->size > 1u) {
            std::size_t from = 0;
            next = snapshot::make(old->size - 1u, [&](std::size_t) {
                if(old->begin()[from].target == target) {
                    ++from;
                }
                return old->begin()[from++].load();
            });
        }
        current_.store(next, std::memory_order_release);
        commit(lock, old, target, true);
    }

    /// Calls every subscribed handler with event in priority order; returns how many ran.
    /// If handlers throw, the rest still run and the first exception is rethrown. Event must be
    /// the type the handlers were subscribed with.
    template<typename Event>
    EVBUS_ALWAYS_INLINE std::size_t publish(const Event &event) {
        [[maybe_unused]] const auto section = read_section();
        return publish_in_section<Event>(std::addressof(event));
    }

    /// The read section publish_in_section() needs: multi_thread, an RCU read section (any list's
    /// will do); single_thread, this list's nesting count. One may cover several publishes.
    [[nodiscard]] EVBUS_ALWAYS_INLINE auto read_section() noexcept {
        if constexpr(Policy::concurrent) {
            return rcu_read_guard{};
        } else {
            return read_guard{*this};
        }
    }

    /// single_thread: starts a read of this list that may span several publish_in_section()
    /// calls; returns what to pass to end_read(). reading_ is true while a read runs, so retired
    /// memory is freed after the outermost one ends; only the outermost clears it, so no value
    /// is carried from one read to the next.
    [[nodiscard]] EVBUS_ALWAYS_INLINE bool begin_read() noexcept {
        static_assert(!Policy::concurrent, "evbus: multi_thread lists are read inside an rcu_read_guard");
        const bool outermost = !reading_;
        reading_ = true;
        return outermost;
    }

    /// single_thread: ends a read begun by begin_read().
    EVBUS_ALWAYS_INLINE void end_read(bool outermost) noexcept {
        if(EVBUS_LIKELY(outermost)) {
            reading_ = false;
            if(EVBUS_UNLIKELY(retired_waiting_)) {
                free_all_retired();
            }
        }
    }

    /// publish() inside read_section(); with Event = void, *event is of the list's type but
    /// every handler is called through its thunk.
    template<typename Event>
    EVBUS_ALWAYS_INLINE std::size_t publish_in_section(const void *event) {
        return invoke_all<Event>(current_.load(std::memory_order_acquire), event);
    }

    /// Number of subscribed handlers.
    [[nodiscard]] std::size_t size() const noexcept {
        if constexpr(Policy::concurrent) {
            rcu_read_guard guard{};
            return current_.load(std::memory_order_acquire)->size;
        } else {
            return current_.load(std::memory_order_relaxed)->size;
        }
    }

private:
    /// The rest of subscribe(), for any handler type: inserts made (owned from here on, even if
    /// this throws) after the handlers of its priority or higher.
    subscription add(node *made, any_direct_handler direct, bool exclusive) {
        std::unique_ptr<node, void (*)(node *)> created{made, [](node *n) { n->destroy(n); }};
        std::unique_lock<typename Policy::mutex> lock{mutex_};
        snapshot *old = current_.load(std::memory_order_relaxed);
        const std::size_t old_size = old->size;
        if(exclusive && old_size != 0u) {
            raise(errc::duplicate_responder, "evbus: this query type already has a responder");
        }
        std::size_t at = 0;
        while(at < old_size && old->begin()[at].target->priority >= made->priority) {
            ++at;
        }
        snapshot *next = snapshot::make(old_size + 1u, [&](std::size_t i) {
            if(i == at) {
                return typename entry::value{direct, made->invoke, made};
            }
            return old->begin()[i < at ? i : i - 1u].load();
        });
        current_.store(next, std::memory_order_release);
        created.release();
        commit(lock, old, nullptr, false);
        return subscription{this->weak_from_this(), made};
    }

    /// single_thread: a read_section() as a scope.
    struct read_guard {
        explicit read_guard(handler_list &list) noexcept: owner{list}, outermost{list.begin_read()} {}
        read_guard(const read_guard &) = delete;
        read_guard &operator=(const read_guard &) = delete;
        ~read_guard() { owner.end_read(outermost); }
        handler_list &owner;
        bool outermost;
    };

    /// Makes target's entries in `in` call nothing (see handler_entry for the order).
    static void stub_out(snapshot *in, node *target) noexcept {
        for(entry &e: *in) {
            if(e.target == target) {
                e.invoke.store(nullptr, std::memory_order_seq_cst);
                e.direct.store(nullptr, std::memory_order_seq_cst);
            }
        }
    }

    /// Makes one call; false when the entry was unsubscribed. With Event = void, direct entries
    /// go through their thunk. The seq_cst loads pair with stub_out's stores for a thread that a
    /// grace period skipped while it was parked: it sees the stub once it resumes.
    template<typename Event>
    EVBUS_ALWAYS_INLINE static bool invoke_one(const entry &e, const void *event) {
        if constexpr(!std::is_void_v<Event>) {
            const any_direct_handler direct = e.direct.load(std::memory_order_seq_cst);
            // Laid out as the fall-through path: a publish to one direct handler then takes no
            // branch besides the call (each taken branch measured about a tenth of the floor).
            if(EVBUS_LIKELY(direct != nullptr)) {
                reinterpret_cast<direct_handler<Event>>(direct)(*static_cast<const Event *>(event));
                return true;
            }
        }
        if(const auto invoke = e.invoke.load(std::memory_order_seq_cst)) {
            invoke(event, e.target);
            return true;
        }
        return false;
    }

    /// Every snapshot has an entry (see snapshot::empty()), so the loop runs at least once.
    template<typename Event>
    EVBUS_ALWAYS_INLINE static std::size_t invoke_all(const snapshot *current, const void *event) {
        std::size_t called = current->size;
        const entry *it = current->begin();
        const entry *const last = current->end();
        do {
#if EVBUS_HAS_EXCEPTIONS
            try {
                called -= !invoke_one<Event>(*it, event);
            } catch(...) {
                finish_after_exception<Event>(it + 1, last, event);
            }
#else
            called -= !invoke_one<Event>(*it, event);
#endif
        } while(++it != last);
        return called;
    }

#if EVBUS_HAS_EXCEPTIONS
    /// Runs the handlers after one that threw, then rethrows the first exception.
    template<typename Event>
    [[noreturn]] EVBUS_COLD static void finish_after_exception(const entry *it, const entry *last, const void *event) {
        std::exception_ptr first = std::current_exception();
        for(; it != last; ++it) {
            try {
                (void)invoke_one<Event>(*it, event);
            } catch(...) { // only the first exception propagates
            }
        }
        std::rethrow_exception(first);
    }
#endif

    /// Retires `old` (and `removed`, a node no longer in the list), then frees whatever no reader
    /// can still see. Retired snapshots stay in pending_ until freed, so a later unsubscribe can
    /// stub them out.
    void commit(std::unique_lock<typename Policy::mutex> &lock, snapshot *old, node *removed, bool unsubscribing) {
        if(old && old->is_empty()) {
            old = nullptr; // shared, never freed
        }
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
            if(!reading_) {
                free_all_retired();
            } else {
                retired_waiting_ = true;
            }
        }
    }

    /// single_thread: frees every retired snapshot and node (no publish is running).
    EVBUS_COLD void free_all_retired() noexcept {
        retired_waiting_ = false;
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
    typename Policy::template atomic<snapshot *> current_;
    std::vector<retired> pending_;
    std::uint64_t next_sequence_{0};
    bool reading_{false};         // single_thread: a publish of this list is running
    bool retired_waiting_{false}; // single_thread: pending_ waits for the outermost publish to end
};

} // namespace evbus::detail

#endif
