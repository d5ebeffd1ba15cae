#include <evbus/bridge/nats_wire.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

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

namespace {

/// A prefix-format payload as another language would build it: magic, name length, name, version
/// (little-endian), then the event's bytes.
std::string prefixed(std::string_view name, std::uint32_t version, const void *payload, std::size_t size) {
    std::string out{"EVB\x01", 4u};
    out += static_cast<char>(name.size());
    out += name;
    for(int i = 0; i < 4; ++i) {
        out += static_cast<char>((version >> (8 * i)) & 0xFFu);
    }
    out.append(static_cast<const char *>(payload), size);
    return out;
}

} // namespace

TEST_CASE("the prefix wire format: the layout of docs/bridge.md, decoded exactly", "[bridge][wire]") {
    const tick in{42, 99.5};
    const std::string msg = prefixed("test.tick", 1u, &in, sizeof in);
    // What the bridge writes is the documented layout, byte for byte.
    std::string written(evbus::nats::detail::prefix_size("test.tick"), '\0');
    evbus::nats::detail::write_prefix("test.tick", 1u, reinterpret_cast<unsigned char *>(written.data()));
    REQUIRE(written == msg.substr(0u, written.size()));
    REQUIRE(written.size() == 4u + 1u + 9u + 4u);
    tick out{};
    REQUIRE(evbus::nats::decode_prefixed(msg.data(), msg.size(), out) == status::ok);
    REQUIRE(out.id == 42);
    REQUIRE(out.px == 99.5);
    // another type, a wrong version, a wrong size
    const std::string fill_msg = prefixed("test.fill", 3u, &in, sizeof in);
    REQUIRE(evbus::nats::decode_prefixed(fill_msg.data(), fill_msg.size(), out) == status::other_type);
    const std::string spaced = prefixed("test fill", 3u, &in, sizeof in);
    REQUIRE(evbus::nats::decode_prefixed(spaced.data(), spaced.size(), out) == status::wrong_type);
    const std::string v2 = prefixed("test.tick", 2u, &in, sizeof in);
    REQUIRE(evbus::nats::decode_prefixed(v2.data(), v2.size(), out) == status::wrong_version);
    const std::string v256 = prefixed("test.tick", 257u, &in, sizeof in); // the version's bytes are little-endian
    REQUIRE(evbus::nats::decode_prefixed(v256.data(), v256.size(), out) == status::wrong_version);
    REQUIRE(evbus::nats::decode_prefixed(msg.data(), msg.size() - 1u, out) == status::bad_payload);
    const std::string longer = msg + '\0';
    REQUIRE(evbus::nats::decode_prefixed(longer.data(), longer.size(), out) == status::bad_payload);
    const std::string empty_payload = prefixed("test.tick", 1u, nullptr, 0u);
    REQUIRE(evbus::nats::decode_prefixed(empty_payload.data(), empty_payload.size(), out) == status::bad_payload);
    // not the prefix format at all, or a prefix cut short anywhere
    REQUIRE(evbus::nats::decode_prefixed(&in, sizeof in, out) == status::no_type);
    REQUIRE(evbus::nats::decode_prefixed(nullptr, 0u, out) == status::no_type);
    REQUIRE(evbus::nats::decode_prefixed("EVB\x02....", 8u, out) == status::no_type); // another layout version
    const std::size_t whole_prefix = 4u + 1u + 9u + 4u;
    for(std::size_t cut = 4u; cut < whole_prefix; ++cut) {
        INFO(cut);
        REQUIRE(evbus::nats::decode_prefixed(msg.data(), cut, out) == status::bad_prefix);
    }
    const std::string no_name = prefixed("", 1u, &in, sizeof in);
    REQUIRE(evbus::nats::decode_prefixed(no_name.data(), no_name.size(), out) == status::bad_prefix);
    std::string lying = msg;
    lying[4] = static_cast<char>(200); // a name longer than the message
    REQUIRE(evbus::nats::decode_prefixed(lying.data(), lying.size(), out) == status::bad_prefix);
}

TEST_CASE("the prefix wire format carries codec types", "[bridge][wire]") {
    evbus::detail::byte_buffer buffer;
    evbus::byte_sink sink{buffer};
    evbus::codec<chat>::encode(chat{"ann", "gg"}, sink);
    const std::string msg = prefixed("test.chat", 1u, buffer.data(), buffer.size());
    chat out{};
    REQUIRE(evbus::nats::decode_prefixed(msg.data(), msg.size(), out) == status::ok);
    REQUIRE(out.from == "ann");
    REQUIRE(out.text == "gg");
    chat torn{};
    REQUIRE(evbus::nats::decode_prefixed(msg.data(), msg.size() - 1u, torn) == status::bad_payload);
}
