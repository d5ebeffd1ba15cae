#ifndef EVBUS_BENCHMARKS_HANDLERS_HPP
#define EVBUS_BENCHMARKS_HANDLERS_HPP

#include <array>
#include <cstddef>
#include <cstdint>

// Handlers live in handlers.cpp, another translation unit, so no call is inlined.
struct bench_event {
    std::uint64_t id;
    double value;
};

using bench_handler = void (*)(const bench_event &);

/// A second event type of the same shape, for queues that carry more than one type.
struct bench_other_event {
    std::uint64_t id;
    double value;
};

/// A handler of bench_other_event that does what bench_handlers[1] does.
extern void (*const bench_other_handler)(const bench_other_event &);

inline constexpr std::size_t bench_handler_count = 100;

/// bench_handler_count distinct functions, each adding to its own counter.
extern const std::array<bench_handler, bench_handler_count> bench_handlers;

/// The same functions by name, for handlers bound at compile time (a direct call).
template<std::size_t N>
void bench_handler_fn(const bench_event &event);

/// A query answer that costs something to compute (about 100 dependent multiply-adds).
double bench_fair_value(int symbol) noexcept;

/// Sum of all counters, so the work cannot be optimized away.
std::uint64_t bench_sink() noexcept;

#endif
