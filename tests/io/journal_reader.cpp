#include <evbus/io/journal_reader.hpp>
#include <evbus/io/journal_writer.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include "journal_fixture.hpp"

using journal_test::fill;
using journal_test::note;
using journal_test::temp_file;
using journal_test::tick;

namespace {

constexpr std::size_t header_size = 32u;

/// Writes a journal of ticks, notes and fills and returns its bytes.
std::vector<std::byte> sample_journal(const char *name, int events) {
    temp_file file{name};
    {
        evbus::st_bus bus;
        evbus::journal_writer jw{file.path()};
        auto a = jw.record<tick>(bus);
        auto b = jw.record<note>(bus);
        auto c = jw.record<fill>(bus);
        for(int i = 0; i < events; ++i) {
            switch(i % 3) {
            case 0:
                bus.publish(tick{i, i * 0.5});
                break;
            case 1:
                bus.publish(note{std::string(static_cast<std::size_t>(i % 11), 'n'), i});
                break;
            default:
                bus.publish(fill{static_cast<std::uint64_t>(i), -i, 1.0f});
                break;
            }
        }
    }
    return journal_test::read_all(file.path());
}

/// Frame offsets of a journal (from the header on), and whether each frame is an event record.
struct frame_info {
    std::size_t offset;
    std::size_t padded;
    bool event;
};

std::vector<frame_info> frames_of(const std::vector<std::byte> &bytes) {
    std::vector<frame_info> frames;
    for(std::size_t at = header_size; at < bytes.size();) {
        std::uint32_t length = 0;
        std::uint32_t type = 0;
        std::memcpy(&length, bytes.data() + at, 4);
        std::memcpy(&type, bytes.data() + at + 8, 4);
        const std::size_t padded = (length + 7u) & ~std::size_t{7u};
        frames.push_back({at, padded, type != 0u});
        at += padded;
    }
    return frames;
}

/// Replays bytes from memory; records every event's id (tick id, note level, fill order) in order.
struct replay_result {
    std::size_t replayed;
    std::vector<long> ids;
    evbus::journal_reader_stats stats;
};

template<typename Bus = evbus::st_bus>
replay_result replay_memory(const std::byte *data, std::size_t size) {
    evbus::journal_reader jr{data, size};
    Bus bus;
    replay_result result{0u, {}, {}};
    auto a = bus.template subscribe<tick>([&](const tick &t) {
        REQUIRE(t.px == t.id * 0.5);
        result.ids.push_back(t.id);
    });
    auto b = bus.template subscribe<note>([&](const note &n) {
        REQUIRE(n.text == std::string(static_cast<std::size_t>(n.level % 11), 'n'));
        result.ids.push_back(n.level);
    });
    auto c = bus.template subscribe<fill>([&](const fill &f) {
        REQUIRE(f.qty == -static_cast<std::int32_t>(f.order));
        result.ids.push_back(static_cast<long>(f.order));
    });
    result.replayed = jr.replay(bus);
    result.stats = jr.stats();
    return result;
}

/// Recomputes the CRC of the frame at offset (after a deliberate edit).
void reseal(std::vector<std::byte> &bytes, std::size_t offset) {
    std::uint32_t length = 0;
    std::memcpy(&length, bytes.data() + offset, 4);
    const std::uint32_t crc = evbus::detail::journal::frame_crc(bytes.data() + offset, (length + 7u) & ~7u);
    std::memcpy(bytes.data() + offset + 4, &crc, 4);
}

} // namespace

TEST_CASE("journal_reader walks the records for tools: sequence, timestamp, type, payload", "[io][journal_reader]") {
    const auto before = std::chrono::system_clock::now().time_since_epoch();
    const auto bytes = sample_journal("reader_next", 9);
    const auto after = std::chrono::system_clock::now().time_since_epoch();
    evbus::journal_reader jr{bytes.data(), bytes.size()};
    REQUIRE(jr.format_version() == 1u);
    evbus::journal_record record;
    std::vector<std::string_view> names;
    std::uint64_t sequence = 0u;
    while(jr.next(record)) {
        REQUIRE(record.sequence == ++sequence);
        REQUIRE(record.timestamp >= std::chrono::duration_cast<std::chrono::nanoseconds>(before).count());
        REQUIRE(record.timestamp <= std::chrono::duration_cast<std::chrono::nanoseconds>(after).count());
        names.push_back(record.type_name);
        if(record.type_name == "test.tick") {
            REQUIRE(record.size == sizeof(tick));
            REQUIRE(record.version == 1u);
        }
    }
    REQUIRE(names.size() == 9u);
    REQUIRE(names[0] == "test.tick");
    REQUIRE(names[1] == "test.note");
    REQUIRE(names[2] == "test.fill");
    REQUIRE(jr.stats().records == 9u);
    REQUIRE(jr.stats().corrupt_bytes == 0u);
}

TEST_CASE("replay publishes the same records into a bus of every threading policy", "[io][journal_reader]") {
    const auto bytes = sample_journal("reader_policies", 12);
    const replay_result single = replay_memory(bytes.data(), bytes.size());
    const replay_result multi = replay_memory<evbus::bus>(bytes.data(), bytes.size());
    const replay_result lane = replay_memory<evbus::basic_bus<evbus::spsc>>(bytes.data(), bytes.size());
    REQUIRE(single.replayed == 12u);
    CHECK(multi.replayed == 12u);
    CHECK(lane.replayed == 12u);
    CHECK(multi.ids == single.ids);
    CHECK(lane.ids == single.ids);
}

TEST_CASE("a journal cut at every byte of its last two records replays the whole records before the cut",
          "[io][journal_reader]") {
    const auto bytes = sample_journal("reader_cut", 12);
    const auto frames = frames_of(bytes);
    REQUIRE(frames.size() == 15u); // 3 type entries, 12 records
    REQUIRE(frames.back().offset + frames.back().padded == bytes.size());
    const std::size_t from = frames[frames.size() - 2u].offset;
    for(std::size_t cut = from; cut <= bytes.size(); ++cut) {
        std::vector<std::byte> copy(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(cut));
        std::size_t whole_end = header_size;
        long whole_events = 0;
        for(const auto &f: frames) {
            if(f.offset + f.padded <= cut) {
                whole_end = f.offset + f.padded;
                whole_events += f.event ? 1 : 0;
            }
        }
        const replay_result r = replay_memory(copy.data(), copy.size());
        INFO("cut at " << cut);
        REQUIRE(r.replayed == static_cast<std::size_t>(whole_events));
        REQUIRE(r.stats.corrupt_bytes == cut - whole_end);
        for(long i = 0; i < whole_events; ++i) {
            REQUIRE(r.ids[static_cast<std::size_t>(i)] == i);
        }
    }
}

TEST_CASE("a single flipped bit anywhere in the records is detected; the records before it replay",
          "[io][journal_reader]") {
    const auto bytes = sample_journal("reader_flip", 6);
    const auto frames = frames_of(bytes);
    for(std::size_t bit = header_size * 8u; bit < bytes.size() * 8u; ++bit) {
        auto copy = bytes;
        copy[bit / 8u] ^= static_cast<std::byte>(1u << (bit % 8u));
        std::size_t hit = 0;
        long before = 0;
        for(std::size_t k = 0; k < frames.size(); ++k) {
            if(frames[k].offset <= bit / 8u) {
                hit = k;
            }
        }
        for(std::size_t k = 0; k < hit; ++k) {
            before += frames[k].event ? 1 : 0;
        }
        const replay_result r = replay_memory(copy.data(), copy.size());
        INFO("bit " << bit);
        REQUIRE(r.replayed == static_cast<std::size_t>(before));
        REQUIRE(r.stats.corrupt_bytes == bytes.size() - frames[hit].offset);
    }
}

#if EVBUS_HAS_EXCEPTIONS
TEST_CASE("a single flipped bit in the file header is a format_error", "[io][journal_reader]") {
    const auto bytes = sample_journal("reader_flip_header", 1);
    for(std::size_t bit = 0; bit < header_size * 8u; ++bit) {
        auto copy = bytes;
        copy[bit / 8u] ^= static_cast<std::byte>(1u << (bit % 8u));
        INFO("bit " << bit);
        REQUIRE_THROWS_AS(evbus::journal_reader(copy.data(), copy.size()), evbus::error);
    }
}

TEST_CASE("a file that is not a journal, or of a newer format version, is a format_error with a message",
          "[io][journal_reader]") {
    const auto expect_error = [](const std::vector<std::byte> &bytes, const char *words) {
        try {
            evbus::journal_reader jr{bytes.data(), bytes.size()};
            FAIL("no error");
        } catch(const evbus::error &e) {
            REQUIRE(e.code() == evbus::errc::format_error);
            REQUIRE(std::string{e.what()}.find(words) != std::string::npos);
        }
    };
    expect_error({}, "not an evbus journal");
    const char text[] = "hello, this is a text file and no journal";
    std::vector<std::byte> not_journal(sizeof text);
    std::memcpy(not_journal.data(), text, sizeof text);
    expect_error(not_journal, "not an evbus journal");

    auto newer = sample_journal("reader_newer", 3);
    const std::uint16_t version = 2;
    std::memcpy(newer.data() + 12, &version, 2);
    const std::uint32_t crc = evbus::crc32c(newer.data(), 28);
    std::memcpy(newer.data() + 28, &crc, 4);
    expect_error(newer, "format version 2 is newer than this build reads");

    auto swapped = sample_journal("reader_swapped", 3);
    const std::uint32_t other_order = 0x04030201u;
    std::memcpy(swapped.data() + 8, &other_order, 4);
    expect_error(swapped, "other byte order");

    temp_file missing{"reader_missing"};
    try {
        evbus::journal_reader jr{missing.path()};
        FAIL("no error");
    } catch(const evbus::error &e) {
        REQUIRE(e.code() == evbus::errc::io_error);
        REQUIRE(std::string{e.what()}.find(std::strerror(ENOENT)) != std::string::npos);
    }
}
#endif

TEST_CASE("records of a type this build lacks are counted and skipped", "[io][journal_reader]") {
    auto bytes = sample_journal("reader_unknown", 9);
    const auto frames = frames_of(bytes);
    // The first frame is the type entry of test.tick: rename it to a type nobody registered.
    REQUIRE_FALSE(frames[0].event);
    const std::size_t name_at = frames[0].offset + 32u + 20u;
    REQUIRE(std::memcmp(bytes.data() + name_at, "test.tick", 9) == 0);
    std::memcpy(bytes.data() + name_at, "test.tock", 9);
    reseal(bytes, frames[0].offset);
    // The note's entry (the third frame) gets a version this build does not have.
    REQUIRE_FALSE(frames[2].event);
    const std::uint32_t version = 7;
    std::memcpy(bytes.data() + frames[2].offset + 32u + 4u, &version, 4);
    reseal(bytes, frames[2].offset);
    const replay_result r = replay_memory(bytes.data(), bytes.size());
    REQUIRE(r.replayed == 3u); // the fills: 2, 5, 8
    REQUIRE(r.ids == std::vector<long>{2, 5, 8});
    REQUIRE(r.stats.unknown == 6u);
    REQUIRE(r.stats.records == 9u);
    REQUIRE(r.stats.corrupt_bytes == 0u);
}

TEST_CASE("a record repeated after the end (stale bytes) ends the replay: sequences must increase",
          "[io][journal_reader]") {
    auto bytes = sample_journal("reader_stale", 4);
    const auto frames = frames_of(bytes);
    const auto last = frames.back();
    bytes.insert(bytes.end(), bytes.begin() + static_cast<std::ptrdiff_t>(last.offset), bytes.end());
    const replay_result r = replay_memory(bytes.data(), bytes.size());
    REQUIRE(r.replayed == 4u);
    REQUIRE(r.stats.corrupt_bytes == last.padded);
}

TEST_CASE("a payload the codec refuses is counted as malformed and skipped", "[io][journal_reader]") {
    auto bytes = sample_journal("reader_malformed", 3);
    const auto frames = frames_of(bytes);
    // frames: tick entry, tick, note entry, note, fill entry, fill. Make the note's string length lie.
    const std::size_t note_at = frames[3].offset;
    REQUIRE(frames[3].event);
    const std::uint32_t lie = 1000;
    std::memcpy(bytes.data() + note_at + 32u + 4u, &lie, 4);
    reseal(bytes, note_at);
    const replay_result r = replay_memory(bytes.data(), bytes.size());
    REQUIRE(r.replayed == 2u);
    REQUIRE(r.stats.malformed == 1u);
    REQUIRE(r.ids == std::vector<long>{0, 2});
}

TEST_CASE("register_type makes a type replayable without recording it", "[io][journal_reader]") {
    evbus::journal_reader::register_type<journal_test::stranger>();
    REQUIRE(evbus::detail::journal::registry::instance().find("test.stranger", 1u) != nullptr);
    REQUIRE(evbus::detail::journal::registry::instance().find("test.stranger", 2u) == nullptr);
}
