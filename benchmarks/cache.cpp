// Cache lookups against their floor, std::unordered_map::find, on the same keys and access order;
// and a memoized call against a direct call of the same function.
//   bench_cache --benchmark_repetitions=5 --benchmark_report_aggregates_only=true

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <random>
#include <unordered_map>
#include <vector>
#include <evbus/cache/cache.hpp>
#include <evbus/cache/coarse_clock.hpp>
#include <evbus/cache/concurrent_cache.hpp>
#include <evbus/cache/lfu.hpp>
#include <evbus/cache/lru.hpp>
#include <evbus/cache/sieve.hpp>
#include <evbus/cache/wtinylfu.hpp>
#include <evbus/cache/memoize.hpp>
#include <evbus/cache/ttl.hpp>

namespace {

constexpr std::size_t key_count = 1000;
constexpr std::size_t order_size = 1u << 14u;

// A clock that never moves: TTL lookups without the cost of reading a real clock.
struct frozen_clock {
    using rep = std::int64_t;
    using period = std::nano;
    using duration = std::chrono::nanoseconds;
    using time_point = std::chrono::time_point<frozen_clock>;
    static time_point now() noexcept { return time_point{}; }
};

struct workload {
    std::vector<std::uint64_t> keys;
    std::vector<std::uint64_t> order;

    workload() {
        std::mt19937_64 engine{12345};
        keys.resize(key_count);
        for(auto &key: keys) {
            key = engine();
        }
        order.resize(order_size);
        for(auto &key: order) {
            key = keys[static_cast<std::size_t>(engine() % key_count)];
        }
    }
};

const workload &data() {
    static const workload instance;
    return instance;
}

void get_hit_unordered_map_find(benchmark::State &state) {
    const auto &w = data();
    std::unordered_map<std::uint64_t, std::uint64_t> map;
    for(const auto key: w.keys) {
        map.emplace(key, key);
    }
    std::size_t i = 0;
    for(auto _: state) {
        const auto it = map.find(w.order[i++ & (order_size - 1u)]);
        benchmark::DoNotOptimize(it->second);
    }
}

template<typename Cache, typename... Args>
void get_hit(benchmark::State &state, Args... args) {
    const auto &w = data();
    Cache cache{key_count, args...};
    for(const auto key: w.keys) {
        cache.put(key, key);
    }
    std::size_t i = 0;
    for(auto _: state) {
        const auto value = cache.get(w.order[i++ & (order_size - 1u)]);
        benchmark::DoNotOptimize(*value);
    }
    if(cache.stats().misses != 0u) {
        state.SkipWithError("a lookup missed");
    }
}

template<typename Cache, typename... Args>
void put_evicting(benchmark::State &state, Args... args) {
    const auto &w = data();
    Cache cache{key_count / 2u, args...};
    std::size_t i = 0;
    for(auto _: state) {
        const auto key = w.order[i++ & (order_size - 1u)];
        if(!cache.get(key)) {
            cache.put(key, key);
        }
    }
    benchmark::DoNotOptimize(cache.size());
}

using namespace std::chrono_literals;
using lru_cache = evbus::cache<std::uint64_t, std::uint64_t, evbus::lru>;
using lfu_cache = evbus::cache<std::uint64_t, std::uint64_t, evbus::lfu>;
using sieve_cache = evbus::cache<std::uint64_t, std::uint64_t, evbus::sieve>;
using wtinylfu_cache = evbus::cache<std::uint64_t, std::uint64_t, evbus::wtinylfu>;
using ttl_steady_cache = evbus::cache<std::uint64_t, std::uint64_t, evbus::ttl<>>;
using ttl_coarse_cache = evbus::cache<std::uint64_t, std::uint64_t, evbus::ttl<evbus::coarse_steady_clock>>;
using ttl_frozen_cache = evbus::cache<std::uint64_t, std::uint64_t, evbus::ttl<frozen_clock>>;
using concurrent_lru_cache = evbus::concurrent_cache<std::uint64_t, std::uint64_t, evbus::lru>;

void get_hit_lru(benchmark::State &state) { get_hit<lru_cache>(state); }
void get_hit_lfu(benchmark::State &state) { get_hit<lfu_cache>(state); }
void get_hit_sieve(benchmark::State &state) { get_hit<sieve_cache>(state); }
void get_hit_wtinylfu(benchmark::State &state) { get_hit<wtinylfu_cache>(state); }
// The adaptive window's simulations replay every request of a cache this small (1,000 entries).
evbus::wtinylfu::config adaptive_window() {
    evbus::wtinylfu::config settings;
    settings.adaptive = true;
    return settings;
}
void get_hit_wtinylfu_adaptive(benchmark::State &state) { get_hit<wtinylfu_cache>(state, adaptive_window()); }
void get_hit_ttl_steady_clock(benchmark::State &state) { get_hit<ttl_steady_cache>(state, 1h); }
void get_hit_ttl_frozen_clock(benchmark::State &state) { get_hit<ttl_frozen_cache>(state, 1h); }
void get_hit_ttl_coarse_clock(benchmark::State &state) { get_hit<ttl_coarse_cache>(state, 1h); }

// What a TTL lookup pays on top of the others: one read of the real clock.
void steady_clock_now(benchmark::State &state) {
    for(auto _: state) {
        benchmark::DoNotOptimize(std::chrono::steady_clock::now());
    }
}

void get_hit_concurrent_lru(benchmark::State &state) {
    const auto &w = data();
    concurrent_lru_cache cache{evbus::shard_count{8}, key_count * 2u};
    for(const auto key: w.keys) {
        cache.put(key, key);
    }
    std::size_t i = 0;
    for(auto _: state) {
        benchmark::DoNotOptimize(cache.get(w.order[i++ & (order_size - 1u)]));
    }
}

void get_or_put_evicting_lru(benchmark::State &state) { put_evicting<lru_cache>(state); }
void get_or_put_evicting_lfu(benchmark::State &state) { put_evicting<lfu_cache>(state); }
void get_or_put_evicting_sieve(benchmark::State &state) { put_evicting<sieve_cache>(state); }
void get_or_put_evicting_wtinylfu(benchmark::State &state) { put_evicting<wtinylfu_cache>(state); }
void get_or_put_evicting_wtinylfu_adaptive(benchmark::State &state) {
    put_evicting<wtinylfu_cache>(state, adaptive_window());
}
void get_or_put_evicting_ttl_frozen_clock(benchmark::State &state) { put_evicting<ttl_frozen_cache>(state, 1h); }

std::uint64_t cheap(std::uint64_t x) noexcept { return x * 0x9E3779B97F4A7C15ull + 1u; }

// About 256 dependent multiply-xorshift rounds.
std::uint64_t expensive(std::uint64_t x) noexcept {
    for(int round = 0; round < 256; ++round) {
        x ^= x >> 29u;
        x *= 0xBF58476D1CE4E5B9ull;
    }
    return x;
}

template<std::uint64_t (*Function)(std::uint64_t) noexcept>
void direct(benchmark::State &state) {
    const auto &w = data();
    std::size_t i = 0;
    for(auto _: state) {
        benchmark::DoNotOptimize(Function(w.order[i++ & (order_size - 1u)]));
    }
}

template<std::uint64_t (*Function)(std::uint64_t) noexcept>
void memoized(benchmark::State &state) {
    const auto &w = data();
    auto f = evbus::memoize(lru_cache{key_count}, [](std::uint64_t x) { return Function(x); });
    for(const auto key: w.keys) {
        benchmark::DoNotOptimize(f(key));
    }
    std::size_t i = 0;
    for(auto _: state) {
        benchmark::DoNotOptimize(f(w.order[i++ & (order_size - 1u)]));
    }
}

void memoize_direct_cheap(benchmark::State &state) { direct<&cheap>(state); }
void memoize_memoized_cheap(benchmark::State &state) { memoized<&cheap>(state); }
void memoize_direct_expensive(benchmark::State &state) { direct<&expensive>(state); }
void memoize_memoized_expensive(benchmark::State &state) { memoized<&expensive>(state); }

} // namespace

BENCHMARK(get_hit_unordered_map_find);
BENCHMARK(get_hit_lru);
BENCHMARK(get_hit_lfu);
BENCHMARK(get_hit_sieve);
BENCHMARK(get_hit_wtinylfu);
BENCHMARK(get_hit_wtinylfu_adaptive);
BENCHMARK(get_hit_ttl_steady_clock);
BENCHMARK(get_hit_ttl_frozen_clock);
BENCHMARK(get_hit_ttl_coarse_clock);
BENCHMARK(steady_clock_now);
BENCHMARK(get_hit_concurrent_lru);
BENCHMARK(get_or_put_evicting_lru);
BENCHMARK(get_or_put_evicting_lfu);
BENCHMARK(get_or_put_evicting_sieve);
BENCHMARK(get_or_put_evicting_wtinylfu);
BENCHMARK(get_or_put_evicting_wtinylfu_adaptive);
BENCHMARK(get_or_put_evicting_ttl_frozen_clock);
BENCHMARK(memoize_direct_cheap);
BENCHMARK(memoize_memoized_cheap);
BENCHMARK(memoize_direct_expensive);
BENCHMARK(memoize_memoized_expensive);

BENCHMARK_MAIN();
