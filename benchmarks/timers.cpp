// Timers: evbus::scheduler against floors measured in the same process.
//
// - schedule + fire at N pending timers: one timer scheduled at a random deadline, then the
//   earliest one fired, so N stays constant. Floor: std::priority_queue of (deadline, sequence,
//   event) whose fire pops the top and calls the handler directly; evbus posts into an st_bus and
//   dispatches it to one handler.
// - schedule + cancel at N pending timers (cancel is O(log n): compare 1k with 100k).
// - poll with nothing due. Floor: read the clock and compare with one stored time point.
// - wake-up lateness of a timer on a worker blocked in wait_strategy::block (p50, p99, max in µs).
#include <evbus/evbus.hpp>

#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <queue>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace {

struct tick {
    int id;
    double px;
};

struct sim_tag;
using sim = evbus::manual_clock<sim_tag>;

/// Deadlines spread over [0, range) µs from now in nanoseconds (ties are rare), from a cheap
/// deterministic generator.
struct spread {
    std::uint64_t state{0x9e3779b97f4a7c15u};
    std::int64_t range;
    sim::duration next() noexcept {
        state ^= state << 13u;
        state ^= state >> 7u;
        state ^= state << 17u;
        return std::chrono::nanoseconds{static_cast<std::int64_t>(state % static_cast<std::uint64_t>(range * 1000))};
    }
};

long sink = 0;
void on_tick(const tick &t) noexcept { sink += t.id; }

struct pq_entry {
    sim::time_point deadline;
    std::uint64_t sequence;
    tick event;
    bool operator>(const pq_entry &other) const noexcept {
        return deadline > other.deadline || (deadline == other.deadline && sequence > other.sequence);
    }
};
using floor_queue = std::priority_queue<pq_entry, std::vector<pq_entry>, std::greater<>>;

void floor_priority_queue_schedule_fire(benchmark::State &state) {
    const auto pending = static_cast<std::int64_t>(state.range(0));
    spread rnd{0x9e3779b97f4a7c15u, pending * 2};
    std::vector<pq_entry> storage;
    storage.reserve(static_cast<std::size_t>(pending) + 1u);
    floor_queue queue{std::greater<>{}, std::move(storage)};
    std::uint64_t sequence = 0;
    sim::time_point now{};
    for(std::int64_t i = 0; i < pending; ++i) {
        queue.push(pq_entry{now + rnd.next(), sequence++, tick{1, 0.0}});
    }
    for(auto _: state) {
        queue.push(pq_entry{now + rnd.next(), sequence++, tick{1, 0.0}});
        now = queue.top().deadline;
        on_tick(queue.top().event);
        queue.pop();
    }
    benchmark::DoNotOptimize(sink);
}

void evbus_schedule_fire(benchmark::State &state) {
    const auto pending = static_cast<std::int64_t>(state.range(0));
    spread rnd{0x9e3779b97f4a7c15u, pending * 2};
    evbus::st_bus bus;
    auto sub = bus.subscribe<tick>(&on_tick);
    evbus::scheduler<sim> sched{bus};
    sim::reset();
    sim::time_point now = sim::now();
    for(std::int64_t i = 0; i < pending; ++i) {
        sched.post_at(now + rnd.next(), tick{1, 0.0}).detach();
    }
    for(auto _: state) {
        sched.post_at(now + rnd.next(), tick{1, 0.0}).detach();
        now = *sched.next_deadline();
        for(std::size_t fired = sched.poll_until(now); fired > 1u; --fired) {
            sched.post_at(now + rnd.next(), tick{1, 0.0}).detach(); // a tie fired two: top up (rare)
        }
        bus.dispatch();
    }
    benchmark::DoNotOptimize(sink);
    if(sched.stats().pending != static_cast<std::uint64_t>(pending)) {
        state.SkipWithError("the number of pending timers drifted");
    }
}

void evbus_schedule_cancel(benchmark::State &state) {
    const auto pending = static_cast<std::int64_t>(state.range(0));
    spread rnd{0x9e3779b97f4a7c15u, pending * 2};
    evbus::st_bus bus;
    evbus::scheduler<sim> sched{bus};
    sim::reset();
    const sim::time_point now = sim::now();
    for(std::int64_t i = 0; i < pending; ++i) {
        sched.post_at(now + rnd.next(), tick{1, 0.0}).detach();
    }
    for(auto _: state) {
        evbus::timer t = sched.post_at(now + rnd.next(), tick{1, 0.0});
        benchmark::DoNotOptimize(t.cancel());
    }
}

/// Cancels the earliest timer each time (the worst case: a full sift-down), then puts one back.
void evbus_cancel_earliest(benchmark::State &state) {
    const auto pending = static_cast<std::size_t>(state.range(0));
    spread rnd{0x9e3779b97f4a7c15u, static_cast<std::int64_t>(pending) * 2};
    evbus::st_bus bus;
    evbus::scheduler<sim> sched{bus};
    sim::reset();
    const sim::time_point now = sim::now();
    std::vector<evbus::timer> timers;
    timers.reserve(pending);
    for(std::size_t i = 0; i < pending; ++i) {
        timers.push_back(sched.post_at(now + 1h + std::chrono::microseconds{i}, tick{1, 0.0}));
    }
    for(auto _: state) {
        evbus::timer early = sched.post_at(now + rnd.next(), tick{1, 0.0}); // the new earliest
        benchmark::DoNotOptimize(early.cancel());
    }
}

void floor_clock_compare(benchmark::State &state) {
    const auto stored = std::chrono::steady_clock::now() + 1h;
    for(auto _: state) {
        benchmark::DoNotOptimize(std::chrono::steady_clock::now() >= stored);
    }
}

void evbus_poll_nothing_due(benchmark::State &state) {
    evbus::bus bus;
    evbus::scheduler<> sched{bus};
    auto far = sched.post_after(1h, tick{1, 0.0});
    for(auto _: state) {
        benchmark::DoNotOptimize(sched.poll());
    }
}

/// Lateness of delivery after the deadline, on a worker that sleeps (wait_strategy::block).
void worker_wakeup_lateness(benchmark::State &state) {
    constexpr int samples = 500;
    std::vector<double> lateness_us;
    lateness_us.reserve(samples);
    for(auto _: state) {
        evbus::bus bus;
        std::atomic<std::int64_t> delivered_at{0};
        auto sub = bus.subscribe<tick>([&](const tick &) {
            delivered_at.store(std::chrono::steady_clock::now().time_since_epoch().count(), std::memory_order_release);
        });
        evbus::scheduler<> sched{bus};
        evbus::worker w{bus, sched};
        for(int i = 0; i < samples; ++i) {
            delivered_at.store(0);
            std::this_thread::sleep_for(200us); // let the worker fall asleep
            const auto due = std::chrono::steady_clock::now() + 1ms;
            auto t = sched.post_at(due, tick{i, 0.0});
            std::int64_t at = 0;
            while((at = delivered_at.load(std::memory_order_acquire)) == 0) {
                std::this_thread::sleep_for(50us);
            }
            lateness_us.push_back(
                std::chrono::duration<double, std::micro>(
                    std::chrono::steady_clock::time_point{std::chrono::steady_clock::duration{at}} - due)
                    .count());
        }
    }
    std::sort(lateness_us.begin(), lateness_us.end());
    const auto at = [&](double q) { return lateness_us[static_cast<std::size_t>(q * (lateness_us.size() - 1u))]; };
    state.counters["p50_us"] = at(0.50);
    state.counters["p99_us"] = at(0.99);
    state.counters["max_us"] = lateness_us.back();
}

} // namespace

BENCHMARK(floor_priority_queue_schedule_fire)->Arg(1000)->Arg(100000);
BENCHMARK(evbus_schedule_fire)->Arg(1000)->Arg(100000);
BENCHMARK(evbus_schedule_cancel)->Arg(1000)->Arg(100000);
BENCHMARK(evbus_cancel_earliest)->Arg(1000)->Arg(100000);
BENCHMARK(floor_clock_compare);
BENCHMARK(evbus_poll_nothing_due);
BENCHMARK(worker_wakeup_lateness)->Iterations(1)->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
