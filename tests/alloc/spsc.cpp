// evbus::spsc lanes: steady-state post, post_bulk and dispatch allocate nothing (the ring is
// allocated once, when the lane is built), on one thread and between two.
#include <evbus/core/bus.hpp>
#include <evbus/core/channel.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>

#include "alloc_counter.hpp"

namespace {
struct tick {
    std::uint64_t id;
    double px;
};
struct fill {
    std::uint64_t id;
    int qty;
};

template<typename Round>
std::size_t allocations_in(Round &&round) {
    for(int i = 0; i < 50; ++i) {
        round(); // warm up: thread registration for read sections, handler snapshots
    }
    const std::size_t before = alloc_counter::count();
    for(int i = 0; i < 2000; ++i) {
        round();
    }
    return alloc_counter::count() - before;
}

evbus::bus_config ring(std::size_t capacity) {
    evbus::bus_config cfg;
    cfg.capacity = capacity;
    return cfg;
}
} // namespace

TEST_CASE("spsc: post, post_bulk and dispatch on one thread allocate nothing", "[alloc][queue][spsc]") {
    evbus::basic_bus<evbus::spsc> feed{ring(256)}; // 160 a round
    evbus::channel<tick, evbus::spsc> lane{ring(128)};
    evbus::channel<std::string, evbus::spsc> strings{ring(128)}; // stored in its slot: no envelope
    std::uint64_t sum = 0;
    auto a = feed.subscribe<tick>([&](const tick &t) { sum += t.id; });
    auto b = feed.subscribe<fill>([&](const fill &f) { sum += f.id; });
    auto c = lane.subscribe([&](const tick &t) { sum += t.id; });
    auto d = strings.subscribe([&](const std::string &s) { sum += s.size(); });
    const std::string small = "short"; // fits the string's own buffer: copying it allocates nothing
    tick bulk[32];
    for(std::uint64_t i = 0; i < 32; ++i) {
        bulk[i] = tick{i, 1.0};
    }
    const auto grew = allocations_in([&] {
        for(std::uint64_t i = 0; i < 64; ++i) {
            (void)feed.post(tick{i, 1.0});
            (void)feed.post(fill{i, 1});
            (void)lane.post(tick{i, 1.0});
            (void)strings.post(small);
        }
        (void)lane.post_bulk(bulk, bulk + 32);
        (void)feed.post_bulk(bulk, bulk + 32);
        (void)feed.dispatch();
        (void)lane.dispatch();
        (void)strings.dispatch();
    });
    CHECK(grew == 0u);
    CHECK(sum != 0u);
    CHECK(feed.stats().rejected == 0u);
}

TEST_CASE("spsc: a producer thread and a consumer thread allocate nothing per event", "[alloc][queue][spsc][threads]") {
    evbus::channel<tick, evbus::spsc> lane{ring(256)};
    std::atomic<std::uint64_t> handled{0};
    auto s = lane.subscribe([&](const tick &) { handled.fetch_add(1, std::memory_order_relaxed); });
    constexpr std::uint64_t total = 100000;
    // Warm both threads up, then count what the transfer allocates (process-wide).
    std::thread warm{[&] { (void)lane.post(tick{0, 0.0}); }};
    warm.join();
    (void)lane.dispatch();
    std::atomic<bool> go{false};
    std::thread producer{[&] {
        while(!go.load(std::memory_order_acquire)) {
        }
        for(std::uint64_t i = 0; i < total; ++i) {
            while(!lane.post(tick{i, 0.0})) {
            }
        }
    }};
    const std::size_t before = alloc_counter::count();
    go.store(true, std::memory_order_release);
    while(handled.load(std::memory_order_relaxed) < total + 1u) {
        (void)lane.dispatch();
    }
    const std::size_t after = alloc_counter::count();
    producer.join();
    CHECK(after - before == 0u);
}
