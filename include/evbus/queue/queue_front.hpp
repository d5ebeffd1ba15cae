#ifndef EVBUS_QUEUE_QUEUE_FRONT_HPP
#define EVBUS_QUEUE_QUEUE_FRONT_HPP

/// @file
/// @brief evbus::queue_front: the post-queue operations that every bus and channel has.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <type_traits>

#include "bus_config.hpp"
#include "async_queue.hpp"
#include "queue_item.hpp"
#include "queue_stats.hpp"
#include "spsc_queue.hpp"

namespace evbus {

namespace detail {

/// The post queue of a bus or channel of Threading that stores Item: an spsc ring for
/// evbus::spsc, else async_queue (moodycamel, or the single-thread ring).
template<typename Threading, typename Item>
using post_queue_t = std::conditional_t<is_spsc_v<Threading>, spsc_queue<Item>, async_queue<Threading, Item>>;

} // namespace detail

/// @brief Base of basic_bus and channel: their post queue's tokens, waiting, clear, close and stats.
/// @details Event is the channel's event type, or void for a bus (any event type); post(),
/// post_bulk() and dispatch() are on basic_bus and channel, which know the event types.
template<typename Threading, typename Event>
class queue_front {
    using item_type = detail::queue_item_of_t<Event>;

public:
    /// @brief Per-thread handle that makes one thread's posts cheaper (see make_producer_token()).
    using producer_token = typename detail::post_queue_t<Threading, item_type>::producer_token;

    /// @brief A token for post(token, event); use it on one thread at a time, not past the bus.
    [[nodiscard]] producer_token make_producer_token() { return queue_.make_token(); }

    /// @brief Blocks until an event is queued, wake_waiters() is called, or timeout passes;
    /// true when events are pending. multi_thread and spsc (on the consumer thread) only. An idle
    /// waiter uses no CPU.
    template<typename Rep, typename Period>
    bool wait_for(std::chrono::duration<Rep, Period> timeout) {
        return queue_.wait_until(detail::deadline_after(timeout));
    }

    /// @brief wait_for() that also returns (false) once cancel is true; set it, then call wake_waiters().
    template<typename Rep, typename Period>
    bool wait_for(std::chrono::duration<Rep, Period> timeout, const std::atomic<bool> &cancel) {
        return queue_.wait_until(detail::deadline_after(timeout), &cancel);
    }

    /// @brief Wakes every thread blocked in wait_for().
    void wake_waiters() { queue_.wake_all(); }

    /// @brief Drops every queued event; returns how many (counted in stats().discarded). spsc: a
    /// consumer operation (the dispatching thread, or a handler).
    std::size_t clear() { return queue_.clear(); }

    /// @brief Rejects every later post(); events already queued stay deliverable.
    void close() noexcept { queue_.close(); }

    /// @brief True once close() has been called.
    [[nodiscard]] bool closed() const noexcept { return queue_.closed(); }

    /// @brief Counters of the post queue: posted, rejected, delivered, discarded, pending.
    [[nodiscard]] queue_stats stats() const noexcept { return queue_.stats(); }

    /// @brief The bound of the post queue (evbus::unbounded for none; spsc: the ring's slots,
    /// bus_config::capacity rounded up to a power of two).
    [[nodiscard]] std::size_t capacity() const noexcept { return queue_.capacity(); }

protected:
    /// @brief A queue with the given settings; a zero capacity is errc::invalid_argument.
    explicit queue_front(const bus_config &config): queue_{config} {}
    queue_front(const queue_front &) = delete;
    queue_front &operator=(const queue_front &) = delete;
    ~queue_front() = default;

    /// @brief The queue itself, for basic_bus and channel.
    detail::post_queue_t<Threading, item_type> queue_;
};

} // namespace evbus

#endif
