#include <evbus/io/crc32c.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <cstring>
#include <vector>

namespace {
// The definition, one bit at a time: the reference the sliced tables are checked against.
std::uint32_t crc32c_bitwise(const unsigned char *p, std::size_t n) {
    std::uint32_t r = 0xFFFFFFFFu;
    for(std::size_t i = 0; i < n; ++i) {
        r ^= p[i];
        for(int b = 0; b < 8; ++b) {
            r = (r & 1u) ? (r >> 1) ^ 0x82F63B78u : r >> 1;
        }
    }
    return ~r;
}
} // namespace

TEST_CASE("crc32c matches the published check values", "[io][crc32c]") {
    REQUIRE(evbus::crc32c("123456789", 9) == 0xE3069283u);
    REQUIRE(evbus::crc32c("", 0) == 0u);
    const std::vector<unsigned char> zeros(32, 0u);
    REQUIRE(evbus::crc32c(zeros.data(), zeros.size()) == 0x8A9136AAu); // RFC 3720, B.4
    const std::vector<unsigned char> ones(32, 0xFFu);
    REQUIRE(evbus::crc32c(ones.data(), ones.size()) == 0x62A8AB43u);
}

TEST_CASE("crc32c agrees with the bitwise definition at every length and alignment, and chains", "[io][crc32c]") {
    std::vector<unsigned char> data(300);
    std::uint32_t x = 12345u;
    for(auto &c: data) {
        x = x * 1103515245u + 12345u;
        c = static_cast<unsigned char>(x >> 16);
    }
    for(std::size_t offset = 0; offset < 8u; ++offset) {
        for(std::size_t n = 0; n + offset <= data.size(); n += 7u) {
            REQUIRE(evbus::crc32c(data.data() + offset, n) == crc32c_bitwise(data.data() + offset, n));
        }
    }
    for(std::size_t split = 0; split <= 64u; ++split) {
        REQUIRE(evbus::crc32c(data.data() + split, 64u - split, evbus::crc32c(data.data(), split)) ==
                evbus::crc32c(data.data(), 64u));
    }
}

TEST_CASE("the software and the hardware crc32c agree with the definition", "[io][crc32c]") {
    std::vector<unsigned char> data(200);
    std::uint32_t x = 777u;
    for(auto &c: data) {
        x = x * 1103515245u + 12345u;
        c = static_cast<unsigned char>(x >> 16);
    }
    for(std::size_t offset = 0; offset < 8u; ++offset) {
        for(std::size_t n = 0; n + offset <= data.size(); n += 3u) {
            const std::uint32_t expected = crc32c_bitwise(data.data() + offset, n);
            REQUIRE(evbus::detail::crc32c_software(data.data() + offset, n) == expected);
#if EVBUS_CRC32C_HARDWARE
            if(evbus::detail::crc32c_hardware_available()) {
                REQUIRE(evbus::detail::crc32c_hardware(data.data() + offset, n) == expected);
                const std::uint32_t head = evbus::detail::crc32c_hardware(data.data() + offset, n / 2u);
                REQUIRE(evbus::detail::crc32c_hardware(data.data() + offset + n / 2u, n - n / 2u, head) == expected);
            }
#endif
        }
    }
}
