// Recording is a copy into the journal's buffer: no allocation per append in steady state, also
// across the buffer's writes to the file; replaying trivially copyable events allocates nothing either.
#include <evbus/io/journal_reader.hpp>
#include <evbus/io/journal_writer.hpp>

#include <catch2/catch.hpp>

#include <cstdio>
#include <string>

#include <unistd.h>

#include "alloc_counter.hpp"

namespace {
struct quote {
    int id;
    double bid;
    double ask;
};
} // namespace

template<>
struct evbus::event_traits<quote> {
    static constexpr std::string_view name = "alloc.quote";
    static constexpr std::uint32_t version = 1;
};

TEMPLATE_TEST_CASE("recording and replaying allocate nothing in steady state", "[alloc][journal]", evbus::bus,
                   evbus::st_bus) {
    const bool writer_thread = GENERATE(false, true); // appends hand full buffers to a thread of its own
    CAPTURE(writer_thread);
    const std::string path = "/tmp/evbus_alloc_journal_" + std::to_string(::getpid()) + ".evj";
    {
        TestType bus;
        evbus::journal_config config;
        config.buffer_size = 4096; // many writes to the file during the loop
        config.writer_thread = writer_thread;
        evbus::journal_writer jw{path, config};
        auto r = jw.template record<quote>(bus);
        bus.publish(quote{0, 1.0, 2.0}); // warm up: the type entry
        const std::size_t before = alloc_counter::count();
        for(int i = 1; i <= 10000; ++i) {
            bus.publish(quote{i, 1.0, 2.0});
        }
        jw.flush();
        REQUIRE(alloc_counter::count() - before == 0u);
        REQUIRE(jw.stats().records == 10001u);
        REQUIRE(jw.stats().bytes > 10000u * 48u);
    }
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
