#include <catch2/catch.hpp>

#include <cstddef>
#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>
#include <evbus/cache/frequency_sketch.hpp>

TEST_CASE("frequency_sketch: counts, saturates at 15, never underestimates", "[cache][sketch]") {
    evbus::frequency_sketch sketch{1024};
    CHECK(sketch.frequency(42u) == 0u);
    for(int i = 0; i < 7; ++i) {
        sketch.increment(42u);
    }
    CHECK(sketch.frequency(42u) == 7u);
    for(int i = 0; i < 20; ++i) {
        sketch.increment(42u);
    }
    CHECK(sketch.frequency(42u) == evbus::frequency_sketch::max_frequency);
    // Other keys, each recorded three times: a count-min sketch may overestimate, never underestimate.
    for(std::size_t key = 1000; key < 1500; ++key) {
        for(int i = 0; i < 3; ++i) {
            sketch.increment(key);
        }
    }
    std::size_t exact = 0;
    for(std::size_t key = 1000; key < 1500; ++key) {
        CHECK(sketch.frequency(key) >= 3u);
        exact += sketch.frequency(key) == 3u ? 1u : 0u;
    }
    CHECK(exact > 450u); // 500 keys in a sketch sized for 1024: few collisions in all four rows
}

TEST_CASE("frequency_sketch: ages by halving every counter after its sample", "[cache][sketch]") {
    evbus::frequency_sketch sketch{16, 10}; // a sample of 160 recordings
    CHECK(sketch.sample() == 160u);
    for(int i = 0; i < 9; ++i) {
        sketch.increment(7u);
    }
    REQUIRE(sketch.recorded() == 9u);
    sketch.age();
    CHECK(sketch.frequency(7u) == 4u); // 9 / 2
    // Four counters at 9 were odd: 9 / 2 recordings remain, less 4 / 4 for the halves dropped.
    CHECK(sketch.recorded() == 3u);
    sketch.clear();
    CHECK(sketch.frequency(7u) == 0u);
    CHECK(sketch.recorded() == 0u);

    // Recordings that raise a counter move towards the sample; reaching it halves everything.
    std::size_t key = 0;
    while(sketch.recorded() < sketch.sample() - 1u) {
        sketch.increment(key++ % 40u);
    }
    const std::uint32_t before = sketch.frequency(0u);
    REQUIRE(before >= 2u);
    sketch.increment(key % 40u);
    CHECK(sketch.recorded() < sketch.sample() / 2u + 1u);
    CHECK(sketch.frequency(0u) <= before / 2u + 1u);
}

TEST_CASE("frequency_sketch: raising a counter leaves the other counter of its byte alone", "[cache][sketch]") {
    for(unsigned byte = 0u; byte < 256u; ++byte) {
        for(unsigned nibble = 0u; nibble < 2u; ++nibble) {
            const unsigned raised = evbus::detail::sketch_raised.bytes[2u * byte + nibble];
            const unsigned shift = nibble * 4u;
            const unsigned counter = (byte >> shift) & 0xfu;
            CHECK(((raised >> shift) & 0xfu) == (counter == 15u ? 15u : counter + 1u));
            CHECK(((raised >> (4u - shift)) & 0xfu) == ((byte >> (4u - shift)) & 0xfu));
        }
    }
    // Through the sketch: one key raised past 15 in a sketch of one block saturates, and a second
    // key recorded once is still estimated at 1 or more (no carry wiped its counters).
    evbus::frequency_sketch sketch{8, 1000};
    for(int i = 0; i < 40; ++i) {
        sketch.increment(3u);
    }
    sketch.increment(4u);
    CHECK(sketch.frequency(3u) == evbus::frequency_sketch::max_frequency);
    CHECK(sketch.frequency(4u) >= 1u);
}

namespace {
// The counters as words, the layout the sketch had before it addressed bytes: row r is words 2r and
// 2r + 1, bit 4 of the row's five bits picks the word and the low four the nibble. Written for
// obviousness; the sketch must estimate exactly what this does (on a little-endian machine they
// are the same counters, so the hit counts of docs/cache.md did not move).
struct word_sketch {
    std::vector<std::uint64_t> words;
    explicit word_sketch(std::size_t blocks): words(blocks * 8u, 0u) {}
    static std::uint64_t mix(std::uint64_t z) {
        z *= 0x9e3779b97f4a7c15u;
        return z ^ (z >> 32u);
    }
    std::uint64_t &word(std::uint64_t mixed, unsigned row) {
        const std::size_t block = static_cast<std::size_t>(mixed >> 32u) & (words.size() / 8u - 1u);
        const auto bits = static_cast<unsigned>(mixed >> (row * 5u));
        return words[block * 8u + row * 2u + ((bits >> 4u) & 1u)];
    }
    static unsigned shift(std::uint64_t mixed, unsigned row) {
        return (static_cast<unsigned>(mixed >> (row * 5u)) & 0xfu) * 4u;
    }
    void increment(std::uint64_t hash) {
        const std::uint64_t mixed = mix(hash);
        for(unsigned row = 0; row < 4u; ++row) {
            std::uint64_t &w = word(mixed, row);
            if(((w >> shift(mixed, row)) & 0xfu) != 15u) {
                w += std::uint64_t{1} << shift(mixed, row);
            }
        }
    }
    std::uint32_t frequency(std::uint64_t hash) {
        const std::uint64_t mixed = mix(hash);
        std::uint32_t low = 15u;
        for(unsigned row = 0; row < 4u; ++row) {
            low = std::min(low, static_cast<std::uint32_t>((word(mixed, row) >> shift(mixed, row)) & 0xfu));
        }
        return low;
    }
};
} // namespace

TEST_CASE("frequency_sketch: estimates what the same counters kept as words estimate", "[cache][sketch]") {
    evbus::frequency_sketch sketch{256, 1000}; // 32 blocks, no aging in this test
    word_sketch reference{32};
    std::mt19937_64 engine{99};
    for(int i = 0; i < 20000; ++i) {
        const std::uint64_t hash = engine() % 3000u;
        sketch.increment(static_cast<std::size_t>(hash));
        reference.increment(hash);
    }
    for(std::uint64_t hash = 0; hash < 3000u; ++hash) {
        REQUIRE(sketch.frequency(static_cast<std::size_t>(hash)) == reference.frequency(hash));
    }
}
