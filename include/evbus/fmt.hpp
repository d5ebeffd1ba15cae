#ifndef EVBUS_FMT_HPP
#define EVBUS_FMT_HPP

/// @file
/// @brief fmt formatters for evbus types (fmt 9 and later); include it only where fmt is available.

#include <fmt/format.h>
#include <evbus/cache/stats.hpp>
#include <evbus/queue/queue_stats.hpp>

/// @namespace fmt
/// @brief The {fmt} library, whose fmt::formatter this header specializes for evbus's stats.

/// @brief Formats evbus::cache_stats as `hits=H misses=M evictions=E expirations=X hit_ratio=R`.
template<>
struct fmt::formatter<evbus::cache_stats> {
    /// @brief Accepts only an empty format spec, `{}`; fmt rejects anything else.
    constexpr auto parse(fmt::format_parse_context &ctx) -> decltype(ctx.begin()) { return ctx.begin(); }

    /// @brief Writes the counters and the hit ratio (three decimals).
    template<typename FormatContext>
    auto format(const evbus::cache_stats &stats, FormatContext &ctx) const -> decltype(ctx.out()) {
        return fmt::format_to(ctx.out(), "hits={} misses={} evictions={} expirations={} hit_ratio={:.3f}", stats.hits,
                              stats.misses, stats.evictions, stats.expirations, stats.hit_ratio());
    }
};

/// @brief Formats evbus::queue_stats as `posted=P rejected=R delivered=D discarded=X pending=N`.
template<>
struct fmt::formatter<evbus::queue_stats> {
    /// @brief Accepts only an empty format spec, `{}`.
    constexpr auto parse(fmt::format_parse_context &ctx) -> decltype(ctx.begin()) { return ctx.begin(); }

    /// @brief Writes the counters.
    template<typename FormatContext>
    auto format(const evbus::queue_stats &stats, FormatContext &ctx) const -> decltype(ctx.out()) {
        return fmt::format_to(ctx.out(), "posted={} rejected={} delivered={} discarded={} pending={}", stats.posted,
                              stats.rejected, stats.delivered, stats.discarded, stats.pending);
    }
};

#endif
