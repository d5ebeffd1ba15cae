// Steady-state scheduling allocates nothing: freed timer slots, heap entries and handles are reused.
#include <evbus/evbus.hpp>

#include <catch2/catch.hpp>

#include "alloc_counter.hpp"

#include <chrono>
#include <vector>

using namespace std::chrono_literals;

namespace {
struct tick {
    int id;
    double px;
};
struct fill {
    long order;
    int qty;
    double px;
};
struct alloc_tag;
using sim = evbus::manual_clock<alloc_tag>;
} // namespace

TEMPLATE_TEST_CASE("schedule, fire and cancel allocate nothing in steady state", "[alloc][time]", evbus::bus,
                   evbus::st_bus) {
    sim::reset();
    TestType bus;
    long sum = 0;
    auto a = bus.template subscribe<tick>([&sum](const tick &t) { sum += t.id; });
    auto b = bus.template subscribe<fill>([&sum](const fill &f) { sum += f.qty; });
    evbus::scheduler<sim> sched{bus};
    std::vector<evbus::timer> pending;
    pending.reserve(1000);
    const auto round = [&] {
        // 1000 pending timers of two types, one periodic; fire half, cancel the rest.
        for(int i = 0; i < 1000; ++i) {
            if(i % 2 == 0) {
                pending.push_back(sched.post_after(std::chrono::microseconds{i}, tick{1, 2.0}));
            } else {
                pending.push_back(sched.post_after(std::chrono::microseconds{i}, fill{i, 1, 3.0}));
            }
        }
        evbus::timer every = sched.post_every(100us, tick{1, 0.0});
        sim::advance(500us);
        sched.poll();
        bus.dispatch();
        pending.clear(); // cancels those not yet posted
        every.cancel();
        sim::advance(1ms);
        REQUIRE(sched.poll() == 0u);
    };
    // Warm up: slots, heap and the bus's queue reach their high-water marks (the multi-thread queue's
    // blocks, which the counter sees since they come from operator new, take a second round).
    round();
    round();
    const std::size_t before = alloc_counter::count();
    for(int i = 0; i < 20; ++i) {
        round();
    }
    CHECK(alloc_counter::count() - before == 0u);
    const evbus::timer_stats st = sched.stats();
    CHECK(st.scheduled == 22u * 1001u);
    CHECK(st.posted + st.cancelled + st.skipped >= st.scheduled);
    CHECK(st.pending == 0u);
    CHECK(sum > 0);
}

TEST_CASE("the scheduler's allocation test can fail: a first schedule allocates its slots", "[alloc][time]") {
    evbus::st_bus bus;
    evbus::scheduler<> sched{bus};
    const std::size_t before = alloc_counter::count();
    auto t = sched.post_after(1h, tick{1, 0.0});
    CHECK(alloc_counter::count() > before);
}
