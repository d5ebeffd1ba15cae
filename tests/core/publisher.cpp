#include <evbus/core/publisher.hpp>

#include <catch2/catch.hpp>

namespace {
struct tick {
    int id;
};
struct fill {
    int qty;
};
} // namespace

TEST_CASE("publisher publishes the types it names", "[core][publisher]") {
    evbus::bus bus;
    int ticks = 0;
    int fills = 0;
    auto a = bus.subscribe<tick>([&](const tick &t) { ticks += t.id; });
    auto b = bus.subscribe<fill>([&](const fill &f) { fills += f.qty; });
    evbus::publisher<tick, fill> pub{bus};
    REQUIRE(pub.publish(tick{2}) == 1u);
    const fill f{3};
    REQUIRE(pub.publish(f) == 1u);
    REQUIRE(ticks == 2);
    REQUIRE(fills == 3);
    REQUIRE(&pub.target() == &bus);

    evbus::st_bus st;
    auto c = st.subscribe<tick>([&](const tick &t) { ticks += t.id; });
    evbus::basic_publisher<evbus::st_bus, tick> st_pub{st};
    REQUIRE(st_pub.publish(tick{5}) == 1u);
    REQUIRE(ticks == 7);
}

namespace {
struct app_bus: evbus::bus {
    using evbus::bus::bus;
};
} // namespace

TEST_CASE("publisher takes a type derived from its bus type (the other-bus constructor is not chosen)",
          "[core][publisher]") {
    app_bus bus;
    int ticks = 0;
    auto a = bus.subscribe<tick>([&](const tick &t) { ticks += t.id; });
    evbus::publisher<tick> pub{bus};
    REQUIRE(&pub.target() == &bus);
    REQUIRE(pub.post(tick{4}));
    REQUIRE(bus.dispatch() == 1u);
    REQUIRE(ticks == 4);
}
