#include <evbus/core/channel.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <type_traits>
#include <utility>

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

namespace {
template<typename Channel, typename Arg, typename = void>
struct can_post_for: std::false_type {};
template<typename Channel, typename Arg>
struct can_post_for<
    Channel, Arg,
    std::void_t<decltype(std::declval<Channel &>().post_for(std::declval<Arg>(), std::chrono::milliseconds{1}))>>
    : std::true_type {};

template<typename Channel, typename Arg, typename = void>
struct can_post: std::false_type {};
template<typename Channel, typename Arg>
struct can_post<Channel, Arg, std::void_t<decltype(std::declval<Channel &>().post(std::declval<Arg>()))>>
    : std::true_type {};

struct order {
    int id;
};
} // namespace

TEST_CASE("channel post and post_for take the same arguments: what builds the event", "[core][channel]") {
    using channel_type = evbus::channel<order>;
    STATIC_REQUIRE(can_post<channel_type, order>::value);
    STATIC_REQUIRE(can_post_for<channel_type, order>::value);
    STATIC_REQUIRE(can_post_for<channel_type, const order &>::value);
    STATIC_REQUIRE_FALSE(can_post<channel_type, const char *>::value);
    STATIC_REQUIRE_FALSE(can_post_for<channel_type, const char *>::value);
}
