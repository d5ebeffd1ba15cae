#ifndef EVBUS_IO_CRC32C_HPP
#define EVBUS_IO_CRC32C_HPP

/// @file
/// @brief evbus::crc32c: CRC-32C (Castagnoli), the checksum of journal records.

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace evbus {

namespace detail {

/// The reflected Castagnoli polynomial, 0x1EDC6F41 bit-reversed.
inline constexpr std::uint32_t crc32c_polynomial = 0x82F63B78u;

/// tables[0][b]: the CRC register after shifting byte b through it; tables[k][b]: the same followed
/// by k zero bytes, so that eight bytes are folded in with eight lookups ("slicing by 8").
using crc32c_tables = std::array<std::array<std::uint32_t, 256>, 8>;

constexpr crc32c_tables make_crc32c_tables() noexcept {
    crc32c_tables tables{};
    for(std::uint32_t b = 0; b < 256u; ++b) {
        std::uint32_t r = b;
        for(int bit = 0; bit < 8; ++bit) {
            r = (r & 1u) ? (r >> 1) ^ crc32c_polynomial : r >> 1;
        }
        tables[0][b] = r;
    }
    for(std::size_t k = 1; k < 8u; ++k) {
        for(std::size_t b = 0; b < 256u; ++b) {
            const std::uint32_t prev = tables[k - 1u][b];
            tables[k][b] = (prev >> 8) ^ tables[0][prev & 0xFFu];
        }
    }
    return tables;
}

inline constexpr crc32c_tables crc32c_table = make_crc32c_tables();

inline constexpr bool crc32c_little_endian =
#if defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__)
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__;
#else
    false; // unknown: the byte-at-a-time loop is right on any host
#endif

} // namespace detail

/// @brief CRC-32C of size bytes at data, continuing from crc (the result for what came before, 0 at the start):
/// `crc32c(b, nb, crc32c(a, na))` is the CRC of a followed by b. crc32c("123456789", 9) == 0xE3069283.
[[nodiscard]] inline std::uint32_t crc32c(const void *data, std::size_t size, std::uint32_t crc = 0u) noexcept {
    const auto &t = detail::crc32c_table;
    const auto *p = static_cast<const unsigned char *>(data);
    std::uint32_t r = ~crc;
    if constexpr(detail::crc32c_little_endian) {
        while(size >= 8u) {
            std::uint32_t lo = 0u;
            std::uint32_t hi = 0u;
            std::memcpy(&lo, p, 4u);
            std::memcpy(&hi, p + 4, 4u);
            lo ^= r;
            r = t[7][lo & 0xFFu] ^ t[6][(lo >> 8) & 0xFFu] ^ t[5][(lo >> 16) & 0xFFu] ^ t[4][lo >> 24] ^
                t[3][hi & 0xFFu] ^ t[2][(hi >> 8) & 0xFFu] ^ t[1][(hi >> 16) & 0xFFu] ^ t[0][hi >> 24];
            p += 8;
            size -= 8u;
        }
    }
    while(size-- != 0u) {
        r = (r >> 8) ^ t[0][(r ^ *p++) & 0xFFu];
    }
    return ~r;
}

} // namespace evbus

#endif
