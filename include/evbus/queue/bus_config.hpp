#ifndef EVBUS_QUEUE_BUS_CONFIG_HPP
#define EVBUS_QUEUE_BUS_CONFIG_HPP

/// @file
/// @brief evbus::bus_config, the run-time settings of a bus.

#include <cstddef>
#include <limits>

namespace evbus {

/// @brief Capacity value meaning "no bound".
inline constexpr std::size_t unbounded = std::numeric_limits<std::size_t>::max();

/// @brief What post() does when a bounded queue is full.
enum class overflow_policy {
    reject, ///< return false at once (counted in stats().rejected)
    block,  ///< wait for room (post_for() bounds the wait); multi_thread only
};

/// @brief Run-time settings of a bus or channel queue.
struct bus_config {
    /// @brief Most events the post() queue holds; unbounded by default; 0 is an error.
    std::size_t capacity{unbounded};
    /// @brief Behaviour of post() on a full bounded queue.
    overflow_policy overflow{overflow_policy::reject};
};

} // namespace evbus

#endif
