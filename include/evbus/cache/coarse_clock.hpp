#ifndef EVBUS_CACHE_COARSE_CLOCK_HPP
#define EVBUS_CACHE_COARSE_CLOCK_HPP

/// @file
/// @brief evbus::coarse_steady_clock: a monotonic clock that is cheap to read, for ttl<> on hot paths.

#include <chrono>
#include <cstdint>

#if defined(__linux__)
#    include <time.h>
#endif

namespace evbus {

/// @brief A steady clock read from the kernel's tick-granular monotonic time (Linux
/// CLOCK_MONOTONIC_COARSE): a few nanoseconds per now() instead of tens, at the cost of
/// resolution (one scheduler tick, see resolution()). Elsewhere it is std::chrono::steady_clock.
///
/// `evbus::cache<K, V, evbus::ttl<evbus::coarse_steady_clock>>` expires entries exactly by this
/// clock; measured by a fine clock, an entry may outlive its time to live by up to one tick.
struct coarse_steady_clock {
    /// @brief Tick count type.
    using rep = std::int64_t;
    /// @brief Tick period.
    using period = std::nano;
    /// @brief Duration type.
    using duration = std::chrono::nanoseconds;
    /// @brief Time point type.
    using time_point = std::chrono::time_point<coarse_steady_clock>;
    /// @brief Never goes backwards.
    static constexpr bool is_steady = true;

    /// @brief The current time.
    [[nodiscard]] static time_point now() noexcept {
#if defined(__linux__)
        timespec ts{};
        clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
        return time_point{duration{static_cast<rep>(ts.tv_sec) * 1'000'000'000 + static_cast<rep>(ts.tv_nsec)}};
#else
        return time_point{std::chrono::duration_cast<duration>(std::chrono::steady_clock::now().time_since_epoch())};
#endif
    }

    /// @brief How far apart two different readings are at least (one kernel tick on Linux).
    [[nodiscard]] static duration resolution() noexcept {
#if defined(__linux__)
        timespec ts{};
        clock_getres(CLOCK_MONOTONIC_COARSE, &ts);
        return duration{static_cast<rep>(ts.tv_sec) * 1'000'000'000 + static_cast<rep>(ts.tv_nsec)};
#else
        return duration{1};
#endif
    }
};

} // namespace evbus

#endif
