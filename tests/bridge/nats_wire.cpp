#include <evbus/bridge/nats_wire.hpp>

#include <catch2/catch.hpp>

#include <cstring>

#include "nats_types.hpp"

using nats_test::chat;
using nats_test::tick;
using status = evbus::nats::decode_status;

TEST_CASE("the wire decoder takes the event's name, version and exact bytes", "[bridge][wire]") {
    const tick in{42, 99.5};
    tick out{};
    REQUIRE(evbus::nats::decode("test.tick", "1", &in, sizeof in, out) == status::ok);
    REQUIRE(out.id == 42);
    REQUIRE(out.px == 99.5);
    REQUIRE(evbus::nats::decode(nullptr, "1", &in, sizeof in, out) == status::no_type);
    // a well-formed message of another type (several types may share a subject)
    REQUIRE(evbus::nats::decode("test.fill", "1", &in, sizeof in, out) == status::other_type);
    REQUIRE(evbus::nats::decode("test.tic", "7", nullptr, 0u, out) == status::other_type);
    // another name, but not a well-formed message of another type
    REQUIRE(evbus::nats::decode("test.fill", nullptr, &in, sizeof in, out) == status::wrong_type);
    REQUIRE(evbus::nats::decode("test.fill", "x", &in, sizeof in, out) == status::wrong_type);
    REQUIRE(evbus::nats::decode("", "1", &in, sizeof in, out) == status::wrong_type);
    REQUIRE(evbus::nats::decode("test fill", "1", &in, sizeof in, out) == status::wrong_type);
    REQUIRE(evbus::nats::decode("test.\x01", "1", &in, sizeof in, out) == status::wrong_type);
    REQUIRE(evbus::nats::decode("test.tick", nullptr, &in, sizeof in, out) == status::wrong_version);
    for(const char *bad: {"", "2", "0", "1 ", " 1", "+1", "1x", "-1", "4294967297", "99999999999"}) {
        INFO(bad);
        REQUIRE(evbus::nats::decode("test.tick", bad, &in, sizeof in, out) == status::wrong_version);
    }
    REQUIRE(evbus::nats::decode("test.tick", "1", &in, sizeof in - 1u, out) == status::bad_payload);
    unsigned char longer[sizeof(tick) + 1u]{};
    std::memcpy(longer, &in, sizeof in);
    REQUIRE(evbus::nats::decode("test.tick", "1", longer, sizeof longer, out) == status::bad_payload);
    REQUIRE(evbus::nats::decode("test.tick", "1", nullptr, 0u, out) == status::bad_payload);
}

TEST_CASE("the wire decoder runs a codec and refuses bytes it leaves unread", "[bridge][wire]") {
    evbus::detail::byte_buffer buffer;
    evbus::byte_sink sink{buffer};
    evbus::codec<chat>::encode(chat{"ann", "gg"}, sink);
    chat out{};
    REQUIRE(evbus::nats::decode("test.chat", "1", buffer.data(), buffer.size(), out) == status::ok);
    REQUIRE(out.from == "ann");
    REQUIRE(out.text == "gg");
    chat trailing{};
    buffer.extend(1u)[0] = std::byte{7};
    REQUIRE(evbus::nats::decode("test.chat", "1", buffer.data(), buffer.size(), trailing) == status::bad_payload);
    chat torn{};
    REQUIRE(evbus::nats::decode("test.chat", "1", buffer.data(), 5u, torn) == status::bad_payload);
}

TEST_CASE("versions are written and parsed in plain decimal", "[bridge][wire]") {
    char text[11];
    for(std::uint32_t v: {0u, 1u, 10u, 4294967295u}) {
        std::uint32_t back = 7u;
        REQUIRE(evbus::nats::detail::parse_version(evbus::nats::detail::format_version(v, text), back));
        REQUIRE(back == v);
    }
    REQUIRE(std::string{evbus::nats::detail::format_version(4294967295u, text)} == "4294967295");
}
