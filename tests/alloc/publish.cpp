// Steady-state publish allocates nothing: a global operator new that counts proves it.
#include <evbus/evbus.hpp>

#include <catch2/catch.hpp>

#include "alloc_counter.hpp"

namespace {
struct tick {
    int id;
    double px;
};

template<typename Publish>
std::size_t allocations_during(Publish &&publish) {
    publish(); // warm up: first use on this thread registers it with the bus machinery
    const std::size_t before = alloc_counter::count();
    for(int i = 0; i < 10000; ++i) {
        publish();
    }
    return alloc_counter::count() - before;
}
} // namespace

TEMPLATE_TEST_CASE("bus publish allocates nothing in steady state", "[alloc][bus]", evbus::bus, evbus::st_bus) {
    TestType bus;
    long sum = 0;
    auto a = bus.template subscribe<tick>([&sum](const tick &t) { sum += t.id; });
    auto b = bus.template subscribe<tick>([&sum](const tick &t) { sum += t.id; }, 5);
    REQUIRE(allocations_during([&] { bus.publish(tick{1, 2.0}); }) == 0u);
    REQUIRE(sum == 2 * 10001);
}

TEMPLATE_TEST_CASE("channel publish allocates nothing in steady state", "[alloc][channel]", evbus::multi_thread,
                   evbus::single_thread) {
    evbus::channel<tick, TestType> channel;
    long sum = 0;
    auto a = channel.subscribe([&sum](const tick &t) { sum += t.id; });
    REQUIRE(allocations_during([&] { channel.publish(tick{1, 2.0}); }) == 0u);
    REQUIRE(sum == 10001);
}

TEST_CASE("the allocation counter sees allocations", "[alloc]") {
    const std::size_t before = alloc_counter::count();
    evbus::bus bus;
    auto s = bus.subscribe<tick>([](const tick &) {});
    REQUIRE(alloc_counter::count() > before);
}
