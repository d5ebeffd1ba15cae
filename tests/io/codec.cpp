#include <evbus/io/codec.hpp>

#include <catch2/catch.hpp>

#include <cstring>
#include <string>

#include "journal_fixture.hpp"

using journal_test::fill;
using journal_test::note;
using journal_test::tick;

TEST_CASE("a trivially copyable event is its bytes, padding and doubles included", "[io][codec]") {
    STATIC_REQUIRE(evbus::is_bytes_codec_v<tick>);
    STATIC_REQUIRE(evbus::has_codec_v<tick>);
    STATIC_REQUIRE(!std::has_unique_object_representations_v<tick>); // padding: still carried
    evbus::detail::byte_buffer buffer;
    evbus::byte_sink sink{buffer};
    const tick in{7, 101.25};
    evbus::codec<tick>::encode(in, sink);
    REQUIRE(buffer.size() == sizeof(tick));
    REQUIRE(std::memcmp(buffer.data(), &in, sizeof(tick)) == 0);
    tick out{};
    evbus::byte_source source{buffer.data(), buffer.size()};
    REQUIRE(evbus::codec<tick>::decode(source, out));
    REQUIRE(out.id == 7);
    REQUIRE(out.px == 101.25);
    evbus::byte_source short_source{buffer.data(), buffer.size() - 1u};
    REQUIRE_FALSE(evbus::codec<tick>::decode(short_source, out));
}

TEST_CASE("a custom codec round-trips a type holding a std::string and refuses truncations", "[io][codec]") {
    STATIC_REQUIRE(!evbus::is_bytes_codec_v<note>);
    STATIC_REQUIRE(evbus::has_codec_v<note>);
    STATIC_REQUIRE(!evbus::has_codec_v<std::string>);
    evbus::detail::byte_buffer buffer;
    evbus::byte_sink sink{buffer};
    evbus::codec<note>::encode(note{"hello, journal", 3}, sink);
    REQUIRE(buffer.size() == 4u + 4u + 14u);
    note out;
    evbus::byte_source source{buffer.data(), buffer.size()};
    REQUIRE(evbus::codec<note>::decode(source, out));
    REQUIRE(out.text == "hello, journal");
    REQUIRE(out.level == 3);
    REQUIRE(source.remaining() == 0u);
    for(std::size_t cut = 0; cut < 8u; ++cut) {
        evbus::byte_source cut_source{buffer.data(), cut};
        note partial;
        REQUIRE_FALSE(evbus::codec<note>::decode(cut_source, partial));
    }
}

TEST_CASE("byte_buffer grows, keeps its bytes and truncates", "[io][codec]") {
    evbus::detail::byte_buffer buffer{4};
    for(int i = 0; i < 100; ++i) {
        buffer.append(&i, sizeof i);
    }
    REQUIRE(buffer.size() == 400u);
    int last = 0;
    std::memcpy(&last, buffer.data() + 396, sizeof last);
    REQUIRE(last == 99);
    buffer.truncate(8u);
    REQUIRE(buffer.size() == 8u);
    buffer.clear();
    REQUIRE(buffer.size() == 0u);
    REQUIRE(buffer.capacity() >= 400u);
}
