#ifndef EVBUS_CACHE_FREQUENCY_SKETCH_HPP
#define EVBUS_CACHE_FREQUENCY_SKETCH_HPP

/// @file
/// @brief evbus::frequency_sketch: a count-min sketch of 4-bit counters that ages, for admission policies.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "../config.hpp"

namespace evbus {

namespace detail {

/// @brief Bytes of two 4-bit counters with one of them raised, a counter at 15 staying: entry
/// 2b + n is byte b with its low (n = 0) or high (n = 1) nibble raised.
struct sketch_raised_table {
    unsigned char bytes[512];

    constexpr sketch_raised_table() noexcept: bytes{} {
        for(unsigned b = 0u; b < 256u; ++b) {
            bytes[2u * b] = static_cast<unsigned char>((b & 0x0fu) == 0x0fu ? b : b + 0x01u);
            bytes[2u * b + 1u] = static_cast<unsigned char>((b & 0xf0u) == 0xf0u ? b : b + 0x10u);
        }
    }
};

/// @brief The table frequency_sketch::increment() raises counters with.
inline constexpr sketch_raised_table sketch_raised{};

} // namespace detail

/// @brief Estimates how often each hash was recorded recently: a count-min sketch of depth four with
/// 4-bit counters (never an underestimate before aging), halved every `sample` recordings.
/// @details The four counters of a hash lie in one 64-byte block (16 bytes, 32 counters, per row),
/// so a recording touches one cache line; it raises each counter by one load from a 512-byte
/// table. Sized once by the constructor (about 8 bytes per expected entry); nothing allocates
/// afterwards. Hashes are mixed first, so an identity std::hash (integers, in libstdc++) spreads as
/// well as any.
class frequency_sketch {
public:
    /// @brief Largest estimate: counters saturate at 15.
    static constexpr std::uint32_t max_frequency = 15u;

    /// @brief A sketch for about @p entries distinct hot hashes; halves every counter after
    /// @p sample_factor times that many recordings (10, as in TinyLFU).
    explicit frequency_sketch(std::size_t entries, std::size_t sample_factor = 10u)
        : blocks_(block_count(entries)), sample_{(entries == 0u ? 1u : entries) *
                                                 (sample_factor == 0u ? 1u : sample_factor)} {}

    /// @brief Counts one more occurrence of hash; may halve every counter (aging).
    EVBUS_ALWAYS_INLINE void increment(std::size_t hash) noexcept {
        const std::uint64_t mixed = mix(static_cast<std::uint64_t>(hash));
        unsigned char *bytes = block_bytes(mixed);
        // A table turns each counter's byte into its raised value (a saturated counter stays): a load
        // and a store per row, without a variable shift.
        const auto bump = [bytes, mixed](unsigned row) noexcept {
            const auto at = static_cast<unsigned>(mixed >> (row * 5u)) & 31u;
            unsigned char &byte = bytes[row * 16u + (at >> 1u)];
            const unsigned char before = byte;
            byte = detail::sketch_raised.bytes[2u * before + (at & 1u)];
            return static_cast<unsigned>(byte ^ before);
        };
        const unsigned added = bump(0u) | bump(1u) | bump(2u) | bump(3u);
        if(EVBUS_UNLIKELY((until_aging_ -= (added != 0u ? 1u : 0u)) == 0u)) {
            age_now();
        }
    }

    /// @brief The estimated number of recent occurrences of hash, in [0, 15].
    [[nodiscard]] std::uint32_t frequency(std::size_t hash) const noexcept {
        const std::uint64_t mixed = mix(static_cast<std::uint64_t>(hash));
        const unsigned char *bytes = block_bytes(mixed);
        const auto read = [bytes, mixed](unsigned row) noexcept {
            const auto at = static_cast<unsigned>(mixed >> (row * 5u)) & 31u;
            return static_cast<std::uint32_t>(bytes[row * 16u + (at >> 1u)] >> ((at & 1u) * 4u)) & 0xfu;
        };
        const std::uint32_t a = read(0u);
        const std::uint32_t b = read(1u);
        const std::uint32_t c = read(2u);
        const std::uint32_t d = read(3u);
        const std::uint32_t ab = a < b ? a : b;
        const std::uint32_t cd = c < d ? c : d;
        return ab < cd ? ab : cd;
    }

    /// @brief Halves every counter now (what increment() does every sample recordings).
    void age() noexcept {
        std::size_t odd = 0u;
        for(block &b: blocks_) {
            for(std::uint64_t &word: b.words) {
                odd += low_bits(word);
                word = (word >> 1u) & 0x7777777777777777u;
            }
        }
        // Half the recordings remain, less a quarter of the odd counters, whose halves truncation
        // dropped: Caffeine's arithmetic, which ages a little less often than counting a quarter of
        // them before halving would (measured on the traces of docs/cache.md: 0.005 closer to Caffeine
        // in the worst cell, and 0.01 on small caches over looping traces).
        const std::size_t half = recorded() / 2u;
        const std::size_t lost = odd / 4u;
        until_aging_ = sample_ - (half > lost ? half - lost : 0u);
    }

    /// @brief Zeroes every counter.
    void clear() noexcept {
        for(block &b: blocks_) {
            b = block{};
        }
        until_aging_ = sample_;
    }

    /// @brief Recordings that raised a counter since the last aging.
    [[nodiscard]] std::size_t recorded() const noexcept { return sample_ - until_aging_; }

    /// @brief Recordings between two agings.
    [[nodiscard]] std::size_t sample() const noexcept { return sample_; }

private:
    // Out of line: the hits that call increment() stay short.
    [[gnu::noinline, gnu::cold]] void age_now() noexcept { age(); }

    struct alignas(64) block {
        std::uint64_t words[8]{};
    };

    // One block per eight expected entries (16 counters per entry in all), a power of two.
    [[nodiscard]] static std::size_t block_count(std::size_t entries) noexcept {
        std::size_t count = 1u;
        while(count * 8u < entries && count < (std::size_t{1} << 40u)) {
            count <<= 1u;
        }
        return count;
    }

    // Row r uses bytes 16r to 16r + 15 of the block (words 2r and 2r + 1): five bits of the mixed
    // hash's low half pick one of its 32 counters, low nibble first; the high half picks the block.
    [[nodiscard]] unsigned char *block_bytes(std::uint64_t mixed) noexcept {
        return reinterpret_cast<unsigned char *>(blocks_[static_cast<std::size_t>(mixed >> 32u) & mask_].words);
    }
    [[nodiscard]] const unsigned char *block_bytes(std::uint64_t mixed) const noexcept {
        return reinterpret_cast<const unsigned char *>(blocks_[static_cast<std::size_t>(mixed >> 32u) & mask_].words);
    }

    // One multiply by the golden ratio, whose high half (which depends on every bit of the hash) is
    // folded into the low half: the bits the rows use, and the block, all depend on the whole hash.
    [[nodiscard]] static std::uint64_t mix(std::uint64_t z) noexcept {
        z *= 0x9e3779b97f4a7c15u;
        return z ^ (z >> 32u);
    }

    // How many of the 16 counters in word are odd: their low bits summed byte by byte, then across
    // the bytes by one multiply (no popcount instruction needed, nor a call to libgcc's).
    [[nodiscard]] static std::size_t low_bits(std::uint64_t word) noexcept {
        std::uint64_t x = word & 0x1111111111111111u;
        x = (x + (x >> 4u)) & 0x0f0f0f0f0f0f0f0fu;
        return static_cast<std::size_t>((x * 0x0101010101010101u) >> 56u);
    }

    std::vector<block> blocks_;
    std::size_t mask_{blocks_.size() - 1u};
    std::size_t sample_;
    std::size_t until_aging_{sample_}; // recordings that raise a counter before the next aging
};

} // namespace evbus

#endif
