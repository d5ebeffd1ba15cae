// Memoized responders and write-through invalidation by events.
#include <evbus/cache/concurrent_cache.hpp>
#include <evbus/cache/invalidate.hpp>
#include <evbus/cache/lru.hpp>
#include <evbus/cache/memoize.hpp>
#include <evbus/cache/ttl.hpp>
#include <evbus/core/bus.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <thread>
#include <vector>

namespace {
struct fair_value_query {
    int symbol;
    using result_type = double;
};
struct price_update {
    int symbol;
    double px;
};
} // namespace

TEMPLATE_TEST_CASE("a memoized responder answers repeated requests from its cache", "[cache][invalidate][query]",
                   evbus::bus, evbus::st_bus) {
    TestType bus;
    int computed = 0;
    auto fair_value = evbus::memoize(
        evbus::cache<int, double, evbus::lru>{16},
        [&](const fair_value_query &q) {
            ++computed;
            return q.symbol * 10.0;
        },
        [](const fair_value_query &q) { return q.symbol; });
    auto responder = bus.template respond<fair_value_query>(std::ref(fair_value));

    REQUIRE(bus.request(fair_value_query{1}) == 10.0);
    REQUIRE(bus.request(fair_value_query{1}) == 10.0);
    REQUIRE(bus.request(fair_value_query{2}) == 20.0);
    REQUIRE(computed == 2);
    REQUIRE(fair_value.cache().stats().hits == 1u);
    REQUIRE(fair_value.cache().stats().misses == 2u);
}

TEMPLATE_TEST_CASE("evict_on: an event evicts the cached answer it affects", "[cache][invalidate]", evbus::bus,
                   evbus::st_bus) {
    TestType bus;
    double mid = 100.0;
    int computed = 0;
    auto fair_value = evbus::memoize(
        evbus::cache<int, double, evbus::lru>{16},
        [&](const fair_value_query &) {
            ++computed;
            return mid;
        },
        [](const fair_value_query &q) { return q.symbol; });
    auto responder = bus.template respond<fair_value_query>(std::ref(fair_value));
    auto invalidation =
        evbus::evict_on<price_update>(bus, fair_value.cache(), [](const price_update &u) { return u.symbol; });

    REQUIRE(bus.request(fair_value_query{1}) == 100.0);
    REQUIRE(bus.request(fair_value_query{2}) == 100.0);
    // A handler of the same event sees the fresh answer: invalidation runs first.
    double seen_by_strategy = 0.0;
    auto strategy = bus.template subscribe<price_update>(
        [&](const price_update &u) { seen_by_strategy = bus.request(fair_value_query{u.symbol}); });
    mid = 101.0;
    bus.publish(price_update{1, 101.0});
    REQUIRE(seen_by_strategy == 101.0);
    REQUIRE(bus.request(fair_value_query{2}) == 100.0); // other symbols stay cached
    REQUIRE(computed == 3);

    // Through the queue as well.
    mid = 102.0;
    bus.post(price_update{2, 102.0});
    REQUIRE(bus.request(fair_value_query{2}) == 100.0); // not dispatched yet
    bus.dispatch();
    REQUIRE(seen_by_strategy == 102.0);

    invalidation.reset();
    mid = 103.0;
    bus.publish(price_update{1, 103.0});
    REQUIRE(bus.request(fair_value_query{1}) == 101.0); // no longer invalidated
}

TEMPLATE_TEST_CASE("refresh_on: an event writes the new answer through", "[cache][invalidate]", evbus::bus,
                   evbus::st_bus) {
    TestType bus;
    int computed = 0;
    auto fair_value = evbus::memoize(
        evbus::cache<int, double, evbus::lru>{16},
        [&](const fair_value_query &) {
            ++computed;
            return 0.0;
        },
        [](const fair_value_query &q) { return q.symbol; });
    auto responder = bus.template respond<fair_value_query>(std::ref(fair_value));
    auto refresh = evbus::refresh_on<price_update>(
        bus, fair_value.cache(), [](const price_update &u) { return u.symbol; },
        [](const price_update &u) { return u.px * 2.0; });
    bus.publish(price_update{7, 5.0});
    REQUIRE(bus.request(fair_value_query{7}) == 10.0);
    REQUIRE(computed == 0);
}

TEST_CASE("a TTL-memoized responder over a concurrent cache serves several threads", "[cache][invalidate][threads]") {
    evbus::bus bus;
    std::atomic<int> computed{0};
    auto fair_value = evbus::memoize(
        evbus::concurrent_cache<int, double, evbus::ttl<>>{64, std::chrono::hours{1}},
        [&](const fair_value_query &q) {
            computed.fetch_add(1);
            return q.symbol * 1.0;
        },
        [](const fair_value_query &q) { return q.symbol; });
    auto responder = bus.respond<fair_value_query>(std::ref(fair_value));
    auto invalidation =
        evbus::evict_on<price_update>(bus, fair_value.cache(), [](const price_update &u) { return u.symbol; });
    std::atomic<long> wrong{0};
    std::vector<std::thread> threads;
    for(int t = 0; t < 3; ++t) {
        threads.emplace_back([&] {
            for(int i = 0; i < 2000; ++i) {
                if(bus.request(fair_value_query{i % 8}) != (i % 8) * 1.0) {
                    wrong.fetch_add(1);
                }
            }
        });
    }
    threads.emplace_back([&] {
        for(int i = 0; i < 200; ++i) {
            bus.publish(price_update{i % 8, 0.0});
        }
    });
    for(auto &t: threads) {
        t.join();
    }
    REQUIRE(wrong.load() == 0);
    REQUIRE(computed.load() >= 8);
    REQUIRE(computed.load() <= 8 + 200); // at most one recomputation per eviction
}
