// Journal: recording, sustained writing and replay, each against a floor measured in the same process.
//
// Arguments: the first is what pairs a benchmark with its floor (1 handler; 32-byte events); the
// second, for the journal's own, is a bit set: 1, a writer thread (else appends write on the
// publishing thread); 2, a counter for the timestamps instead of the default clock (what the clock
// read costs); 4, an st_journal_writer (appends from one thread, no lock) instead of a journal_writer;
// 8, CLOCK_REALTIME_COARSE for the timestamps (a few ns a read, one kernel tick of resolution); 16,
// evbus::system_nanoseconds, a system_clock read per record. Without 2, 8 or 16 the timestamps are
// the default's: the time-stamp counter where the kernel keeps time by it (the label says which).
// benchmarks/journal_report.py turns the JSON into the ratios of docs/benchmarks.md.
// - record/1: publish of a 32-byte event to one handler on an evbus::bus, recorded by a
//   journal_writer (the file in EVBUS_BENCH_DIR, /tmp by default). Floor: the same publish, then a
//   memcpy of the event and a 24-byte header into a 256 KiB buffer (never written anywhere).
// - write/32: sustained journal throughput, appends of 32-byte events (a 64-byte frame each) as
//   fast as they go, the buffer written to the file in 256 KiB writes. Floor: the same 64-byte
//   frames memcpy'd into a 256 KiB buffer written with write(2) to a file in the same directory.
//   bytes_per_second and items_per_second are the GB/s and M events/s.
// - replay/32: a journal of 1M 32-byte events in the page cache (written once, before the loop),
//   mapped and replayed into an evbus::bus with one handler, per iteration. items_per_second is the
//   events/s. No floor: the target is absolute (5 M events/s).
// Every benchmark recreates its file at each call, so the files stay small (tens of MB).
#include <evbus/evbus.hpp>

#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

namespace {

struct quote { // 32 bytes, no padding
    std::uint64_t id;
    double bid;
    double ask;
    std::int64_t size;
};
static_assert(sizeof(quote) == 32u);

struct record_header { // the floor's 24-byte header
    std::uint64_t sequence;
    std::int64_t timestamp;
    std::uint32_t type;
    std::uint32_t length;
};
static_assert(sizeof(record_header) == 24u);

std::string bench_path(const char *name) {
    const char *dir = std::getenv("EVBUS_BENCH_DIR");
    return std::string{dir ? dir : "/tmp"} + "/evbus_bench_journal_" + std::to_string(::getpid()) + "_" + name;
}

std::uint64_t sink = 0;
void on_quote(const quote &q) noexcept { sink += q.id; }

constexpr std::size_t buffer_bytes = 256u * 1024u;

} // namespace

template<>
struct evbus::event_traits<quote> {
    static constexpr std::string_view name = "bench.quote";
    static constexpr std::uint32_t version = 1;
};

namespace {

void floor_publish_memcpy(benchmark::State &state) {
    evbus::bus bus;
    auto s = bus.subscribe<quote>(&on_quote);
    std::vector<std::byte> buffer(buffer_bytes);
    std::size_t at = 0;
    quote q{1, 100.0, 100.5, 10};
    std::uint64_t sequence = 0;
    for(auto _: state) {
        bus.publish(q);
        const record_header h{++sequence, static_cast<std::int64_t>(sequence), 1u, 56u};
        if(at + sizeof h + sizeof q > buffer.size()) {
            at = 0;
        }
        std::memcpy(buffer.data() + at, &h, sizeof h);
        std::memcpy(buffer.data() + at + sizeof h, &q, sizeof q);
        at += sizeof h + sizeof q;
        benchmark::DoNotOptimize(buffer.data());
        ++q.id;
    }
    benchmark::DoNotOptimize(sink);
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(floor_publish_memcpy)->Arg(1);

std::int64_t counter_now = 0;
std::int64_t counter_timestamp() noexcept { return ++counter_now; }

std::int64_t coarse_timestamp() noexcept {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME_COARSE, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

/// The recording benchmarks' configurations: range(1) bit 0, a writer thread; bit 1, a counter
/// instead of the default clock for the timestamps (what the clock read costs); bit 2, an
/// st_journal_writer; bit 3, CLOCK_REALTIME_COARSE timestamps; bit 4, system_nanoseconds.
evbus::journal_config bench_config(benchmark::State &state) {
    evbus::journal_config config;
    config.writer_thread = (state.range(1) & 1) != 0;
    if((state.range(1) & 2) != 0) {
        config.timestamp = &counter_timestamp;
    } else if((state.range(1) & 8) != 0) {
        config.timestamp = &coarse_timestamp;
    } else if((state.range(1) & 16) != 0) {
        config.timestamp = &evbus::system_nanoseconds;
    } else {
        state.SetLabel(evbus::detail::journal::counter_keeps_time() ? "default clock: time-stamp counter"
                                                                    : "default clock: system_clock");
    }
    return config;
}

template<typename Writer>
void record_with(benchmark::State &state) {
    const std::string path = bench_path("record");
    {
        evbus::bus bus;
        auto s = bus.subscribe<quote>(&on_quote);
        Writer jw{path, bench_config(state)};
        auto r = jw.template record<quote>(bus);
        quote q{1, 100.0, 100.5, 10};
        for(auto _: state) {
            bus.publish(q);
            ++q.id;
        }
        jw.flush();
        if(jw.stats().write_errors != 0u) {
            state.SkipWithError("a write to the journal failed");
        }
    }
    std::remove(path.c_str());
    benchmark::DoNotOptimize(sink);
    state.SetItemsProcessed(state.iterations());
}

void journal_record(benchmark::State &state) {
    if((state.range(1) & 4) != 0) {
        record_with<evbus::st_journal_writer>(state);
    } else {
        record_with<evbus::journal_writer>(state);
    }
}
BENCHMARK(journal_record)
    ->Args({1, 0})
    ->Args({1, 1})
    ->Args({1, 2})
    ->Args({1, 3})
    ->Args({1, 4})
    ->Args({1, 5})
    ->Args({1, 6})
    ->Args({1, 7})
    ->Args({1, 13})
    ->Args({1, 16})
    ->Args({1, 17})
    ->Args({1, 21});

void floor_write(benchmark::State &state) {
    const std::string path = bench_path("raw");
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if(fd < 0) {
        state.SkipWithError("cannot create the file");
        return;
    }
    std::vector<std::byte> buffer(buffer_bytes);
    std::size_t at = 0;
    quote q{1, 100.0, 100.5, 10};
    std::uint64_t sequence = 0;
    bool failed = false;
    const auto write_out = [&] {
        std::size_t done = 0;
        while(done < at) {
            const ssize_t n = ::write(fd, buffer.data() + done, at - done);
            if(n <= 0) {
                failed = true;
                break;
            }
            done += static_cast<std::size_t>(n);
        }
        at = 0;
    };
    for(auto _: state) {
        const record_header h{++sequence, static_cast<std::int64_t>(sequence), 1u, 64u};
        std::memcpy(buffer.data() + at, &h, sizeof h);
        std::memset(buffer.data() + at + sizeof h, 0, 8u); // the journal's frame is 32 bytes
        std::memcpy(buffer.data() + at + 32u, &q, sizeof q);
        at += 64u;
        if(at == buffer.size()) {
            write_out();
        }
        ++q.id;
    }
    write_out();
    ::close(fd);
    std::remove(path.c_str());
    if(failed) {
        state.SkipWithError("write(2) failed");
    }
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(state.iterations() * 64);
}
BENCHMARK(floor_write)->Arg(32);

template<typename Writer>
void write_with(benchmark::State &state) {
    const std::string path = bench_path("write");
    {
        evbus::st_bus bus;
        Writer jw{path, bench_config(state)};
        auto r = jw.template record<quote>(bus);
        quote q{1, 100.0, 100.5, 10};
        for(auto _: state) {
            bus.publish(q);
            ++q.id;
        }
        jw.flush();
        if(jw.stats().write_errors != 0u) {
            state.SkipWithError("a write to the journal failed");
        }
    }
    std::remove(path.c_str());
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(state.iterations() * 64);
}

void journal_write(benchmark::State &state) {
    if((state.range(1) & 4) != 0) {
        write_with<evbus::st_journal_writer>(state);
    } else {
        write_with<evbus::journal_writer>(state);
    }
}
BENCHMARK(journal_write)
    ->Args({32, 0})
    ->Args({32, 1})
    ->Args({32, 3})
    ->Args({32, 4})
    ->Args({32, 5})
    ->Args({32, 7})
    ->Args({32, 13})
    ->Args({32, 16})
    ->Args({32, 17})
    ->Args({32, 21});

/// A journal of 1M quotes, written once per process.
const std::string &replay_file() {
    static const std::string path = [] {
        std::string p = bench_path("replay");
        evbus::st_bus bus;
        evbus::journal_writer jw{p};
        auto r = jw.record<quote>(bus);
        for(std::uint64_t i = 0; i < 1'000'000u; ++i) {
            bus.publish(quote{i, 100.0, 100.5, 10});
        }
        jw.flush();
        std::atexit([] { std::remove(bench_path("replay").c_str()); });
        return p;
    }();
    return path;
}

void journal_replay(benchmark::State &state) {
    const std::string &path = replay_file();
    evbus::bus bus;
    auto s = bus.subscribe<quote>(&on_quote);
    std::size_t events = 0;
    for(auto _: state) {
        evbus::journal_reader jr{path};
        events += jr.replay(bus);
    }
    if(events != 1000000u * static_cast<std::size_t>(state.iterations())) {
        state.SkipWithError("the replay did not publish every record");
    }
    benchmark::DoNotOptimize(sink);
    state.SetItemsProcessed(static_cast<std::int64_t>(events));
    state.SetBytesProcessed(static_cast<std::int64_t>(events) * 64);
}
BENCHMARK(journal_replay)->Arg(32)->Unit(benchmark::kMillisecond);

} // namespace

BENCHMARK_MAIN();
