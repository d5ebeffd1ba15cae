#ifndef EVBUS_TIME_TIMER_STATS_HPP
#define EVBUS_TIME_TIMER_STATS_HPP

/// @file
/// @brief evbus::timer_stats, the counters of a scheduler.

#include <cstdint>

namespace evbus {

/// @brief Counters of a scheduler. Every occurrence that came due is in exactly one of posted,
/// rejected and skipped; every timer is pending, cancelled, or has ended.
struct timer_stats {
    /// @brief Timers scheduled (post_after, post_at and post_every calls).
    std::uint64_t scheduled{0};
    /// @brief Events the bus accepted (each occurrence of a periodic timer counts).
    std::uint64_t posted{0};
    /// @brief Timers cancelled while still to be posted (cancel() or a destroyed handle).
    std::uint64_t cancelled{0};
    /// @brief Occurrences not posted: the bus refused them (full or closed), or copying the event into
    /// it threw (the exception reaches the poll); never retried.
    std::uint64_t rejected{0};
    /// @brief Occurrences of periodic timers not posted because they fell behind (catch_up::once).
    std::uint64_t skipped{0};
    /// @brief Timers waiting to come due.
    std::uint64_t pending{0};
};

} // namespace evbus

#endif
