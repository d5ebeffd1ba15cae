#ifndef EVBUS_QUEUE_QUEUE_STATS_HPP
#define EVBUS_QUEUE_QUEUE_STATS_HPP

/// @file
/// @brief evbus::queue_stats: what happened to posted events.

#include <cstdint>

namespace evbus {

/// @brief Counters of a bus's or channel's post queue; posted == delivered + discarded + pending.
struct queue_stats {
    std::uint64_t posted{};    ///< accepted posts
    std::uint64_t rejected{};  ///< refused posts: full bounded queue, closed, or timed out
    std::uint64_t delivered{}; ///< events taken off the queue by dispatch()
    std::uint64_t discarded{}; ///< events dropped by clear()
    std::uint64_t pending{};   ///< accepted and neither delivered nor discarded yet
};

} // namespace evbus

#endif
