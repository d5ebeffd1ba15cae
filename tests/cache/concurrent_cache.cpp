#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>
#include <evbus/cache/concurrent_cache.hpp>
#include <evbus/cache/lfu.hpp>
#include <evbus/cache/lru.hpp>
#include <evbus/cache/ttl.hpp>

#if EVBUS_HAS_EXCEPTIONS
namespace {

// A value whose copies throw on demand: with copy_countdown at n > 0, the n-th copy from now throws.
struct fragile {
    static inline std::atomic<int> copy_countdown{0};

    explicit fragile(int v) noexcept: value{v} {}
    fragile(const fragile &other): value{other.value} {
        if(copy_countdown.load() > 0 && --copy_countdown == 0) {
            throw std::runtime_error{"fragile: copy fails"};
        }
    }
    fragile(fragile &&) noexcept = default;
    fragile &operator=(const fragile &) = default;
    fragile &operator=(fragile &&) noexcept = default;
    ~fragile() = default;

    int value;
};

} // namespace
#endif

TEST_CASE("concurrent_cache: the plain cache's operations, with copies out", "[cache]") {
    evbus::concurrent_cache<int, std::string, evbus::lru> c{evbus::shard_count{4}, 64};
    CHECK(c.shards() == 4u);
    CHECK(c.capacity() == 64u);
    CHECK_FALSE(c.put(1, "one"));
    c.put(2, std::string{"two"});
    const std::optional<std::string> one = c.get(1);
    REQUIRE(one);
    CHECK(*one == "one");
    CHECK_FALSE(c.get(3));
    CHECK(c.contains(2));
    CHECK(c.size() == 2u);
    std::size_t length = 0;
    CHECK(c.visit(2, [&length](std::string &value) { length = value.size(); }));
    CHECK(length == 3u);
    CHECK_FALSE(c.visit(9, [](std::string &) {}));
    CHECK(c.erase(1));
    CHECK_FALSE(c.erase(1));
    CHECK(c.stats() == evbus::cache_stats{2u, 2u, 0u, 0u});
    c.reset_stats();
    CHECK(c.stats() == evbus::cache_stats{});
    c.clear();
    CHECK(c.size() == 0u);
}

TEST_CASE("concurrent_cache: shard count and capacity split", "[cache]") {
    evbus::concurrent_cache<int, int, evbus::lfu> odd{evbus::shard_count{3}, 10};
    CHECK(odd.shards() == 4u);
    CHECK(odd.capacity() == 12u);
    evbus::concurrent_cache<int, int, evbus::lfu> tiny{evbus::shard_count{16}, 3};
    CHECK(tiny.shards() == 2u);
    CHECK(tiny.capacity() == 4u);
    evbus::concurrent_cache<int, int, evbus::lfu> defaulted{1000};
    CHECK(defaulted.shards() >= 1u);
    CHECK(defaulted.shards() <= 64u);
    CHECK((defaulted.shards() & (defaulted.shards() - 1u)) == 0u);
    CHECK(defaulted.capacity() >= 1000u);
    evbus::concurrent_cache<int, int, evbus::ttl<>> timed{evbus::shard_count{2}, 8, std::chrono::minutes{1}};
    timed.put(1, 1);
    CHECK(timed.get(1) == std::optional<int>{1});
}

TEST_CASE("concurrent_cache: each shard evicts by its policy and stats are summed", "[cache]") {
    evbus::concurrent_cache<int, int, evbus::lru> c{evbus::shard_count{1}, 2};
    c.put(1, 1);
    c.put(2, 2);
    (void)c.get(1);
    CHECK(c.put(3, 3));
    CHECK_FALSE(c.contains(2));
    CHECK(c.stats() == evbus::cache_stats{1u, 0u, 1u, 0u});

    evbus::concurrent_cache<int, int, evbus::lru> sharded{evbus::shard_count{8}, 800};
    for(int i = 0; i < 50; ++i) {
        sharded.put(i, i);
        (void)sharded.get(i);
        (void)sharded.get(i + 1000);
    }
    CHECK(sharded.stats() == evbus::cache_stats{50u, 50u, 0u, 0u});
    CHECK(sharded.size() == 50u);
}

TEST_CASE("concurrent_cache: get_or_put computes on a miss and is moved with the cache", "[cache]") {
    evbus::concurrent_cache<int, int, evbus::lru> c{evbus::shard_count{2}, 8};
    int calls = 0;
    CHECK(c.get_or_put(1, [&calls] { return ++calls; }) == 1);
    CHECK(c.get_or_put(1, [&calls] { return ++calls; }) == 1);
    CHECK(calls == 1);
    auto moved = std::move(c);
    CHECK(moved.get(1) == std::optional<int>{1});
}

TEST_CASE("concurrent_cache: an invalidation during a computation wins", "[cache]") {
    evbus::concurrent_cache<int, int, evbus::lru> c{evbus::shard_count{2}, 8};
    CHECK(c.get_or_put(1, [&c] {
        c.erase(1);
        return 5;
    }) == 5);
    CHECK_FALSE(c.contains(1));
    CHECK(c.get_or_put(2, [&c] {
        c.put(2, 7);
        return 5;
    }) == 5);
    CHECK(c.get(2) == std::optional<int>{7});
    CHECK(c.get_or_put(3, [&c] {
        c.clear();
        return 5;
    }) == 5);
    CHECK_FALSE(c.contains(3));
    CHECK(c.get_or_put(1, [] { return 6; }) == 6);
    CHECK(c.get(1) == std::optional<int>{6});
}

TEST_CASE("concurrent_cache: concurrent puts, gets and erases stay consistent", "[cache]") {
    evbus::concurrent_cache<int, int, evbus::lfu> c{evbus::shard_count{4}, 64};
    std::vector<std::thread> pool;
    std::atomic<int> wrong{0};
    for(int t = 0; t < 4; ++t) {
        pool.emplace_back([&c, &wrong, t] {
            for(int i = 0; i < 2000; ++i) {
                const int key = (i * 13 + t) % 200;
                c.put(key, key * 2);
                if(const auto value = c.get((key + 1) % 200); value && *value != ((key + 1) % 200) * 2) {
                    wrong.fetch_add(1);
                }
                if(i % 7 == 0) {
                    c.erase(key);
                }
            }
        });
    }
    for(auto &thread: pool) {
        thread.join();
    }
    CHECK(wrong.load() == 0);
    CHECK(c.size() <= c.capacity());
    CHECK(c.stats().hits + c.stats().misses == 8000u);
}

#if EVBUS_HAS_EXCEPTIONS
TEST_CASE("concurrent_cache: invalid arguments", "[cache]") {
    using lru_cache = evbus::concurrent_cache<int, int, evbus::lru>;
    using ttl_cache = evbus::concurrent_cache<int, int, evbus::ttl<>>;
    const auto code_of = [](auto make) {
        try {
            make();
        } catch(const evbus::error &e) {
            return e.code();
        }
        return evbus::errc{};
    };
    CHECK(code_of([] { lru_cache c{0}; }) == evbus::errc::invalid_argument);
    CHECK(code_of([] { lru_cache c{evbus::shard_count{0}, 8}; }) == evbus::errc::invalid_argument);
    CHECK(code_of([] { ttl_cache c{8, std::chrono::seconds{0}}; }) == evbus::errc::invalid_argument);
    CHECK(code_of([] { ttl_cache c{8, std::chrono::seconds{-3}}; }) == evbus::errc::invalid_argument);
}

TEST_CASE("concurrent_cache: a throwing computation is retried by a waiter, once", "[cache]") {
    evbus::concurrent_cache<int, int, evbus::lru> c{evbus::shard_count{4}, 64};
    std::atomic<int> attempts{0};
    std::atomic<int> failures{0};
    std::atomic<int> wrong{0};
    std::atomic<bool> go{false};
    std::vector<std::thread> pool;
    for(int t = 0; t < 6; ++t) {
        pool.emplace_back([&] {
            while(!go.load(std::memory_order_acquire)) {
                std::this_thread::yield();
            }
            for(int i = 0; i < 50; ++i) {
                try {
                    const int value = c.get_or_put(42, [&attempts] {
                        if(attempts.fetch_add(1) == 0) {
                            std::this_thread::yield();
                            throw std::runtime_error{"first attempt fails"};
                        }
                        return 4242;
                    });
                    if(value != 4242) {
                        wrong.fetch_add(1);
                    }
                } catch(const std::runtime_error &) {
                    failures.fetch_add(1);
                }
            }
        });
    }
    go.store(true, std::memory_order_release);
    for(auto &thread: pool) {
        thread.join();
    }
    CHECK(failures.load() == 1);
    CHECK(attempts.load() == 2);
    CHECK(wrong.load() == 0);
    CHECK(c.get(42) == std::optional<int>{4242});
}
TEST_CASE("concurrent_cache: a computed value whose copy throws reaches its caller and wakes the waiters",
          "[cache][concurrent_cache]") {
    // 1: copying the value into the cache throws; 2: it is cached, then copying it for the waiters throws.
    const int failing_copy = GENERATE(1, 2);
    evbus::concurrent_cache<int, fragile, evbus::lru> c{evbus::shard_count{1}, 8};
    int waiter_runs = 0;
    std::optional<fragile> waiter_result;
    std::thread waiter;
    CHECK_THROWS_AS(c.get_or_put(7,
                                 [&] {
                                     waiter = std::thread{[&] {
                                         waiter_result.emplace(c.get_or_put(7, [&waiter_runs] {
                                             ++waiter_runs;
                                             return fragile{2};
                                         }));
                                     }};
                                     // The waiter counts its miss under the shard's lock and releases that
                                     // lock only by waiting for this computation: two misses mean it waits.
                                     while(c.stats().misses < 2u) {
                                         std::this_thread::yield();
                                     }
                                     fragile::copy_countdown = failing_copy;
                                     return fragile{1};
                                 }),
                    std::runtime_error);
    waiter.join();
    fragile::copy_countdown = 0;
    REQUIRE(waiter_result);
    CHECK(c.size() == 1u);
    if(failing_copy == 1) {
        // Nothing was cached: the woken waiter retried (a third miss) and computed the key itself.
        CHECK(waiter_runs == 1);
        CHECK(waiter_result->value == 2);
        CHECK(c.stats() == evbus::cache_stats{0u, 3u, 0u, 0u});
    } else {
        // The value was cached before the copy for the waiters threw: the retry hit it.
        CHECK(waiter_runs == 0);
        CHECK(waiter_result->value == 1);
        CHECK(c.stats() == evbus::cache_stats{1u, 2u, 0u, 0u});
    }
    // No computation is left in flight: the key can be erased and computed again.
    CHECK(c.erase(7));
    CHECK(c.get_or_put(7, [] { return fragile{3}; }).value == 3);
    CHECK(c.get(7)->value == 3);
}
TEST_CASE("concurrent_cache: a factory that asks for the key it computes raises recursive_computation",
          "[cache][concurrent_cache]") {
    // One shard: every key shares a mutex; eight: the keys below may land on different ones.
    const std::size_t shards = GENERATE(std::size_t{1}, std::size_t{8});
    evbus::concurrent_cache<int, int, evbus::lru> c{evbus::shard_count{shards}, 64};
    const auto code_of = [](auto call) {
        try {
            call();
        } catch(const evbus::error &e) {
            return e.code();
        }
        return evbus::errc{};
    };
    CHECK(std::string{evbus::to_string(evbus::errc::recursive_computation)} == "recursive_computation");
    int inner_runs = 0;

    SECTION("directly: the error leaves through the outer factory and nothing stays in flight") {
        CHECK(code_of([&] {
                  (void)c.get_or_put(1, [&] {
                      return c.get_or_put(1, [&inner_runs] {
                          ++inner_runs;
                          return 2;
                      });
                  });
              }) == evbus::errc::recursive_computation);
        CHECK(inner_runs == 0);
        CHECK_FALSE(c.contains(1));
        CHECK(c.get_or_put(1, [] { return 3; }) == 3);
        CHECK(c.get(1) == std::optional<int>{3});
    }

    SECTION("through another key: A's factory asks for B, whose factory asks for A") {
        CHECK(code_of([&] {
                  (void)c.get_or_put(1, [&] {
                      return c.get_or_put(2, [&] {
                          return c.get_or_put(1, [&inner_runs] {
                              ++inner_runs;
                              return 0;
                          });
                      });
                  });
              }) == evbus::errc::recursive_computation);
        CHECK(inner_runs == 0);
        CHECK(c.size() == 0u);
        CHECK(c.get_or_put(2, [] { return 20; }) == 20);
        CHECK(c.get_or_put(1, [] { return 10; }) == 10);
        CHECK(c.size() == 2u);
    }

    SECTION("the outer factory may catch the error and still return a value, which is cached") {
        evbus::errc seen{};
        CHECK(c.get_or_put(1, [&] {
            try {
                return c.get_or_put(1, [&inner_runs] {
                    ++inner_runs;
                    return 0;
                });
            } catch(const evbus::error &e) {
                seen = e.code();
            }
            return 5;
        }) == 5);
        CHECK(seen == evbus::errc::recursive_computation);
        CHECK(inner_runs == 0);
        CHECK(c.get(1) == std::optional<int>{5});
    }
}
#endif
