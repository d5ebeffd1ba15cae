#include <evbus/core/bus.hpp>

#include <catch2/catch.hpp>

#include <functional>
#include <limits>
#include <memory>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <string>
#include <vector>

namespace {
struct tick {
    int id;
    double px;
};
struct fill {
    int qty;
};
} // namespace

TEMPLATE_TEST_CASE("publish calls the handlers of the event's exact type and counts them", "[core][bus]", evbus::bus,
                   evbus::st_bus) {
    TestType bus;
    std::vector<int> ticks;
    int fills = 0;
    REQUIRE(bus.publish(tick{0, 0.0}) == 0u);

    auto a = bus.template subscribe<tick>([&](const tick &t) { ticks.push_back(t.id); });
    auto b = bus.template subscribe<tick>([&](const tick &t) { ticks.push_back(t.id * 10); });
    auto c = bus.template subscribe<fill>([&](const fill &f) { fills += f.qty; });

    REQUIRE(bus.publish(tick{1, 2.0}) == 2u);
    const tick lvalue{2, 3.0};
    REQUIRE(bus.publish(lvalue) == 2u);
    fill mutable_fill{5};
    REQUIRE(bus.publish(mutable_fill) == 1u);
    REQUIRE(ticks == std::vector<int>{1, 10, 2, 20});
    REQUIRE(fills == 5);
    REQUIRE(bus.template handler_count<tick>() == 2u);
    REQUIRE(bus.template handler_count<fill>() == 1u);
    REQUIRE(bus.template handler_count<std::string>() == 0u);
}

TEMPLATE_TEST_CASE("handlers run by priority, ties in subscription order", "[core][bus]", evbus::bus, evbus::st_bus) {
    TestType bus;
    std::string order;
    auto low = bus.template subscribe<tick>([&](const tick &) { order += 'l'; }, -5);
    auto first = bus.template subscribe<tick>([&](const tick &) { order += '1'; });
    auto high = bus.template subscribe<tick>([&](const tick &) { order += 'h'; }, 10);
    auto second = bus.template subscribe<tick>([&](const tick &) { order += '2'; });
    auto higher = bus.template subscribe<tick>([&](const tick &) { order += 'H'; }, 11);
    bus.publish(tick{});
    REQUIRE(order == "Hh12l");
}

TEMPLATE_TEST_CASE("subscribe_around runs before and after every priority, under one handle", "[core][bus]", evbus::bus,
                   evbus::st_bus) {
    TestType bus;
    std::string order;
    auto top = bus.template subscribe<tick>([&](const tick &) { order += 'T'; }, std::numeric_limits<int>::max());
    auto around =
        bus.template subscribe_around<tick>([&](const tick &) { order += '('; }, [&](const tick &) { order += ')'; });
    auto bottom = bus.template subscribe<tick>([&](const tick &) { order += 'B'; }, std::numeric_limits<int>::min());
    auto second =
        bus.template subscribe_around<tick>([&](const tick &) { order += '['; }, [&](const tick &) { order += ']'; });
    auto middle = bus.template subscribe<tick>([&](const tick &) { order += 'm'; });
    REQUIRE(bus.template handler_count<tick>() == 7u);
    REQUIRE(bus.publish(tick{}) == 7u);
    REQUIRE(order == "([TmB)]"); // befores and afters each in subscription order

    order.clear();
    around.reset(); // both of its handlers go
    REQUIRE_FALSE(around.active());
    REQUIRE(bus.template handler_count<tick>() == 5u);
    REQUIRE(bus.publish(tick{}) == 5u);
    REQUIRE(order == "[TmB]");

    // A handler of the event may remove the pair while it runs: the after-handler is not called.
    order.clear();
    auto remover = bus.template subscribe<tick>([&](const tick &) { second.reset(); }, 1);
    REQUIRE(bus.publish(tick{}) == 5u); // [, T, the remover, m, B; ] was removed before its turn
    REQUIRE(order == "[TmB");
    REQUIRE(bus.template handler_count<tick>() == 4u);
}

TEMPLATE_TEST_CASE("subscriptions are move-only RAII handles", "[core][bus][subscription]", evbus::bus, evbus::st_bus) {
    TestType bus;
    int calls = 0;
    {
        auto s = bus.template subscribe<tick>([&](const tick &) { ++calls; });
        REQUIRE(s.active());
        REQUIRE(static_cast<bool>(s));
        bus.publish(tick{});
    }
    REQUIRE(bus.publish(tick{}) == 0u);
    REQUIRE(calls == 1);

    // A discarded handle unsubscribes at once.
    (void)bus.template subscribe<tick>([&](const tick &) { ++calls; });
    REQUIRE(bus.publish(tick{}) == 0u);

    auto s = bus.template subscribe<tick>([&](const tick &) { ++calls; });
    evbus::subscription moved{std::move(s)};
    REQUIRE_FALSE(s.active());
    REQUIRE(moved.active());
    REQUIRE(bus.publish(tick{}) == 1u);

    int other_calls = 0;
    auto other = bus.template subscribe<tick>([&](const tick &) { ++other_calls; });
    REQUIRE(bus.publish(tick{}) == 2u);
    other = std::move(moved); // unsubscribes what `other` held
    REQUIRE(bus.publish(tick{}) == 1u);
    REQUIRE(other_calls == 1);
    REQUIRE(calls == 4);

    other.reset();
    REQUIRE_FALSE(other.active());
    other.reset(); // twice is fine
    REQUIRE(bus.publish(tick{}) == 0u);

    evbus::subscription empty;
    REQUIRE_FALSE(empty.active());
    empty.reset();
}

TEMPLATE_TEST_CASE("a subscription may outlive its bus", "[core][bus][subscription]", evbus::bus, evbus::st_bus) {
    evbus::subscription s;
    evbus::subscription t;
    auto state = std::make_shared<int>(0);
    std::weak_ptr<int> watch = state;
    {
        TestType bus;
        s = bus.template subscribe<tick>([state](const tick &) { ++*state; });
        t = bus.template subscribe<fill>([](const fill &) {});
        state.reset();
        REQUIRE(s.active());
        REQUIRE_FALSE(watch.expired()); // the handler keeps its capture alive
    }
    REQUIRE(watch.expired()); // destroying the bus destroyed the handler
    REQUIRE_FALSE(s.active());
    s.reset();
    REQUIRE_FALSE(s.active());
} // t is destroyed after its bus

TEMPLATE_TEST_CASE("unsubscribing destroys the handler and its captures", "[core][bus]", evbus::bus, evbus::st_bus) {
    TestType bus;
    auto state = std::make_shared<int>(0);
    std::weak_ptr<int> watch = state;
    auto s = bus.template subscribe<tick>([state](const tick &) { ++*state; });
    state.reset();
    bus.publish(tick{});
    REQUIRE(*watch.lock() == 1);
    s.reset();
    REQUIRE(watch.expired());
}

TEMPLATE_TEST_CASE("handlers may subscribe, unsubscribe and publish re-entrantly", "[core][bus][reentrancy]",
                   evbus::bus, evbus::st_bus) {
    TestType bus;

    SECTION("a handler subscribed during publish runs from the next publish") {
        int late_calls = 0;
        std::vector<evbus::subscription> added;
        auto adder = bus.template subscribe<tick>(
            [&](const tick &) { added.push_back(bus.template subscribe<tick>([&](const tick &) { ++late_calls; })); });
        REQUIRE(bus.publish(tick{}) == 1u);
        REQUIRE(late_calls == 0);
        REQUIRE(bus.publish(tick{}) == 2u);
        REQUIRE(late_calls == 1);
    }

    SECTION("a handler may unsubscribe itself; the running call completes") {
        int calls = 0;
        evbus::subscription self;
        self = bus.template subscribe<tick>([&](const tick &) {
            ++calls;
            self.reset();
            ++calls; // still safe: the handler object lives until the publish returns
        });
        REQUIRE(bus.publish(tick{}) == 1u);
        REQUIRE(bus.publish(tick{}) == 0u);
        REQUIRE(calls == 2);
    }

    SECTION("a handler unsubscribing a later one stops that one in the same publish") {
        int later_calls = 0;
        evbus::subscription later;
        auto killer = bus.template subscribe<tick>([&](const tick &) { later.reset(); }, 1);
        later = bus.template subscribe<tick>([&](const tick &) { ++later_calls; }, 0);
        REQUIRE(bus.publish(tick{}) == 1u);
        REQUIRE(later_calls == 0);
    }

    SECTION("a handler may publish, to its own type and to others") {
        std::vector<int> seen;
        auto on_fill = bus.template subscribe<fill>([&](const fill &f) { seen.push_back(-f.qty); });
        auto on_tick = bus.template subscribe<tick>([&](const tick &t) {
            seen.push_back(t.id);
            if(t.id > 0) {
                bus.publish(fill{t.id});
                bus.publish(tick{t.id - 1, 0.0});
            }
        });
        bus.publish(tick{2, 0.0});
        REQUIRE(seen == std::vector<int>{2, -2, 1, -1, 0});
    }

    SECTION("a handler may subscribe to an event type the bus has never seen") {
        struct novel {
            int v;
        };
        int novel_calls = 0;
        evbus::subscription added;
        auto s = bus.template subscribe<tick>([&](const tick &) {
            added = bus.template subscribe<novel>([&](const novel &n) { novel_calls += n.v; });
            bus.publish(novel{3});
        });
        bus.publish(tick{});
        REQUIRE(novel_calls == 3);
    }
}

namespace {
template<typename Bus, std::size_t... I>
int publish_many_types(Bus &bus, std::index_sequence<I...>) {
    int sum = 0;
    std::vector<evbus::subscription> subs;
    (subs.push_back(bus.template subscribe<std::integral_constant<std::size_t, I>>(
         [&sum](const std::integral_constant<std::size_t, I> &) { sum += static_cast<int>(I); })),
     ...);
    (bus.publish(std::integral_constant<std::size_t, I>{}), ...);
    return sum;
}
} // namespace

TEMPLATE_TEST_CASE("many event types grow the lookup table", "[core][bus]", evbus::bus, evbus::st_bus) {
    TestType bus;
    REQUIRE(publish_many_types(bus, std::make_index_sequence<40>{}) == 39 * 40 / 2);
}

#if EVBUS_HAS_EXCEPTIONS
TEMPLATE_TEST_CASE("a throwing handler: the rest still run, the first exception propagates", "[core][bus][errors]",
                   evbus::bus, evbus::st_bus) {
    TestType bus;
    std::string order;
    auto a = bus.template subscribe<tick>(
        [&](const tick &) {
            order += 'a';
            throw std::runtime_error{"first"};
        },
        3);
    auto b = bus.template subscribe<tick>(
        [&](const tick &) {
            order += 'b';
            throw std::logic_error{"second"};
        },
        2);
    auto c = bus.template subscribe<tick>([&](const tick &) { order += 'c'; }, 1);
    REQUIRE_THROWS_WITH(bus.publish(tick{}), "first");
    REQUIRE(order == "abc");
    a.reset();
    b.reset();
    REQUIRE(bus.publish(tick{}) == 1u); // the bus stays usable
    REQUIRE(order == "abcc");
}

TEST_CASE("misuse is reported with evbus::error", "[core][bus][errors]") {
    evbus::bus bus;
    void (*null_function)(const tick &) = nullptr;
    REQUIRE_THROWS_AS((void)bus.subscribe<tick>(null_function), evbus::error);
    std::function<void(const tick &)> empty;
    try {
        (void)bus.subscribe<tick>(empty);
        FAIL("no exception");
    } catch(const evbus::error &e) {
        REQUIRE(e.code() == evbus::errc::invalid_argument);
        REQUIRE(std::string{e.what()}.find("null handler") != std::string::npos);
    }
    evbus::bus_config cfg;
    cfg.capacity = 0;
    REQUIRE_THROWS_AS(evbus::bus{cfg}, evbus::error);
    REQUIRE(bus.handler_count<tick>() == 0u);
}
#endif
