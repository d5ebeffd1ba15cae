#ifndef EVBUS_CACHE_FREQUENCY_SKETCH_HPP
#define EVBUS_CACHE_FREQUENCY_SKETCH_HPP

/// @file
/// @brief evbus::frequency_sketch: a count-min sketch of 4-bit counters that ages, for admission policies.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "../config.hpp"

namespace evbus {

/// @brief Estimates how often each hash was recorded recently: a count-min sketch of depth four with
/// 4-bit counters (never an underestimate before aging), halved every `sample` recordings.
/// @details The four counters of a hash lie in one 64-byte block (two words per row, one counter in
/// one of them), so a recording touches one cache line. Sized once by the constructor (about 8 bytes
/// per expected entry); nothing allocates afterwards. Hashes are mixed first, so an identity
/// std::hash (integers, in libstdc++) spreads as well as any.
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
        std::uint64_t *words = blocks_[block_of(mixed)].words;
        // Written out for the four rows, without branches: a saturated counter adds nothing.
        const auto bump = [words, mixed](unsigned row) noexcept {
            const auto bits = static_cast<unsigned>(mixed >> (row * 5u));
            std::uint64_t &word = words[row * 2u + ((bits >> 4u) & 1u)];
            const unsigned shift = (bits & 0xfu) * 4u;
            const std::uint64_t raise = ((word >> shift) & 0xfu) != max_frequency;
            word += raise << shift;
            return raise;
        };
        const std::uint64_t added = bump(0u) | bump(1u) | bump(2u) | bump(3u);
        recorded_ += static_cast<std::size_t>(added);
        if(EVBUS_UNLIKELY(recorded_ == sample_)) {
            age_now();
        }
    }

    /// @brief The estimated number of recent occurrences of hash, in [0, 15].
    [[nodiscard]] std::uint32_t frequency(std::size_t hash) const noexcept {
        const std::uint64_t mixed = mix(static_cast<std::uint64_t>(hash));
        const std::uint64_t *words = blocks_[block_of(mixed)].words;
        const auto read = [words, mixed](unsigned row) noexcept {
            const auto bits = static_cast<unsigned>(mixed >> (row * 5u));
            return static_cast<std::uint32_t>((words[row * 2u + ((bits >> 4u) & 1u)] >> ((bits & 0xfu) * 4u)) & 0xfu);
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
        const std::size_t half = recorded_ / 2u;
        const std::size_t lost = odd / 4u;
        recorded_ = half > lost ? half - lost : 0u;
    }

    /// @brief Zeroes every counter.
    void clear() noexcept {
        for(block &b: blocks_) {
            b = block{};
        }
        recorded_ = 0u;
    }

    /// @brief Recordings that raised a counter since the last aging.
    [[nodiscard]] std::size_t recorded() const noexcept { return recorded_; }

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

    [[nodiscard]] std::size_t block_of(std::uint64_t mixed) const noexcept {
        return static_cast<std::size_t>(mixed >> 32u) & (blocks_.size() - 1u);
    }

    // Row r uses words 2r and 2r + 1: five bits of the mixed hash's low half pick the word and the
    // counter in it; the high half picks the block.
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
    std::size_t sample_;
    std::size_t recorded_{0u};
};

} // namespace evbus

#endif
