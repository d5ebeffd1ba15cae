// The debug-build misuse check of evbus::st_journal_writer (EVBUS_DEBUG_CHECKS=1 in this binary
// only): a second thread appending while another is inside an append aborts with a message that
// names it; a journal_writer takes the same interleaving. Each case runs in a forked child.
#include <evbus/core/bus.hpp>
#include <evbus/io/journal_writer.hpp>

#include <catch2/catch.hpp>

#include "in_child.hpp"

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <string>
#include <thread>

#include <unistd.h>

static_assert(EVBUS_DEBUG_CHECKS == 1, "this binary is built with EVBUS_DEBUG_CHECKS=1");

namespace {

/// An event whose encoding waits until released: the first appender stays inside its append for as
/// long as the test wants.
struct held {
    int id;
    static inline std::atomic<int> encoding{0};
    static inline std::atomic<bool> release{false};
};

} // namespace

template<>
struct evbus::event_traits<held> {
    static constexpr std::string_view name = "debug.held";
    static constexpr std::uint32_t version = 1;
};

template<>
struct evbus::codec<held> {
    static void encode(const held &e, evbus::byte_sink &out) {
        if(held::encoding.fetch_add(1) == 0) { // the first append waits; the second goes straight in
            while(!held::release.load()) {
                std::this_thread::yield();
            }
        }
        out.write_value(e.id);
    }
    static bool decode(evbus::byte_source &in, held &e) { return in.read_value(e.id); }
};

namespace {

/// Two threads publish a held at once into a bus recorded by a Writer; the first is held inside its
/// append until the second has entered its own. The child exits 0 when both were recorded.
template<typename Writer>
evbus_debug_test::outcome two_appenders(const std::string &path) {
    return evbus_debug_test::in_child([&path] {
        evbus::bus bus;
        Writer jw{path};
        auto r = jw.template record<held>(bus);
        std::thread first{[&bus] { bus.publish(held{1}); }};
        while(held::encoding.load() == 0) {
            std::this_thread::yield();
        }
        std::thread second{[&bus] { bus.publish(held{2}); }};
        // With journal_writer the second waits for the lock, so it cannot enter encode: release the
        // first after a while (an st_journal_writer has aborted by then).
        for(int i = 0; i < 200 && held::encoding.load() < 2; ++i) {
            ::usleep(1000);
        }
        held::release = true;
        first.join();
        second.join();
        std::_Exit(jw.stats().records == 2u ? 0 : 3);
    });
}

} // namespace

TEST_CASE("debug: two threads appending to one st_journal_writer at once abort with a message", "[debug][journal]") {
    const std::string path = "/tmp/evbus_debug_journal_" + std::to_string(::getpid()) + ".evj";
    const evbus_debug_test::outcome out = two_appenders<evbus::st_journal_writer>(path);
    REQUIRE(out.aborted);
    REQUIRE(out.err.find("evbus::st_journal_writer: two threads appended at the same time") != std::string::npos);
    std::remove(path.c_str());
}

TEST_CASE("debug: journal_writer takes two threads appending at once", "[debug][journal]") {
    const std::string path = "/tmp/evbus_debug_journal_mt_" + std::to_string(::getpid()) + ".evj";
    const evbus_debug_test::outcome out = two_appenders<evbus::journal_writer>(path);
    REQUIRE(!out.aborted);
    REQUIRE(out.exit_code == 0);
    REQUIRE(out.err.empty());
    std::remove(path.c_str());
}
