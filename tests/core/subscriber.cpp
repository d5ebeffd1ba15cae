#include <evbus/core/bus.hpp>
#include <evbus/core/subscriber.hpp>

#include <catch2/catch.hpp>

#include <optional>

namespace {
struct tick {
    int id;
};
struct fill {
    int qty;
};

struct strategy: evbus::subscriber<strategy, tick, fill> {
    explicit strategy(evbus::bus &b): subscriber(b) {}
    void on(const tick &t) { ticks += t.id; }
    void on(const fill &f) { fills += f.qty; }
    int ticks = 0;
    int fills = 0;
};

struct st_listener: evbus::subscriber<st_listener, tick> {
    st_listener(evbus::st_bus &b, int priority): subscriber(b, priority) {}
    void on(const tick &) { order = order * 10 + tag; }
    int tag = 0;
    static inline int order = 0;
};

// on() may be private when Derived befriends its base, take its event by value, or be a template.
class private_listener: public evbus::subscriber<private_listener, tick, fill> {
    friend class evbus::subscriber<private_listener, tick, fill>;
    void on(const tick &t) { seen += t.id; }
    void on(fill f) { seen += 100 * f.qty; }

public:
    explicit private_listener(evbus::st_bus &b): subscriber(b) {}
    int seen = 0;
};

struct template_listener: evbus::subscriber<template_listener, tick, fill> {
    explicit template_listener(evbus::bus &b): subscriber(b) {}
    template<typename Event>
    int on(const Event &) {
        return ++calls;
    }
    int calls = 0;
};
} // namespace

TEST_CASE("subscriber calls a private on() of a Derived that befriends it, by value or as a template",
          "[core][subscriber]") {
    evbus::st_bus st;
    private_listener p{st};
    REQUIRE(st.publish(tick{3}) == 1u);
    REQUIRE(st.publish(fill{2}) == 1u);
    REQUIRE(p.seen == 203);
    evbus::bus bus;
    template_listener t{bus};
    REQUIRE(bus.publish(tick{1}) == 1u);
    REQUIRE(bus.publish(fill{1}) == 1u);
    REQUIRE(t.calls == 2);
}

TEST_CASE("subscriber subscribes each on() on construction and unsubscribes on destruction", "[core][subscriber]") {
    evbus::bus bus;
    std::optional<strategy> s{std::in_place, bus};
    REQUIRE(s->subscribed());
    REQUIRE(bus.publish(tick{2}) == 1u);
    REQUIRE(bus.publish(fill{7}) == 1u);
    REQUIRE(s->ticks == 2);
    REQUIRE(s->fills == 7);
    s.reset();
    REQUIRE(bus.publish(tick{2}) == 0u);
    REQUIRE(bus.publish(fill{7}) == 0u);
}

TEST_CASE("subscriber::unsubscribe stops delivery early", "[core][subscriber]") {
    evbus::bus bus;
    strategy s{bus};
    s.unsubscribe();
    REQUIRE_FALSE(s.subscribed());
    REQUIRE(bus.publish(tick{1}) == 0u);
    REQUIRE(s.ticks == 0);
}

TEST_CASE("subscriber works on a single-thread bus with priorities", "[core][subscriber]") {
    evbus::st_bus bus;
    st_listener low{bus, 1};
    low.tag = 1;
    st_listener high{bus, 2};
    high.tag = 2;
    st_listener::order = 0;
    REQUIRE(bus.publish(tick{}) == 2u);
    REQUIRE(st_listener::order == 21);
}
