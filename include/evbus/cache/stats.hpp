#ifndef EVBUS_CACHE_STATS_HPP
#define EVBUS_CACHE_STATS_HPP

/// @file
/// @brief evbus::cache_stats: the hit, miss, eviction and expiration counters of a cache.

#include <cstdint>

namespace evbus {

/// @brief Counters kept by a cache: lookups that hit or missed, and entries that left because of capacity or age.
struct cache_stats {
    /// @brief Lookups that found a live entry.
    std::uint64_t hits{};
    /// @brief Lookups that found nothing, or only an expired entry.
    std::uint64_t misses{};
    /// @brief Live entries removed to make room for a new key.
    std::uint64_t evictions{};
    /// @brief Entries removed because their time to live had passed.
    std::uint64_t expirations{};

    /// @brief Fraction of lookups that hit, in [0, 1]; 0 when there were no lookups.
    [[nodiscard]] constexpr double hit_ratio() const noexcept {
        const std::uint64_t lookups = hits + misses;
        return lookups == 0u ? 0.0 : static_cast<double>(hits) / static_cast<double>(lookups);
    }

    /// @brief Adds another set of counters to this one (used to sum shards).
    constexpr cache_stats &operator+=(const cache_stats &other) noexcept {
        hits += other.hits;
        misses += other.misses;
        evictions += other.evictions;
        expirations += other.expirations;
        return *this;
    }

    /// @brief Sum of two sets of counters.
    [[nodiscard]] friend constexpr cache_stats operator+(cache_stats lhs, const cache_stats &rhs) noexcept {
        return lhs += rhs;
    }

    /// @brief Counter-wise equality.
    [[nodiscard]] friend constexpr bool operator==(const cache_stats &lhs, const cache_stats &rhs) noexcept {
        return lhs.hits == rhs.hits && lhs.misses == rhs.misses && lhs.evictions == rhs.evictions &&
               lhs.expirations == rhs.expirations;
    }

    /// @brief Counter-wise inequality.
    [[nodiscard]] friend constexpr bool operator!=(const cache_stats &lhs, const cache_stats &rhs) noexcept {
        return !(lhs == rhs);
    }
};

} // namespace evbus

#endif
