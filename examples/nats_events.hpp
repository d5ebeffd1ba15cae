// The events market_feed and strategy exchange over NATS: their stable names and versions.
#ifndef EVBUS_EXAMPLES_NATS_EVENTS_HPP
#define EVBUS_EXAMPLES_NATS_EVENTS_HPP

#include <evbus/io/event_traits.hpp>

#include <cstdint>

namespace demo {

struct tick { // md.tick: a price of one symbol
    std::int64_t seq;
    std::int32_t symbol;
    double px;
};

struct feed_end { // md.end: the feed sent `ticks` ticks and stops
    std::int64_t ticks;
};

struct fill { // oms.fill: the strategy bought at px
    std::int64_t tick_seq;
    std::int32_t symbol;
    std::int32_t qty;
    double px;
};

struct strategy_done { // oms.done: the strategy saw `ticks` ticks and sent `fills` fills
    std::int64_t ticks;
    std::int64_t fills;
};

} // namespace demo

template<>
struct evbus::event_traits<demo::tick> {
    static constexpr std::string_view name = "demo.tick";
    static constexpr std::uint32_t version = 1;
};
template<>
struct evbus::event_traits<demo::feed_end> {
    static constexpr std::string_view name = "demo.feed_end";
    static constexpr std::uint32_t version = 1;
};
template<>
struct evbus::event_traits<demo::fill> {
    static constexpr std::string_view name = "demo.fill";
    static constexpr std::uint32_t version = 1;
};
template<>
struct evbus::event_traits<demo::strategy_done> {
    static constexpr std::string_view name = "demo.strategy_done";
    static constexpr std::uint32_t version = 1;
};

#endif
