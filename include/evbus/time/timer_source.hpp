#ifndef EVBUS_TIME_TIMER_SOURCE_HPP
#define EVBUS_TIME_TIMER_SOURCE_HPP

/// @file
/// @brief detail::timer_source: what a worker needs of a scheduler, without knowing its clock.

#include <atomic>
#include <cstddef>

namespace evbus::detail {

/// A scheduler as its worker sees it: poll it, sleep on its bus until its next deadline, interrupt
/// that sleep. One thread polls and sleeps; interrupt() is for any thread.
class timer_source {
public:
    /// poll(): posts what is due now; returns how many were posted.
    virtual std::size_t poll_due() = 0;

    /// Blocks on the scheduler's bus until an event is posted, the next deadline comes, an earlier
    /// timer is scheduled or interrupt() is called; returns at once if stop is already set.
    virtual void sleep(const std::atomic<bool> &stop) = 0;

    /// Ends the current or next sleep().
    virtual void interrupt() = 0;

    /// The bus the scheduler posts into.
    [[nodiscard]] virtual const void *target() const noexcept = 0;

protected:
    timer_source() = default;
    timer_source(const timer_source &) = delete;
    timer_source &operator=(const timer_source &) = delete;
    ~timer_source() = default;
};

} // namespace evbus::detail

#endif
