#ifndef EVBUS_CORE_CHANNEL_HPP
#define EVBUS_CORE_CHANNEL_HPP

/// @file
/// @brief evbus::channel: the handlers of one event type, with no type lookup.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <type_traits>
#include <utility>

#include "../fwd.hpp"
#include "../queue/queue_front.hpp"
#include "../queue/queue_stats.hpp"
#include "../queue/bus_config.hpp"
#include "handler_list.hpp"
#include "subscription.hpp"
#include "threading.hpp"

namespace evbus {

/// @brief Publish/subscribe for a single event type; same handles and guarantees as the bus.
template<typename Event, typename Threading>
class channel: public queue_front<Threading, Event> {
    using front = queue_front<Threading, Event>;

    static_assert(std::is_same_v<Event, std::remove_cv_t<std::remove_reference_t<Event>>>,
                  "evbus::channel<Event>: name the event type without const or reference");

public:
    /// @brief Event type carried.
    using event_type = Event;
    /// @brief Threading policy of this channel.
    using threading_policy = Threading;

    /// @brief Per-thread handle that makes one thread's posts cheaper (see make_producer_token()).
    using typename front::producer_token;

    /// @brief An empty channel with an unbounded queue.
    channel(): channel{bus_config{}} {}

    /// @brief An empty channel whose post queue has the given settings.
    explicit channel(const bus_config &config)
        : front{config}, list_{std::make_shared<list_type>(detail::scope_of(this))} {}

    /// @brief Closes the channel and delivers what is still queued, like basic_bus's destructor.
    ~channel() { this->queue_.shutdown(batch_factory(), detail::try_prepare_to_read<Threading>()); }

    channel(const channel &) = delete;
    channel &operator=(const channel &) = delete;

    /// @brief Subscribes fn; higher priority runs first, ties in subscription order.
    template<typename Fn>
    [[nodiscard]] subscription subscribe(Fn &&fn, int priority = 0) {
        return list_->template subscribe<Event>(std::forward<Fn>(fn), priority);
    }

    /// @brief Subscribes before, which runs ahead of every other handler whatever its priority,
    /// and after, which runs behind all of them, under one handle (like basic_bus::subscribe_around).
    template<typename Before, typename After>
    [[nodiscard]] subscription subscribe_around(Before &&before, After &&after) {
        return list_->template subscribe_around<Event>(std::forward<Before>(before), std::forward<After>(after));
    }

    /// @brief Calls every handler on this thread; returns how many were called.
    std::size_t publish(const Event &event) { return list_->publish(event, detail::scope_of(this)); }

    /// @brief Queues the event for dispatch(); false when closed or a bounded queue is full.
    template<typename Arg, typename = std::enable_if_t<std::is_constructible_v<Event, Arg &&>>>
    bool post(Arg &&event) {
        return this->queue_.template post<Event>(nullptr, std::forward<Arg>(event), nullptr, clock::time_point::max());
    }

    /// @brief post() through a producer token (one thread at a time per token).
    template<typename Arg, typename = std::enable_if_t<std::is_constructible_v<Event, Arg &&>>>
    bool post(producer_token &token, Arg &&event) {
        return this->queue_.template post<Event>(nullptr, std::forward<Arg>(event), &token, clock::time_point::max());
    }

    /// @brief post() that waits at most timeout for room in a full overflow_policy::block queue.
    template<typename Arg, typename Rep, typename Period,
             typename = std::enable_if_t<std::is_constructible_v<Event, Arg &&>>>
    bool post_for(Arg &&event, std::chrono::duration<Rep, Period> timeout) {
        return this->queue_.template post<Event>(nullptr, std::forward<Arg>(event), nullptr,
                                                 detail::deadline_after(timeout));
    }

    /// @brief post_for() through a producer token (one thread at a time per token).
    template<typename Arg, typename Rep, typename Period,
             typename = std::enable_if_t<std::is_constructible_v<Event, Arg &&>>>
    bool post_for(producer_token &token, Arg &&event, std::chrono::duration<Rep, Period> timeout) {
        return this->queue_.template post<Event>(nullptr, std::forward<Arg>(event), &token,
                                                 detail::deadline_after(timeout));
    }

    /// @brief Queues [first, last) in order with bulk enqueues; returns how many were accepted
    /// (never waits: a full bounded queue takes what fits, the rest is rejected).
    template<typename ForwardIt>
    std::size_t post_bulk(producer_token &token, ForwardIt first, ForwardIt last) {
        return this->queue_.template post_bulk<Event>(nullptr, first, last, &token);
    }

    /// @brief post_bulk() without a token.
    template<typename ForwardIt>
    std::size_t post_bulk(ForwardIt first, ForwardIt last) {
        return this->queue_.template post_bulk<Event>(nullptr, first, last, nullptr);
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

    /// @brief Number of subscribed handlers.
    [[nodiscard]] std::size_t handler_count() const noexcept { return list_->size(); }

private:
    using clock = std::chrono::steady_clock;

    using item_type = detail::channel_item_t<Event>;

    using list_type = detail::handler_list<Threading>;

    /// Delivers one batch of queued events for async_queue::drain, in one read section.
    struct delivery_batch {
        list_type &list;
        decltype(std::declval<list_type &>().read_section()) section;

        void operator()(typename detail::post_queue_t<Threading, item_type>::cursor &from) const {
            from.deliver_while([](const item_type &) noexcept { return true; },
                               [this](const item_type &item) {
                                   list.template publish_in_section<Event>(
                                       detail::queue_item_traits<item_type>::payload(item));
                               });
        }
    };

    [[nodiscard]] auto batch_factory() const noexcept {
        return [list = list_.get()] { return delivery_batch{*list, list->read_section()}; };
    }

    std::shared_ptr<list_type> list_;
};

} // namespace evbus

#endif
