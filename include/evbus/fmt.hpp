#ifndef EVBUS_FMT_HPP
#define EVBUS_FMT_HPP

/// @file
/// @brief fmt formatters for evbus types (fmt 9 and later); include it only where fmt is available.
/// @details Not part of the umbrella header <evbus/evbus.hpp>: without this include, fmt reports its
/// generic "cannot format an argument" for evbus's stats.

#include <fmt/format.h>
#include <evbus/cache/stats.hpp>
#include <evbus/queue/queue_stats.hpp>

/// @namespace fmt
/// @brief The {fmt} library, whose fmt::formatter this header specializes for evbus's stats.

namespace evbus::detail {

/// The part of evbus's formatters that fmt users expect of any text: the spec of a string
/// (fill, alignment, width: `{:>60}`, `{:*^40}`) applies to the whole formatted text.
struct padded_formatter: fmt::formatter<fmt::string_view> {
    /// Writes the text that write(buffer) produces, padded as the spec asks.
    template<typename FormatContext, typename Write>
    auto format_padded(FormatContext &ctx, Write write) const -> decltype(ctx.out()) {
        fmt::memory_buffer buffer;
        write(fmt::appender{buffer});
        return fmt::formatter<fmt::string_view>::format(fmt::string_view{buffer.data(), buffer.size()}, ctx);
    }
};

} // namespace evbus::detail

/// @brief Formats evbus::cache_stats as `hits=H misses=M evictions=E expirations=X hit_ratio=R`.
/// @details Takes a string's format spec for the whole text: `{}`, `{:>60}`, `{:*^40}`.
template<>
struct fmt::formatter<evbus::cache_stats>: evbus::detail::padded_formatter {
    /// @brief Writes the counters and the hit ratio (three decimals).
    template<typename FormatContext>
    auto format(const evbus::cache_stats &stats, FormatContext &ctx) const -> decltype(ctx.out()) {
        return format_padded(ctx, [&stats](fmt::appender out) {
            fmt::format_to(out, "hits={} misses={} evictions={} expirations={} hit_ratio={:.3f}", stats.hits,
                           stats.misses, stats.evictions, stats.expirations, stats.hit_ratio());
        });
    }
};

/// @brief Formats evbus::queue_stats as `posted=P rejected=R delivered=D discarded=X pending=N`.
/// @details Takes a string's format spec for the whole text: `{}`, `{:>60}`, `{:*^40}`.
template<>
struct fmt::formatter<evbus::queue_stats>: evbus::detail::padded_formatter {
    /// @brief Writes the counters.
    template<typename FormatContext>
    auto format(const evbus::queue_stats &stats, FormatContext &ctx) const -> decltype(ctx.out()) {
        return format_padded(ctx, [&stats](fmt::appender out) {
            fmt::format_to(out, "posted={} rejected={} delivered={} discarded={} pending={}", stats.posted,
                           stats.rejected, stats.delivered, stats.discarded, stats.pending);
        });
    }
};

#endif
