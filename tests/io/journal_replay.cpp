// Paced replay (through an injected pacer: no wall-clock time is measured) and replay driving a
// scheduler in simulated time.
#include <evbus/io/journal_reader.hpp>
#include <evbus/io/journal_writer.hpp>
#include <evbus/time/manual_clock.hpp>
#include <evbus/time/scheduler.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "journal_fixture.hpp"

using journal_test::temp_file;
using journal_test::tick;
using namespace std::chrono_literals;

namespace {

constexpr std::int64_t created_at = 1'700'000'000'000'000'000; // the journal's header: 2023-11-14
std::int64_t fake_now = created_at;                            // what the writer's timestamp source reads

std::int64_t fake_timestamp() noexcept { return fake_now; }

/// Writes a journal of ticks whose record k is appended at created_at + offsets[k] (ns).
void write_ticks(const std::string &path, const std::vector<std::int64_t> &offsets) {
    evbus::journal_config config;
    config.timestamp = &fake_timestamp;
    fake_now = created_at;
    evbus::st_bus bus;
    evbus::journal_writer jw{path, config};
    auto r = jw.record<tick>(bus);
    for(std::size_t k = 0; k < offsets.size(); ++k) {
        fake_now = created_at + offsets[k];
        bus.publish(tick{static_cast<int>(k), 0.5});
    }
}

/// A pacer whose time moves only when replay waits: it jumps to the deadline.
class test_pacer final: public evbus::replay_pacer {
public:
    std::chrono::nanoseconds now() override { return time; }
    void wait_until(std::chrono::nanoseconds deadline) override {
        waits.push_back(deadline);
        if(deadline > time) {
            time = deadline;
        }
    }
    std::chrono::nanoseconds time{1'000'000};
    std::vector<std::chrono::nanoseconds> waits;
};

template<int N>
struct replay_tag;

struct bell {
    int id;
};

} // namespace

TEST_CASE("replay is as fast as possible by default: it never waits", "[io][journal_replay]") {
    temp_file file{"replay_fast"};
    write_ticks(file.path(), {0, 10'000'000, 20'000'000});
    evbus::journal_reader jr{file.path()};
    test_pacer pacer;
    evbus::replay_options options;
    options.pacer = &pacer;
    evbus::st_bus bus;
    int seen = 0;
    auto s = bus.subscribe<tick>([&seen](const tick &) { ++seen; });
    REQUIRE(jr.replay(bus, options) == 3u);
    REQUIRE(seen == 3);
    REQUIRE(pacer.waits.empty());
}

TEST_CASE("paced replay publishes each record at its recorded offset divided by the speed", "[io][journal_replay]") {
    temp_file file{"replay_paced"};
    // 0, 10 ms, 30 ms, 30 ms again, then 25 ms: a timestamp that went back (an NTP step) counts as 30 ms.
    write_ticks(file.path(), {0, 10'000'000, 30'000'000, 30'000'000, 25'000'000, 40'000'000});
    evbus::journal_reader jr{file.path()};
    test_pacer pacer;
    const std::chrono::nanoseconds start = pacer.time;
    evbus::replay_options options;
    options.speed = 2.0;
    options.pacer = &pacer;
    evbus::st_bus bus;
    std::vector<std::chrono::nanoseconds> published_at;
    auto s = bus.subscribe<tick>([&](const tick &) { published_at.push_back(pacer.now() - start); });
    REQUIRE(jr.replay(bus, options) == 6u);
    const std::vector<std::chrono::nanoseconds> expected{0ms, 5ms, 15ms, 15ms, 15ms, 20ms};
    REQUIRE(published_at == expected);
    // Waits only when ahead of the schedule, and only until the record's time.
    REQUIRE(pacer.waits == std::vector<std::chrono::nanoseconds>{start + 5ms, start + 15ms, start + 20ms});
}

TEST_CASE("paced replay that falls behind publishes late records at once and keeps its schedule",
          "[io][journal_replay]") {
    temp_file file{"replay_behind"};
    write_ticks(file.path(), {0, 10'000'000, 20'000'000, 30'000'000});
    evbus::journal_reader jr{file.path()};
    test_pacer pacer;
    const std::chrono::nanoseconds start = pacer.time;
    evbus::replay_options options;
    options.speed = 1.0;
    options.pacer = &pacer;
    evbus::st_bus bus;
    // The handler of record 1 takes 15 ms: record 2 (due at 20 ms) is waited for 5 ms less, not 10 ms
    // more; record 3 keeps its time, 30 ms.
    auto s = bus.subscribe<tick>([&pacer](const tick &t) {
        if(t.id == 1) {
            pacer.time += 15ms;
        }
    });
    REQUIRE(jr.replay(bus, options) == 4u);
    REQUIRE(pacer.waits == std::vector<std::chrono::nanoseconds>{start + 10ms, start + 30ms});
}

TEST_CASE("replay stops after max_records and a later call resumes after them", "[io][journal_replay]") {
    temp_file file{"replay_max"};
    write_ticks(file.path(), {0, 1, 2, 3, 4});
    evbus::journal_reader jr{file.path()};
    evbus::st_bus bus;
    std::vector<int> ids;
    auto s = bus.subscribe<tick>([&ids](const tick &t) { ids.push_back(t.id); });
    evbus::replay_options options;
    options.max_records = 2u;
    REQUIRE(jr.replay(bus, options) == 2u);
    REQUIRE(ids == std::vector<int>{0, 1});
    REQUIRE(jr.replay(bus, options) == 2u);
    REQUIRE(jr.replay(bus, options) == 1u);
    REQUIRE(jr.replay(bus, options) == 0u);
    REQUIRE(ids == std::vector<int>{0, 1, 2, 3, 4});
    REQUIRE(jr.stats().replayed == 5u);
}

#if EVBUS_HAS_EXCEPTIONS
TEST_CASE("a negative or non-finite replay speed is invalid_argument", "[io][journal_replay]") {
    temp_file file{"replay_bad_speed"};
    write_ticks(file.path(), {0});
    evbus::journal_reader jr{file.path()};
    evbus::st_bus bus;
    evbus::replay_options options;
    options.speed = -1.0;
    REQUIRE_THROWS_AS(jr.replay(bus, options), evbus::error);
    options.speed = std::numeric_limits<double>::infinity();
    REQUIRE_THROWS_AS(jr.replay(bus, options), evbus::error);
    REQUIRE(jr.stats().replayed == 0u);
}
#endif

TEST_CASE("replay with a scheduler fires each timer between the records, at its own simulated time",
          "[io][journal_replay]") {
    using clock = evbus::manual_clock<replay_tag<1>>;
    clock::reset();
    temp_file file{"replay_scheduler"};
    write_ticks(file.path(), {1'000'000, 5'000'000, 9'000'000}); // ticks at 1, 5 and 9 ms into the session
    evbus::journal_reader jr{file.path()};
    REQUIRE(jr.created() == created_at);

    evbus::bus bus;
    evbus::scheduler<clock> sched{bus};
    std::vector<std::string> seen;
    const auto stamp = [] { return std::to_string(clock::now().time_since_epoch() / 1ms); };
    auto a = bus.subscribe<bell>([&](const bell &e) { seen.push_back("bell" + std::to_string(e.id) + "@" + stamp()); });
    evbus::timer follow_up;
    auto t = bus.subscribe<tick>([&](const tick &e) {
        seen.push_back("tick" + std::to_string(e.id) + "@" + stamp());
        if(e.id == 0) { // a handler's timer runs on simulated time: due at 1 + 2 = 3 ms
            follow_up = sched.post_after(2ms, bell{3});
        }
    });
    evbus::timer once = sched.post_at(clock::time_point{3ms}, bell{1});
    evbus::timer every = sched.post_every(clock::time_point{2ms}, 4ms, bell{2}); // 2, 6, 10 ms...

    REQUIRE(jr.replay(bus, sched) == 3u);
    const std::vector<std::string> expected{"tick0@1", "bell2@2", "bell1@3", "bell3@3",
                                            "tick1@5", "bell2@6", "tick2@9"};
    REQUIRE(seen == expected);
    REQUIRE(clock::now() == clock::time_point{9ms});           // the last record's time
    REQUIRE(sched.next_deadline() == clock::time_point{10ms}); // due after the last record: still pending
    REQUIRE(bus.stats().pending == 0u);
}

TEST_CASE("replay with a scheduler maps recorded time as replay_options::time says", "[io][journal_replay]") {
    temp_file file{"replay_time"};
    write_ticks(file.path(), {2'000'000, 7'000'000});
    evbus::st_bus bus;
    std::vector<std::int64_t> at; // what the clock read at each tick, in ns

    SECTION("unix_epoch: the clock reads the recorded system_clock time") {
        using clock = evbus::manual_clock<replay_tag<2>>;
        clock::reset();
        auto s = bus.subscribe<tick>([&at](const tick &) { at.push_back(clock::now().time_since_epoch().count()); });
        evbus::scheduler<clock> sched{bus};
        evbus::journal_reader jr{file.path()};
        evbus::replay_options options;
        options.time = evbus::replay_time::unix_epoch;
        REQUIRE(jr.replay(bus, sched, options) == 2u);
        REQUIRE(at == std::vector<std::int64_t>{created_at + 2'000'000, created_at + 7'000'000});
    }
    SECTION("from_now: the first record is at the clock's time when replay starts") {
        using clock = evbus::manual_clock<replay_tag<3>>;
        clock::reset();
        clock::advance(1s);
        auto s = bus.subscribe<tick>([&at](const tick &) { at.push_back(clock::now().time_since_epoch().count()); });
        evbus::scheduler<clock> sched{bus};
        evbus::journal_reader jr{file.path()};
        evbus::replay_options options;
        options.time = evbus::replay_time::from_now;
        REQUIRE(jr.replay(bus, sched, options) == 2u);
        REQUIRE(at == std::vector<std::int64_t>{1'000'000'000, 1'005'000'000});
    }
    SECTION("since_created, on a clock that is already later: the clock never goes back") {
        using clock = evbus::manual_clock<replay_tag<4>>;
        clock::reset();
        clock::advance(5ms);
        auto s = bus.subscribe<tick>([&at](const tick &) { at.push_back(clock::now().time_since_epoch().count()); });
        evbus::scheduler<clock> sched{bus};
        evbus::journal_reader jr{file.path()};
        REQUIRE(jr.replay(bus, sched) == 2u);
        REQUIRE(at == std::vector<std::int64_t>{5'000'000, 7'000'000});
    }
}

TEST_CASE("replay with a scheduler and dispatch off leaves the timers' events queued", "[io][journal_replay]") {
    using clock = evbus::manual_clock<replay_tag<5>>;
    clock::reset();
    temp_file file{"replay_no_dispatch"};
    write_ticks(file.path(), {1'000'000, 3'000'000});
    evbus::journal_reader jr{file.path()};
    evbus::bus bus;
    evbus::scheduler<clock> sched{bus};
    std::vector<std::string> seen;
    auto a = bus.subscribe<bell>([&seen](const bell &) { seen.push_back("bell"); });
    auto t = bus.subscribe<tick>([&seen](const tick &) { seen.push_back("tick"); });
    evbus::timer once = sched.post_at(clock::time_point{2ms}, bell{1});
    evbus::replay_options options;
    options.dispatch = false;
    REQUIRE(jr.replay(bus, sched, options) == 2u);
    REQUIRE(seen == std::vector<std::string>{"tick", "tick"});
    REQUIRE(sched.stats().posted == 1u);
    REQUIRE(bus.dispatch() == 1u);
    REQUIRE(seen.back() == "bell");
}

TEST_CASE("paced replay with a scheduler waits on the pacer and fires timers in simulated time",
          "[io][journal_replay]") {
    using clock = evbus::manual_clock<replay_tag<6>>;
    clock::reset();
    temp_file file{"replay_paced_scheduler"};
    write_ticks(file.path(), {0, 40'000'000});
    evbus::journal_reader jr{file.path()};
    evbus::st_bus bus;
    evbus::scheduler<clock> sched{bus};
    test_pacer pacer;
    const std::chrono::nanoseconds start = pacer.time;
    std::vector<std::chrono::nanoseconds> alarm_at;
    auto a = bus.subscribe<bell>([&](const bell &) { alarm_at.push_back(clock::now().time_since_epoch()); });
    evbus::timer once = sched.post_at(clock::time_point{10ms}, bell{1});
    evbus::replay_options options;
    options.speed = 4.0;
    options.pacer = &pacer;
    REQUIRE(jr.replay(bus, sched, options) == 2u);
    // The timer is paced too: due 10 ms into the session, it fires 2.5 ms into a 4x replay.
    REQUIRE(pacer.waits == std::vector<std::chrono::nanoseconds>{start + 2500us, start + 10ms});
    REQUIRE(alarm_at == std::vector<std::chrono::nanoseconds>{10ms}); // simulated time: unscaled
}

TEST_CASE("journal_reader exposes the type table and its size for tools", "[io][journal_replay]") {
    temp_file file{"replay_types"};
    write_ticks(file.path(), {0, 1});
    evbus::journal_reader jr{file.path()};
    evbus::journal_record rec;
    REQUIRE(jr.next(rec));
    REQUIRE(jr.types().size() == 1u);
    const evbus::journal_type &type = jr.types()[0];
    REQUIRE(type.id == 1u);
    REQUIRE(type.name == "test.tick");
    REQUIRE(type.version == 1u);
    REQUIRE(type.size == sizeof(tick));
    REQUIRE_FALSE(type.codec);
    REQUIRE(type.known);
    REQUIRE(jr.size() == 32u + 64u + 2u * 48u);
    REQUIRE(rec.timestamp == created_at);
}

#if EVBUS_HAS_EXCEPTIONS
TEST_CASE("replay with a scheduler keeps a record whose timers' handler threw, and delivers it on the next call",
          "[io][journal_replay]") {
    using clock = evbus::manual_clock<replay_tag<20>>;
    clock::reset();
    temp_file file{"replay_timer_throws"};
    write_ticks(file.path(), {1'000'000, 5'000'000, 9'000'000});
    evbus::journal_reader jr{file.path()};
    evbus::bus bus;
    evbus::scheduler<clock> sched{bus};
    std::vector<int> ticks;
    bool thrown = false;
    auto t = bus.subscribe<tick>([&](const tick &e) { ticks.push_back(e.id); });
    auto b = bus.subscribe<bell>([&](const bell &) {
        if(!thrown) {
            thrown = true;
            throw std::runtime_error{"a timer handler fails"};
        }
    });
    evbus::timer once = sched.post_at(clock::time_point{3ms}, bell{1}); // between tick 0 and tick 1
    REQUIRE_THROWS_AS(jr.replay(bus, sched), std::runtime_error);
    REQUIRE(ticks == std::vector<int>{0});
    const auto &st = jr.stats();
    REQUIRE(st.records == st.replayed + st.unknown + st.malformed);
    REQUIRE(jr.replay(bus, sched) == 2u); // tick 1 is not lost
    REQUIRE(ticks == std::vector<int>{0, 1, 2});
    REQUIRE(st.records == 3u);
    REQUIRE(st.replayed == 3u);
}
#endif

namespace {
/// Writes a journal whose header says created and whose records carry the given timestamps (a
/// crafted file: every checksum is valid).
void write_stamped(const std::string &path, std::int64_t created, const std::vector<std::int64_t> &stamps) {
    evbus::journal_config config;
    config.timestamp = &fake_timestamp;
    fake_now = created;
    evbus::st_bus bus;
    evbus::journal_writer jw{path, config};
    auto r = jw.record<tick>(bus);
    for(std::size_t k = 0; k < stamps.size(); ++k) {
        fake_now = stamps[k];
        bus.publish(tick{static_cast<int>(k), 0.5});
    }
}
} // namespace

TEST_CASE("paced replay survives timestamps and pacer times at the ends of int64 (no overflow)",
          "[io][journal_replay]") {
    constexpr std::int64_t lowest = std::numeric_limits<std::int64_t>::min();
    constexpr std::int64_t highest = std::numeric_limits<std::int64_t>::max();
    temp_file file{"replay_extreme_pace"};
    write_stamped(file.path(), 0, {lowest + 1, highest - 1}); // 2^64 ns apart
    evbus::st_bus bus;
    int seen = 0;
    auto s = bus.subscribe<tick>([&seen](const tick &) { ++seen; });
    const double speed = GENERATE(0.1, 1.0, 1e-300);
    const std::int64_t origin = GENERATE(0, std::int64_t{9'000'000'000'000'000'000}, highest - 1, lowest + 1);
    CAPTURE(speed, origin);
    test_pacer pacer;
    pacer.time = std::chrono::nanoseconds{origin};
    evbus::replay_options options;
    options.speed = speed;
    options.pacer = &pacer;
    evbus::journal_reader jr{file.path()};
    REQUIRE(jr.replay(bus, options) == 2u);
    REQUIRE(seen == 2);
    REQUIRE(pacer.waits.size() == 1u);                          // the second record is later: replay waits for it
    REQUIRE(pacer.waits[0] > std::chrono::nanoseconds{origin}); // saturated, never wrapped around
}

TEST_CASE("replay with a scheduler maps extreme recorded times without overflow", "[io][journal_replay]") {
    constexpr std::int64_t highest = std::numeric_limits<std::int64_t>::max();
    temp_file file{"replay_extreme_time"};
    // created far before the epoch, a record at an ordinary time: recorded - created overflows
    write_stamped(file.path(), -8'000'000'000'000'000'000, {1'700'000'000'000'000'000, highest - 1});
    evbus::st_bus bus;
    int seen = 0;
    auto s = bus.subscribe<tick>([&seen](const tick &) { ++seen; });
    SECTION("since_created, a timer due late") {
        using clock = evbus::manual_clock<replay_tag<21>>;
        clock::reset();
        evbus::scheduler<clock> sched{bus};
        evbus::timer late = sched.post_at(clock::time_point{std::chrono::nanoseconds{highest - 10}}, bell{1});
        test_pacer pacer;
        evbus::replay_options options;
        options.speed = 0.1;
        options.pacer = &pacer;
        evbus::journal_reader jr{file.path()};
        REQUIRE(jr.replay(bus, sched, options) == 2u);
    }
    SECTION("unix_epoch with a timer, paced slowly") {
        using clock = evbus::manual_clock<replay_tag<22>>;
        clock::reset();
        evbus::scheduler<clock> sched{bus};
        evbus::timer soon = sched.post_after(1s, bell{1});
        test_pacer pacer;
        evbus::replay_options options;
        options.time = evbus::replay_time::unix_epoch;
        options.speed = 0.1;
        options.pacer = &pacer;
        evbus::journal_reader jr{file.path()};
        REQUIRE(jr.replay(bus, sched, options) == 2u);
    }
    SECTION("from_now, the clock far from the records") {
        using clock = evbus::manual_clock<replay_tag<23>>;
        clock::reset();
        clock::set(clock::time_point{std::chrono::nanoseconds{highest - 5}});
        evbus::scheduler<clock> sched{bus};
        evbus::replay_options options;
        options.time = evbus::replay_time::from_now;
        evbus::journal_reader jr{file.path()};
        REQUIRE(jr.replay(bus, sched, options) == 2u);
    }
    REQUIRE(seen == 2);
}
