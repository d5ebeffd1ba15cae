#ifndef EVBUS_IO_JOURNAL_CLOCK_HPP
#define EVBUS_IO_JOURNAL_CLOCK_HPP

/// @file
/// @brief evbus::system_nanoseconds, and the journal's default timestamps: the CPU's time-stamp counter
/// read at append and turned into system_clock time when a buffer is written.

#include <chrono>
#include <cstdint>

#if defined(__linux__)
#    include <fcntl.h>
#    include <unistd.h>
#endif

namespace evbus {

/// @brief std::chrono::system_clock::now() in nanoseconds since the Unix epoch: what a journal record's
/// timestamp means. As journal_config::timestamp, one clock read per record.
[[nodiscard]] inline std::int64_t system_nanoseconds() noexcept {
    return static_cast<std::int64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count());
}

namespace detail::journal {

#if defined(__linux__) && defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
/// 1 where journal timestamps may come from the time-stamp counter (Linux, x86-64, GCC or Clang), else 0.
#    define EVBUS_JOURNAL_HAS_TICKS 1
#else
/// 1 where journal timestamps may come from the time-stamp counter (Linux, x86-64, GCC or Clang), else 0.
#    define EVBUS_JOURNAL_HAS_TICKS 0
#endif

/// The time-stamp counter (RDTSC), as a timestamp function; 0 where there is none.
inline std::int64_t counter_ticks() noexcept {
#if EVBUS_JOURNAL_HAS_TICKS
    return static_cast<std::int64_t>(__builtin_ia32_rdtsc()); // no <x86intrin.h>: see detail::cpu_relax
#else
    return 0;
#endif
}

/// True when the kernel keeps time by the time-stamp counter (its clocksource is "tsc"): it runs at
/// a constant rate and agrees across cores, which Linux checks before it picks it. Read once.
[[nodiscard]] inline bool counter_keeps_time() noexcept {
#if EVBUS_JOURNAL_HAS_TICKS
    static const bool keeps = [] {
        const int fd = ::open("/sys/devices/system/clocksource/clocksource0/current_clocksource", O_RDONLY | O_CLOEXEC);
        if(fd < 0) {
            return false;
        }
        char name[8] = {};
        const ssize_t n = ::read(fd, name, sizeof name);
        ::close(fd);
        return n == 4 && name[0] == 't' && name[1] == 's' && name[2] == 'c' && name[3] == '\n';
    }();
    return keeps;
#else
    return false;
#endif
}

/// A system_clock reading and the counter's value at the same moment.
struct clock_anchor {
    std::int64_t nanoseconds;
    std::int64_t ticks;
};

/// Reads the system clock between two counter reads, three times, and keeps the tightest pair.
[[nodiscard]] inline clock_anchor take_anchor() noexcept {
    clock_anchor best{system_nanoseconds(), counter_ticks()};
    std::int64_t tightest = INT64_MAX;
    for(int i = 0; i < 3; ++i) {
        const std::int64_t before = counter_ticks();
        const std::int64_t nanoseconds = system_nanoseconds();
        const std::int64_t after = counter_ticks();
        if(after >= before && after - before < tightest) {
            tightest = after - before;
            best = clock_anchor{nanoseconds, before + (after - before) / 2};
        }
    }
    return best;
}

/// Two anchors around a buffer's records: `from` taken before the first was appended, `to` after the last.
struct clock_span {
    clock_anchor from;
    clock_anchor to;

    /// The system_clock time of a counter value read between the two anchors: linear between them,
    /// and never outside them (a value outside, or a span the counter did not advance over, is clamped).
    [[nodiscard]] std::int64_t resolve(std::int64_t ticks) const noexcept {
        const std::int64_t latest = to.nanoseconds > from.nanoseconds ? to.nanoseconds : from.nanoseconds;
        if(ticks <= from.ticks || to.ticks <= from.ticks) {
            return from.nanoseconds;
        }
        if(ticks >= to.ticks) {
            return latest;
        }
        const double part = static_cast<double>(ticks - from.ticks) / static_cast<double>(to.ticks - from.ticks);
        const auto at =
            from.nanoseconds + static_cast<std::int64_t>(part * static_cast<double>(latest - from.nanoseconds));
        return at < latest ? at : latest;
    }
};

} // namespace detail::journal
} // namespace evbus

#endif
