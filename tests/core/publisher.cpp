#include <evbus/core/publisher.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <numeric>
#include <thread>
#include <vector>

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

TEST_CASE("publisher post_for waits for room through its own token: its events keep their order",
          "[core][publisher][bounded][threads]") {
    evbus::bus_config cfg;
    cfg.capacity = 2;
    cfg.overflow = evbus::overflow_policy::block;
    evbus::bus bus{cfg};
    std::vector<int> order;
    auto s = bus.subscribe<tick>([&](const tick &t) { order.push_back(t.id); });
    evbus::publisher<tick> pub{bus};
    REQUIRE(pub.post(tick{0}));
    REQUIRE(pub.post(tick{1}));
    REQUIRE_FALSE(pub.post_for(tick{-1}, std::chrono::milliseconds{1})); // full: gives up, counted
    REQUIRE(bus.stats().rejected == 1u);

    constexpr int total = 1000;
    std::thread producer{[&] {
        for(int i = 2; i < total; ++i) {
            // Alternating timed and untimed posts: one producer either way.
            const bool accepted = i % 2 == 0 ? pub.post_for(tick{i}, std::chrono::seconds{30}) : pub.post(tick{i});
            if(!accepted) {
                return;
            }
        }
    }};
    while(bus.stats().delivered < static_cast<std::uint64_t>(total)) {
        bus.dispatch();
    }
    producer.join();
    std::vector<int> expected(total);
    std::iota(expected.begin(), expected.end(), 0);
    REQUIRE(order == expected);
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
