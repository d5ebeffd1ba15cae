#ifndef EVBUS_CORE_HANDLER_LIST_HPP
#define EVBUS_CORE_HANDLER_LIST_HPP

/// @file
/// @brief detail::handler_list: the priority-ordered, copy-on-write handler array behind
/// every channel and every event type of a bus.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <new>
#include <type_traits>
#include <utility>
#include <vector>

#include "../config.hpp"
#include "../sync/rcu.hpp"
#include "reclamation.hpp"
#include "subscription.hpp"
#include "threading.hpp"

#include <exception>

namespace evbus::detail {

/// Where a handler runs in its list: higher first, ties in subscription order. Users' priorities
/// are ints; the two ends of the range are kept for subscribe_around(), so that its handlers run
/// before and after every handler a user can place.
using handler_rank = std::int64_t;

/// The rank of a subscribe_around() before-handler: ahead of every priority.
inline constexpr handler_rank first_rank = std::numeric_limits<handler_rank>::max();

/// The rank of a subscribe_around() after-handler: behind every priority.
inline constexpr handler_rank last_rank = std::numeric_limits<handler_rank>::min();

template<typename Threading>
struct handler_node {
    using invoke_fn = void (*)(const void *, handler_node *); // event first: it is the handler's own argument
    using destroy_fn = void (*)(handler_node *) noexcept;

    handler_node(invoke_fn invoke_function, destroy_fn destroy_function, handler_rank handler_order) noexcept
        : invoke{invoke_function}, destroy{destroy_function}, rank{handler_order} {}

    invoke_fn invoke;
    destroy_fn destroy;
    handler_rank rank;
    handler_node *companion{nullptr};    // the after-handler of subscribe_around(), unsubscribed with this one
    handler_node *retired_next{nullptr}; // see retired_memory
    std::uint64_t retired_at{0u};
};

template<typename Threading, typename Event, typename Fn>
struct handler_node_impl final: handler_node<Threading> {
    using base = handler_node<Threading>;

    template<typename Arg>
    handler_node_impl(Arg &&arg, handler_rank handler_order)
        : base{&invoke_impl, &destroy_impl, handler_order}, fn{std::forward<Arg>(arg)} {}

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
template<typename Threading, typename Node>
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

    typename Threading::template atomic<any_direct_handler> direct;
    typename Threading::template atomic<typename Node::invoke_fn> invoke;
    Node *target;
};

/// Immutable array of entries in call order, in one allocation (only the entries' call
/// pointers change, to null, when a handler is unsubscribed).
template<typename Threading, typename Node>
struct handler_snapshot {
    using entry = handler_entry<Threading, Node>;

    std::size_t size;
    entry *last;                             // one past the last entry, stored so a publish need not compute it
    handler_snapshot *retired_next{nullptr}; // see retired_memory
    std::uint64_t retired_at{0u};

    [[nodiscard]] const entry *begin() const noexcept {
        return std::launder(reinterpret_cast<const entry *>(this + 1));
    }
    [[nodiscard]] const entry *end() const noexcept { return last; }
    [[nodiscard]] entry *begin() noexcept { return std::launder(reinterpret_cast<entry *>(this + 1)); }
    [[nodiscard]] entry *end() noexcept { return last; }

    /// A snapshot of count entries; fill(i) gives entry i's entry::value. std::bad_alloc when
    /// memory runs out.
    template<typename Fill>
    [[nodiscard]] static handler_snapshot *make(std::size_t count, Fill fill) {
        return build(::operator new(sizeof(handler_snapshot) + count * sizeof(entry)), count, fill);
    }

    /// make(), or null when memory runs out.
    template<typename Fill>
    [[nodiscard]] static handler_snapshot *try_make(std::size_t count, Fill fill) noexcept {
        void *memory = ::operator new(sizeof(handler_snapshot) + count * sizeof(entry), std::nothrow);
        return memory ? build(memory, count, fill) : nullptr;
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
        static holder none{{0u, nullptr, nullptr, 0u}, entry{typename entry::value{nullptr, &call_nothing, nullptr}}};
        // Linked in a second step: an initializer naming its own variable is what clang's
        // -Wstatic-self-init warns about. Both statics are initialized once, thread-safely.
        static const bool linked = (none.header.last = &none.nothing + 1, true);
        (void)linked;
        return &none.header;
    }

    /// Whether this is empty(), by its size: a program may hold several copies of empty() (one
    /// per shared library that hides its symbols), and each is recognized.
    [[nodiscard]] bool is_empty() const noexcept { return size == 0u; }

private:
    template<typename Fill>
    [[nodiscard]] static handler_snapshot *build(void *memory, std::size_t count, Fill &fill) noexcept {
        static_assert(alignof(entry) <= alignof(std::size_t) && std::is_trivially_destructible_v<entry>);
        static_assert(std::is_nothrow_invocable_v<Fill &, std::size_t>, "filling a snapshot must not throw");
        auto *slots = reinterpret_cast<entry *>(static_cast<handler_snapshot *>(memory) + 1);
        auto *made = ::new(memory) handler_snapshot{count, slots + count};
        for(std::size_t i = 0; i < count; ++i) {
            ::new(static_cast<void *>(slots + i)) entry{fill(i)};
        }
        return made;
    }

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

/// Whether a handler list takes any number of handlers, or one at most (a query's responder).
enum class list_occupancy {
    shared,    ///< any number of handlers
    exclusive, ///< subscribing to a list that has a handler is refused (an inactive subscription)
};

/// Handlers of one event type. Readers (publish) never lock: they load the current snapshot and
/// call each entry. Writers build a new snapshot under the mutex, swap it in, and retire the old
/// one until no reader can still see it (the reclamation of the threading policy decides when).
/// Unsubscribing also nulls the removed handler's entries in every snapshot that is not yet
/// freed, so a reader still walking one (a nested publish on this thread, or a thread the grace
/// period skipped) calls nothing from then on. An unsubscribe needs no memory: when the smaller
/// snapshot cannot be allocated, the current one keeps the nulled entry, and the next change to
/// the list drops it (and retires its handler).
template<typename Threading>
class handler_list final: public connection_owner, public std::enable_shared_from_this<handler_list<Threading>> {
    using node = handler_node<Threading>;
    using snapshot = handler_snapshot<Threading, node>;
    using entry = typename snapshot::entry;
    using reclamation = reclamation_for<Threading, snapshot, node>;

public:
    /// An empty list whose readers are read sections of scope (its bus's or channel's).
    explicit handler_list(rcu_scope scope) noexcept: current_{snapshot::empty()}, reclaim_{scope} {}
    handler_list(const handler_list &) = delete;
    handler_list &operator=(const handler_list &) = delete;

    /// Destroys the handlers still subscribed (reclaim_ frees what was retired).
    ~handler_list() {
        snapshot *current = current_.load(std::memory_order_relaxed);
        if(!current->is_empty()) {
            for(const auto &e: *current) {
                e.target->destroy(e.target);
            }
            snapshot::destroy(current);
        }
    }

    /// Adds fn. An exclusive list that has a handler refuses it and returns an inactive subscription:
    /// its owner reports errc::duplicate_responder, naming the query type.
    template<typename Event, typename Fn>
    [[nodiscard]] subscription subscribe(Fn &&fn, int priority, list_occupancy occupancy = list_occupancy::shared) {
        made_handler first = make_handler<Event>(std::forward<Fn>(fn), priority);
        return add(first, made_handler{}, occupancy);
    }

    /// Adds before, which runs ahead of every other handler, and after, which runs behind every
    /// other handler, under one subscription (befores, and afters, in subscription order).
    template<typename Event, typename Before, typename After>
    [[nodiscard]] subscription subscribe_around(Before &&before, After &&after) {
        made_handler first = make_handler<Event>(std::forward<Before>(before), first_rank);
        made_handler second{};
        EVBUS_TRY { second = make_handler<Event>(std::forward<After>(after), last_rank); }
        EVBUS_CATCH {
            first.made->destroy(first.made);
            EVBUS_RETHROW;
        }
        return add(first, second, list_occupancy::shared);
    }

    /// Removes the handler token names, if it is still here; allocates nothing and never throws.
    void disconnect(void *token) noexcept override {
        auto *target = static_cast<node *>(token);
        std::unique_lock<typename Threading::mutex> lock{mutex_};
        snapshot *old = current_.load(std::memory_order_relaxed);
        if(std::find_if(old->begin(), old->end(),
                        [target](const entry &e) { return e.target == target && is_live(e); }) == old->end()) {
            return; // not (or no longer) in this list
        }
        node *const companion = target->companion;
        stub_out(old, target, companion);
        reclaim_.retired().for_each_snapshot(
            [target, companion](snapshot *s) noexcept { stub_out(s, target, companion); });
        size_.store(size_.load(std::memory_order_relaxed) - (companion ? 2u : 1u), std::memory_order_release);
        if(snapshot *next = rebuild<false>(old, nullptr, nullptr)) {
            current_.store(next, std::memory_order_release);
            retire(old);
        } // else out of memory: old stays current, its entry for target calls nothing
        reclaim_.after_swap(lock, true);
    }

    /// Calls every subscribed handler with event in priority order; returns how many ran.
    /// If handlers throw, the rest still run and the first exception is rethrown. Event must be
    /// the type the handlers were subscribed with.
    template<typename Event>
    EVBUS_ALWAYS_INLINE std::size_t publish(const Event &event) {
        [[maybe_unused]] const auto section = read_section();
        return publish_in_section<Event>(std::addressof(event));
    }

    /// publish() by the list's owner, which passes the scope it built the list with.
    template<typename Event>
    EVBUS_ALWAYS_INLINE std::size_t publish(const Event &event, rcu_scope scope) {
        [[maybe_unused]] const auto section = reclaim_.read_section(scope);
        return publish_in_section<Event>(std::addressof(event));
    }

    /// The read section publish_in_section() needs: multi_thread, an RCU read section of the
    /// list's scope; single_thread, a read of this list. One may cover several publishes.
    [[nodiscard]] EVBUS_ALWAYS_INLINE auto read_section() { return reclaim_.read_section(); }

    /// publish() inside read_section(); with Event = void, *event is of the list's type but
    /// every handler is called through its thunk.
    template<typename Event>
    EVBUS_ALWAYS_INLINE std::size_t publish_in_section(const void *event) {
        return invoke_all<Event>(current_.load(std::memory_order_acquire), event);
    }

    /// Number of subscribed handlers.
    [[nodiscard]] std::size_t size() const noexcept { return size_.load(std::memory_order_acquire); }

private:
    /// A handler node, and the plain function it is called through when it converts to one.
    struct made_handler {
        node *made{nullptr};
        any_direct_handler direct{nullptr};
    };

    /// A node for fn at rank: a lambda without captures, or a noexcept function, is also
    /// called as a plain function (see handler_entry).
    template<typename Event, typename Fn>
    [[nodiscard]] static made_handler make_handler(Fn &&fn, handler_rank rank) {
        using handler_type = std::decay_t<Fn>;
        static_assert(std::is_invocable_v<handler_type &, const Event &>,
                      "evbus: a handler must be callable with `const Event&`");
        EVBUS_EXPECT(!is_null_handler(fn), "evbus: subscribe() was given a null handler");
        if constexpr(std::is_convertible_v<handler_type, direct_handler<Event>> &&
                     !std::is_same_v<handler_type, direct_handler<Event>>) {
            return make_handler<Event>(static_cast<direct_handler<Event>>(fn), rank);
        } else {
            any_direct_handler direct = nullptr;
            if constexpr(std::is_same_v<handler_type, direct_handler<Event>>) {
                direct = reinterpret_cast<any_direct_handler>(fn);
            }
            return {new handler_node_impl<Threading, Event, handler_type>{std::forward<Fn>(fn), rank}, direct};
        }
    }

    /// The rest of subscribe(): inserts first (and second, its companion, when not null; both
    /// owned from here on, even if this throws) after the handlers of their rank or higher.
    subscription add(made_handler first, made_handler second, list_occupancy occupancy) {
        const auto destroy = [](node *n) noexcept {
            if(n) {
                n->destroy(n);
            }
        };
        std::unique_ptr<node, decltype(destroy)> created{first.made, destroy};
        std::unique_ptr<node, decltype(destroy)> created_companion{second.made, destroy};
        std::unique_lock<typename Threading::mutex> lock{mutex_};
        snapshot *old = current_.load(std::memory_order_relaxed);
        const std::size_t live = size_.load(std::memory_order_relaxed);
        if(occupancy == list_occupancy::exclusive && live != 0u) {
            return subscription{}; // refused: the caller raises duplicate_responder (outside the lock)
        }
        snapshot *next = rebuild<true>(old, first.made, first.direct);
        if(second.made) {
            // next is not published yet: a failure here frees it, and nothing changed.
            std::unique_ptr<snapshot, void (*)(snapshot *) noexcept> partial{next, &snapshot::destroy};
            next = rebuild<true>(partial.get(), second.made, second.direct);
            first.made->companion = second.made;
        }
        current_.store(next, std::memory_order_release);
        size_.store(live + (second.made ? 2u : 1u), std::memory_order_release);
        created.release();
        created_companion.release();
        retire(old);
        reclaim_.after_swap(lock, false);
        return subscription{this->weak_from_this(), first.made};
    }

    /// A snapshot of old's live entries, plus (when added is not null) added placed after the
    /// handlers of its priority or higher; the empty snapshot when nothing is left. When memory
    /// runs out: std::bad_alloc if Throwing, else null.
    template<bool Throwing>
    [[nodiscard]] snapshot *rebuild(const snapshot *old, node *added, any_direct_handler direct) const
        noexcept(!Throwing) {
        std::size_t count = added ? 1u : 0u;
        std::size_t at = 0u; // added's place among the live entries
        bool placed = false;
        for(const entry &e: *old) {
            if(!old->is_empty() && is_live(e)) {
                ++count;
                if(added && !placed && e.target->rank >= added->rank) {
                    ++at;
                } else {
                    placed = true;
                }
            }
        }
        if(count == 0u) {
            return snapshot::empty();
        }
        const entry *from = old->begin();
        const auto fill = [&](std::size_t i) noexcept {
            if(added && i == at) {
                return typename entry::value{direct, added->invoke, added};
            }
            while(!is_live(*from)) {
                ++from;
            }
            return (from++)->load();
        };
        if constexpr(Throwing) {
            return snapshot::make(count, fill);
        } else {
            return snapshot::try_make(count, fill);
        }
    }

    /// Retires old (not the shared empty snapshot) with the handlers whose entries it alone
    /// still holds: those an unsubscribe nulled and that no later snapshot carries.
    void retire(snapshot *old) noexcept {
        if(old->is_empty()) {
            return;
        }
        auto &retired = reclaim_.retired();
        retired.retire(old, nullptr);
        for(const entry &e: *old) {
            if(!is_live(e)) {
                retired.retire(nullptr, e.target);
            }
        }
    }

    /// Whether e calls its handler: unsubscribing nulls invoke (read here by the writer).
    [[nodiscard]] static bool is_live(const entry &e) noexcept {
        return e.invoke.load(std::memory_order_relaxed) != nullptr;
    }

    /// Makes the entries of target and of its companion (or null) in `in` call nothing (see
    /// handler_entry for the order).
    static void stub_out(snapshot *in, node *target, node *companion) noexcept {
        for(entry &e: *in) {
            if(e.target == target || (companion && e.target == companion)) {
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
            // The fall-through path: a publish to one direct handler takes no other branch
            // (docs/benchmarks.md, "Code layout on the hot path").
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
            EVBUS_TRY { called -= !invoke_one<Event>(*it, event); }
            EVBUS_CATCH { finish_after_exception<Event>(it + 1, last, event); }
        } while(++it != last);
        return called;
    }

    /// Runs the handlers after one that threw, then rethrows the first exception.
    template<typename Event>
    [[noreturn]] EVBUS_COLD static void finish_after_exception(const entry *it, const entry *last, const void *event) {
        std::exception_ptr first = std::current_exception();
        for(; it != last; ++it) {
            EVBUS_TRY { (void)invoke_one<Event>(*it, event); }
            EVBUS_CATCH {} // only the first exception propagates
        }
        std::rethrow_exception(first);
    }

    typename Threading::mutex mutex_;
    typename Threading::template atomic<snapshot *> current_;
    typename Threading::template atomic<std::size_t> size_{0u};
    reclamation reclaim_;
};

} // namespace evbus::detail

#endif
