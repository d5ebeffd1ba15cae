#ifndef EVBUS_CACHE_TTL_HPP
#define EVBUS_CACHE_TTL_HPP

/// @file
/// @brief evbus::ttl: the expire-after-write eviction policy.

#include <chrono>
#include <cstddef>
#include <vector>

#include "../config.hpp"
#include "slot_list.hpp"

namespace evbus {

/// @brief Expire-after-write policy: an entry lives for a fixed time to live from its last put; when
/// full, the entry that expires soonest is evicted (first in, first out by write time).
/// @tparam Clock A std-style clock with a static now(); the entry written at t is expired from t + ttl on.
template<typename Clock = std::chrono::steady_clock>
struct ttl {
    /// @brief Per-cache state: slots ordered by write time, and each slot's deadline.
    template<typename Key>
    class type {
    public:
        /// @brief The clock that dates entries.
        using clock = Clock;
        /// @brief The clock's duration type.
        using duration = typename Clock::duration;
        /// @brief The clock's time point type.
        using time_point = typename Clock::time_point;

        /// @brief Builds the policy for the slots [0, slots); @p time_to_live must be positive.
        template<typename Rep, typename Period>
        type(std::size_t slots, std::chrono::duration<Rep, Period> time_to_live)
            : order_{slots}, deadlines_(slots), time_to_live_{checked(time_to_live)} {}

        /// @brief A new entry is dated now and goes last.
        void on_insert(std::size_t slot, const Key &) noexcept(noexcept(Clock::now())) {
            deadlines_[slot] = deadline();
            order_.push_back(slot);
        }

        /// @brief A put over an existing entry restarts its time to live.
        void on_update(std::size_t slot) noexcept(noexcept(Clock::now())) {
            deadlines_[slot] = deadline();
            order_.move_to_back(slot);
        }

        /// @brief Reads do not extend the time to live.
        void on_access(std::size_t) noexcept {}

        /// @brief The entry leaves the order.
        void on_erase(std::size_t slot) noexcept { order_.erase(slot); }

        /// @brief The entry that expires soonest.
        [[nodiscard]] std::size_t victim() const noexcept { return order_.front(); }

        /// @brief True once the entry's time to live has passed.
        [[nodiscard]] bool expired(std::size_t slot) const noexcept(noexcept(Clock::now())) {
            return !(Clock::now() < deadlines_[slot]);
        }

        /// @brief Forgets every entry.
        void clear() noexcept { order_.clear(); }

        /// @brief When the entry in a slot expires.
        [[nodiscard]] time_point deadline(std::size_t slot) const noexcept { return deadlines_[slot]; }

        /// @brief The time to live given to each put.
        [[nodiscard]] duration time_to_live() const noexcept { return time_to_live_; }

        /// @brief Slots from the soonest to the latest to expire.
        [[nodiscard]] const slot_list &order() const noexcept { return order_; }

    private:
        template<typename Rep, typename Period>
        static duration checked(std::chrono::duration<Rep, Period> value) {
            EVBUS_EXPECT(value > value.zero(), "evbus::ttl: time_to_live must be positive");
            using ticks = std::chrono::duration<long double, typename duration::period>;
            if(ticks{value}.count() >= static_cast<long double>(duration::max().count())) {
                return duration::max();
            }
            return std::chrono::ceil<duration>(value);
        }

        [[nodiscard]] time_point deadline() const noexcept(noexcept(Clock::now())) {
            const time_point now = Clock::now();
            return now > time_point::max() - time_to_live_ ? time_point::max() : now + time_to_live_;
        }

        slot_list order_;
        std::vector<time_point> deadlines_;
        duration time_to_live_;
    };
};

} // namespace evbus

#endif
