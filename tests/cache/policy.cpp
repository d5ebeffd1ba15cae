#include <catch2/catch.hpp>

#include <cstddef>
#include <vector>
#include <evbus/cache/cache.hpp>
#include <evbus/cache/lfu.hpp>
#include <evbus/cache/lru.hpp>
#include <evbus/cache/policy.hpp>
#include <evbus/cache/slot_list.hpp>
#include <evbus/cache/ttl.hpp>

namespace {

// A user policy written against the documented concept only: first in, first out.
struct fifo {
    template<typename Key>
    struct type {
        explicit type(std::size_t slots): order{slots} {}
        void on_insert(std::size_t slot, const Key &) noexcept { order.push_back(slot); }
        void on_access(std::size_t) noexcept {}
        void on_erase(std::size_t slot) noexcept { order.erase(slot); }
        std::size_t victim() const noexcept { return order.front(); }
        evbus::slot_list order;
    };
};

// Only the required hooks, recording the calls; the cache must fall back to on_access and on_erase.
struct recording {
    static inline std::vector<char> calls{};

    template<typename Key>
    struct type {
        explicit type(std::size_t slots, int tag): order{slots} { CHECK(tag == 7); }
        void on_insert(std::size_t slot, const Key &) {
            calls.push_back('i');
            order.push_back(slot);
        }
        void on_access(std::size_t slot) {
            calls.push_back('a');
            order.move_to_back(slot);
        }
        void on_erase(std::size_t slot) {
            calls.push_back('e');
            order.erase(slot);
        }
        std::size_t victim() {
            calls.push_back('v');
            return order.front();
        }
        evbus::slot_list order;
    };
};

struct no_type {};

struct no_victim {
    template<typename Key>
    struct type {
        void on_insert(std::size_t, const Key &) {}
        void on_access(std::size_t) {}
        void on_erase(std::size_t) {}
    };
};

struct wrong_insert {
    template<typename Key>
    struct type {
        void on_insert(std::size_t) {}
        void on_access(std::size_t) {}
        void on_erase(std::size_t) {}
        std::size_t victim() { return 0; }
    };
};

} // namespace

static_assert(evbus::is_cache_policy_v<evbus::lru, int>);
static_assert(evbus::is_cache_policy_v<evbus::lfu, int>);
static_assert(evbus::is_cache_policy_v<evbus::ttl<>, int>);
static_assert(evbus::is_cache_policy_v<fifo, int>);
static_assert(evbus::is_cache_policy<recording, int>::value);
static_assert(!evbus::is_cache_policy_v<no_type, int>);
static_assert(!evbus::is_cache_policy_v<no_victim, int>);
static_assert(!evbus::is_cache_policy_v<wrong_insert, int>);
static_assert(!evbus::is_cache_policy_v<int, int>);
#if EVBUS_HAS_CONCEPTS
static_assert(evbus::cache_policy<evbus::lru, int>);
static_assert(evbus::cache_policy<fifo, int>);
static_assert(!evbus::cache_policy<no_victim, int>);
static_assert(!evbus::cache_policy<wrong_insert, int>);
static_assert(!evbus::cache_policy<no_type, int>);
#endif

TEST_CASE("policy: a user-written FIFO policy plugs in", "[cache]") {
    evbus::cache<int, int, fifo> c{3};
    c.put(1, 1);
    c.put(2, 2);
    c.put(3, 3);
    (void)c.get(1);
    c.put(1, 10);       // neither reads nor updates reorder a FIFO
    CHECK(c.put(4, 4)); // evicts 1, the first in
    CHECK_FALSE(c.contains(1));
    CHECK(c.put(5, 5)); // evicts 2
    CHECK_FALSE(c.contains(2));
    c.erase(3);
    CHECK_FALSE(c.put(6, 6));
    CHECK(c.put(7, 7)); // evicts 4
    CHECK_FALSE(c.contains(4));
    c.clear(); // no clear() hook: one on_erase per entry
    CHECK(c.empty());
    c.put(8, 8);
    c.put(9, 9);
    c.put(10, 10);
    CHECK(c.put(11, 11));
    CHECK_FALSE(c.contains(8));
}

TEST_CASE("policy: hook calls and defaults for optional hooks", "[cache]") {
    recording::calls.clear();
    evbus::cache<int, int, recording> c{2, 7};
    c.put(1, 1);    // i
    c.put(2, 2);    // i
    (void)c.get(1); // a
    c.put(2, 20);   // update without on_update: a
    c.put(3, 3);    // v e i: evicts 1
    c.erase(3);     // e
    c.clear();      // e (for 2)
    CHECK(recording::calls == std::vector<char>{'i', 'i', 'a', 'a', 'v', 'e', 'i', 'e', 'e'});
    CHECK(c.stats().evictions == 1u);
    CHECK_FALSE(c.contains(1));
}

namespace {

// Both on_access overloads and the hashed on_insert: the cache must call the hashed on_access on a
// get hit, with the hash on_insert received for the same key; put over a key still takes on_access.
struct hashed {
    struct call {
        char what;
        std::size_t slot;
        std::size_t hash;
    };
    static inline std::vector<call> calls{};

    template<typename Key>
    struct type {
        explicit type(std::size_t slots): order{slots} {}
        void on_insert(std::size_t slot, const Key &, std::size_t hash) {
            calls.push_back({'i', slot, hash});
            order.push_back(slot);
        }
        void on_access(std::size_t slot) {
            calls.push_back({'a', slot, 0u});
            order.move_to_back(slot);
        }
        void on_access(std::size_t slot, std::size_t hash) {
            calls.push_back({'h', slot, hash});
            order.move_to_back(slot);
        }
        void on_erase(std::size_t slot) { order.erase(slot); }
        std::size_t victim() const { return order.front(); }
        evbus::slot_list order;
    };
};

// A hasher unlike std::hash<int> (identity in libstdc++), so that a hash passed on is told apart from the key.
struct scrambled {
    std::size_t operator()(int key) const noexcept { return static_cast<std::size_t>(key) * 0x9e3779b97f4a7c15u + 1u; }
};

} // namespace

TEST_CASE("policy: on_access(slot, hash) is called on a hit with the hash on_insert received", "[cache]") {
    hashed::calls.clear();
    evbus::cache<int, int, hashed, scrambled> c{4};
    c.put(5, 50);
    REQUIRE(c.get(5));
    c.put(5, 51); // an update: on_access without the hash (no on_update hook)
    CHECK_FALSE(c.get(6));
    REQUIRE(hashed::calls.size() == 3u);
    CHECK(hashed::calls[0].what == 'i');
    CHECK(hashed::calls[0].hash == scrambled{}(5));
    CHECK(hashed::calls[1].what == 'h');
    CHECK(hashed::calls[1].slot == hashed::calls[0].slot);
    CHECK(hashed::calls[1].hash == scrambled{}(5));
    CHECK(hashed::calls[2].what == 'a');
    CHECK(hashed::calls[2].slot == hashed::calls[0].slot);
}
