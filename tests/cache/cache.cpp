#include <catch2/catch.hpp>

#include <cstddef>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>
#include <evbus/cache/cache.hpp>
#include <evbus/cache/lru.hpp>

namespace {

struct tracked {
    static inline int alive = 0;
    int value;
    explicit tracked(int v) noexcept: value{v} { ++alive; }
    tracked(const tracked &other) noexcept: value{other.value} { ++alive; }
    tracked &operator=(const tracked &) = default;
    ~tracked() { --alive; }
};

struct string_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const noexcept { return std::hash<std::string_view>{}(text); }
};

struct string_equal {
    using is_transparent = void;
    bool operator()(std::string_view lhs, std::string_view rhs) const noexcept { return lhs == rhs; }
};

#if EVBUS_HAS_EXCEPTIONS
struct throws_on_copy {
    static inline bool armed = false;
    int value;
    explicit throws_on_copy(int v): value{v} {}
    throws_on_copy(const throws_on_copy &other): value{other.value} {
        if(armed) {
            throw 42;
        }
    }
    throws_on_copy &operator=(const throws_on_copy &) = default;
};

// A value whose copies throw on demand (failing_copies counts the copies still to fail): a copy
// construction throws before building anything, a copy assignment after writing `first` only, so
// an assignment that fails leaves a torn value. NothrowMove says whether its moves are noexcept.
template<bool NothrowMove>
struct torn_pair {
    static inline int failing_copies = 0;
    int first;
    int second;

    torn_pair(int a, int b) noexcept: first{a}, second{b} {}
    torn_pair(const torn_pair &other): first{other.first}, second{other.second} { fail_if_armed(); }
    torn_pair(torn_pair &&other) noexcept(NothrowMove): first{other.first}, second{other.second} {}
    torn_pair &operator=(const torn_pair &other) {
        first = other.first;
        fail_if_armed();
        second = other.second;
        return *this;
    }
    torn_pair &operator=(torn_pair &&other) noexcept(NothrowMove) {
        first = other.first;
        second = other.second;
        return *this;
    }
    ~torn_pair() = default;

    static void fail_if_armed() {
        if(failing_copies > 0) {
            --failing_copies;
            throw 7;
        }
    }

    friend bool operator==(const torn_pair &lhs, const torn_pair &rhs) noexcept {
        return lhs.first == rhs.first && lhs.second == rhs.second;
    }

    friend std::ostream &operator<<(std::ostream &out, const torn_pair &pair) {
        return out << '{' << pair.first << ", " << pair.second << '}';
    }
};
#endif

} // namespace

TEST_CASE("cache: put, get, erase, size, capacity, clear", "[cache]") {
    evbus::cache<int, std::string, evbus::lru> c{3};
    CHECK(c.capacity() == 3u);
    CHECK(c.empty());
    CHECK_FALSE(c.get(1));
    CHECK_FALSE(c.put(1, "one"));
    CHECK_FALSE(c.put(2, "two"));
    REQUIRE(c.size() == 2u);

    auto one = c.get(1);
    REQUIRE(one);
    CHECK(*one == "one");
    CHECK(one->size() == 3u);
    CHECK(one.value_or("none") == "one");
    CHECK(c.get(7).value_or("none") == "none");

    CHECK_FALSE(c.put(1, "uno"));
    CHECK(c.size() == 2u);
    CHECK(*c.get(1) == "uno");

    CHECK(c.erase(1));
    CHECK_FALSE(c.erase(1));
    CHECK_FALSE(c.contains(1));
    CHECK(c.size() == 1u);

    c.clear();
    CHECK(c.empty());
    CHECK_FALSE(c.contains(2));
    CHECK(c.stats().hits == 2u);
    CHECK(c.stats().misses == 2u);
    c.put(5, "five");
    CHECK(*c.get(5) == "five");
}

TEST_CASE("cache: put reports evictions and the value can be modified through the handle", "[cache]") {
    evbus::cache<int, int, evbus::lru> c{2};
    CHECK_FALSE(c.put(1, 10));
    CHECK_FALSE(c.put(2, 20));
    CHECK(c.put(3, 30));
    CHECK(c.stats().evictions == 1u);
    *c.get(3) += 1;
    CHECK(*c.get(3) == 31);
}

TEST_CASE("cache: peek and contains touch neither the policy nor the counters", "[cache]") {
    evbus::cache<int, int, evbus::lru> c{2};
    c.put(1, 1);
    c.put(2, 2);
    const auto &view = c;
    REQUIRE(view.peek(1));
    CHECK(*view.peek(1) == 1);
    CHECK(c.contains(1));
    CHECK_FALSE(c.contains(3));
    c.put(3, 3); // 1 is still the least recently used
    CHECK_FALSE(c.contains(1));
    CHECK(c.stats() == evbus::cache_stats{0u, 0u, 1u, 0u});
}

TEST_CASE("cache: emplace inserts only when absent", "[cache]") {
    evbus::cache<int, std::vector<int>, evbus::lru> c{2};
    auto [first, inserted] = c.emplace(1, 3u, 7);
    CHECK(inserted);
    CHECK(*first == std::vector<int>{7, 7, 7});
    auto [second, again] = c.emplace(1, 1u, 0);
    CHECK_FALSE(again);
    CHECK(*second == std::vector<int>{7, 7, 7});
}

TEST_CASE("cache: get_or_put computes on a miss only", "[cache]") {
    evbus::cache<int, int, evbus::lru> c{4};
    int calls = 0;
    auto factory = [&calls] { return ++calls * 100; };
    CHECK(*c.get_or_put(1, factory) == 100);
    CHECK(*c.get_or_put(1, factory) == 100);
    CHECK(calls == 1);
    CHECK(c.stats().hits == 1u);
    CHECK(c.stats().misses == 1u);
}

TEST_CASE("cache: get_or_put tolerates a factory that fills the cache", "[cache]") {
    evbus::cache<int, int, evbus::lru> c{2};
    const auto ref = c.get_or_put(1, [&c] {
        c.put(2, 2);
        c.put(3, 3);
        c.put(1, -1);
        return 1;
    });
    REQUIRE(ref);
    CHECK(*ref == 1);
    CHECK(c.size() == 2u);
    CHECK(*c.get(1) == 1);
}

TEST_CASE("cache: a value that aliases the victim is copied before the victim leaves", "[cache]") {
    evbus::cache<int, std::string, evbus::lru> c{1};
    c.put(1, std::string(64, 'x'));
    CHECK(c.put(2, *c.get(1)));
    CHECK_FALSE(c.contains(1));
    CHECK(*c.get(2) == std::string(64, 'x'));
}

TEST_CASE("cache: entries are destroyed exactly once", "[cache]") {
    tracked::alive = 0;
    {
        evbus::cache<int, tracked, evbus::lru> c{3};
        for(int i = 0; i < 10; ++i) {
            c.put(i, tracked{i});
        }
        CHECK(tracked::alive == 3);
        c.erase(9);
        CHECK(tracked::alive == 2);
        auto moved = std::move(c);
        CHECK(tracked::alive == 2);
        CHECK(moved.get(8)->value == 8);
        evbus::cache<int, tracked, evbus::lru> other{2};
        other.put(1, tracked{1});
        other = std::move(moved);
        CHECK(tracked::alive == 2);
        CHECK(other.size() == 2u);
        other.clear();
        CHECK(tracked::alive == 0);
        other.put(1, tracked{1});
    }
    CHECK(tracked::alive == 0);
}

TEST_CASE("cache: erase_if removes matching entries", "[cache]") {
    evbus::cache<int, int, evbus::lru> c{8};
    for(int i = 0; i < 8; ++i) {
        c.put(i, i * i);
    }
    CHECK(c.erase_if([](int key, int) { return key % 2 == 0; }) == 4u);
    CHECK(c.size() == 4u);
    for(int i = 0; i < 8; ++i) {
        CHECK(c.contains(i) == (i % 2 == 1));
    }
    for(int i = 8; i < 12; ++i) {
        c.put(i, i);
    }
    CHECK(c.size() == 8u);
    CHECK(c.stats().evictions == 0u);
}

TEST_CASE("cache: heterogeneous lookup with transparent hash and equality", "[cache]") {
    evbus::cache<std::string, int, evbus::lru, string_hash, string_equal> c{4};
    c.put("alpha", 1);
    constexpr std::string_view key{"alpha"};
    REQUIRE(c.get(key));
    CHECK(*c.get(key) == 1);
    CHECK(c.contains(key));
    CHECK(c.erase(key));
    CHECK_FALSE(c.contains(std::string{"alpha"}));
}

TEST_CASE("cache: colliding hashes still find the right entry", "[cache]") {
    struct constant_hash {
        std::size_t operator()(int) const noexcept { return 7u; }
    };
    evbus::cache<int, int, evbus::lru, constant_hash> c{16};
    for(int i = 0; i < 16; ++i) {
        c.put(i, -i);
    }
    for(int i = 0; i < 16; ++i) {
        REQUIRE(c.get(i));
        CHECK(*c.get(i) == -i);
    }
    c.erase(5);
    c.put(100, 100); // no eviction needed
    CHECK(c.stats().evictions == 0u);
    CHECK(*c.get(100) == 100);
    CHECK_FALSE(c.contains(5));
}

#if EVBUS_HAS_EXCEPTIONS
TEST_CASE("cache: zero capacity is an invalid argument", "[cache]") {
    using lru_cache = evbus::cache<int, int, evbus::lru>;
    REQUIRE_THROWS_AS(lru_cache{0}, evbus::error);
    try {
        lru_cache c{0};
        FAIL("no error");
    } catch(const evbus::error &e) {
        CHECK(e.code() == evbus::errc::invalid_argument);
    }
}

TEST_CASE("cache: a throwing copy leaves the cache unchanged", "[cache]") {
    evbus::cache<int, throws_on_copy, evbus::lru> c{2};
    c.put(1, throws_on_copy{1});
    c.put(2, throws_on_copy{2});
    const throws_on_copy incoming{3};
    throws_on_copy::armed = true;
    CHECK_THROWS_AS(c.put(3, incoming), int);
    throws_on_copy::armed = false;
    CHECK(c.size() == 2u);
    CHECK(c.contains(1));
    CHECK(c.contains(2));
    CHECK_FALSE(c.contains(3));
    CHECK(c.stats().evictions == 0u);
    CHECK(c.put(3, incoming));
    CHECK_FALSE(c.contains(1));
}

TEST_CASE("cache: get_or_put with a throwing factory inserts nothing", "[cache]") {
    evbus::cache<int, int, evbus::lru> c{2};
    CHECK_THROWS_AS(c.get_or_put(1, []() -> int { throw 1; }), int);
    CHECK(c.empty());
    CHECK(*c.get_or_put(1, [] { return 5; }) == 5);
}
namespace {
/// A cache of {1,1} and {2,2} (key 1 the least recently used) after a put of {9,9} over key 1
/// whose copy threw; checks that the put threw and that the size and counters are as before.
template<bool NothrowMove>
void put_over_key_with_a_failing_copy(evbus::cache<int, torn_pair<NothrowMove>, evbus::lru> &c) {
    using value = torn_pair<NothrowMove>;
    c.put(1, value{1, 1});
    c.put(2, value{2, 2});
    const value incoming{9, 9};
    value::failing_copies = 1;
    CHECK_THROWS_AS(c.put(1, incoming), int);
    value::failing_copies = 0;
    REQUIRE(c.peek(1));
    CHECK(c.size() == 2u);
    CHECK(c.stats() == evbus::cache_stats{});
}
} // namespace

TEST_CASE("cache: replacing a value whose copy throws leaves the old value when V moves without throwing", "[cache]") {
    using value = torn_pair<true>;
    evbus::cache<int, value, evbus::lru> c{2};
    put_over_key_with_a_failing_copy(c);
    // Nothing changed: the old value whole, and the LRU order.
    CHECK(*c.peek(1) == value{1, 1});
    CHECK(c.put(3, value{3, 3}));
    CHECK_FALSE(c.contains(1));
    CHECK(c.contains(2));
    const value incoming{9, 9};
    // Without a failure the copy replaces the value and counts as a use.
    c.put(2, incoming);
    CHECK(*c.peek(2) == value{9, 9});
    CHECK(c.put(4, value{4, 4}));
    CHECK(c.contains(2));
    CHECK_FALSE(c.contains(3));
}

TEST_CASE("cache: replacing a value whose move may throw gives the guarantee of V's assignment", "[cache]") {
    using value = torn_pair<false>;
    evbus::cache<int, value, evbus::lru> c{2};
    put_over_key_with_a_failing_copy(c);
    // The key stays, holding what V's copy assignment left (here half written); the LRU order is
    // as before the put.
    CHECK(*c.peek(1) == value{9, 1});
    CHECK(c.put(3, value{3, 3}));
    CHECK_FALSE(c.contains(1));
    CHECK(c.contains(2));
}
#endif
