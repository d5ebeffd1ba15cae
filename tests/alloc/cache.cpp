#include <catch2/catch.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <evbus/cache/cache.hpp>
#include <evbus/cache/concurrent_cache.hpp>
#include <evbus/cache/lfu.hpp>
#include <evbus/cache/lru.hpp>
#include <evbus/cache/sieve.hpp>
#include <evbus/cache/wtinylfu.hpp>
#include <evbus/cache/memoize.hpp>
#include <evbus/cache/ttl.hpp>
#include "alloc_counter.hpp"

namespace {

using namespace std::chrono_literals;
constexpr std::uint64_t capacity = 256;

template<typename Cache>
void check_steady_state(Cache &cache) {
    for(std::uint64_t key = 0; key < capacity; ++key) {
        cache.put(key, key);
    }

    const std::size_t before_gets = alloc_counter::count();
    std::uint64_t sum = 0;
    for(int round = 0; round < 20; ++round) {
        for(std::uint64_t key = 0; key < capacity; ++key) {
            sum += *cache.get((key * 37u) % capacity);
        }
    }
    CHECK(alloc_counter::count() - before_gets == 0u);
    CHECK(sum == 20u * capacity * (capacity - 1u) / 2u);

    const std::size_t before_puts = alloc_counter::count();
    std::uint64_t evicting_puts = 0;
    for(std::uint64_t key = capacity; key < 20u * capacity; ++key) {
        evicting_puts += cache.put(key, key) ? 1u : 0u;
    }
    CHECK(alloc_counter::count() - before_puts == 0u);
    CHECK(evicting_puts == 19u * capacity);
    CHECK(cache.stats().evictions == 19u * capacity);
    CHECK(cache.size() == capacity);
}

} // namespace

TEST_CASE("alloc: cache get hits and evicting puts do not allocate", "[cache][alloc]") {
    SECTION("lru") {
        evbus::cache<std::uint64_t, std::uint64_t, evbus::lru> cache{capacity};
        check_steady_state(cache);
    }
    SECTION("lfu") {
        evbus::cache<std::uint64_t, std::uint64_t, evbus::lfu> cache{capacity};
        check_steady_state(cache);
    }
    SECTION("sieve") {
        evbus::cache<std::uint64_t, std::uint64_t, evbus::sieve> cache{capacity};
        check_steady_state(cache);
    }
    SECTION("wtinylfu") {
        evbus::cache<std::uint64_t, std::uint64_t, evbus::wtinylfu> cache{capacity};
        check_steady_state(cache);
    }
    SECTION("wtinylfu, adaptive window") { // the simulations replay every request of a cache this small
        evbus::wtinylfu::config settings;
        settings.adaptive = true;
        evbus::cache<std::uint64_t, std::uint64_t, evbus::wtinylfu> cache{capacity, settings};
        check_steady_state(cache);
    }
    SECTION("ttl") {
        evbus::cache<std::uint64_t, std::uint64_t, evbus::ttl<>> cache{capacity, 1h};
        check_steady_state(cache);
    }
}

TEST_CASE("alloc: a memoized hit does not allocate", "[cache][alloc]") {
    auto square = evbus::memoize(evbus::cache<std::uint64_t, std::uint64_t, evbus::lru>{capacity},
                                 [](std::uint64_t x) { return x * x; });
    for(std::uint64_t key = 0; key < capacity; ++key) {
        CHECK(square(key) == key * key);
    }
    const std::size_t before = alloc_counter::count();
    std::uint64_t sum = 0;
    for(int round = 0; round < 10; ++round) {
        for(std::uint64_t key = 0; key < capacity; ++key) {
            sum += square(key);
        }
    }
    CHECK(alloc_counter::count() - before == 0u);
    CHECK(sum > 0u);
    CHECK(square.cache().stats().misses == capacity);
}

TEST_CASE("alloc: concurrent_cache hits do not allocate", "[cache][alloc]") {
    evbus::concurrent_cache<std::uint64_t, std::uint64_t, evbus::lru> cache{evbus::shard_count{4}, 4u * capacity};
    for(std::uint64_t key = 0; key < capacity; ++key) {
        cache.put(key, key);
    }
    const std::size_t before = alloc_counter::count();
    std::uint64_t sum = 0;
    for(std::uint64_t key = 0; key < capacity; ++key) {
        sum += cache.get(key).value_or(0u);
        sum += cache.get_or_put(key, [] { return std::uint64_t{0}; });
    }
    CHECK(alloc_counter::count() - before == 0u);
    CHECK(sum == capacity * (capacity - 1u));
}
