// Recording is a copy into the journal's buffer: no allocation per append in steady state, also
// across the buffer's writes to the file; replaying trivially copyable events allocates nothing either.
#include <evbus/io/journal_reader.hpp>
#include <evbus/io/journal_writer.hpp>

#include <catch2/catch.hpp>

#include <cstdio>
#include <new>
#include <string>
#include <vector>

#include <unistd.h>

#include "alloc_counter.hpp"

namespace {
struct quote {
    int id;
    double bid;
    double ask;
};
struct long_named {
    int id;
};
struct blob { // through a codec: a 32-bit length and the bytes
    std::string text;
};
} // namespace

template<>
struct evbus::event_traits<quote> {
    static constexpr std::string_view name = "alloc.quote";
    static constexpr std::uint32_t version = 1;
};

// A name long enough that its type-table entry outgrows a small writer's buffer (a growth mid-entry).
template<>
struct evbus::event_traits<long_named> {
    static constexpr std::string_view name =
        "alloc.long_named.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
        "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc";
    static constexpr std::uint32_t version = 1;
};

template<>
struct evbus::event_traits<blob> {
    static constexpr std::string_view name = "alloc.blob";
    static constexpr std::uint32_t version = 1;
};

template<>
struct evbus::codec<blob> {
    static void encode(const blob &e, evbus::byte_sink &out) { out.write_string(e.text); }
    static bool decode(evbus::byte_source &in, blob &e) { return in.read_string(e.text); }
};

#if EVBUS_HAS_EXCEPTIONS // a failed allocation is a bad_alloc to catch
TEST_CASE("an allocation failure while announcing a type leaves no partial frame in the journal", "[alloc][journal]") {
    const bool writer_thread = GENERATE(false, true);
    CAPTURE(writer_thread);
    const std::string path = "/tmp/evbus_alloc_journal_announce_" + std::to_string(::getpid()) + ".evj";
    {
        evbus::st_bus bus;
        evbus::journal_config config;
        config.buffer_size = 1; // a 257-byte buffer: the 300-byte name makes it grow inside the entry
        config.writer_thread = writer_thread;
        evbus::journal_writer jw{path, config};
        auto r = jw.record<long_named>(bus);
        bool failed = false;
        {
            alloc_counter::scoped_failure no_memory; // the buffer cannot grow for the entry of long_named
            try {
                bus.publish(long_named{1});
            } catch(const std::bad_alloc &) {
                failed = true;
            }
        }
        REQUIRE(failed);
        bus.publish(long_named{2});
        bus.publish(long_named{3});
        jw.flush();
        REQUIRE(jw.stats().records == 2u);
    }
    {
        evbus::journal_reader jr{path};
        evbus::st_bus bus;
        std::vector<int> ids;
        auto s = bus.subscribe<long_named>([&ids](const long_named &e) { ids.push_back(e.id); });
        REQUIRE(jr.replay(bus) == 2u);
        REQUIRE(ids == std::vector<int>{2, 3});
        REQUIRE(jr.stats().corrupt_bytes == 0u);
        REQUIRE(jr.stats().types == 1u);
    }
    std::remove(path.c_str());
}

TEST_CASE("an allocation failure while padding a codec's record leaves no partial frame in the journal",
          "[alloc][journal]") {
    const bool single = GENERATE(false, true); // st_journal_writer
    CAPTURE(single);
    const std::string path = "/tmp/evbus_alloc_journal_pad_" + std::to_string(::getpid()) + ".evj";
    const auto record = [](auto &jw) {
        evbus::st_bus bus;
        auto r = jw.template record<blob>(bus);
        bus.publish(blob{"a"}); // the type entry; each append writes the buffer out and empties it
        // The 257-byte buffer holds this frame's 32-byte header and 4 + 221 bytes of payload exactly,
        // so the encoding fits; only its 7 bytes of padding need the buffer to grow.
        const blob large{std::string(221, 'x')};
        bool failed = false;
        {
            alloc_counter::scoped_failure no_memory;
            try {
                bus.publish(large);
            } catch(const std::bad_alloc &) {
                failed = true;
            }
        }
        REQUIRE(failed);
        bus.publish(blob{"b"});
        bus.publish(blob{"c"});
        jw.flush();
        REQUIRE(jw.stats().records == 3u);
        REQUIRE(jw.stats().dropped == 0u);
    };
    {
        evbus::journal_config config;
        config.buffer_size = 1; // a 257-byte buffer
        if(single) {
            evbus::st_journal_writer jw{path, config};
            record(jw);
        } else {
            evbus::journal_writer jw{path, config};
            record(jw);
        }
    }
    {
        evbus::journal_reader jr{path};
        evbus::st_bus bus;
        std::vector<std::string> texts;
        auto s = bus.subscribe<blob>([&texts](const blob &e) { texts.push_back(e.text); });
        REQUIRE(jr.replay(bus) == 3u);
        REQUIRE(texts == std::vector<std::string>{"a", "b", "c"});
        REQUIRE(jr.stats().corrupt_bytes == 0u);
    }
    std::remove(path.c_str());
}
#endif

namespace {
/// 10,001 publishes recorded by a Writer: the allocations made after the first (the type entry).
template<typename Writer, typename Bus>
std::size_t record_steady(const std::string &path, bool writer_thread) {
    Bus bus;
    evbus::journal_config config;
    config.buffer_size = 4096; // many writes to the file during the loop
    config.writer_thread = writer_thread;
    Writer jw{path, config};
    auto r = jw.template record<quote>(bus);
    bus.publish(quote{0, 1.0, 2.0}); // warm up: the type entry
    const std::size_t before = alloc_counter::count();
    for(int i = 1; i <= 10000; ++i) {
        bus.publish(quote{i, 1.0, 2.0});
    }
    jw.flush();
    const std::size_t allocated = alloc_counter::count() - before;
    REQUIRE(jw.stats().records == 10001u);
    REQUIRE(jw.stats().bytes > 10000u * 48u);
    return allocated;
}
} // namespace

TEMPLATE_TEST_CASE("recording and replaying allocate nothing in steady state", "[alloc][journal]", evbus::bus,
                   evbus::st_bus) {
    const bool writer_thread = GENERATE(false, true); // appends hand full buffers to a thread of its own
    const bool single = GENERATE(false, true);        // st_journal_writer
    CAPTURE(writer_thread, single);
    const std::string path = "/tmp/evbus_alloc_journal_" + std::to_string(::getpid()) + ".evj";
    REQUIRE((single ? record_steady<evbus::st_journal_writer, TestType>(path, writer_thread)
                    : record_steady<evbus::journal_writer, TestType>(path, writer_thread)) == 0u);
    {
        evbus::journal_reader jr{path};
        TestType bus;
        long sum = 0;
        auto s = bus.template subscribe<quote>([&sum](const quote &q) { sum += q.id; });
        evbus::journal_record first;
        REQUIRE(jr.next(first)); // the type table is read, and the first record
        const std::size_t before = alloc_counter::count();
        REQUIRE(jr.replay(bus) == 10000u);
        REQUIRE(alloc_counter::count() - before == 0u);
        REQUIRE(sum == 10000L * 10001L / 2L);
    }
    std::remove(path.c_str());
}
