#ifndef EVBUS_TIME_MANUAL_CLOCK_HPP
#define EVBUS_TIME_MANUAL_CLOCK_HPP

/// @file
/// @brief evbus::manual_clock: a std-style clock whose time moves only when it is told to.

#include <atomic>
#include <chrono>
#include <cstdint>

#include "../config.hpp"

namespace evbus {

/// @brief Simulated time: a clock with a static now() that reads what advance() and set() wrote.
///
/// A std-style clock has a static now(), so the time it reads is global: each Tag type is one
/// independent clock for the whole process (one per test, one per backtest: `struct my_tag;
/// using clock = evbus::manual_clock<my_tag>;`). It starts at the epoch (time_since_epoch() is
/// zero) and only moves forward. now(), advance() and set() are safe from any thread.
template<typename Tag = void>
struct manual_clock {
    /// @brief Tick count type.
    using rep = std::int64_t;
    /// @brief One tick is a nanosecond.
    using period = std::nano;
    /// @brief Durations of this clock.
    using duration = std::chrono::nanoseconds;
    /// @brief Time points of this clock.
    using time_point = std::chrono::time_point<manual_clock, duration>;
    /// @brief Time never goes back.
    static constexpr bool is_steady = true;

    /// @brief The current simulated time.
    [[nodiscard]] static time_point now() noexcept {
        return time_point{duration{ticks().load(std::memory_order_acquire)}};
    }

    /// @brief Moves time forward by step; a negative step is errc::invalid_argument.
    template<typename Rep, typename Period>
    static void advance(std::chrono::duration<Rep, Period> step) {
        EVBUS_EXPECT(step >= step.zero(), "evbus::manual_clock::advance: time cannot go back");
        ticks().fetch_add(std::chrono::duration_cast<duration>(step).count(), std::memory_order_acq_rel);
    }

    /// @brief Moves time forward to to; a time before now() is errc::invalid_argument.
    static void set(time_point to) {
        rep seen = ticks().load(std::memory_order_relaxed);
        do {
            EVBUS_EXPECT(to.time_since_epoch().count() >= seen, "evbus::manual_clock::set: time cannot go back");
        } while(!ticks().compare_exchange_weak(seen, to.time_since_epoch().count(), std::memory_order_acq_rel));
    }

    /// @brief Back to the epoch, for reusing a Tag between tests; only while nothing reads this clock.
    static void reset() noexcept { ticks().store(0, std::memory_order_release); }

private:
    static std::atomic<rep> &ticks() noexcept {
        static std::atomic<rep> value{0};
        return value;
    }
};

} // namespace evbus

#endif
