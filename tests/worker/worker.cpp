#include <evbus/core/channel.hpp>
#include <evbus/core/publisher.hpp>
#include <evbus/worker/worker.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

namespace {
struct tick {
    int producer;
    int seq;
};
} // namespace

TEST_CASE("a worker delivers everything two producers post, with each wait strategy", "[queue][worker][threads]") {
    for(auto strategy: {evbus::wait_strategy::busy_spin, evbus::wait_strategy::yield, evbus::wait_strategy::block}) {
        evbus::bus bus;
        int next[2] = {0, 0};
        long out_of_order = 0;
        std::atomic<int> handled{0};
        auto s = bus.subscribe<tick>([&](const tick &t) { // runs on the worker thread only
            out_of_order += t.seq == next[t.producer] ? 0 : 1;
            next[t.producer] = t.seq + 1;
            handled.fetch_add(1, std::memory_order_release);
        });
        evbus::worker_config cfg;
        cfg.wait = strategy;
        evbus::worker worker{bus, cfg};
        REQUIRE(worker.running());
        std::vector<std::thread> producers;
        for(int p = 0; p < 2; ++p) {
            producers.emplace_back([&bus, p] {
                evbus::publisher<tick> pub{bus};
                for(int i = 0; i < 5000; ++i) {
                    pub.post(tick{p, i});
                    if(i % 1000 == 0) {
                        std::this_thread::sleep_for(std::chrono::milliseconds{1}); // let the worker go idle
                    }
                }
            });
        }
        for(auto &t: producers) {
            t.join();
        }
        while(handled.load(std::memory_order_acquire) < 10000) {
            std::this_thread::yield();
        }
        worker.stop();
        REQUIRE_FALSE(worker.running());
        REQUIRE(out_of_order == 0);
        REQUIRE(bus.stats().delivered == 10000u);
        REQUIRE(worker.errors() == 0u);
    }
}

TEST_CASE("a blocking worker sleeps while idle and wakes for the next post", "[queue][worker][threads]") {
    evbus::bus bus;
    std::atomic<int> handled{0};
    auto s = bus.subscribe<tick>([&](const tick &) { handled.fetch_add(1); });
    evbus::worker worker{bus};
    for(int i = 0; i < 20; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds{2}); // the worker is asleep by now
        bus.post(tick{0, i});
        while(handled.load() < i + 1) {
            std::this_thread::yield();
        }
    }
    REQUIRE(handled.load() == 20);
}

TEST_CASE("stopping leaves undelivered events queued for the bus", "[queue][worker]") {
    evbus::bus bus;
    int handled = 0;
    auto s = bus.subscribe<tick>([&](const tick &) { ++handled; });
    {
        evbus::worker worker{bus};
        worker.stop();
        worker.stop(); // twice is fine
    }
    bus.post(tick{0, 0});
    REQUIRE(bus.dispatch() == 1u);
    REQUIRE(handled == 1);
}

TEST_CASE("drain_and_stop delivers what is queued, and what handlers post meanwhile, before it stops",
          "[queue][worker][threads]") {
    evbus::bus bus;
    std::atomic<bool> inside{false};
    std::atomic<bool> release{false};
    std::atomic<int> handled{0};
    auto s = bus.subscribe<tick>([&](const tick &t) {
        if(t.seq == 0) { // hold the worker inside its first batch while the test stops it
            inside.store(true);
            while(!release.load()) {
                std::this_thread::yield();
            }
        }
        if(t.producer == 0 && t.seq < 10) {
            bus.post(tick{1, t.seq}); // a follow-up, posted by the handler while draining
        }
        handled.fetch_add(1);
    });
    evbus::worker worker{bus};
    REQUIRE(bus.post(tick{0, 0}));
    while(!inside.load()) {
        std::this_thread::yield();
    }
    for(int i = 1; i < 100; ++i) {
        REQUIRE(bus.post(tick{0, i})); // queued behind the batch the worker is in
    }
    std::thread stopper{[&] { worker.drain_and_stop(); }};
    while(worker.running()) { // the stop is requested before the worker leaves its batch
        std::this_thread::yield();
    }
    release.store(true);
    stopper.join();
    REQUIRE(handled.load() == 110);
    REQUIRE(bus.stats().pending == 0u);
    worker.drain_and_stop(); // after the stop: nothing to do
    worker.stop();
}

TEST_CASE("wait_for: timeout, pending events, cancel", "[queue][worker]") {
    evbus::bus bus;
    REQUIRE_FALSE(bus.wait_for(std::chrono::milliseconds{1}));
    bus.post(tick{0, 0});
    REQUIRE(bus.wait_for(std::chrono::hours{1})); // already pending: returns at once
    bus.dispatch();
    std::atomic<bool> cancel{false};
    std::thread canceller{[&] {
        std::this_thread::sleep_for(std::chrono::milliseconds{2});
        cancel.store(true);
        bus.wake_waiters();
    }};
    REQUIRE_FALSE(bus.wait_for(std::chrono::hours{1}, cancel));
    canceller.join();
    std::thread poster{[&] {
        std::this_thread::sleep_for(std::chrono::milliseconds{2});
        bus.post(tick{0, 1});
    }};
    REQUIRE(bus.wait_for(std::chrono::hours{1}));
    poster.join();
    REQUIRE(bus.dispatch() == 1u);
}

#if EVBUS_HAS_EXCEPTIONS
TEST_CASE("a worker survives throwing handlers and reports them", "[queue][worker][errors]") {
    evbus::bus bus;
    std::atomic<int> handled{0};
    auto s = bus.subscribe<tick>([&](const tick &t) {
        handled.fetch_add(1);
        if(t.seq % 2 == 0) {
            throw std::runtime_error{"even"};
        }
    });
    evbus::worker worker{bus};
    for(int i = 0; i < 10; ++i) {
        bus.post(tick{0, i});
    }
    while(handled.load() < 10) {
        std::this_thread::yield();
    }
    worker.stop();
    REQUIRE(worker.errors() >= 1u);
    REQUIRE(worker.first_error() != nullptr);
    REQUIRE_THROWS_WITH(std::rethrow_exception(worker.first_error()), "even");
    REQUIRE(bus.stats().delivered == 10u);
}
#endif

TEST_CASE("a worker can drive a channel", "[queue][worker][channel]") {
    evbus::channel<tick> ch;
    std::atomic<int> handled{0};
    auto s = ch.subscribe([&](const tick &) { handled.fetch_add(1); });
    evbus::basic_worker<evbus::channel<tick>> worker{ch};
    for(int i = 0; i < 100; ++i) {
        ch.post(tick{0, i});
    }
    while(handled.load() < 100) {
        std::this_thread::yield();
    }
}
