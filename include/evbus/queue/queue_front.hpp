#ifndef EVBUS_QUEUE_QUEUE_FRONT_HPP
#define EVBUS_QUEUE_QUEUE_FRONT_HPP

/// @file
/// @brief detail::queue_front: the post-queue operations buses and channels share.

#include <atomic>
#include <chrono>
#include <cstddef>

#include "bus_config.hpp"
#include "async_queue.hpp"
#include "queue_stats.hpp"

namespace evbus::detail {

/// Base of basic_bus and channel: owns the post queue and offers what does not
/// depend on how events are delivered.
template<typename Threading, typename Item>
class queue_front {
public:
    /// @brief Per-thread handle that makes one thread's posts cheaper (see make_producer_token()).
    using producer_token = typename async_queue<Threading, Item>::producer_token;

    /// @brief A token for post(token, event); use it on one thread at a time, not past the bus.
    [[nodiscard]] producer_token make_producer_token() { return queue_.make_token(); }

    /// @brief Blocks until an event is queued, wake_waiters() is called, or timeout passes;
    /// true when events are pending. multi_thread only. An idle waiter uses no CPU.
    template<typename Rep, typename Period>
    bool wait_for(std::chrono::duration<Rep, Period> timeout) {
        return queue_.wait_until(deadline_after(timeout));
    }

    /// @brief wait_for() that also returns (false) once cancel is true; set it, then call wake_waiters().
    template<typename Rep, typename Period>
    bool wait_for(std::chrono::duration<Rep, Period> timeout, const std::atomic<bool> &cancel) {
        return queue_.wait_until(deadline_after(timeout), &cancel);
    }

    /// @brief Wakes every thread blocked in wait_for().
    void wake_waiters() { queue_.wake_all(); }

    /// @brief Drops every queued event; returns how many (counted in stats().discarded).
    std::size_t clear() { return queue_.clear(); }

    /// @brief Rejects every later post(); events already queued stay deliverable.
    void close() noexcept { queue_.close(); }

    /// @brief True once close() has been called.
    [[nodiscard]] bool closed() const noexcept { return queue_.closed(); }

    /// @brief Counters of the post queue: posted, rejected, delivered, discarded, pending.
    [[nodiscard]] queue_stats stats() const noexcept { return queue_.stats(); }

protected:
    explicit queue_front(const bus_config &config): queue_{config} {}
    queue_front(const queue_front &) = delete;
    queue_front &operator=(const queue_front &) = delete;
    ~queue_front() = default;

    async_queue<Threading, Item> queue_;
};

} // namespace evbus::detail

#endif
