#include <evbus/core/channel.hpp>

#include <catch2/catch.hpp>

#include <string>

namespace {
struct tick {
    int id;
};
} // namespace

TEMPLATE_TEST_CASE("channel: publish, priorities, RAII handles", "[core][channel]", evbus::multi_thread,
                   evbus::single_thread) {
    evbus::channel<tick, TestType> channel;
    std::string order;
    REQUIRE(channel.publish(tick{1}) == 0u);
    auto a = channel.subscribe([&](const tick &t) { order += std::to_string(t.id) + "a"; });
    auto b = channel.subscribe([&](const tick &t) { order += std::to_string(t.id) + "b"; }, 1);
    REQUIRE(channel.handler_count() == 2u);
    REQUIRE(channel.publish(tick{1}) == 2u);
    b.reset();
    const tick t{2};
    REQUIRE(channel.publish(t) == 1u);
    REQUIRE(order == "1b1a2a");
    REQUIRE(channel.handler_count() == 1u);
}

TEMPLATE_TEST_CASE("channel: handles outlive the channel", "[core][channel]", evbus::multi_thread,
                   evbus::single_thread) {
    evbus::subscription s;
    {
        evbus::channel<tick, TestType> channel;
        s = channel.subscribe([](const tick &) {});
        REQUIRE(s.active());
    }
    REQUIRE_FALSE(s.active());
    s.reset();
}

TEMPLATE_TEST_CASE("channel: re-entrant unsubscribe of every handler", "[core][channel][reentrancy]",
                   evbus::multi_thread, evbus::single_thread) {
    evbus::channel<tick, TestType> channel;
    int calls = 0;
    evbus::subscription subs[3];
    for(auto &s: subs) {
        s = channel.subscribe([&](const tick &) {
            ++calls;
            for(auto &other: subs) {
                other.reset();
            }
        });
    }
    REQUIRE(channel.publish(tick{}) == 1u);
    REQUIRE(calls == 1);
    REQUIRE(channel.handler_count() == 0u);
    REQUIRE(channel.publish(tick{}) == 0u);
}
