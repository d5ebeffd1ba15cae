// Steady-state post and dispatch allocate nothing for events that fit inline.
#include <evbus/evbus.hpp>

#include <catch2/catch.hpp>

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
