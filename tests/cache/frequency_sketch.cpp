#include <catch2/catch.hpp>

#include <cstddef>
#include <cstdint>
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
