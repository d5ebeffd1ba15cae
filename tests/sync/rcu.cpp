// The thread-safety guarantees of multi_thread buses and channels (sync/rcu.hpp).
// Bounded in count; meant to run under ThreadSanitizer and ASan+UBSan.
#include <evbus/core/bus.hpp>
#include <evbus/core/channel.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

namespace {
struct tick {
    int id;
};
struct fill {
    int qty;
};

constexpr int publisher_threads = 3;

template<typename Fn>
evbus::subscription subscribe_to(evbus::bus &bus, Fn &&fn) {
    return bus.subscribe<tick>(std::forward<Fn>(fn));
}

template<typename Fn>
evbus::subscription subscribe_to(evbus::channel<tick> &channel, Fn &&fn) {
    return channel.subscribe(std::forward<Fn>(fn));
}
} // namespace

TEST_CASE("publish on several threads while others subscribe and unsubscribe", "[core][threads]") {
    evbus::bus bus;
    std::atomic<long> stable_calls{0};
    std::atomic<long> churn_calls{0};
    auto stable = bus.subscribe<tick>([&](const tick &) { stable_calls.fetch_add(1, std::memory_order_relaxed); });
    std::atomic<bool> stop{false};
    std::atomic<long> publishes{0};
    std::atomic<long> missing_stable{0};

    std::vector<std::thread> threads;
    for(int p = 0; p < publisher_threads; ++p) {
        threads.emplace_back([&] {
            while(!stop.load(std::memory_order_relaxed)) {
                if(bus.publish(tick{1}) < 1u) { // the stable handler is always there
                    missing_stable.fetch_add(1, std::memory_order_relaxed);
                }
                publishes.fetch_add(1, std::memory_order_relaxed);
            }
        });
    }
    for(int round = 0; round < 300; ++round) {
        auto a =
            bus.subscribe<tick>([&](const tick &) { churn_calls.fetch_add(1, std::memory_order_relaxed); }, round % 3);
        auto b = bus.subscribe<fill>([](const fill &) {});
        std::this_thread::yield();
    }
    stop.store(true);
    for(auto &t: threads) {
        t.join();
    }
    REQUIRE(missing_stable.load() == 0);
    REQUIRE(stable_calls.load() == publishes.load());
    REQUIRE(bus.handler_count<tick>() == 1u);
}

TEST_CASE("once unsubscribe returns, no call to that handler begins or is still running", "[core][threads]") {
    for(int round = 0; round < 50; ++round) {
        evbus::bus bus;
        std::atomic<bool> unsubscribed{false};
        std::atomic<int> late_calls{0};
        std::atomic<int> calls{0};
        auto state = std::make_unique<int>(0);
        auto s = bus.subscribe<tick>([&, raw = state.get()](const tick &) {
            if(unsubscribed.load(std::memory_order_seq_cst)) {
                late_calls.fetch_add(1);
            }
            ++calls;
            (void)*raw; // touches state: ASan reports it if it runs after state is freed
        });
        std::atomic<bool> stop{false};
        std::vector<std::thread> threads;
        for(int p = 0; p < 2; ++p) {
            threads.emplace_back([&] {
                while(!stop.load(std::memory_order_relaxed)) {
                    bus.publish(tick{1});
                }
            });
        }
        while(calls.load() < 10) {
            std::this_thread::yield();
        }
        s.reset();
        unsubscribed.store(true, std::memory_order_seq_cst);
        state.reset();
        for(int i = 0; i < 200; ++i) {
            bus.publish(tick{2});
        }
        stop.store(true);
        for(auto &t: threads) {
            t.join();
        }
        REQUIRE(late_calls.load() == 0);
    }
}

TEST_CASE("handlers on different threads unsubscribe each other without deadlock", "[core][threads][reentrancy]") {
    for(int round = 0; round < 50; ++round) {
        evbus::bus bus;
        evbus::subscription on_tick;
        evbus::subscription on_fill;
        std::atomic<int> entered{0};
        on_tick = bus.subscribe<tick>([&](const tick &) {
            entered.fetch_add(1);
            while(entered.load() < 2) {
                std::this_thread::yield(); // make both handlers run at once
            }
            on_fill.reset();
        });
        on_fill = bus.subscribe<fill>([&](const fill &) {
            entered.fetch_add(1);
            while(entered.load() < 2) {
                std::this_thread::yield();
            }
            on_tick.reset();
        });
        std::thread a{[&] { bus.publish(tick{}); }};
        std::thread b{[&] { bus.publish(fill{}); }};
        a.join();
        b.join();
        REQUIRE(bus.handler_count<tick>() == 0u);
        REQUIRE(bus.handler_count<fill>() == 0u);
    }
}

TEST_CASE("an unsubscribe outside any handler waits for a call that is itself inside an unsubscribe",
          "[core][threads][reentrancy]") {
    // P runs X; X unsubscribes `other`, which waits (parked) for Q's slow handler, then keeps
    // running. The main thread resets X meanwhile: reset() must not return while X still runs on P.
    using namespace std::chrono_literals;
    evbus::bus bus;
    std::atomic<bool> release_q{false};
    std::atomic<bool> q_inside{false};
    std::atomic<bool> x_running{false};
    std::atomic<bool> x_started{false};
    evbus::subscription other = bus.subscribe<fill>([](const fill &) {});
    auto slow = bus.subscribe<tick>([&](const tick &) {
        q_inside = true;
        while(!release_q) {
            std::this_thread::yield();
        }
    });
    evbus::subscription x = bus.subscribe<int>([&](const int &) {
        x_running = true;
        x_started = true;
        other.reset(); // parks until Q's section ends
        std::this_thread::sleep_for(20ms);
        x_running = false;
    });
    std::thread q{[&] { bus.publish(tick{}); }};
    while(!q_inside) {
        std::this_thread::yield();
    }
    std::thread p{[&] { bus.publish(1); }};
    while(!x_started) {
        std::this_thread::yield();
    }
    std::this_thread::sleep_for(10ms); // let P park inside other.reset()
    std::thread releaser{[&] {
        std::this_thread::sleep_for(10ms);
        release_q = true;
    }};
    x.reset();
    const bool still_running = x_running.load();
    releaser.join();
    p.join();
    q.join();
    REQUIRE_FALSE(still_running);
}

TEST_CASE("a handle may be reset on one thread while another publishes on a channel", "[core][threads][channel]") {
    evbus::channel<tick> channel;
    std::atomic<bool> stop{false};
    std::atomic<long> calls{0};
    std::thread publisher{[&] {
        while(!stop.load(std::memory_order_relaxed)) {
            channel.publish(tick{1});
        }
    }};
    for(int i = 0; i < 300; ++i) {
        auto holder = std::make_shared<std::vector<int>>(16, i);
        auto s = channel.subscribe([&calls, holder](const tick &) { calls += holder->at(3) >= 0 ? 1 : 0; });
        std::thread resetter{[&s] { s.reset(); }};
        resetter.join();
    }
    stop.store(true);
    publisher.join();
    REQUIRE(channel.handler_count() == 0u);
}

TEST_CASE("subscriptions may be destroyed on other threads after the bus is gone", "[core][threads]") {
    std::vector<evbus::subscription> subs;
    {
        evbus::bus bus;
        for(int i = 0; i < 8; ++i) {
            subs.push_back(bus.subscribe<tick>([](const tick &) {}));
        }
        bus.publish(tick{});
    }
    std::atomic<int> still_active{0};
    std::vector<std::thread> threads;
    for(auto &s: subs) {
        threads.emplace_back([&s, &still_active] {
            still_active += s.active() ? 1 : 0;
            s.reset();
        });
    }
    for(auto &t: threads) {
        t.join();
    }
    REQUIRE(still_active.load() == 0);
}

// Two subsystems, two buses: B sits in a handler of bus 2 waiting for what A does after it
// unsubscribes from bus 1. A grace period of bus 1 must not wait for bus 2's handlers.
TEMPLATE_TEST_CASE("an unsubscribe waits only for handlers of its own bus or channel", "[core][threads][rcu]",
                   evbus::bus, evbus::channel<tick>) {
    TestType one;
    TestType two;
    auto on_one = subscribe_to(one, [](const tick &) {});
    std::atomic<bool> inside{false};
    std::atomic<bool> reset_returned{false};
    bool gave_up = false;
    auto on_two = subscribe_to(two, [&](const tick &) {
        inside = true;
        // Bounded, so that the deadlock this test is about fails it instead of hanging the suite.
        const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds{20};
        while(!reset_returned.load() && std::chrono::steady_clock::now() < give_up) {
            std::this_thread::yield();
        }
        gave_up = !reset_returned.load();
    });
    std::thread b{[&] { two.publish(tick{1}); }};
    while(!inside.load()) {
        std::this_thread::yield();
    }
    on_one.reset();
    reset_returned = true;
    b.join();
    CHECK_FALSE(gave_up);
    CHECK(one.publish(tick{2}) == 0u);
}

// A handler of bus 2 that publishes on bus 1 is inside bus 1's handlers too: an unsubscribe on
// bus 1 waits for it, however many buses deep it nests (past the scopes a thread tracks one by
// one, it counts as inside every bus).
TEST_CASE("an unsubscribe waits for its handler when it runs nested in handlers of other buses",
          "[core][threads][rcu]") {
    for(const int depth: {1, 2, 5}) {
        std::vector<std::unique_ptr<evbus::bus>> outer;
        for(int i = 0; i < depth; ++i) {
            outer.push_back(std::make_unique<evbus::bus>());
        }
        evbus::bus target;
        std::atomic<bool> entered{false};
        std::atomic<bool> resetting{false};
        std::atomic<bool> finished{false};
        auto victim = target.subscribe<tick>([&](const tick &) {
            entered = true;
            while(!resetting.load()) {
                std::this_thread::yield();
            }
            std::this_thread::sleep_for(std::chrono::milliseconds{20}); // let a reset that does not wait return
            finished = true;
        });
        std::vector<evbus::subscription> chain;
        for(int i = 0; i < depth; ++i) {
            evbus::bus *next = i + 1 < depth ? outer[static_cast<std::size_t>(i + 1)].get() : nullptr;
            chain.push_back(outer[static_cast<std::size_t>(i)]->subscribe<tick>([next, &target](const tick &t) {
                if(next) {
                    next->publish(t);
                } else {
                    target.publish(t);
                }
            }));
        }
        std::thread publisher{[&] { outer.front()->publish(tick{1}); }};
        while(!entered.load()) {
            std::this_thread::yield();
        }
        resetting = true;
        victim.reset();
        CHECK(finished.load());
        publisher.join();
    }
}
