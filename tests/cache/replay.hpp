#ifndef EVBUS_TESTS_CACHE_REPLAY_HPP
#define EVBUS_TESTS_CACHE_REPLAY_HPP

#include <cstdint>

/// Replays trace through cache (get, and put on a miss) and through reference, whose access(key)
/// says whether it hit; returns the reference's hit count, for the test to compare with the cache's.
template<typename Cache, typename Reference, typename Trace>
std::uint64_t replay_against(Cache &cache, Reference &reference, const Trace &trace) {
    std::uint64_t expected_hits = 0;
    for(const auto key: trace) {
        expected_hits += reference.access(key) ? 1u : 0u;
        if(!cache.get(key)) {
            cache.put(key, key);
        }
    }
    return expected_hits;
}

#endif
