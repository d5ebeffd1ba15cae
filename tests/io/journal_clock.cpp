#include <evbus/io/journal_clock.hpp>
#include <evbus/io/journal_reader.hpp>
#include <evbus/io/journal_writer.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <thread>
#include <vector>

#include "journal_fixture.hpp"

using evbus::detail::journal::clock_anchor;
using evbus::detail::journal::clock_span;
using journal_test::temp_file;
using journal_test::tick;

TEST_CASE("system_nanoseconds is system_clock time in nanoseconds since the Unix epoch", "[io][journal_clock]") {
    const auto before = std::chrono::system_clock::now();
    const std::int64_t now = evbus::system_nanoseconds();
    const auto after = std::chrono::system_clock::now();
    REQUIRE(now >= std::chrono::duration_cast<std::chrono::nanoseconds>(before.time_since_epoch()).count());
    REQUIRE(now <= std::chrono::duration_cast<std::chrono::nanoseconds>(after.time_since_epoch()).count());
}

TEST_CASE("a clock span turns counter values into system time, linearly, never outside its anchors",
          "[io][journal_clock]") {
    const clock_span span{clock_anchor{1'000'000, 5'000}, clock_anchor{1'001'000, 7'000}}; // 2 ticks a ns
    REQUIRE(span.resolve(5'000) == 1'000'000);
    REQUIRE(span.resolve(6'000) == 1'000'500);
    REQUIRE(span.resolve(6'001) == 1'000'500);
    REQUIRE(span.resolve(6'002) == 1'000'501);
    REQUIRE(span.resolve(7'000) == 1'001'000);
    // Outside the anchors (a counter read on a core slightly behind, say): the nearer anchor.
    REQUIRE(span.resolve(4'000) == 1'000'000);
    REQUIRE(span.resolve(-1) == 1'000'000);
    REQUIRE(span.resolve(9'000) == 1'001'000);
    // The system clock stepped back between the anchors: everything at the first one.
    const clock_span back{clock_anchor{1'000'000, 5'000}, clock_anchor{900'000, 7'000}};
    REQUIRE(back.resolve(6'000) == 1'000'000);
    REQUIRE(back.resolve(7'000) == 1'000'000);
    // The counter did not advance: the first anchor, no division by zero.
    const clock_span still{clock_anchor{1'000'000, 5'000}, clock_anchor{1'000'100, 5'000}};
    REQUIRE(still.resolve(5'000) == 1'000'000);
    // Far apart (a day of a 3 GHz counter): exact to well under a microsecond.
    constexpr std::int64_t day = 86'400'000'000'000;
    const clock_span long_span{clock_anchor{day, 0}, clock_anchor{2 * day, 3 * day}};
    const std::int64_t half = long_span.resolve(3 * day / 2) - (day + day / 2);
    REQUIRE(half > -1000);
    REQUIRE(half < 1000);
}

TEST_CASE("an anchor pairs a system clock reading with the counter read around it", "[io][journal_clock]") {
    const std::int64_t ticks_before = evbus::detail::journal::counter_ticks();
    const std::int64_t before = evbus::system_nanoseconds();
    const clock_anchor anchor = evbus::detail::journal::take_anchor();
    const std::int64_t after = evbus::system_nanoseconds();
    const std::int64_t ticks_after = evbus::detail::journal::counter_ticks();
    REQUIRE(anchor.nanoseconds >= before);
    REQUIRE(anchor.nanoseconds <= after);
    if(evbus::detail::journal::counter_keeps_time()) {
        REQUIRE(anchor.ticks >= ticks_before);
        REQUIRE(anchor.ticks <= ticks_after);
        REQUIRE(ticks_after > ticks_before);
    }
}

namespace {

/// Records ticks with the default timestamps into small buffers (so that many spans are resolved),
/// with two pauses; checks every timestamp against system_clock readings taken around the writer.
template<typename Writer>
void check_default_timestamps(bool writer_thread) {
    INFO("the counter keeps time here: " << evbus::detail::journal::counter_keeps_time()
                                         << "; writer thread: " << writer_thread);
    temp_file file{"clock_default"};
    constexpr auto pause = std::chrono::milliseconds{20};
    const std::int64_t before = evbus::system_nanoseconds();
    {
        evbus::bus bus;
        evbus::journal_config config;
        config.buffer_size = 512;
        config.writer_thread = writer_thread;
        Writer jw{file.path(), config};
        auto r = jw.template record<tick>(bus);
        for(int i = 0; i < 600; ++i) {
            if(i == 100 || i == 405) {
                std::this_thread::sleep_for(pause);
            }
            bus.publish(tick{i, 0.0});
            if(i == 300) {
                REQUIRE(jw.try_flush()); // a partial buffer: a span of its own
            }
        }
    }
    const std::int64_t after = evbus::system_nanoseconds();
    evbus::journal_reader jr{file.path()};
    REQUIRE(jr.created() >= before);
    REQUIRE(jr.created() <= after);
    std::vector<std::int64_t> stamps;
    for(evbus::journal_record record; jr.next(record);) {
        stamps.push_back(record.timestamp);
    }
    REQUIRE(jr.stats().corrupt_bytes == 0u); // resolved before the checksum
    REQUIRE(stamps.size() == 600u);
    bool ordered = true;
    bool inside = true;
    for(std::size_t i = 0; i < stamps.size(); ++i) {
        inside = inside && stamps[i] >= jr.created() && stamps[i] <= after;
        ordered = ordered && (i == 0u || stamps[i] >= stamps[i - 1u]);
    }
    REQUIRE(inside);
    REQUIRE(ordered);
    // The pauses show: a sleep lasts at least its duration (a lower bound only, whatever the load).
    const std::int64_t slack = 1'000'000; // the anchors' own reading error is far below this
    REQUIRE(stamps[100] - stamps[99] >= std::chrono::nanoseconds{pause}.count() - slack);
    REQUIRE(stamps[405] - stamps[404] >= std::chrono::nanoseconds{pause}.count() - slack);
}

} // namespace

TEST_CASE("journal_writer's default timestamps are system_clock time, ordered, across buffers and flushes",
          "[io][journal_clock]") {
    check_default_timestamps<evbus::journal_writer>(false);
    check_default_timestamps<evbus::journal_writer>(true);
    check_default_timestamps<evbus::st_journal_writer>(false);
    check_default_timestamps<evbus::st_journal_writer>(true);
}

TEST_CASE("journal_config::timestamp = system_nanoseconds reads the system clock at each append",
          "[io][journal_clock]") {
    temp_file file{"clock_system"};
    const std::int64_t before = evbus::system_nanoseconds();
    std::vector<std::int64_t> around; // the time just before each publish
    {
        evbus::st_bus bus;
        evbus::journal_config config;
        config.timestamp = &evbus::system_nanoseconds;
        evbus::st_journal_writer jw{file.path(), config};
        auto r = jw.record<tick>(bus);
        for(int i = 0; i < 50; ++i) {
            around.push_back(evbus::system_nanoseconds());
            bus.publish(tick{i, 0.0});
        }
        around.push_back(evbus::system_nanoseconds());
    }
    evbus::journal_reader jr{file.path()};
    REQUIRE(jr.created() >= before);
    std::size_t i = 0;
    bool bracketed = true;
    for(evbus::journal_record record; jr.next(record); ++i) {
        bracketed = bracketed && record.timestamp >= around[i] && record.timestamp <= around[i + 1u];
    }
    REQUIRE(i == 50u);
    REQUIRE(bracketed);
}
