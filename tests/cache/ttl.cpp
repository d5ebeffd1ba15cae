#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <evbus/cache/cache.hpp>
#include <evbus/cache/ttl.hpp>

namespace {

struct manual_clock {
    using rep = std::int64_t;
    using period = std::nano;
    using duration = std::chrono::nanoseconds;
    using time_point = std::chrono::time_point<manual_clock>;

    static time_point now() noexcept { return current; }
    static void advance(duration step) noexcept { current += step; }

    static inline time_point current{};
};

using namespace std::chrono_literals;
using ttl_cache = evbus::cache<int, int, evbus::ttl<manual_clock>>;

} // namespace

TEST_CASE("ttl: an entry lives for exactly its time to live", "[cache]") {
    manual_clock::current = manual_clock::time_point{};
    ttl_cache c{4, 10s};
    CHECK(c.policy_state().time_to_live() == 10s);
    c.put(1, 100);
    manual_clock::advance(10s - 1ns);
    REQUIRE(c.get(1));
    CHECK(*c.get(1) == 100);
    manual_clock::advance(1ns);
    CHECK_FALSE(c.contains(1));
    CHECK_FALSE(c.get(1));
    CHECK(c.size() == 0u);
    CHECK(c.stats() == evbus::cache_stats{2u, 1u, 0u, 1u});
    CHECK_FALSE(c.get(1)); // gone for good: a plain miss now
    CHECK(c.stats() == evbus::cache_stats{2u, 2u, 0u, 1u});
}

TEST_CASE("ttl: each put restarts the time to live, reads do not", "[cache]") {
    manual_clock::current = manual_clock::time_point{};
    ttl_cache c{4, 10s};
    c.put(1, 1);
    manual_clock::advance(6s);
    (void)c.get(1);
    c.put(1, 2);
    manual_clock::advance(6s); // 12 s after the first put, 6 s after the second
    REQUIRE(c.get(1));
    CHECK(*c.get(1) == 2);
    manual_clock::advance(4s);
    CHECK_FALSE(c.get(1));
    CHECK(c.stats().expirations == 1u);
}

TEST_CASE("ttl: when full, the entry that expires soonest goes first", "[cache]") {
    manual_clock::current = manual_clock::time_point{};
    ttl_cache c{3, 1min};
    c.put(1, 1);
    manual_clock::advance(1s);
    c.put(2, 2);
    manual_clock::advance(1s);
    c.put(3, 3);
    (void)c.get(1);     // reads do not reorder
    c.put(2, 20);       // 2 now expires last
    CHECK(c.put(4, 4)); // evicts 1
    CHECK_FALSE(c.contains(1));
    CHECK(c.put(5, 5)); // evicts 3
    CHECK_FALSE(c.contains(3));
    CHECK(c.contains(2));
    CHECK(c.stats().evictions == 2u);
    CHECK(c.stats().expirations == 0u);
}

TEST_CASE("ttl: an expired victim counts as an expiration, not an eviction", "[cache]") {
    manual_clock::current = manual_clock::time_point{};
    ttl_cache c{2, 5s};
    c.put(1, 1);
    manual_clock::advance(3s);
    c.put(2, 2);
    manual_clock::advance(3s); // 1 expired, 2 alive
    CHECK(c.put(3, 3));
    CHECK(c.stats().expirations == 1u);
    CHECK(c.stats().evictions == 0u);
    CHECK(c.put(4, 4)); // 2 is alive: an eviction
    CHECK(c.stats().evictions == 1u);
}

TEST_CASE("ttl: purge_expired, erase and emplace on expired entries", "[cache]") {
    manual_clock::current = manual_clock::time_point{};
    ttl_cache c{8, 5s};
    for(int i = 0; i < 4; ++i) {
        c.put(i, i);
    }
    manual_clock::advance(2s);
    c.put(10, 10);
    manual_clock::advance(3s); // 0..3 expired, 10 alive
    CHECK(c.size() == 5u);
    CHECK_FALSE(c.erase(0));
    CHECK(c.stats().expirations == 1u);
    CHECK(c.purge_expired() == 3u);
    CHECK(c.size() == 1u);
    CHECK(c.stats().expirations == 4u);
    manual_clock::advance(2s);
    auto [ref, inserted] = c.emplace(10, 11);
    CHECK(inserted);
    CHECK(*ref == 11);
    CHECK(c.stats().expirations == 5u);
}

TEST_CASE("ttl: any duration type converts, rounding up", "[cache]") {
    manual_clock::current = manual_clock::time_point{};
    evbus::cache<int, int, evbus::ttl<manual_clock>> seconds{1, std::chrono::duration<double>{0.5}};
    CHECK(seconds.policy_state().time_to_live() == 500ms);
    evbus::cache<int, int, evbus::ttl<manual_clock>> huge{1, std::chrono::hours::max()};
    CHECK(huge.policy_state().time_to_live() == manual_clock::duration::max());
    huge.put(1, 1);
    manual_clock::advance(std::chrono::hours{24 * 365});
    CHECK(huge.contains(1));
    evbus::cache<int, int, evbus::ttl<>> steady{1, 1h};
    steady.put(1, 1);
    CHECK(steady.contains(1));
}

#if EVBUS_HAS_EXCEPTIONS
TEST_CASE("ttl: a zero or negative time to live is an invalid argument", "[cache]") {
    const auto code_of = [](auto make) {
        try {
            make();
        } catch(const evbus::error &e) {
            return e.code();
        }
        return evbus::errc{};
    };
    CHECK(code_of([] { ttl_cache c{4, 0s}; }) == evbus::errc::invalid_argument);
    CHECK(code_of([] { ttl_cache c{4, -1ms}; }) == evbus::errc::invalid_argument);
    CHECK(code_of([] { ttl_cache c{4, std::chrono::duration<double>{-0.1}}; }) == evbus::errc::invalid_argument);
    CHECK(code_of([] { ttl_cache c{0, 1s}; }) == evbus::errc::invalid_argument);
    CHECK(code_of([] { ttl_cache c{1, 1ns}; }) == evbus::errc{});
}
#endif
