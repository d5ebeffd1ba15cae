// Event types the bridge tests (and the fuzz target) send: a trivially copyable one, a codec one.
#ifndef EVBUS_TESTS_BRIDGE_NATS_TYPES_HPP
#define EVBUS_TESTS_BRIDGE_NATS_TYPES_HPP

#include <evbus/io/codec.hpp>
#include <evbus/io/event_traits.hpp>

#include <cstdint>
#include <string>

namespace nats_test {

struct tick {
    std::int64_t id;
    double px;
};

struct fill {
    std::int64_t order;
    std::int32_t qty;
};

struct chat {
    std::string from;
    std::string text;
};

} // namespace nats_test

template<>
struct evbus::event_traits<nats_test::tick> {
    static constexpr std::string_view name = "test.tick";
    static constexpr std::uint32_t version = 1;
};

template<>
struct evbus::event_traits<nats_test::fill> {
    static constexpr std::string_view name = "test.fill";
    static constexpr std::uint32_t version = 3;
};

template<>
struct evbus::event_traits<nats_test::chat> {
    static constexpr std::string_view name = "test.chat";
    static constexpr std::uint32_t version = 1;
};

template<>
struct evbus::codec<nats_test::chat> {
    static void encode(const nats_test::chat &c, evbus::byte_sink &out) {
        out.write_string(c.from);
        out.write_string(c.text);
    }
    static bool decode(evbus::byte_source &in, nats_test::chat &c) {
        return in.read_string(c.from) && in.read_string(c.text);
    }
};

#endif
