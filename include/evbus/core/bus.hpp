#ifndef EVBUS_CORE_BUS_HPP
#define EVBUS_CORE_BUS_HPP

/// @file
/// @brief evbus::basic_bus and evbus::bus: typed publish/subscribe over any number of event types.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iterator>
#include <memory>
#include <mutex>
#include <new>
#include <type_traits>
#include <utility>
#include <vector>

#include "../config.hpp"
#include "../queue/queue_front.hpp"
#include "../queue/queue_stats.hpp"
#include "../queue/bus_config.hpp"
#include "handler_list.hpp"
#include "query.hpp"
#include "subscription.hpp"
#include "threading.hpp"
#include "type_index.hpp"
#include "diagnostics.hpp"

namespace evbus {

namespace detail {

/// An event queued by post_from(), with the id of who posted it.
template<typename Event>
struct with_origin {
    Event event;
    std::uint64_t origin;
};

/// One object per event type, whose address names the type in a delivery_origin_state.
template<typename Event>
inline constexpr char origin_type_tag = 0;

/// What the handlers running on this thread are delivering, if it was posted with post_from() (or
/// published inside an origin_scope): the poster's id, the event's address and its type (an
/// origin_type_tag: a member or base of the event shares its address, not its type); all null
/// otherwise.
struct delivery_origin_state {
    std::uint64_t origin;
    const void *event;
    const char *type;

    /// Whether event is the very object being delivered, of the type delivered, from origin.
    template<typename Event>
    [[nodiscard]] bool is(std::uint64_t from, const Event &candidate) const noexcept {
        return origin == from && event == static_cast<const void *>(&candidate) && type == &origin_type_tag<Event>;
    }
};

/// This thread's delivery_origin_state.
inline delivery_origin_state &delivery_origin() noexcept {
    static thread_local delivery_origin_state current{0u, nullptr, nullptr};
    return current;
}

/// Sets this thread's delivery origin for one delivery; restores the one before (a nested delivery).
class origin_scope {
public:
    template<typename Event>
    origin_scope(std::uint64_t origin, const Event *event) noexcept: saved_{delivery_origin()} {
        delivery_origin() = delivery_origin_state{origin, event, &origin_type_tag<Event>};
    }
    origin_scope(const origin_scope &) = delete;
    origin_scope &operator=(const origin_scope &) = delete;
    ~origin_scope() { delivery_origin() = saved_; }

private:
    delivery_origin_state saved_;
};

} // namespace detail

/// @brief Event bus over any event types, with a threading policy (multi_thread, single_thread or spsc).
///
/// publish() calls the handlers of the event's exact type on the caller's
/// thread, highest priority first, ties in subscription order. post() queues
/// the event (from any thread, for multi_thread) and dispatch() delivers queued
/// events on the thread that calls it, in each producer's order across types.
template<typename Threading>
class basic_bus: public queue_front<Threading, void> {
    using list_type = detail::handler_list<Threading>;
    using slot_type = typename Threading::template atomic<list_type *>;

    /// Slots indexed by detail::type_index, in one allocation. Tables only grow;
    /// replaced ones are kept until the bus dies, so readers never need to pin them.
    struct lookup_table {
        std::size_t size;

        [[nodiscard]] slot_type *slots() noexcept { return reinterpret_cast<slot_type *>(this + 1); }

        [[nodiscard]] static lookup_table *make(std::size_t count) {
            void *memory = ::operator new(sizeof(lookup_table) + count * sizeof(slot_type));
            auto *table = ::new(memory) lookup_table{count};
            for(std::size_t i = 0; i < count; ++i) {
                ::new(static_cast<void *>(table->slots() + i)) slot_type{nullptr};
            }
            return table;
        }

        static void destroy(lookup_table *table) noexcept { ::operator delete(table); }
    };

    static_assert(std::is_trivially_destructible_v<slot_type>);

public:
    /// @brief Threading policy of this bus.
    using threading_policy = Threading;
    /// @brief Per-thread handle that makes one thread's posts cheaper (see make_producer_token()).
    using typename queue_front<Threading, void>::producer_token;

    /// @brief An unbounded bus.
    basic_bus(): basic_bus{bus_config{}} {}

    /// @brief A bus with the given settings; a zero capacity is an error (errc::invalid_argument).
    explicit basic_bus(const bus_config &config): queue_front<Threading, void>{config}, config_{config} {
        table_.store(lookup_table::make(initial_slots), std::memory_order_release);
    }

    basic_bus(const basic_bus &) = delete;
    basic_bus &operator=(const basic_bus &) = delete;

    /// @brief Closes the bus, delivers the events still queued (exceptions from their handlers are
    /// dropped), then destroys it; live subscriptions become inactive and stay safe to reset or destroy.
    ~basic_bus() {
        this->queue_.shutdown(batch_factory(), detail::try_prepare_to_read<Threading>());
        lookup_table::destroy(table_.load(std::memory_order_relaxed));
        for(lookup_table *table: retired_tables_) {
            lookup_table::destroy(table);
        }
    }

    /// @brief Subscribes fn to events of type Event; higher priority runs first.
    template<typename Event, typename Fn>
    [[nodiscard]] subscription subscribe(Fn &&fn, int priority = 0) {
        static_assert(std::is_same_v<Event, std::remove_cv_t<std::remove_reference_t<Event>>>,
                      "evbus::bus::subscribe<Event>: name the event type without const or reference");
        return assure<Event>().template subscribe<Event>(std::forward<Fn>(fn), priority);
    }

    /// @brief Subscribes before, which runs ahead of every other handler of Event whatever its
    /// priority, and after, which runs behind all of them, under one handle (what evict_on uses).
    /// @details Several befores run in subscription order, and so do several afters. Both count
    /// in handler_count() and in what publish() returns.
    template<typename Event, typename Before, typename After>
    [[nodiscard]] subscription subscribe_around(Before &&before, After &&after) {
        static_assert(std::is_same_v<Event, std::remove_cv_t<std::remove_reference_t<Event>>>,
                      "evbus::bus::subscribe_around<Event>: name the event type without const or reference");
        return assure<Event>().template subscribe_around<Event>(std::forward<Before>(before),
                                                                std::forward<After>(after));
    }

    /// @brief Calls every handler of the event's type on this thread; returns how many were called.
    template<typename Event>
    EVBUS_ALWAYS_INLINE std::size_t publish(Event &&event) {
        using event_type = std::remove_cv_t<std::remove_reference_t<Event>>;
        if(list_type *list = find<event_type>()) {
            return list->template publish<event_type>(event, scope());
        }
        return 0u;
    }

    /// @brief Queues the event for dispatch(); false when the bus is closed or a bounded queue is full.
    template<typename Event>
    bool post(Event &&event) {
        using event_type = std::remove_cv_t<std::remove_reference_t<Event>>;
        return this->queue_.template post<event_type>(delivery_of<event_type>(), std::forward<Event>(event), nullptr,
                                                      clock::time_point::max());
    }

    /// @brief post() that keeps origin (a nonzero id of the poster) with the event: while its handlers
    /// run, detail::delivery_origin() holds origin and the event's address, so that a handler can tell
    /// it from other events of its type (the NATS bridge's no echo). Handlers see an ordinary Event.
    /// An event of 41 to 48 bytes that post() keeps inline is stored on the heap here (the origin
    /// takes 8 bytes of the envelope). Origin 0 is errc::invalid_argument (it means "none").
    template<typename Event>
    bool post_from(std::uint64_t origin, Event &&event) {
        using event_type = std::remove_cv_t<std::remove_reference_t<Event>>;
        EVBUS_EXPECT(origin != 0u, "evbus: post_from needs a nonzero origin (0 means no origin)");
        return this->queue_.template post<detail::with_origin<event_type>>(
            origin_delivery_of<event_type>(), detail::with_origin<event_type>{std::forward<Event>(event), origin},
            nullptr, clock::time_point::max());
    }

    /// @brief post() through this thread's producer token: the fast path for a thread that posts often.
    template<typename Event>
    bool post(producer_token &token, Event &&event) {
        using event_type = std::remove_cv_t<std::remove_reference_t<Event>>;
        return this->queue_.template post<event_type>(delivery_of<event_type>(), std::forward<Event>(event), &token,
                                                      clock::time_point::max());
    }

    /// @brief post() that waits at most timeout for room in a full overflow_policy::block queue.
    template<typename Event, typename Rep, typename Period>
    bool post_for(Event &&event, std::chrono::duration<Rep, Period> timeout) {
        using event_type = std::remove_cv_t<std::remove_reference_t<Event>>;
        return this->queue_.template post<event_type>(delivery_of<event_type>(), std::forward<Event>(event), nullptr,
                                                      detail::deadline_after(timeout));
    }

    /// @brief post_for() through a producer token, so that a producer's timed posts keep their
    /// order with its other posts through that token.
    template<typename Event, typename Rep, typename Period>
    bool post_for(producer_token &token, Event &&event, std::chrono::duration<Rep, Period> timeout) {
        using event_type = std::remove_cv_t<std::remove_reference_t<Event>>;
        return this->queue_.template post<event_type>(delivery_of<event_type>(), std::forward<Event>(event), &token,
                                                      detail::deadline_after(timeout));
    }

    /// @brief Queues [first, last) in order with bulk enqueues through token; returns how many
    /// were accepted. Never waits: a full bounded queue takes what fits, the rest is rejected.
    template<typename ForwardIt>
    std::size_t post_bulk(producer_token &token, ForwardIt first, ForwardIt last) {
        using event_type = std::remove_cv_t<typename std::iterator_traits<ForwardIt>::value_type>;
        return this->queue_.template post_bulk<event_type>(delivery_of<event_type>(), first, last, &token);
    }

    /// @brief post_bulk() without a token.
    template<typename ForwardIt>
    std::size_t post_bulk(ForwardIt first, ForwardIt last) {
        using event_type = std::remove_cv_t<typename std::iterator_traits<ForwardIt>::value_type>;
        return this->queue_.template post_bulk<event_type>(delivery_of<event_type>(), first, last, nullptr);
    }

    /// @brief Delivers the events queued when the call starts, on this thread; returns how many
    /// events were delivered (publish() returns handler calls instead).
    std::size_t dispatch() { return dispatch(unbounded); }

    /// @brief Delivers at most max_events of the events queued when the call starts (a frame budget);
    /// returns how many events (not handler calls). Events handlers post meanwhile wait for the next call.
    std::size_t dispatch(std::size_t max_events) {
        detail::prepare_to_read<Threading>();
        return this->queue_.drain(max_events, batch_factory());
    }

    /// @brief Registers fn as the one responder to queries of type Query; a second is an error
    /// (errc::duplicate_responder). The returned handle unregisters it.
    /// @details fn is moved or copied in, except an lvalue evbus::memoized, which is held by reference
    /// (it must outlive the responder), so that invalidating its cache() reaches the answers given.
    template<typename Query, typename Fn>
    [[nodiscard]] subscription respond(Fn &&fn) {
        static_assert(detail::is_query_v<Query>,
                      "evbus::bus::respond<Query>: Query must name its answer type as `using result_type = ...;`");
        using handler_type = responder_type<Fn>;
        constexpr bool callable = std::is_invocable_r_v<detail::query_result_t<Query>, handler_type &, const Query &>;
        static_assert(!detail::is_query_v<Query> || callable,
                      "evbus::bus::respond<Query>: the responder must be callable with `const Query&` and return "
                      "Query::result_type");
        if constexpr(detail::is_query_v<Query> && callable) {
            EVBUS_EXPECT(!detail::is_null_handler(fn), "evbus: respond() was given a null responder");
            subscription made = assure<detail::query_call<Query>>().template subscribe<detail::query_call<Query>>(
                [responder = handler_type(std::forward<Fn>(fn))](const detail::query_call<Query> &call) mutable {
                    call.answer.emplace(std::invoke(responder, *call.query));
                },
                0, detail::list_occupancy::exclusive);
            if(EVBUS_UNLIKELY(!made.active())) {
                detail::raise_naming(errc::duplicate_responder, "evbus::bus::respond: the query type ",
                                     detail::type_name<Query>(),
                                     " already has a responder (reset its subscription before registering another)");
            }
            return made;
        } else {
            return subscription{}; // the static_assert above has failed: nothing else to report
        }
    }

    /// @brief Asks the responder of Query on this thread and returns its answer; no responder is an
    /// error (errc::no_responder). Exceptions from the responder propagate.
    template<typename Query>
    [[nodiscard]] detail::query_result_t<Query> request(Query &&query) {
        using query_type = std::remove_cv_t<std::remove_reference_t<Query>>;
        static_assert(detail::is_query_v<query_type>,
                      "evbus::bus::request: the query type must name its answer type as `using result_type = ...;`");
        if constexpr(detail::is_query_v<query_type>) {
            const detail::query_call<query_type> call{std::addressof(query), {}};
            list_type *list = find<detail::query_call<query_type>>();
            if(EVBUS_UNLIKELY(!list || list->publish(call) == 0u)) {
                detail::raise_naming(errc::no_responder, "evbus::bus::request: no responder for the query type ",
                                     detail::type_name<query_type>(), "");
            }
            return std::move(*call.answer);
        } else {
            return {}; // the static_assert above has failed: nothing else to report
        }
    }

    /// @brief True while Query has a responder.
    template<typename Query>
    [[nodiscard]] bool has_responder() const noexcept {
        return handler_count<detail::query_call<Query>>() != 0u;
    }

    /// @brief Number of handlers subscribed to Event.
    template<typename Event>
    [[nodiscard]] std::size_t handler_count() const noexcept {
        const list_type *list = find<Event>();
        return list ? list->size() : 0u;
    }

    /// @brief The settings this bus was built with.
    [[nodiscard]] const bus_config &config() const noexcept { return config_; }

private:
    using clock = std::chrono::steady_clock;

    /// What respond() stores: a reference to an lvalue evbus::memoized (so that its cache is the one
    /// the user invalidates), a copy or the moved value of anything else.
    template<typename Fn>
    using responder_type =
        std::conditional_t<std::is_lvalue_reference_v<Fn> && !std::is_const_v<std::remove_reference_t<Fn>> &&
                               detail::is_memoized<std::remove_reference_t<Fn>>::value,
                           std::reference_wrapper<std::remove_reference_t<Fn>>, std::decay_t<Fn>>;
    static constexpr std::size_t initial_slots = 16u;

    using cursor = typename detail::post_queue_t<Threading, detail::envelope>::cursor;
    class delivery_batch;
    using run_function = void (*)(delivery_batch &, cursor &);

    /// Delivers one batch of queued envelopes for async_queue::drain, run by run: a run of events
    /// of one type goes to the function stored with them at post (deliver_run<Event>), which
    /// knows the type and calls handlers directly. multi_thread, the batch is one RCU read section.
    class delivery_batch {
    public:
        explicit delivery_batch(const basic_bus &owner): bus_{owner}, section_{owner.scope()} {}
        delivery_batch(const delivery_batch &) = delete;
        delivery_batch &operator=(const delivery_batch &) = delete;

        void operator()(cursor &from) {
            while(const detail::envelope *item = from.front()) {
                reinterpret_cast<run_function>(item->delivery)(*this, from);
            }
        }

        [[nodiscard]] const basic_bus &bus() const noexcept { return bus_; }

    private:
        const basic_bus &bus_;
        [[maybe_unused]] detail::batch_read_guard<Threading> section_;
    };

    /// What a bus stores with each queued Event: the function that delivers a run of Events.
    template<typename Event>
    [[nodiscard]] static detail::delivery_fn delivery_of() noexcept {
        return reinterpret_cast<detail::delivery_fn>(&deliver_run<Event>);
    }

    /// Delivers the events at from's front while they are Events, to the list found once for the
    /// run (single_thread, read once for the run). A type without a list gets one event
    /// delivered to nobody, and is looked up again at its next (a handler may subscribe).
    template<typename Event>
    static void deliver_run(delivery_batch &batch, cursor &from) {
        list_type *list = batch.bus().template find<Event>();
        if(EVBUS_UNLIKELY(!list)) {
            from.deliver_front([](const detail::envelope &) noexcept {});
            return;
        }
        const auto deliver = [list](const detail::envelope &item) {
            list->template publish_in_section<Event>(std::addressof(item.template get<Event>()));
        };
        [[maybe_unused]] const auto section = run_section(*list);
        from.deliver_while([](const detail::envelope &item) noexcept { return item.delivery == delivery_of<Event>(); },
                           deliver);
    }

    /// What a bus stores with each Event queued by post_from().
    template<typename Event>
    [[nodiscard]] static detail::delivery_fn origin_delivery_of() noexcept {
        return reinterpret_cast<detail::delivery_fn>(&deliver_origin_run<Event>);
    }

    /// deliver_run() for events queued by post_from(): each with its origin set while its handlers run.
    template<typename Event>
    static void deliver_origin_run(delivery_batch &batch, cursor &from) {
        list_type *list = batch.bus().template find<Event>();
        if(EVBUS_UNLIKELY(!list)) {
            from.deliver_front([](const detail::envelope &) noexcept {});
            return;
        }
        const auto deliver = [list](const detail::envelope &item) {
            const auto &posted = item.template get<detail::with_origin<Event>>();
            const detail::origin_scope scope{posted.origin, std::addressof(posted.event)};
            list->template publish_in_section<Event>(std::addressof(posted.event));
        };
        [[maybe_unused]] const auto section = run_section(*list);
        from.deliver_while(
            [](const detail::envelope &item) noexcept { return item.delivery == origin_delivery_of<Event>(); },
            deliver);
    }

    /// single_thread: the read of the list that a run spans; multi_thread: nothing (the batch's).
    [[nodiscard]] static auto run_section(list_type &list) noexcept {
        if constexpr(Threading::concurrent) {
            return detail::no_read_guard{};
        } else {
            return list.read_section();
        }
    }

    /// What this bus's read sections cover: its lists, the handlers they call.
    [[nodiscard]] detail::rcu_scope scope() const noexcept { return detail::scope_of(this); }

    [[nodiscard]] auto batch_factory() const noexcept {
        return [this] { return delivery_batch{*this}; };
    }

    [[nodiscard]] list_type *find(std::size_t index) const noexcept {
        if(EVBUS_LIKELY(index < direct_slots)) {
            return direct_[index].load(std::memory_order_acquire);
        }
        lookup_table *table = table_.load(std::memory_order_acquire);
        return index < table->size ? table->slots()[index].load(std::memory_order_acquire) : nullptr;
    }

    template<typename Event>
    [[nodiscard]] list_type *find() const noexcept {
        return find(detail::type_index<Event>::value());
    }

    template<typename Event>
    list_type &assure() {
        if(list_type *list = find<Event>()) {
            return *list;
        }
        const std::size_t index = detail::type_index<Event>::value();
        std::lock_guard<typename Threading::mutex> lock{mutex_};
        lookup_table *table = table_.load(std::memory_order_relaxed);
        if(index < table->size) {
            if(list_type *list = table->slots()[index].load(std::memory_order_relaxed)) {
                return *list;
            }
        } else {
            std::size_t size = table->size * 2u;
            while(size <= index) {
                size *= 2u;
            }
            lookup_table *grown = lookup_table::make(size);
            for(std::size_t i = 0; i < table->size; ++i) {
                grown->slots()[i].store(table->slots()[i].load(std::memory_order_relaxed), std::memory_order_relaxed);
            }
            retired_tables_.push_back(table);
            table_.store(grown, std::memory_order_release);
            table = grown;
        }
        lists_.push_back(std::make_shared<list_type>(scope()));
        list_type *list = lists_.back().get();
        table->slots()[index].store(list, std::memory_order_release);
        if(index < direct_slots) {
            direct_[index].store(list, std::memory_order_release);
        }
        return *list;
    }

    // The first event types of the process (type indices are process-wide) are found without
    // loading the table pointer first; the table holds every type.
    static constexpr std::size_t direct_slots = 64u;
    slot_type direct_[direct_slots]{};
    bus_config config_;
    typename Threading::mutex mutex_;
    typename Threading::template atomic<lookup_table *> table_{nullptr};
    std::vector<std::shared_ptr<list_type>> lists_;
    std::vector<lookup_table *> retired_tables_;
};

/// @brief The thread-safe bus: publish, subscribe and unsubscribe from any thread.
using bus = basic_bus<multi_thread>;

/// @brief A bus for loops that never share it between threads; no atomics or fences.
using st_bus = basic_bus<single_thread>;

} // namespace evbus

#endif
