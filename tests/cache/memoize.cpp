#include <catch2/catch.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>
#include <evbus/cache/cache.hpp>
#include <evbus/cache/concurrent_cache.hpp>
#include <evbus/cache/lfu.hpp>
#include <evbus/cache/lru.hpp>
#include <evbus/cache/memoize.hpp>

TEST_CASE("memoize: the function runs on a miss only", "[cache]") {
    int calls = 0;
    auto square = evbus::memoize(evbus::cache<int, long, evbus::lru>{2}, [&calls](int x) {
        ++calls;
        return static_cast<long>(x) * x;
    });
    const long first = square(3);
    const long again = square(3);
    CHECK(first == 9);
    CHECK(again == 9);
    CHECK(calls == 1);
    square(4);
    square(5); // evicts 3
    CHECK(square(3) == 9);
    CHECK(calls == 4);
    CHECK(square.cache().stats() == evbus::cache_stats{1u, 4u, 2u, 0u});
}

TEST_CASE("memoize: a key function derives the key from several arguments", "[cache]") {
    int calls = 0;
    auto concat = evbus::memoize(
        evbus::cache<std::string, std::string, evbus::lfu>{16},
        [&calls](const std::string &a, int n) {
            ++calls;
            std::string out;
            for(int i = 0; i < n; ++i) {
                out += a;
            }
            return out;
        },
        [](const std::string &a, int n) { return a + '#' + std::to_string(n); });
    CHECK(concat(std::string{"ab"}, 3) == "ababab");
    CHECK(concat(std::string{"ab"}, 3) == "ababab");
    CHECK(concat(std::string{"ab"}, 2) == "abab");
    CHECK(calls == 2);
    CHECK(concat.cache().contains("ab#3"));
}

TEST_CASE("memoize: a recursive memoized function", "[cache]") {
    int calls = 0;
    std::function<std::uint64_t(int)> recurse;
    auto fib = evbus::memoize(evbus::cache<int, std::uint64_t, evbus::lru>{128}, [&](int n) -> std::uint64_t {
        ++calls;
        return n < 2 ? static_cast<std::uint64_t>(n) : recurse(n - 1) + recurse(n - 2);
    });
    recurse = [&fib](int n) { return fib(n); };
    CHECK(fib(90) == 2880067194370816120ull);
    CHECK(calls == 91);
    CHECK(fib.cache().size() == 91u);
    CHECK(fib(90) == 2880067194370816120ull);
    CHECK(calls == 91);
}

#if EVBUS_HAS_EXCEPTIONS
TEST_CASE("memoize: a call that throws caches nothing", "[cache]") {
    int calls = 0;
    auto fragile = evbus::memoize(evbus::cache<int, int, evbus::lru>{4}, [&calls](int x) {
        if(++calls == 1) {
            throw std::runtime_error{"first call fails"};
        }
        return x + 1;
    });
    CHECK_THROWS_AS(fragile(1), std::runtime_error);
    CHECK(fragile.cache().empty());
    CHECK(fragile(1) == 2);
    CHECK(fragile(1) == 2);
    CHECK(calls == 2);
}
#endif

TEST_CASE("memoize: over a concurrent cache each key is computed once across threads", "[cache]") {
    constexpr int threads = 8;
    constexpr int calls_per_thread = 1000;
    constexpr int keys = 100;
    std::vector<std::atomic<int>> runs(keys);
    auto slow_square = evbus::memoize(
        evbus::concurrent_cache<int, std::uint64_t, evbus::lru>{evbus::shard_count{8}, 4096}, [&runs](int x) {
            runs[static_cast<std::size_t>(x)].fetch_add(1, std::memory_order_relaxed);
            std::this_thread::yield();
            return static_cast<std::uint64_t>(x) * static_cast<std::uint64_t>(x);
        });
    std::atomic<bool> go{false};
    std::atomic<int> wrong{0};
    std::vector<std::thread> pool;
    for(int t = 0; t < threads; ++t) {
        pool.emplace_back([&, t] {
            while(!go.load(std::memory_order_acquire)) {
                std::this_thread::yield();
            }
            for(int i = 0; i < calls_per_thread; ++i) {
                const int key = (i * 7 + t) % keys;
                if(slow_square(key) != static_cast<std::uint64_t>(key) * static_cast<std::uint64_t>(key)) {
                    wrong.fetch_add(1);
                }
            }
        });
    }
    go.store(true, std::memory_order_release);
    for(auto &thread: pool) {
        thread.join();
    }
    CHECK(wrong.load() == 0);
    for(int key = 0; key < keys; ++key) {
        INFO("key " << key);
        CHECK(runs[static_cast<std::size_t>(key)].load() == 1);
    }
    const auto stats = slow_square.cache().stats();
    CHECK(stats.hits + stats.misses == static_cast<std::uint64_t>(threads * calls_per_thread));
    CHECK(stats.hits <= static_cast<std::uint64_t>(threads * calls_per_thread - keys));
    CHECK(stats.evictions == 0u);
    CHECK(slow_square.cache().size() == static_cast<std::size_t>(keys));
}

#if EVBUS_HAS_EXCEPTIONS
TEST_CASE("memoize: over a concurrent cache recursion works on other keys and raises on its own key",
          "[cache][concurrent_cache]") {
    using table = evbus::concurrent_cache<int, std::uint64_t, evbus::lru>;
    std::function<std::uint64_t(int)> fib_self;
    auto fib = evbus::memoize(table{evbus::shard_count{4}, 128}, [&fib_self](int n) {
        return n < 2 ? static_cast<std::uint64_t>(n) : fib_self(n - 1) + fib_self(n - 2);
    });
    fib_self = std::ref(fib);
    CHECK(fib(50) == 12586269025u);
    CHECK(fib.cache().size() == 51u);

    int runs = 0;
    std::function<std::uint64_t(int)> stuck_self;
    auto stuck = evbus::memoize(table{evbus::shard_count{4}, 128}, [&](int n) {
        ++runs;
        return stuck_self(n);
    });
    stuck_self = std::ref(stuck);
    evbus::errc code{};
    try {
        (void)stuck(3);
    } catch(const evbus::error &e) {
        code = e.code();
    }
    CHECK(code == evbus::errc::recursive_computation);
    CHECK(runs == 1);
    CHECK(stuck.cache().size() == 0u);
}
#endif
