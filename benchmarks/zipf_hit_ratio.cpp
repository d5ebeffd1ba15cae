// Hit ratio of each policy on synthetic Zipf traces, as a markdown table.
//   zipf_hit_ratio [requests=1000000] [keys=100000]

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>
#include <evbus/cache/cache.hpp>
#include <evbus/cache/lfu.hpp>
#include <evbus/cache/lru.hpp>
#include <evbus/cache/sieve.hpp>
#include <evbus/cache/ttl.hpp>
#include <evbus/cache/wtinylfu.hpp>
#include "zipf.hpp"

namespace {

// Logical time: one tick per request, so a TTL is measured in requests.
struct request_clock {
    using rep = std::int64_t;
    using period = std::ratio<1>;
    using duration = std::chrono::duration<rep, period>;
    using time_point = std::chrono::time_point<request_clock>;
    static time_point now() noexcept { return current; }
    static inline time_point current{};
};

template<typename Cache, typename... Args>
double replay(const std::vector<std::uint64_t> &trace, std::size_t capacity, Args... args) {
    request_clock::current = request_clock::time_point{};
    Cache cache{capacity, args...};
    for(const auto key: trace) {
        request_clock::current += request_clock::duration{1};
        if(!cache.get(key)) {
            cache.put(key, key);
        }
    }
    return cache.stats().hit_ratio();
}

// Best hit ratio of any cache that pins a fixed set of keys: the probability mass of the hottest ones.
double top_keys_mass(std::size_t keys, double alpha, std::size_t capacity) {
    double total = 0.0;
    double top = 0.0;
    for(std::size_t k = 0; k < keys; ++k) {
        const double weight = 1.0 / std::pow(static_cast<double>(k + 1u), alpha);
        total += weight;
        top += k < capacity ? weight : 0.0;
    }
    return top / total;
}

} // namespace

int main(int argc, char **argv) {
    const std::size_t requests = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1000000u;
    const std::size_t keys = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 100000u;
    using key = std::uint64_t;
    using lru_cache = evbus::cache<key, key, evbus::lru>;
    using lfu_cache = evbus::cache<key, key, evbus::lfu>;
    using sieve_cache = evbus::cache<key, key, evbus::sieve>;
    using wtinylfu_cache = evbus::cache<key, key, evbus::wtinylfu>;
    using ttl_cache = evbus::cache<key, key, evbus::ttl<request_clock>>;
    const auto never = request_clock::duration{static_cast<request_clock::rep>(requests) + 1};
    const auto short_ttl = request_clock::duration{10000};

    std::printf("Zipf traces: %zu keys, %zu requests, seed 2024; hit ratio after a cold start.\n\n", keys, requests);
    std::printf(
        "| alpha | cache | lru | lfu | sieve | wtinylfu | ttl, no expiry (fifo) | ttl = 10k requests | top-k mass "
        "|\n");
    std::printf("|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for(const double alpha: {0.8, 0.9, 1.0}) {
        const auto trace = evbus_bench::zipf_trace(keys, alpha, requests, 2024u);
        for(const std::size_t capacity: {100u, 1000u, 10000u}) {
            std::printf("| %.1f | %zu | %.4f | %.4f | %.4f | %.4f | %.4f | %.4f | %.4f |\n", alpha, capacity,
                        replay<lru_cache>(trace, capacity), replay<lfu_cache>(trace, capacity),
                        replay<sieve_cache>(trace, capacity), replay<wtinylfu_cache>(trace, capacity),
                        replay<ttl_cache>(trace, capacity, never), replay<ttl_cache>(trace, capacity, short_ttl),
                        top_keys_mass(keys, alpha, capacity));
        }
    }
    return 0;
}
