#include <catch2/catch.hpp>

#include <cstddef>
#include <cstdint>
#include <list>
#include <unordered_map>
#include <vector>
#include <evbus/cache/cache.hpp>
#include <evbus/cache/lru.hpp>
#include "../../benchmarks/zipf.hpp"
#include "replay.hpp"

namespace {

// Textbook LRU: a list from most to least recently used and a map into it.
class reference_lru {
public:
    explicit reference_lru(std::size_t capacity): capacity_{capacity} {}

    bool access(std::uint64_t key) {
        if(const auto it = where_.find(key); it != where_.end()) {
            order_.splice(order_.begin(), order_, it->second);
            return true;
        }
        if(order_.size() == capacity_) {
            where_.erase(order_.back());
            order_.pop_back();
        }
        order_.push_front(key);
        where_[key] = order_.begin();
        return false;
    }

private:
    std::size_t capacity_;
    std::list<std::uint64_t> order_;
    std::unordered_map<std::uint64_t, std::list<std::uint64_t>::iterator> where_;
};

} // namespace

TEST_CASE("lru: evicts the least recently used entry", "[cache]") {
    evbus::cache<char, int, evbus::lru> c{3};
    c.put('a', 1);
    c.put('b', 2);
    c.put('c', 3);
    CHECK(c.get('a')); // order: b c a
    c.put('b', 20);    // an update is a use: c a b
    c.put('d', 4);     // evicts c
    CHECK_FALSE(c.contains('c'));
    CHECK(c.get('a')); // b d a
    c.put('e', 5);     // evicts b
    CHECK_FALSE(c.contains('b'));
    c.put('f', 6); // evicts d
    CHECK_FALSE(c.contains('d'));
    CHECK(c.contains('a'));
    CHECK(c.contains('e'));
    CHECK(c.contains('f'));
    CHECK(c.stats() == evbus::cache_stats{2u, 0u, 3u, 0u});
}

TEST_CASE("lru: the order is visible through the policy state", "[cache]") {
    evbus::cache<int, int, evbus::lru> c{4};
    for(int i = 0; i < 4; ++i) {
        c.put(i, i);
    }
    (void)c.get(1);
    (void)c.get(0);
    std::vector<int> keys;
    const auto &order = c.policy_state().order();
    for(std::size_t slot = order.front(); slot != evbus::slot_list::npos; slot = order.next(slot)) {
        keys.push_back(static_cast<int>(slot));
    }
    // Slots are handed out in order on an empty cache, so slot i holds key i here.
    CHECK(keys == std::vector<int>{2, 3, 1, 0});
}

TEST_CASE("lru: capacity one keeps the last key", "[cache]") {
    evbus::cache<int, int, evbus::lru> c{1};
    c.put(1, 1);
    CHECK(c.put(2, 2));
    CHECK_FALSE(c.contains(1));
    CHECK_FALSE(c.put(2, 3));
    CHECK(*c.get(2) == 3);
}

TEST_CASE("lru: a Zipf trace hits exactly as often as a reference LRU", "[cache]") {
    const auto trace = evbus_bench::zipf_trace(10000, 0.9, 200000, 42);
    for(const std::size_t capacity: {1u, 10u, 100u, 1000u}) {
        evbus::cache<std::uint64_t, std::uint64_t, evbus::lru> c{capacity};
        reference_lru reference{capacity};
        const std::uint64_t expected_hits = replay_against(c, reference, trace);
        INFO("capacity " << capacity);
        CHECK(c.stats().hits == expected_hits);
        CHECK(c.stats().misses == trace.size() - expected_hits);
        CHECK(c.stats().evictions == c.stats().misses - c.size());
        CHECK(c.size() == capacity);
    }
}
