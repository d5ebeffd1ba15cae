#include <evbus/cache/cache.hpp>
#include <evbus/cache/coarse_clock.hpp>
#include <evbus/cache/ttl.hpp>

#include <catch2/catch.hpp>

#include <chrono>

TEST_CASE("coarse_steady_clock is a steady clock with a positive resolution", "[cache][clock]") {
    static_assert(evbus::coarse_steady_clock::is_steady);
    static_assert(std::is_same_v<evbus::coarse_steady_clock::duration, std::chrono::nanoseconds>);
    REQUIRE(evbus::coarse_steady_clock::resolution() > std::chrono::nanoseconds::zero());
    auto previous = evbus::coarse_steady_clock::now();
    for(int i = 0; i < 1000; ++i) {
        const auto now = evbus::coarse_steady_clock::now();
        REQUIRE(now >= previous);
        previous = now;
    }
    // Tracks the fine clock within a few ticks over a short interval.
    const auto fine_start = std::chrono::steady_clock::now();
    const auto coarse_start = evbus::coarse_steady_clock::now();
    while(std::chrono::steady_clock::now() - fine_start < std::chrono::milliseconds{30}) {
    }
    const auto coarse_elapsed = evbus::coarse_steady_clock::now() - coarse_start;
    REQUIRE(coarse_elapsed >= std::chrono::milliseconds{30} - 2 * evbus::coarse_steady_clock::resolution());
}

TEST_CASE("ttl<coarse_steady_clock> serves hits within the time to live", "[cache][clock][ttl]") {
    evbus::cache<int, int, evbus::ttl<evbus::coarse_steady_clock>> cache{4, std::chrono::hours{1}};
    cache.put(1, 10);
    auto hit = cache.get(1);
    REQUIRE(hit);
    REQUIRE(*hit == 10);
    REQUIRE_FALSE(cache.get(2));
    REQUIRE(cache.stats().hits == 1u);
}
