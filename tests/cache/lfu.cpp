#include <catch2/catch.hpp>

#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <tuple>
#include <utility>
#include <evbus/cache/cache.hpp>
#include <evbus/cache/lfu.hpp>
#include "../../benchmarks/zipf.hpp"
#include "replay.hpp"

namespace {

// Straightforward LFU: entries ordered by (uses, time of last use); the first one goes.
class reference_lfu {
public:
    explicit reference_lfu(std::size_t capacity): capacity_{capacity} {}

    bool access(std::uint64_t key) {
        ++clock_;
        if(const auto it = state_.find(key); it != state_.end()) {
            order_.erase({it->second.first, it->second.second, key});
            it->second = {it->second.first + 1u, clock_};
            order_.insert({it->second.first, clock_, key});
            return true;
        }
        if(state_.size() == capacity_) {
            const auto victim = *order_.begin();
            order_.erase(order_.begin());
            state_.erase(std::get<2>(victim));
        }
        state_[key] = {1u, clock_};
        order_.insert({1u, clock_, key});
        return false;
    }

private:
    std::size_t capacity_;
    std::uint64_t clock_{};
    std::map<std::uint64_t, std::pair<std::uint64_t, std::uint64_t>> state_;
    std::set<std::tuple<std::uint64_t, std::uint64_t, std::uint64_t>> order_;
};

} // namespace

TEST_CASE("lfu: evicts the least frequently used entry, ties to the least recently used", "[cache]") {
    evbus::cache<char, int, evbus::lfu> c{3};
    c.put('a', 1);
    c.put('b', 2);
    c.put('c', 3);
    (void)c.get('a');
    (void)c.get('a'); // a:3 b:1 c:1
    (void)c.get('b'); // a:3 b:2 c:1
    c.put('d', 4);    // evicts c (1 use)
    CHECK_FALSE(c.contains('c'));
    c.put('e', 5); // d:1 is the only entry with one use
    CHECK_FALSE(c.contains('d'));
    (void)c.get('e'); // a:3 b:2 e:2, e used after b
    c.put('f', 6);    // tie at 2 uses: b is the least recently used
    CHECK_FALSE(c.contains('b'));
    CHECK(c.contains('a'));
    CHECK(c.contains('e'));
    CHECK(c.contains('f'));
    CHECK(c.stats().evictions == 3u);
}

TEST_CASE("lfu: a new key is always admitted", "[cache]") {
    evbus::cache<int, int, evbus::lfu> c{2};
    c.put(1, 1);
    c.put(2, 2);
    for(int i = 0; i < 10; ++i) {
        (void)c.get(1);
        (void)c.get(2);
    }
    CHECK(c.put(3, 3));
    CHECK(c.contains(3));
    CHECK(c.contains(2));
    CHECK_FALSE(c.contains(1)); // 1 and 2 tie at 11 uses; 1 was used less recently
    CHECK(c.put(4, 4));         // 3 has one use
    CHECK_FALSE(c.contains(3));
}

TEST_CASE("lfu: frequencies count gets and updates", "[cache]") {
    evbus::cache<int, int, evbus::lfu> c{4};
    c.put(1, 1);
    c.put(2, 2);
    (void)c.get(1);
    c.put(1, 10);
    (void)c.get(2);
    c.put(3, 3);
    CHECK(c.policy_state().frequency(0) == 3u);
    CHECK(c.policy_state().frequency(1) == 2u);
    CHECK(c.policy_state().frequency(2) == 1u);
    c.erase(1);
    c.put(4, 4);
    c.put(5, 5);
    c.put(6, 6); // full: 4 entries; 6 evicts the oldest one-use entry, 3
    CHECK_FALSE(c.contains(3));
    c.clear();
    c.put(7, 7);
    (void)c.get(7);
    CHECK(*c.get(7) == 7);
    CHECK(c.size() == 1u);
}

TEST_CASE("lfu: a Zipf trace hits exactly as often as a reference LFU", "[cache]") {
    const auto trace = evbus_bench::zipf_trace(5000, 0.9, 100000, 7);
    for(const std::size_t capacity: {1u, 10u, 100u, 1000u}) {
        evbus::cache<std::uint64_t, std::uint64_t, evbus::lfu> c{capacity};
        reference_lfu reference{capacity};
        const std::uint64_t expected_hits = replay_against(c, reference, trace);
        INFO("capacity " << capacity);
        CHECK(c.stats().hits == expected_hits);
        CHECK(c.stats().evictions == c.stats().misses - c.size());
    }
}
