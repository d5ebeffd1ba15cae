#include <catch2/catch.hpp>

#include <evbus/cache/cache.hpp>
#include <evbus/cache/lru.hpp>
#include <evbus/cache/stats.hpp>

#include <string>

#if defined(EVBUS_TEST_WITH_FMT)
#    include <evbus/fmt.hpp>
#    define EVBUS_TEST_FMT 1
#else
#    define EVBUS_TEST_FMT 0
#endif

TEST_CASE("cache_stats: hit ratio and sums", "[cache]") {
    constexpr evbus::cache_stats none{};
    STATIC_REQUIRE(none.hit_ratio() == 0.0);
    constexpr evbus::cache_stats some{3u, 1u, 2u, 4u};
    STATIC_REQUIRE(some.hit_ratio() == 0.75);
    constexpr evbus::cache_stats sum = some + evbus::cache_stats{1u, 3u, 0u, 1u};
    STATIC_REQUIRE(sum == evbus::cache_stats{4u, 4u, 2u, 5u});
    STATIC_REQUIRE(sum != some);
    STATIC_REQUIRE(sum.hit_ratio() == 0.5);
}

TEST_CASE("cache_stats: counted by the cache and reset", "[cache]") {
    evbus::cache<int, int, evbus::lru> c{2};
    c.put(1, 1);
    c.put(2, 2);
    c.put(3, 3);
    (void)c.get(1);
    (void)c.get(2);
    (void)c.get(3);
    (void)c.get(3);
    CHECK(c.stats().hits == 3u);
    CHECK(c.stats().misses == 1u);
    CHECK(c.stats().evictions == 1u);
    CHECK(c.stats().expirations == 0u);
    CHECK(c.stats().hit_ratio() == 0.75);
    c.reset_stats();
    CHECK(c.stats() == evbus::cache_stats{});
}

#if EVBUS_TEST_FMT
TEST_CASE("cache_stats: fmt formatter", "[cache]") {
    const evbus::cache_stats stats{3u, 1u, 2u, 4u};
    CHECK(fmt::format("{}", stats) == "hits=3 misses=1 evictions=2 expirations=4 hit_ratio=0.750");
    CHECK(fmt::format("[{}]", evbus::cache_stats{}) == "[hits=0 misses=0 evictions=0 expirations=0 hit_ratio=0.000]");
}

TEST_CASE("cache_stats: fmt formatter takes fill, alignment and width", "[cache]") {
    const evbus::cache_stats stats{3u, 1u, 2u, 4u};
    const std::string text = "hits=3 misses=1 evictions=2 expirations=4 hit_ratio=0.750";
    REQUIRE(text.size() == 57u);
    CHECK(fmt::format("{:>60}", stats) == "   " + text);
    CHECK(fmt::format("{:<60}|", stats) == text + "   |");
    CHECK(fmt::format("{:*^61}", stats) == "**" + text + "**");
    CHECK(fmt::format("{:*^40}", stats) == text); // a width below the text's size cuts nothing
    const int width = 59;
    CHECK(fmt::format("{:>{}}", stats, width) == "  " + text); // a width from an argument
}
#endif
