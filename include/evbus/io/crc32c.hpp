#ifndef EVBUS_IO_CRC32C_HPP
#define EVBUS_IO_CRC32C_HPP

/// @file
/// @brief evbus::crc32c: CRC-32C (Castagnoli), the checksum of journal records.

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "../config.hpp"

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

namespace detail {

/// The table-driven CRC (slicing by 8), on any host; see evbus::crc32c.
[[nodiscard]] inline std::uint32_t crc32c_software(const void *data, std::size_t size,
                                                   std::uint32_t crc = 0u) noexcept {
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

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(EVBUS_CRC32C_SOFTWARE)
/// @brief 1 where crc32c() may use the SSE 4.2 instruction (x86-64, gcc or clang), else 0.
#    define EVBUS_CRC32C_HARDWARE 1

/// The SSE 4.2 crc32 instruction (the same polynomial), 8 bytes at a time; only where the CPU has it.
[[nodiscard]] __attribute__((target("sse4.2"))) inline std::uint32_t crc32c_hardware(const void *data, std::size_t size,
                                                                                     std::uint32_t crc = 0u) noexcept {
    const auto *p = static_cast<const unsigned char *>(data);
    std::uint64_t r = ~crc;
    while(size >= 8u) {
        std::uint64_t word = 0u;
        std::memcpy(&word, p, 8u);
        r = __builtin_ia32_crc32di(r, word);
        p += 8;
        size -= 8u;
    }
    auto r32 = static_cast<std::uint32_t>(r);
    while(size-- != 0u) {
        r32 = __builtin_ia32_crc32qi(r32, *p++);
    }
    return ~r32;
}

/// Whether this CPU has SSE 4.2 (read once).
[[nodiscard]] inline bool crc32c_hardware_available() noexcept {
    static const bool available = [] {
        __builtin_cpu_init();
        return __builtin_cpu_supports("sse4.2") != 0;
    }();
    return available;
}
#else
           /// @brief 1 where crc32c() may use the SSE 4.2 instruction (x86-64, gcc or clang), else 0.
#    define EVBUS_CRC32C_HARDWARE 0
#endif

} // namespace detail

/// @brief CRC-32C of size bytes at data, continuing from crc (the result for what came before, 0 at the start):
/// `crc32c(b, nb, crc32c(a, na))` is the CRC of a followed by b. crc32c("123456789", 9) == 0xE3069283.
/// @details On x86-64 CPUs with SSE 4.2 (checked once, at run time) it uses the crc32 instruction;
/// elsewhere, or with EVBUS_CRC32C_SOFTWARE defined, tables sliced by 8. Both give the same values.
[[nodiscard]] inline std::uint32_t crc32c(const void *data, std::size_t size, std::uint32_t crc = 0u) noexcept {
#if EVBUS_CRC32C_HARDWARE
    if(EVBUS_LIKELY(detail::crc32c_hardware_available())) {
        return detail::crc32c_hardware(data, size, crc);
    }
#endif
    return detail::crc32c_software(data, size, crc);
}

} // namespace evbus

#endif
