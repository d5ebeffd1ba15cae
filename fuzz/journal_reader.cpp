// libFuzzer target: evbus::journal_reader over any bytes, from memory. The header is refused with an
// evbus::error or accepted; replay() and next() then read records without reading past the input
// (ASan), and every event published is one the writer could have written (checked by the handlers).
// The input's last byte (also part of the journal) picks how replay runs: as fast as possible, paced
// at one of a few speeds, in chunks of max_records, or driving a scheduler on a manual_clock in one of
// the three time mappings, all with a fake pacer whose time jumps to each deadline (it never sleeps):
// timestamps and the header's created time are file-controlled, and UBSan checks the time arithmetic.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string>
#include <string_view>

#include <evbus/io/journal_reader.hpp>
#include <evbus/io/journal_writer.hpp>
#include <evbus/time/manual_clock.hpp>
#include <evbus/time/scheduler.hpp>

#include "journal_types.hpp"

namespace {

/// Time moves only when replay waits: it jumps to the deadline.
class fake_pacer final: public evbus::replay_pacer {
public:
    explicit fake_pacer(std::int64_t start) noexcept: time_{start} {}
    std::chrono::nanoseconds now() override { return time_; }
    void wait_until(std::chrono::nanoseconds deadline) override {
        if(deadline > time_) {
            time_ = deadline;
        }
    }

private:
    std::chrono::nanoseconds time_;
};

struct fuzz_clock_tag;
using fuzz_clock = evbus::manual_clock<fuzz_clock_tag>;

struct bell { // what the timers post (not a journal type: never counted as replayed)
    int id;
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    static const bool registered = [] {
        evbus::journal_reader::register_type<evbus_fuzz::tick>();
        evbus::journal_reader::register_type<evbus_fuzz::note>();
        return true;
    }();
    (void)registered;
    try {
        evbus::journal_reader jr{data, size};
        evbus::st_bus bus;
        std::size_t seen = 0u;
        auto a = bus.subscribe<evbus_fuzz::tick>([&seen](const evbus_fuzz::tick &) { ++seen; });
        auto b = bus.subscribe<evbus_fuzz::note>([&seen](const evbus_fuzz::note &n) {
            if(n.text.size() > (std::size_t{1} << 20)) {
                std::abort(); // a length the payload cannot hold
            }
            ++seen;
        });
        const unsigned mode = size != 0u ? data[size - 1u] : 0u;
        constexpr double speeds[4] = {0.1, 1.0, 1e-300, 1e300};
        constexpr std::int64_t pacer_starts[4] = {0, 1'000'000, std::numeric_limits<std::int64_t>::max() - 1,
                                                  std::numeric_limits<std::int64_t>::min() + 1};
        fake_pacer pacer{pacer_starts[(mode >> 4) & 3u]};
        evbus::replay_options options;
        options.pacer = &pacer;
        std::size_t replayed = 0u;
        switch(mode & 3u) {
        case 0u: // as fast as possible
            replayed = jr.replay(bus);
            break;
        case 1u: // paced
            options.speed = speeds[(mode >> 2) & 3u];
            replayed = jr.replay(bus, options);
            break;
        case 2u: { // in chunks: each call resumes where the last stopped
            options.max_records = ((mode >> 2) & 3u) + 1u;
            options.speed = (mode & 0x40u) != 0u ? 1.0 : 0.0;
            for(std::size_t chunk = jr.replay(bus, options); chunk != 0u; chunk = jr.replay(bus, options)) {
                if(chunk > options.max_records) {
                    std::abort();
                }
                replayed += chunk;
            }
            break;
        }
        default: { // driving a scheduler in simulated time
            fuzz_clock::reset();
            if((mode & 0x80u) != 0u) {
                fuzz_clock::set(fuzz_clock::time_point{std::chrono::nanoseconds{std::int64_t{1} << 62}});
            }
            evbus::scheduler<fuzz_clock> sched{bus};
            auto c = bus.subscribe<bell>([](const bell &) {});
            const evbus::replay_time times[4] = {evbus::replay_time::since_created, evbus::replay_time::unix_epoch,
                                                 evbus::replay_time::from_now, evbus::replay_time::since_created};
            options.time = times[(mode >> 2) & 3u];
            options.speed = (mode & 0x40u) != 0u ? 0.1 : 0.0;
            evbus::timer soon = sched.post_after(std::chrono::seconds{1}, bell{1});
            evbus::timer late = sched.post_at(fuzz_clock::time_point::max(), bell{2});
            replayed = jr.replay(bus, sched, options);
            break;
        }
        }
        const auto &st = jr.stats();
        if(replayed != seen || st.replayed != replayed || st.records != st.replayed + st.unknown + st.malformed ||
           st.corrupt_bytes > size) {
            std::abort();
        }
        evbus::journal_reader walk{data, size};
        evbus::journal_record record;
        std::uint64_t last = 0u;
        while(walk.next(record)) {
            if(record.sequence <= last ||
               record.payload + record.size > reinterpret_cast<const std::byte *>(data) + size ||
               record.type_name.empty()) {
                std::abort();
            }
            last = record.sequence;
        }
        if(walk.stats().records != st.records || walk.stats().corrupt_bytes != st.corrupt_bytes) {
            std::abort();
        }
    } catch(const evbus::error &e) {
        if(e.code() != evbus::errc::format_error) {
            std::abort();
        }
    }
    return 0;
}
