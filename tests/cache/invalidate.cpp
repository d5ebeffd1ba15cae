// Memoized responders and write-through invalidation by events.
#include <evbus/cache/concurrent_cache.hpp>
#include <evbus/cache/invalidate.hpp>
#include <evbus/cache/lru.hpp>
#include <evbus/cache/memoize.hpp>
#include <evbus/cache/ttl.hpp>
#include <evbus/core/bus.hpp>
#include <evbus/core/channel.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <limits>
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

    // What the strategy computed during an event was evicted again once the event reached every handler.
    REQUIRE(bus.request(fair_value_query{1}) == 102.0);
    REQUIRE(computed == 5);

    invalidation.reset();
    mid = 103.0;
    bus.publish(price_update{1, 103.0});
    REQUIRE(bus.request(fair_value_query{1}) == 102.0); // no longer invalidated
}

namespace {
// The reproduction: the responder reads a position that a handler of the fill updates; a
// handler that runs between the invalidation and that update asks for the answer.
struct exposure_query {
    int account;
    using result_type = long;
};
struct fill {
    int account;
    long quantity;
};
} // namespace

TEMPLATE_TEST_CASE("evict_on: no stale answer survives the event, whatever the handlers' order",
                   "[cache][invalidate][query]", evbus::bus, evbus::st_bus) {
    TestType bus;
    long position = 100000;
    auto exposure = evbus::memoize(
        evbus::cache<int, long, evbus::lru>{16}, [&](const exposure_query &) { return position; },
        [](const exposure_query &q) { return q.account; });
    auto responder = bus.template respond<exposure_query>(std::ref(exposure));
    auto invalidation = evbus::evict_on<fill>(bus, exposure, [](const fill &f) { return f.account; });
    std::vector<long> seen; // what the risk handler saw, in order
    const auto ask = [&](const fill &f) { seen.push_back(bus.request(exposure_query{f.account})); };

    SECTION("a handler between the invalidation and the update, by priority") {
        auto risk = bus.template subscribe<fill>(ask, 50);
        auto book = bus.template subscribe<fill>([&](const fill &f) { position += f.quantity; }, 0);
        REQUIRE(bus.publish(fill{1, 50000}) == 4u); // evict, risk, book, evict again
        REQUIRE(seen == std::vector<long>{100000}); // computed before the update: the state then
    }
    SECTION("a handler of the same priority, subscribed earlier") {
        auto risk = bus.template subscribe<fill>(ask, 0);
        auto book = bus.template subscribe<fill>([&](const fill &f) { position += f.quantity; }, 0);
        bus.publish(fill{1, 50000});
    }
    SECTION("a handler at the highest priority, subscribed before the invalidation") {
        invalidation.reset();
        auto risk = bus.template subscribe<fill>(ask, evbus::invalidation_priority);
        invalidation = evbus::evict_on<fill>(bus, exposure, [](const fill &f) { return f.account; });
        auto book = bus.template subscribe<fill>([&](const fill &f) { position += f.quantity; },
                                                 std::numeric_limits<int>::min());
        auto late = bus.template subscribe<fill>(ask, std::numeric_limits<int>::min()); // after the update
        bus.publish(fill{1, 50000});
        REQUIRE(seen.size() == 2u);
        REQUIRE(seen[1] == 100000); // the answer the first request cached, during the event
    }
    SECTION("through the queue") {
        auto risk = bus.template subscribe<fill>(ask, 50);
        auto book = bus.template subscribe<fill>([&](const fill &f) { position += f.quantity; }, 0);
        REQUIRE(bus.post(fill{1, 50000}));
        REQUIRE(bus.dispatch() == 1u);
    }
    REQUIRE(position == 150000);
    REQUIRE(bus.request(exposure_query{1}) == 150000); // the state the event left
}

TEST_CASE("evict_on and refresh_on: on a channel, and given the memoized function itself", "[cache][invalidate]") {
    evbus::channel<fill> fills;
    long position = 0;
    int computed = 0;
    auto exposure = evbus::memoize(evbus::cache<int, long, evbus::lru>{16}, [&](int) {
        ++computed;
        return position;
    });
    auto book = fills.subscribe([&](const fill &f) { position += f.quantity; });
    auto reader = fills.subscribe([&](const fill &f) { (void)exposure(f.account); }, 10); // caches the old one
    {
        auto invalidation = evbus::evict_on<fill>(fills, exposure, [](const fill &f) { return f.account; });
        REQUIRE(fills.handler_count() == 4u); // the invalidation's two handlers count
        fills.publish(fill{3, 7});
        REQUIRE(exposure(3) == 7);
        REQUIRE(computed == 2);
    }
    REQUIRE(fills.handler_count() == 2u); // both of its handlers left with the handle
    auto refresh = evbus::refresh_on<fill>(
        fills, exposure, [](const fill &f) { return f.account; }, [](const fill &f) { return f.quantity * 100; });
    auto eraser = fills.subscribe([&](const fill &f) { (void)exposure.cache().erase(f.account); }, 20);
    fills.publish(fill{3, 1}); // refresh, eraser, reader (computes 7 and caches it), book, refresh again
    REQUIRE(computed == 3);
    REQUIRE(exposure(3) == 100); // the event's value, put again after the reader cached its own
    REQUIRE(computed == 3);
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
    REQUIRE(computed.load() <= 8 + 2 * 200); // at most one recomputation per eviction (two per event)
}
