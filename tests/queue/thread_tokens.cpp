#include <catch2/catch.hpp>

#include <atomic>
#include <cstddef>
#include <memory>
#include <thread>
#include <vector>
#include <evbus/core/bus.hpp>
#include <evbus/core/threading.hpp>
#include <evbus/queue/async_queue.hpp>
#include <evbus/queue/thread_tokens.hpp>

namespace {

using queue = evbus::detail::async_queue<evbus::multi_thread, int>;

struct posted {
    int thread;
    int sequence;
};

// Drains every queued int into out.
void drain_into(queue &q, std::vector<int> &out) {
    while(q.drain(evbus::unbounded, [&] {
        return [&](queue::cursor &from) {
            while(from.front() != nullptr) {
                from.deliver_front([&](const int &v) { out.push_back(v); });
            }
        };
    }) != 0u) {
    }
}

} // namespace

TEST_CASE("thread_tokens: a thread's posts without a token go through one token of its own, given back when it "
          "exits",
          "[queue][thread_tokens]") {
    queue q{evbus::bus_config{}};
    std::atomic<bool> posted_all{false};
    std::atomic<bool> may_exit{false};
    std::atomic<int> accepted{0}; // Catch's assertions are for the test's own thread
    std::thread producer{[&] {
        for(int i = 0; i < 100; ++i) {
            accepted += q.post<int>(nullptr, i, nullptr, queue::clock::time_point::max()) ? 1 : 0;
        }
        posted_all = true;
        while(!may_exit) {
            std::this_thread::yield();
        }
    }};
    while(!posted_all) {
        std::this_thread::yield();
    }
    CHECK(q.thread_token_count() == 1u);
    may_exit = true;
    producer.join();
    CHECK(q.thread_token_count() == 0u); // given back at the thread's exit
    CHECK(accepted == 100);
    std::vector<int> got;
    drain_into(q, got); // what it posted stays queued, in order
    REQUIRE(got.size() == 100u);
    for(int i = 0; i < 100; ++i) {
        CHECK(got[static_cast<std::size_t>(i)] == i);
    }
}

TEST_CASE("thread_tokens: the posts of each thread keep their order", "[queue][thread_tokens]") {
    evbus::bus bus;
    std::vector<int> last(4, -1);
    bool ordered = true;
    auto s = bus.subscribe<posted>([&](const posted &p) {
        ordered = ordered && p.sequence == last[static_cast<std::size_t>(p.thread)] + 1;
        last[static_cast<std::size_t>(p.thread)] = p.sequence;
    });
    std::vector<std::thread> producers;
    for(int t = 0; t < 4; ++t) {
        producers.emplace_back([&bus, t] {
            for(int i = 0; i < 5000; ++i) {
                bus.post(posted{t, i});
            }
        });
    }
    std::size_t delivered = 0;
    while(delivered < 20000u) {
        delivered += bus.dispatch();
    }
    for(auto &p: producers) {
        p.join();
    }
    CHECK(ordered);
    CHECK(last == std::vector<int>(4, 4999));
}

TEST_CASE("thread_tokens: a queue may go before the threads that posted to it", "[queue][thread_tokens]") {
    auto first = std::make_unique<queue>(evbus::bus_config{});
    queue second{evbus::bus_config{}};
    std::atomic<int> step{0};
    std::atomic<int> accepted{0};
    std::size_t entries_after = 0;
    std::thread producer{[&] {
        accepted += first->post<int>(nullptr, 1, nullptr, queue::clock::time_point::max()) ? 1 : 0;
        step = 1;
        while(step != 2) {
            std::this_thread::yield();
        }
        // The first queue and its tokens are gone; this thread still holds its entry for it.
        accepted += second.post<int>(nullptr, 2, nullptr, queue::clock::time_point::max()) ? 1 : 0;
        // Many short-lived queues: the entries of the dead ones are dropped as new ones are added.
        for(int i = 0; i < 200; ++i) {
            queue brief{evbus::bus_config{}};
            accepted += brief.post<int>(nullptr, i, nullptr, queue::clock::time_point::max()) ? 1 : 0;
        }
        entries_after = evbus::detail::thread_tokens::local().size();
    }};
    while(step != 1) {
        std::this_thread::yield();
    }
    std::vector<int> got;
    drain_into(*first, got);
    first.reset(); // destroys the token the producer thread still points to
    step = 2;
    producer.join(); // its exit gives back only the token of the live queue
    CHECK(accepted == 202);
    CHECK(got == std::vector<int>{1});
    CHECK(entries_after <= 2u); // the second queue's and the last brief one's
    CHECK(second.thread_token_count() == 0u);
    got.clear();
    drain_into(second, got);
    CHECK(got == std::vector<int>{2});
}

TEST_CASE("thread_tokens: a thread that posts to two queues in turn keeps a token for each", "[queue][thread_tokens]") {
    queue a{evbus::bus_config{}};
    queue b{evbus::bus_config{}};
    for(int i = 0; i < 10; ++i) {
        REQUIRE(a.post<int>(nullptr, i, nullptr, queue::clock::time_point::max()));
        REQUIRE(b.post<int>(nullptr, 100 + i, nullptr, queue::clock::time_point::max()));
    }
    CHECK(a.thread_token_count() == 1u);
    CHECK(b.thread_token_count() == 1u);
    std::vector<int> from_a;
    std::vector<int> from_b;
    drain_into(a, from_a);
    drain_into(b, from_b);
    CHECK(from_a == std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
    CHECK(from_b == std::vector<int>{100, 101, 102, 103, 104, 105, 106, 107, 108, 109});
}
