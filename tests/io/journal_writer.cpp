#include <evbus/io/journal_reader.hpp>
#include <evbus/io/journal_writer.hpp>

#include <catch2/catch.hpp>

#include <csignal>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "journal_fixture.hpp"

using journal_test::fill;
using journal_test::note;
using journal_test::temp_file;
using journal_test::tick;

TEST_CASE("journal_writer records what the bus delivers, by publish and by dispatch, in order",
          "[io][journal_writer]") {
    temp_file file{"writer_round_trip"};
    {
        evbus::bus bus;
        evbus::journal_writer jw{file.path()};
        auto r1 = jw.record<tick>(bus);
        auto r2 = jw.record<fill>(bus);
        auto r3 = jw.record<note>(bus);
        int seen = 0;
        auto handler = bus.subscribe<tick>([&seen](const tick &) { ++seen; });
        REQUIRE(bus.publish(tick{1, 1.5}) == 2u); // the recorder counts as a handler
        REQUIRE(bus.post(fill{10, -3, 2.5f}));
        REQUIRE(bus.post(note{"queued", 2}));
        bus.publish(note{std::string(1000, 'x'), 1});
        REQUIRE(bus.dispatch() == 2u);
        bus.publish(tick{2, -0.0});
        REQUIRE(jw.try_flush());
        jw.flush();
        const auto st = jw.stats();
        REQUIRE(st.records == 5u);
        REQUIRE(st.write_errors == 0u);
        REQUIRE(st.dropped == 0u);
        REQUIRE(st.bytes == journal_test::read_all(file.path()).size());
        REQUIRE(seen == 2);
    }
    evbus::journal_reader jr{file.path()};
    evbus::st_bus replayed;
    std::vector<std::string> order;
    auto a = replayed.subscribe<tick>([&](const tick &t) { order.push_back("tick " + std::to_string(t.id)); });
    auto b = replayed.subscribe<fill>([&](const fill &f) {
        REQUIRE(f.qty == -3);
        REQUIRE(f.px == 2.5f);
        order.push_back("fill " + std::to_string(f.order));
    });
    auto c = replayed.subscribe<note>([&](const note &n) { order.push_back("note " + std::to_string(n.text.size())); });
    REQUIRE(jr.replay(replayed) == 5u);
    REQUIRE(order == std::vector<std::string>{"tick 1", "note 1000", "fill 10", "note 6", "tick 2"});
    REQUIRE(jr.stats().records == 5u);
    REQUIRE(jr.stats().types == 3u);
    REQUIRE(jr.stats().unknown == 0u);
    REQUIRE(jr.stats().corrupt_bytes == 0u);
    REQUIRE(jr.replay(replayed) == 0u); // the end: nothing more
}

namespace {
std::int64_t fake_now = 0;
std::int64_t counted_now() noexcept { return fake_now += 1000; }

/// Records the same deliveries (three types, one through a codec) with a Writer; small buffers, so
/// that the file is written (or handed to the writer thread) many times.
template<typename Writer>
void record_the_same(const std::string &path, bool writer_thread) {
    fake_now = 0;
    evbus::journal_config config;
    config.buffer_size = 256;
    config.writer_thread = writer_thread;
    config.timestamp = &counted_now;
    evbus::bus bus;
    Writer jw{path, config};
    auto r1 = jw.template record<tick>(bus);
    auto r2 = jw.template record<fill>(bus);
    auto r3 = jw.template record<note>(bus);
    for(int i = 0; i < 300; ++i) {
        tick t{}; // value-initialized: its padding is zero, so the bytes are the same in every run
        t.id = i;
        t.px = 0.5 * i;
        bus.publish(t);
        REQUIRE(bus.post(fill{static_cast<std::uint64_t>(i), -i, 1.5f}));
        if(i % 7 == 0) {
            bus.publish(note{std::string(static_cast<std::size_t>(i), 'n'), i});
        }
        if(i % 50 == 49) {
            REQUIRE(bus.dispatch() == 50u);
            REQUIRE(jw.try_flush());
        }
    }
    REQUIRE(jw.stats().records == 300u + 300u + 43u);
}
} // namespace

TEST_CASE("st_journal_writer and journal_writer write the same bytes, with a writer thread or without",
          "[io][journal_writer]") {
    temp_file mt{"writer_same_mt"};
    temp_file mt_thread{"writer_same_mt_thread"};
    temp_file st{"writer_same_st"};
    temp_file st_thread{"writer_same_st_thread"};
    record_the_same<evbus::journal_writer>(mt.path(), false);
    record_the_same<evbus::journal_writer>(mt_thread.path(), true);
    record_the_same<evbus::st_journal_writer>(st.path(), false);
    record_the_same<evbus::st_journal_writer>(st_thread.path(), true);
    const std::vector<std::byte> expected = journal_test::read_all(mt.path());
    REQUIRE(expected.size() > 32u + 643u * 48u);
    REQUIRE(journal_test::read_all(mt_thread.path()) == expected);
    REQUIRE(journal_test::read_all(st.path()) == expected);
    REQUIRE(journal_test::read_all(st_thread.path()) == expected);
    evbus::journal_reader jr{st_thread.path()};
    evbus::st_bus bus;
    std::int64_t last = 0;
    std::uint64_t sequence = 0;
    bool ordered = true;
    for(evbus::journal_record record; jr.next(record);) {
        ordered = ordered && record.sequence == sequence + 1u && record.timestamp > last;
        sequence = record.sequence;
        last = record.timestamp;
    }
    REQUIRE(ordered);
    REQUIRE(sequence == 643u);
    REQUIRE(jr.stats().corrupt_bytes == 0u);
}

TEST_CASE("journal_writer buffers appends and writes them in large writes, at flush and at destruction",
          "[io][journal_writer]") {
    temp_file file{"writer_buffer"};
    evbus::st_bus bus;
    evbus::journal_config config;
    config.buffer_size = 4096;
    std::uint64_t after_header = 0u;
    {
        evbus::journal_writer jw{file.path(), config};
        after_header = jw.stats().bytes;
        REQUIRE(after_header == 32u); // the header is written at once: the file is a journal from the start
        auto r = jw.record<tick>(bus);
        for(int i = 0; i < 10; ++i) {
            bus.publish(tick{i, 0.0});
        }
        REQUIRE(jw.stats().bytes == after_header); // still in the buffer
        for(int i = 0; i < 200; ++i) {
            bus.publish(tick{i, 0.0});
        }
        REQUIRE(jw.stats().bytes > after_header); // the buffer filled: written
        REQUIRE(jw.stats().bytes < 32u + 210u * 48u);
    }
    // The destructor wrote the rest: the file header, the type entry (32 + 20 + 9 bytes of name,
    // padded to 64), and records of a 32-byte header and a 16-byte tick.
    REQUIRE(journal_test::read_all(file.path()).size() == 32u + 64u + 210u * 48u);
    evbus::journal_reader jr{file.path()};
    REQUIRE(jr.replay(bus) == 210u);
}

TEST_CASE("journal_writer records a channel's events too", "[io][journal_writer]") {
    temp_file file{"writer_channel"};
    {
        evbus::channel<tick, evbus::single_thread> ticks;
        evbus::journal_writer jw{file.path()};
        auto r = jw.record(ticks); // the channel names the type
        ticks.publish(tick{4, 4.0});
        REQUIRE(ticks.post(tick{5, 5.0}));
        REQUIRE(ticks.dispatch() == 1u);
        REQUIRE(jw.stats().records == 2u);
    }
    evbus::journal_reader jr{file.path()};
    evbus::bus bus;
    std::vector<int> ids;
    auto s = bus.subscribe<tick>([&ids](const tick &t) { ids.push_back(t.id); });
    REQUIRE(jr.replay(bus) == 2u);
    REQUIRE(ids == std::vector<int>{4, 5});
}

TEST_CASE("value-initialized events make byte-for-byte identical payloads", "[io][journal_writer]") {
    temp_file one{"writer_repro_1"};
    temp_file two{"writer_repro_2"};
    for(const temp_file *f: {&one, &two}) {
        evbus::st_bus bus;
        evbus::journal_writer jw{f->path()};
        auto r = jw.record<tick>(bus);
        tick t{};
        t.id = 5;
        t.px = 1.0;
        bus.publish(t);
    }
    evbus::journal_reader a{one.path()};
    evbus::journal_reader b{two.path()};
    evbus::journal_record ra;
    evbus::journal_record rb;
    REQUIRE(a.next(ra));
    REQUIRE(b.next(rb));
    REQUIRE(ra.size == rb.size);
    REQUIRE(std::memcmp(ra.payload, rb.payload, ra.size) == 0);
}

TEST_CASE("recording handles that outlive their writer are harmless", "[io][journal_writer]") {
    temp_file file{"writer_outlived"};
    evbus::bus bus;
    evbus::subscription r;
    {
        evbus::journal_writer jw{file.path()};
        r = jw.record<tick>(bus);
        bus.publish(tick{1, 1.0});
    }
    REQUIRE(r.active());
    REQUIRE(bus.publish(tick{2, 2.0}) == 1u); // dropped, not written to a closed file
    evbus::journal_reader jr{file.path()};
    REQUIRE(jr.replay(bus) == 1u); // only what was published while the writer lived
}

#if EVBUS_HAS_EXCEPTIONS
TEST_CASE("a journal that cannot be created is an io_error with the OS's reason", "[io][journal_writer]") {
    try {
        evbus::journal_writer jw{"/nonexistent-evbus-dir/run.evj"};
        FAIL("no error");
    } catch(const evbus::error &e) {
        REQUIRE(e.code() == evbus::errc::io_error);
        REQUIRE(std::string{e.what()}.find("/nonexistent-evbus-dir/run.evj") != std::string::npos);
        REQUIRE(std::string{e.what()}.find(std::strerror(ENOENT)) != std::string::npos);
    }
}

TEST_CASE("a device that is full fails the header write with an io_error", "[io][journal_writer]") {
    if(::access("/dev/full", W_OK) != 0) {
        SUCCEED("no /dev/full here");
        return;
    }
    try {
        evbus::journal_writer jw{"/dev/full"};
        FAIL("no error");
    } catch(const evbus::error &e) {
        REQUIRE(e.code() == evbus::errc::io_error);
        REQUIRE(std::string{e.what()}.find(std::strerror(ENOSPC)) != std::string::npos);
    }
}
#endif

namespace {
// Runs in a child process under a 8 KiB file size limit; returns 0 when every check holds.
template<typename Writer>
int record_past_the_size_limit(const char *path, bool writer_thread) {
    std::signal(SIGXFSZ, SIG_IGN); // write(2) then fails with EFBIG instead of killing the process
    rlimit limit{8192, 8192};
    if(::setrlimit(RLIMIT_FSIZE, &limit) != 0) {
        return 10;
    }
    evbus::bus bus;
    evbus::journal_config config;
    config.buffer_size = 1024;
    config.writer_thread = writer_thread;
    Writer jw{path, config};
    auto r = jw.template record<tick>(bus);
    int delivered = 0;
    auto h = bus.subscribe<tick>([&delivered](const tick &) { ++delivered; });
    for(int i = 0; i < 1000; ++i) {
        if(bus.publish(tick{i, 0.5}) != 2u) {
            return 11;
        }
    }
    if(delivered != 1000) {
        return 12;
    }
    bool raised = false;
#if EVBUS_HAS_EXCEPTIONS
    try {
        jw.flush();
    } catch(const evbus::error &e) {
        raised =
            e.code() == evbus::errc::io_error && std::string{e.what()}.find(std::strerror(EFBIG)) != std::string::npos;
    }
#else
    raised = !jw.try_flush();
#endif
    if(!jw.try_flush()) { // reported once: the next flush has nothing to write and succeeds
        return 15;
    }
    const auto st = jw.stats();
    if(!raised || st.records != 1000u || st.write_errors == 0u || st.dropped == 0u || st.bytes > 8192u) {
        return 13;
    }
    // What reached the file is a valid journal of the records not dropped.
    evbus::journal_reader jr{path};
    evbus::st_bus replay;
    if(jr.replay(replay) != 1000u - st.dropped || jr.stats().corrupt_bytes != 0u) {
        return 14;
    }
    return 0;
}
} // namespace

TEST_CASE("a failed write (file size limit) is counted and reported, and the bus keeps delivering",
          "[io][journal_writer]") {
    const bool writer_thread = GENERATE(false, true);
    const bool single = GENERATE(false, true); // st_journal_writer
    CAPTURE(writer_thread, single);
    temp_file file{"writer_fsize"};
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if(child == 0) {
        ::_exit(single ? record_past_the_size_limit<evbus::st_journal_writer>(file.c_str(), writer_thread)
                       : record_past_the_size_limit<evbus::journal_writer>(file.c_str(), writer_thread));
    }
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 0);
}

TEST_CASE("with a writer thread, appends from several threads all reach the file, in sequence order",
          "[io][journal_writer]") {
    temp_file file{"writer_thread"};
    constexpr int threads = 4;
    constexpr int per_thread = 5000;
    {
        evbus::bus bus;
        evbus::journal_config config;
        config.buffer_size = 4096; // many buffers handed to the writer thread
        config.writer_thread = true;
        evbus::journal_writer jw{file.path(), config};
        auto r = jw.record<tick>(bus);
        std::vector<std::thread> producers;
        for(int t = 0; t < threads; ++t) {
            producers.emplace_back([&bus, t] {
                for(int i = 0; i < per_thread; ++i) {
                    bus.publish(tick{t * per_thread + i, 0.25});
                }
            });
        }
        for(auto &p: producers) {
            p.join();
        }
        jw.flush(); // everything appended is in the file once flush returns
        const evbus::journal_writer_stats st = jw.stats();
        REQUIRE(st.records == threads * per_thread);
        REQUIRE(st.write_errors == 0u);
        REQUIRE(st.bytes == 32u + 64u + threads * per_thread * 48u);
        REQUIRE(journal_test::read_all(file.path()).size() == st.bytes);
        bus.publish(tick{-1, 0.0}); // left to the destructor
    }
    evbus::journal_reader jr{file.path()};
    evbus::st_bus bus;
    long long sum = 0;
    std::vector<int> last(threads, -1); // each producer's ticks keep their order
    bool ordered = true;
    auto s = bus.subscribe<tick>([&](const tick &t) {
        sum += t.id;
        if(t.id >= 0) {
            const int producer = t.id / per_thread;
            ordered = ordered && t.id > last[static_cast<std::size_t>(producer)];
            last[static_cast<std::size_t>(producer)] = t.id;
        }
    });
    REQUIRE(jr.replay(bus) == threads * per_thread + 1u);
    REQUIRE(jr.stats().corrupt_bytes == 0u);
    REQUIRE(ordered);
    const long long n = threads * per_thread;
    REQUIRE(sum == n * (n - 1) / 2 - 1);
}

TEST_CASE("with a writer thread, flush waits for a buffer already handed over", "[io][journal_writer]") {
    temp_file file{"writer_thread_flush"};
    evbus::st_bus bus;
    evbus::journal_config config;
    config.buffer_size = 64; // every record fills the buffer: each append hands one over
    config.writer_thread = true;
    config.fsync = true;
    evbus::journal_writer jw{file.path(), config};
    auto r = jw.record<tick>(bus);
    for(int i = 0; i < 100; ++i) {
        bus.publish(tick{i, 1.0});
    }
    REQUIRE(jw.try_flush());
    REQUIRE(jw.stats().bytes == 32u + 64u + 100u * 48u);
    evbus::journal_reader jr{file.path()};
    evbus::st_bus replay;
    REQUIRE(jr.replay(replay) == 100u);
}
