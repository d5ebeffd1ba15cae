// Steady-state post and dispatch allocate nothing for events that fit inline.
#include <evbus/evbus.hpp>

#include <catch2/catch.hpp>

#include <iterator>
#include <optional>
#include <type_traits>
#include <vector>

#include "alloc_counter.hpp"

namespace {
struct tick {
    int id;
    double px;
};

template<typename Round>
std::size_t allocations_in_rounds(Round &&round) {
    for(int i = 0; i < 50; ++i) {
        round(); // warm up: queue blocks, producer records, thread registration
    }
    const std::size_t before = alloc_counter::count();
    for(int i = 0; i < 2000; ++i) {
        round();
    }
    return alloc_counter::count() - before;
}
} // namespace

TEMPLATE_TEST_CASE("post then dispatch allocates nothing in steady state", "[alloc][queue]", evbus::bus,
                   evbus::st_bus) {
    TestType bus;
    long sum = 0;
    auto a = bus.template subscribe<tick>([&sum](const tick &t) { sum += t.id; });
    const auto grew = allocations_in_rounds([&] {
        for(int i = 0; i < 64; ++i) {
            bus.post(tick{1, 2.0});
        }
        bus.dispatch();
    });
    REQUIRE(grew == 0u);
    REQUIRE(sum == 64 * 2050);
}

TEST_CASE("posting through a publisher's token allocates nothing in steady state", "[alloc][queue]") {
    evbus::bus bus;
    long sum = 0;
    auto a = bus.subscribe<tick>([&sum](const tick &t) { sum += t.id; });
    evbus::publisher<tick> pub{bus};
    REQUIRE(allocations_in_rounds([&] {
                for(int i = 0; i < 64; ++i) {
                    pub.post(tick{1, 2.0});
                }
                bus.dispatch();
            }) == 0u);
    REQUIRE(sum == 64 * 2050);
}

TEMPLATE_TEST_CASE("channel post then dispatch allocates nothing in steady state", "[alloc][queue]",
                   evbus::multi_thread, evbus::single_thread) {
    evbus::channel<tick, TestType> ch;
    long sum = 0;
    auto a = ch.subscribe([&sum](const tick &t) { sum += t.id; });
    REQUIRE(allocations_in_rounds([&] {
                for(int i = 0; i < 64; ++i) {
                    ch.post(tick{1, 2.0});
                }
                ch.dispatch();
            }) == 0u);
    REQUIRE(sum == 64 * 2050);
}

#if EVBUS_HAS_EXCEPTIONS
TEMPLATE_TEST_CASE("a single-thread queue that cannot grow rejects and counts the post, and stays usable",
                   "[alloc][queue][errors]", evbus::st_bus, (evbus::channel<tick, evbus::single_thread>)) {
    TestType queue;
    long sum = 0;
    const auto add = [&sum](const tick &t) { sum += t.id; };
    evbus::subscription a;
    if constexpr(std::is_same_v<TestType, evbus::st_bus>) {
        a = queue.template subscribe<tick>(add);
    } else {
        a = queue.subscribe(add);
    }
    for(int i = 0; i < 64; ++i) { // the ring's first 64 slots, now full
        REQUIRE(queue.post(tick{1, 2.0}));
    }
    const tick more[] = {{10, 0.0}, {10, 0.0}, {10, 0.0}};
    {
        alloc_counter::scoped_failure failing;
        REQUIRE_FALSE(queue.post(tick{100, 2.0}));
        REQUIRE(queue.post_bulk(std::begin(more), std::end(more)) == 0u);
    }
    auto s = queue.stats();
    REQUIRE(s.posted == 64u);
    REQUIRE(s.rejected == 4u);
    REQUIRE(s.pending == 64u);
    REQUIRE(queue.post(tick{1000, 2.0})); // grows now
    REQUIRE(queue.dispatch() == 65u);
    REQUIRE(sum == 64 + 1000);
    s = queue.stats();
    REQUIRE(s.delivered == 65u);
    REQUIRE(s.posted == s.delivered + s.pending);
}

TEMPLATE_TEST_CASE("a single-thread queue that cannot grow while it delivers rejects and counts the post",
                   "[alloc][queue][errors][reentrancy]", evbus::st_bus, (evbus::channel<tick, evbus::single_thread>)) {
    TestType queue;
    std::vector<int> seen;
    bool refused = false;
    const auto handle = [&](const tick &t) {
        seen.push_back(t.id);
        if(t.id == 0) { // the ring is full, and the slot being delivered from stays reserved
            {
                alloc_counter::scoped_failure failing;
                refused = !queue.post(tick{-1, 0.0});
            }
            queue.post(tick{100, 0.0}); // grows, keeping the old storage until the dispatch returns
        }
    };
    evbus::subscription a;
    if constexpr(std::is_same_v<TestType, evbus::st_bus>) {
        a = queue.template subscribe<tick>(handle);
    } else {
        a = queue.subscribe(handle);
    }
    for(int i = 0; i < 64; ++i) {
        REQUIRE(queue.post(tick{i, 0.0}));
    }
    REQUIRE(queue.dispatch() == 64u); // what was queued when the call started
    REQUIRE(refused);
    auto s = queue.stats();
    REQUIRE(s.posted == 65u);
    REQUIRE(s.rejected == 1u);
    REQUIRE(s.pending == 1u);
    REQUIRE(queue.dispatch() == 1u);
    REQUIRE(seen.size() == 65u);
    for(int i = 0; i < 64; ++i) {
        REQUIRE(seen[static_cast<std::size_t>(i)] == i);
    }
    REQUIRE(seen.back() == 100);
    s = queue.stats();
    REQUIRE(s.posted == s.delivered + s.pending);
}
#endif

TEST_CASE("a producer token whose allocation failed is refused, not followed", "[alloc][queue][errors]") {
    evbus::detail::mpmc_queue<int> queue;
    auto token = [&queue] {
        alloc_counter::scoped_failure failing; // the queue's producer comes from operator new
        return queue.make_token();
    }();
    REQUIRE_FALSE(token.valid());
    REQUIRE_FALSE(queue.enqueue(token, 1));
    const int items[] = {2, 3};
    REQUIRE_FALSE(queue.enqueue_bulk(token, std::begin(items), 2u));
    auto good = queue.make_token();
    REQUIRE(queue.enqueue(good, 4));
    evbus::detail::item_batch<int> out;
    REQUIRE(queue.take(out, 64u) == 1u);
    REQUIRE(out[0] == 4);
}

TEST_CASE("a publisher whose producer could not be allocated posts without it, in order", "[alloc][queue][errors]") {
    evbus::bus bus;
    std::vector<int> seen;
    auto a = bus.subscribe<tick>([&seen](const tick &t) { seen.push_back(t.id); });
    std::optional<evbus::publisher<tick>> pub;
    {
        const std::size_t before = alloc_counter::count();
        alloc_counter::scoped_failure failing{1u}; // the post counter's slot, not the queue's producer
        pub.emplace(bus);
        REQUIRE(alloc_counter::count() - before == 2u); // the slot, then the producer that failed
    }
    seen.reserve(100);
    for(int i = 0; i < 100; ++i) {
        REQUIRE(pub->post(tick{i, 0.0}));
    }
    const tick more[] = {{100, 0.0}, {101, 0.0}};
    REQUIRE(pub->post_bulk(std::begin(more), std::end(more)) == 2u);
    REQUIRE(bus.dispatch() == 102u);
    REQUIRE(seen.size() == 102u);
    for(int i = 0; i < 102; ++i) {
        REQUIRE(seen[static_cast<std::size_t>(i)] == i);
    }
    const auto s = bus.stats();
    REQUIRE(s.posted == 102u);
    REQUIRE(s.rejected == 0u);
}

TEMPLATE_TEST_CASE("a multi-thread queue that cannot grow rejects and counts the post, and stays usable",
                   "[alloc][queue][errors]", evbus::bus, evbus::channel<tick>) {
    TestType queue;
    long sum = 0;
    evbus::subscription a;
    if constexpr(std::is_same_v<TestType, evbus::bus>) {
        a = queue.template subscribe<tick>([&sum](const tick &t) { sum += t.id; });
    } else {
        a = queue.subscribe([&sum](const tick &t) { sum += t.id; });
    }
    // The blocks the queue was built with (six of 64), all taken and none given back yet.
    std::size_t queued = 0;
    for(; queued < 6u * 64u; ++queued) {
        REQUIRE(queue.post(tick{1, 2.0}));
    }
    {
        alloc_counter::scoped_failure failing; // a new block comes from operator new (nothrow)
        REQUIRE_FALSE(queue.post(tick{100, 2.0}));
    }
    auto s = queue.stats();
    REQUIRE(s.posted == queued);
    REQUIRE(s.rejected == 1u);
    REQUIRE(queue.post(tick{1000, 2.0})); // grows now
    REQUIRE(queue.dispatch() == queued + 1u);
    REQUIRE(sum == static_cast<long>(queued) + 1000);
    s = queue.stats();
    REQUIRE(s.posted == s.delivered + s.pending);
}
