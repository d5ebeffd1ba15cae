// The debug-build misuse check of evbus::spsc (EVBUS_DEBUG_CHECKS=1 in this binary only): a second
// thread posting, or dispatching, while another does aborts with a message that names it. Each
// case runs in a forked child whose stderr the parent reads.
#include <evbus/core/bus.hpp>
#include <evbus/core/channel.hpp>

#include <catch2/catch.hpp>

#include "in_child.hpp"

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>

#include <csignal>
#include <cstdlib>
#include <sys/wait.h>
#include <unistd.h>

static_assert(EVBUS_DEBUG_CHECKS == 1, "this binary is built with EVBUS_DEBUG_CHECKS=1");

using evbus_debug_test::in_child;
using evbus_debug_test::outcome;

namespace {

/// An event whose copy, made inside post(), waits until released: the posting thread is then
/// inside post() for as long as the test wants.
struct slow_copy {
    static inline std::atomic<int> copying{0};
    static inline std::atomic<bool> release{false};
    std::uint64_t seq{0};
    slow_copy() = default;
    explicit slow_copy(std::uint64_t s): seq{s} {}
    slow_copy(const slow_copy &other) noexcept: seq{other.seq} {
        copying.fetch_add(1);
        while(!release.load()) {
            std::this_thread::yield();
        }
    }
    slow_copy(slow_copy &&other) noexcept: seq{other.seq} {}
    slow_copy &operator=(const slow_copy &) = default;
};

struct tick {
    std::uint64_t seq;
};

} // namespace

TEST_CASE("spsc debug check: a second thread posting at the same time aborts, naming the misuse",
          "[queue][spsc][debug]") {
    const outcome out = in_child([] {
        evbus::channel<slow_copy, evbus::spsc> lane;
        const slow_copy event{1};
        std::thread first{[&] { (void)lane.post(event); }}; // copies inside post(), and waits
        while(slow_copy::copying.load() == 0) {
            std::this_thread::yield();
        }
        (void)lane.post(slow_copy{2}); // the second producer: aborts here
        std::_Exit(3);                 // not reached
    });
    CHECK(out.aborted);
    CHECK(out.err.find("two threads posted into one spsc lane at the same time") != std::string::npos);
}

TEST_CASE("spsc debug check: a second thread dispatching at the same time aborts, naming the misuse",
          "[queue][spsc][debug]") {
    const outcome out = in_child([] {
        evbus::basic_bus<evbus::spsc> feed;
        std::atomic<bool> in_handler{false};
        auto s = feed.subscribe<tick>([&](const tick &) {
            in_handler.store(true);
            for(;;) {
                std::this_thread::yield(); // holds the consumer side
            }
        });
        (void)feed.post(tick{1});
        (void)feed.post(tick{2});
        std::thread first{[&] { (void)feed.dispatch(); }};
        while(!in_handler.load()) {
            std::this_thread::yield();
        }
        (void)feed.dispatch(); // the second consumer: aborts here
        std::_Exit(3);
    });
    CHECK(out.aborted);
    CHECK(out.err.find("two threads dispatched or cleared one spsc lane at the same time") != std::string::npos);
}

TEST_CASE("spsc debug check: clear from another thread during a dispatch aborts", "[queue][spsc][debug]") {
    const outcome out = in_child([] {
        evbus::channel<tick, evbus::spsc> lane;
        std::atomic<bool> in_handler{false};
        auto s = lane.subscribe([&](const tick &) {
            in_handler.store(true);
            for(;;) {
                std::this_thread::yield();
            }
        });
        (void)lane.post(tick{1});
        std::thread first{[&] { (void)lane.dispatch(); }};
        while(!in_handler.load()) {
            std::this_thread::yield();
        }
        (void)lane.clear();
        std::_Exit(3);
    });
    CHECK(out.aborted);
    CHECK(out.err.find("two threads dispatched or cleared one spsc lane") != std::string::npos);
}

TEST_CASE("spsc debug check: what is allowed does not trip it", "[queue][spsc][debug]") {
    const outcome out = in_child([] {
        evbus::basic_bus<evbus::spsc> feed;
        int handled = 0;
        auto s = feed.subscribe<tick>([&](const tick &t) {
            ++handled;
            if(t.seq == 1u) {
                (void)feed.post(tick{10}); // this thread is the producer too
                (void)feed.dispatch();     // nested dispatch on the consumer thread
                (void)feed.clear();
            }
        });
        // Producers take turns (each thread joined before the next posts), and so do consumers.
        for(std::uint64_t i = 1; i <= 3; ++i) {
            std::thread producer{[&] { (void)feed.post(tick{i}); }};
            producer.join();
        }
        std::thread consumer{[&] { (void)feed.dispatch(); }};
        consumer.join();
        (void)feed.post(tick{1});
        (void)feed.dispatch();
        std::_Exit(handled >= 4 ? 0 : 4);
    });
    CHECK_FALSE(out.aborted);
    CHECK(out.exit_code == 0);
    CHECK(out.err.empty());
}
