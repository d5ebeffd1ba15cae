// evbus::spsc lanes: channel<E, spsc> and basic_bus<spsc> over detail::spsc_queue.
#include <evbus/core/bus.hpp>
#include <evbus/core/channel.hpp>
#include <evbus/core/publisher.hpp>
#include <evbus/queue/spsc_queue.hpp>
#include <evbus/worker/worker.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {
struct tick {
    std::uint64_t seq;
    double px;
};
struct fill {
    std::uint64_t seq;
    int qty;
};
struct note { // not trivially copyable: a bus stores it on the heap, a channel in its slot
    std::uint64_t seq;
    std::string text;
};

using lane_bus = evbus::basic_bus<evbus::spsc>;
template<typename Event>
using lane = evbus::channel<Event, evbus::spsc>;

evbus::bus_config bounded(std::size_t capacity, evbus::overflow_policy overflow = evbus::overflow_policy::reject) {
    evbus::bus_config cfg;
    cfg.capacity = capacity;
    cfg.overflow = overflow;
    return cfg;
}

void check_balance(const evbus::queue_stats &st) { CHECK(st.posted == st.delivered + st.discarded + st.pending); }
} // namespace

TEST_CASE("spsc: the ring is bus_config::capacity rounded up to a power of two", "[queue][spsc]") {
    CHECK(lane<tick>{bounded(1)}.capacity() == 1u);
    CHECK(lane<tick>{bounded(3)}.capacity() == 4u);
    CHECK(lane<tick>{bounded(1000)}.capacity() == 1024u);
    CHECK(lane_bus{bounded(64)}.capacity() == 64u);
    CHECK(lane_bus{}.capacity() == evbus::spsc_default_capacity);
    CHECK(lane<tick>{}.capacity() == evbus::spsc_default_capacity);
#if EVBUS_HAS_EXCEPTIONS
    REQUIRE_THROWS_AS(lane_bus{bounded(0)}, evbus::error);
    REQUIRE_THROWS_AS(lane<tick>{bounded(evbus::spsc_max_capacity + 1u)}, evbus::error);
#endif
}

TEST_CASE("spsc bus: every event exactly once, in the producer's order across types", "[queue][spsc][threads]") {
    constexpr std::uint64_t total = 200000;
    for(auto overflow: {evbus::overflow_policy::reject, evbus::overflow_policy::block}) {
        lane_bus feed{bounded(64, overflow)}; // a small ring: it wraps and fills many times
        std::uint64_t next = 0;
        std::uint64_t out_of_order = 0;
        std::uint64_t wrong_payload = 0;
        const auto see = [&](std::uint64_t seq) {
            out_of_order += seq == next ? 0u : 1u;
            next = seq + 1;
        };
        auto a = feed.subscribe<tick>([&](const tick &t) {
            see(t.seq);
            wrong_payload += t.seq % 3u == 0u ? 0u : 1u;
        });
        auto b = feed.subscribe<fill>([&](const fill &f) {
            see(f.seq);
            wrong_payload += f.seq % 3u == 1u && f.qty == static_cast<int>(f.seq % 1000u) ? 0u : 1u;
        });
        auto c = feed.subscribe<note>([&](const note &n) {
            see(n.seq);
            wrong_payload += n.seq % 3u == 2u && n.text == std::to_string(n.seq) ? 0u : 1u;
        });
        std::atomic<bool> done{false};
        std::thread producer{[&] {
            for(std::uint64_t seq = 0; seq < total; ++seq) {
                bool ok = false;
                while(!ok) { // reject: retry until there is room; block: post waits for it
                    switch(seq % 3u) {
                    case 0u:
                        ok = feed.post(tick{seq, 1.0});
                        break;
                    case 1u:
                        ok = feed.post(fill{seq, static_cast<int>(seq % 1000u)});
                        break;
                    default:
                        ok = feed.post(note{seq, std::to_string(seq)});
                        break;
                    }
                }
            }
            done.store(true, std::memory_order_release);
        }};
        std::uint64_t delivered = 0;
        while(!done.load(std::memory_order_acquire) || feed.stats().pending != 0u) {
            delivered += feed.dispatch();
        }
        producer.join();
        delivered += feed.dispatch();
        CHECK(delivered == total);
        CHECK(next == total);
        CHECK(out_of_order == 0u);
        CHECK(wrong_payload == 0u);
        const auto st = feed.stats();
        CHECK(st.delivered == total);
        CHECK(st.pending == 0u);
        CHECK(st.posted == total);
        if(overflow == evbus::overflow_policy::block) {
            CHECK(st.rejected == 0u);
        }
        check_balance(st);
    }
}

TEST_CASE("spsc channel: every event exactly once and in order, single posts and bulk", "[queue][spsc][threads]") {
    constexpr std::uint64_t total = 100000;
    lane<tick> ch{bounded(128)};
    std::uint64_t next = 0;
    std::uint64_t out_of_order = 0;
    auto s = ch.subscribe([&](const tick &t) {
        out_of_order += t.seq == next ? 0u : 1u;
        next = t.seq + 1;
    });
    std::thread producer{[&] {
        std::uint64_t seq = 0;
        tick chunk[37];
        while(seq < total) {
            if(seq % 2u == 0u) {
                while(!ch.post(tick{seq, 0.0})) {
                }
                ++seq;
                continue;
            }
            std::size_t n = 0;
            for(; n < 37u && seq + n < total; ++n) {
                chunk[n] = tick{seq + n, 0.0};
            }
            std::size_t sent = 0;
            while(sent < n) { // takes what fits, rejects the rest: post the rest again
                sent += ch.post_bulk(chunk + sent, chunk + n);
            }
            seq += n;
        }
    }};
    while(next < total) {
        (void)ch.dispatch();
    }
    producer.join();
    CHECK(out_of_order == 0u);
    CHECK(ch.stats().delivered == total);
    check_balance(ch.stats());
}

TEST_CASE("spsc: a full ring rejects and counts, and bulk takes what fits", "[queue][spsc]") {
    lane<tick> ch{bounded(4)};
    std::vector<std::uint64_t> seen;
    auto s = ch.subscribe([&](const tick &t) { seen.push_back(t.seq); });
    for(std::uint64_t i = 0; i < 4; ++i) {
        REQUIRE(ch.post(tick{i, 0.0}));
    }
    CHECK_FALSE(ch.post(tick{4, 0.0}));
    CHECK(ch.stats().rejected == 1u);
    CHECK(ch.dispatch(1) == 1u); // one slot back
    tick more[3] = {{10, 0.0}, {11, 0.0}, {12, 0.0}};
    CHECK(ch.post_bulk(more, more + 3) == 1u); // one fits, two rejected
    CHECK(ch.stats().rejected == 3u);
    CHECK(ch.dispatch() == 4u);
    CHECK(seen == std::vector<std::uint64_t>{0, 1, 2, 3, 10});
    const auto st = ch.stats();
    CHECK(st.posted == 5u);
    CHECK(st.delivered == 5u);
    check_balance(st);
}

TEST_CASE("spsc: a full blocking ring waits for the consumer, times out, or is released by close",
          "[queue][spsc][threads]") {
    lane_bus feed{bounded(2, evbus::overflow_policy::block)};
    std::vector<std::uint64_t> seen;
    auto s = feed.subscribe<tick>([&](const tick &t) { seen.push_back(t.seq); });
    REQUIRE(feed.post(tick{0, 0.0}));
    REQUIRE(feed.post(tick{1, 0.0}));

    // post_for gives up after its timeout, counted.
    CHECK_FALSE(feed.post_for(tick{99, 0.0}, std::chrono::microseconds{50}));
    CHECK(feed.stats().rejected == 1u);

    // A post waiting for room goes through once the consumer dispatches.
    std::atomic<bool> accepted{false};
    std::thread producer{[&] { accepted.store(feed.post(tick{2, 0.0})); }};
    std::size_t delivered = 0;
    while(delivered < 3u) {
        delivered += feed.dispatch();
    }
    producer.join();
    CHECK(accepted.load());
    CHECK(seen == std::vector<std::uint64_t>{0, 1, 2});

    // close() releases a waiting post, which returns false (counted).
    REQUIRE(feed.post(tick{3, 0.0}));
    REQUIRE(feed.post(tick{4, 0.0}));
    std::thread waiting{[&] { accepted.store(feed.post(tick{5, 0.0})); }};
    feed.close();
    waiting.join();
    CHECK_FALSE(accepted.load());
    CHECK(feed.stats().rejected == 2u);
    CHECK(feed.dispatch() == 2u);
    check_balance(feed.stats());
}

TEST_CASE("spsc: close keeps what is in the ring deliverable and rejects later posts", "[queue][spsc]") {
    lane_bus feed{bounded(8)};
    int ticks = 0;
    auto s = feed.subscribe<tick>([&](const tick &) { ++ticks; });
    REQUIRE(feed.post(tick{1, 0.0}));
    REQUIRE(feed.post(tick{2, 0.0}));
    REQUIRE(feed.post(fill{3, 1}));
    feed.close();
    CHECK(feed.closed());
    CHECK_FALSE(feed.post(tick{4, 0.0}));
    tick more[2]{};
    CHECK(feed.post_bulk(more, more + 2) == 0u);
    CHECK(feed.stats().rejected == 3u);
    CHECK(feed.dispatch() == 3u); // the fill has no handler: delivered to nobody, counted
    CHECK(ticks == 2);
    const auto st = feed.stats();
    CHECK(st.posted == 3u);
    CHECK(st.delivered == 3u);
    check_balance(st);
}

TEST_CASE("spsc: a handler on the producer's thread posts into its own lane: the next dispatch delivers it",
          "[queue][spsc]") {
    lane_bus feed{bounded(4, evbus::overflow_policy::block)};
    std::vector<std::uint64_t> seen;
    std::vector<bool> accepted;
    auto s = feed.subscribe<tick>([&](const tick &t) {
        seen.push_back(t.seq);
        if(t.seq < 10u) {
            accepted.push_back(feed.post(tick{t.seq + 10u, 0.0}));
        }
    });
    for(std::uint64_t i = 0; i < 4; ++i) {
        REQUIRE(feed.post(tick{i, 0.0}));
    }
    // The ring is full while the first handlers run: their posts cannot wait for the thread that
    // would make room (their own), so they are rejected even though the policy is block.
    CHECK(feed.dispatch() == 4u);
    CHECK(seen == std::vector<std::uint64_t>{0, 1, 2, 3});
    CHECK(feed.stats().rejected >= 1u);
    CHECK(feed.stats().rejected + feed.stats().posted == 8u);
    const auto follow_ups = static_cast<std::size_t>(std::count(accepted.begin(), accepted.end(), true));
    CHECK(feed.dispatch() == follow_ups); // what was accepted waited for this call
    CHECK(seen.size() == 4u + follow_ups);
    check_balance(feed.stats());

    // With room, each follow-up is accepted and goes behind what is queued.
    lane_bus roomy{bounded(64)};
    std::vector<std::uint64_t> order;
    auto r = roomy.subscribe<tick>([&](const tick &t) {
        order.push_back(t.seq);
        if(t.seq < 10u) {
            REQUIRE(roomy.post(tick{t.seq + 10u, 0.0}));
        }
    });
    REQUIRE(roomy.post(tick{1, 0.0}));
    REQUIRE(roomy.post(tick{2, 0.0}));
    CHECK(roomy.dispatch() == 2u);
    CHECK(roomy.dispatch() == 2u);
    CHECK(order == std::vector<std::uint64_t>{1, 2, 11, 12});
}

TEST_CASE("spsc: dispatch(max), and a handler that dispatches or clears", "[queue][spsc]") {
    lane_bus feed{bounded(16)};
    std::vector<std::uint64_t> seen;
    std::size_t nested = 0;
    std::size_t cleared = 0;
    auto s = feed.subscribe<tick>([&](const tick &t) {
        seen.push_back(t.seq);
        if(t.seq == 1u) {
            nested = feed.dispatch(2); // takes 2 and 3, in order
        }
        if(t.seq == 5u) {
            cleared = feed.clear(); // drops 6 and 7
        }
    });
    for(std::uint64_t i = 1; i <= 4; ++i) {
        REQUIRE(feed.post(tick{i, 0.0}));
    }
    CHECK(feed.dispatch(0) == 0u);
    CHECK(feed.dispatch() == 2u); // 1 and 4: 2 and 3 went to the nested call
    CHECK(nested == 2u);
    CHECK(seen == std::vector<std::uint64_t>{1, 2, 3, 4});
    for(std::uint64_t i = 5; i <= 7; ++i) {
        REQUIRE(feed.post(tick{i, 0.0}));
    }
    CHECK(feed.dispatch() == 1u);
    CHECK(cleared == 2u);
    CHECK(feed.stats().discarded == 2u);
    CHECK(feed.stats().pending == 0u);
    // The ring is whole again: every slot is usable.
    for(std::uint64_t i = 0; i < 16; ++i) {
        REQUIRE(feed.post(tick{100 + i, 0.0}));
    }
    CHECK(feed.dispatch(10) == 10u);
    CHECK(feed.dispatch() == 6u);
    check_balance(feed.stats());
}

TEST_CASE("spsc: a handler that clears keeps the slot of the event it runs for", "[queue][spsc]") {
    // The producer (this thread) fills a ring of 4; the consumer thread's handler for the first
    // event clears the other three, then lets the producer post. Slots go back to the producer when
    // the outermost dispatch is done with its chunk, so nothing fits yet; before the fix, all four
    // slots did, the last one the slot of the event the handler was still reading.
    lane_bus feed{bounded(4)};
    std::atomic<int> step{0};
    std::uint64_t seen_after = 0;
    std::size_t cleared = 0;
    auto s = feed.subscribe<tick>([&](const tick &t) {
        if(t.seq != 1u) {
            return;
        }
        cleared = feed.clear();
        step = 1;
        while(step != 2) {
            std::this_thread::yield();
        }
        seen_after = t.seq; // still the first event, not a later post in its slot
    });
    for(std::uint64_t i = 1; i <= 4; ++i) {
        REQUIRE(feed.post(tick{i, 0.0}));
    }
    std::thread consumer{[&] { (void)feed.dispatch(); }};
    while(step != 1) {
        std::this_thread::yield();
    }
    std::size_t accepted = 0;
    for(std::uint64_t i = 10; i < 14; ++i) {
        accepted += feed.post(tick{i, 0.0}) ? 1u : 0u;
    }
    step = 2;
    consumer.join();
    CHECK(cleared == 3u);
    CHECK(accepted == 0u);
    CHECK(seen_after == 1u);
    for(std::uint64_t i = 20; i < 24; ++i) { // the dispatch is over: the whole ring is free
        REQUIRE(feed.post(tick{i, 0.0}));
    }
    CHECK(feed.dispatch() == 4u);
    check_balance(feed.stats());
}

TEST_CASE("spsc: clear drops what is queued, counted as discarded", "[queue][spsc]") {
    lane<note> ch{bounded(8)};
    int handled = 0;
    auto s = ch.subscribe([&](const note &) { ++handled; });
    for(std::uint64_t i = 0; i < 5; ++i) {
        REQUIRE(ch.post(note{i, std::string(100, 'x')})); // owns heap memory: must be freed (ASan)
    }
    CHECK(ch.clear() == 5u);
    CHECK(ch.dispatch() == 0u);
    CHECK(handled == 0);
    const auto st = ch.stats();
    CHECK(st.discarded == 5u);
    CHECK(st.pending == 0u);
    check_balance(st);
    for(std::uint64_t i = 0; i < 8; ++i) { // every slot is free again
        REQUIRE(ch.post(note{i, "y"}));
    }
    CHECK(ch.dispatch() == 8u);
}

TEST_CASE("spsc: destroying a lane delivers what is still queued", "[queue][spsc]") {
    int ticks = 0;
    int notes = 0;
    {
        auto feed = std::make_unique<lane_bus>(bounded(8));
        auto a = feed->subscribe<tick>([&](const tick &) { ++ticks; });
        auto b = feed->subscribe<note>([&](const note &) { ++notes; });
        REQUIRE(feed->post(tick{1, 0.0}));
        REQUIRE(feed->post(note{2, std::string(64, 'n')}));
        REQUIRE(feed->post(tick{3, 0.0}));
        feed.reset(); // while the handlers are subscribed
        CHECK_FALSE(a.active());
    }
    CHECK(ticks == 2);
    CHECK(notes == 1);
    int strings = 0;
    {
        auto ch = std::make_unique<lane<note>>(bounded(4));
        auto s = ch->subscribe([&](const note &) { ++strings; });
        REQUIRE(ch->post(note{1, std::string(64, 'a')}));
        ch.reset();
    }
    CHECK(strings == 1);
}

#if EVBUS_HAS_EXCEPTIONS
TEST_CASE("spsc: a handler that throws: the rest of its chunk is delivered, then the exception", "[queue][spsc]") {
    lane<tick> ch{bounded(16)};
    std::vector<std::uint64_t> seen;
    auto s = ch.subscribe([&](const tick &t) {
        seen.push_back(t.seq);
        if(t.seq == 1u) {
            throw std::runtime_error{"boom"};
        }
    });
    for(std::uint64_t i = 0; i < 3; ++i) {
        REQUIRE(ch.post(tick{i, 0.0}));
    }
    REQUIRE_THROWS_WITH(ch.dispatch(), "boom");
    CHECK(seen == std::vector<std::uint64_t>{0, 1, 2}); // one chunk (a 16-slot ring: chunks of 4)
    CHECK(ch.stats().delivered == 3u);
    for(std::uint64_t i = 0; i < 16; ++i) { // and the slots went back
        REQUIRE(ch.post(tick{10 + i, 0.0}));
    }
    CHECK(ch.dispatch(3) == 3u);
    CHECK(ch.clear() == 13u);
}
#endif

TEST_CASE("spsc: a worker on a lane, with each wait strategy, delivers everything in order",
          "[queue][spsc][worker][threads]") {
    for(auto strategy: {evbus::wait_strategy::busy_spin, evbus::wait_strategy::yield, evbus::wait_strategy::block}) {
        lane<tick> ch{bounded(256)};
        std::uint64_t next = 0;
        std::uint64_t out_of_order = 0;
        auto s = ch.subscribe([&](const tick &t) { // the worker's thread only
            out_of_order += t.seq == next ? 0u : 1u;
            next = t.seq + 1;
        });
        evbus::worker_config cfg;
        cfg.wait = strategy;
        cfg.spins = 4;
        evbus::basic_worker<lane<tick>> consumer{ch, cfg};
        constexpr std::uint64_t total = 20000;
        for(std::uint64_t i = 0; i < total; ++i) {
            while(!ch.post(tick{i, 0.0})) {
                std::this_thread::yield();
            }
            if(i % 1000u == 999u) { // let the worker go idle (block: to sleep) now and then
                while(ch.stats().pending != 0u) {
                    std::this_thread::yield();
                }
            }
        }
        ch.close();
        consumer.drain_and_stop();
        CHECK(out_of_order == 0u);
        CHECK(next == total);
        CHECK(ch.stats().delivered == total);
        CHECK(consumer.errors() == 0u);
    }
}

TEST_CASE("spsc bus: a worker, a publisher, and handlers subscribed from a third thread",
          "[queue][spsc][worker][threads]") {
    lane_bus feed{bounded(64, evbus::overflow_policy::block)};
    std::atomic<std::uint64_t> ticks{0};
    std::atomic<std::uint64_t> extra{0};
    auto s = feed.subscribe<tick>([&](const tick &) { ticks.fetch_add(1, std::memory_order_relaxed); });
    evbus::worker_config cfg;
    cfg.wait = evbus::wait_strategy::block;
    evbus::basic_worker<lane_bus> consumer{feed, cfg};
    std::atomic<bool> stop{false};
    std::thread subscriber{[&] { // subscribe and unsubscribe while events flow; publish from here too
        while(!stop.load(std::memory_order_acquire)) {
            auto e = feed.subscribe<tick>([&](const tick &) { extra.fetch_add(1, std::memory_order_relaxed); });
            (void)feed.publish(fill{0, 0});
        }
    }};
    constexpr std::uint64_t total = 20000;
    {
        evbus::basic_publisher<lane_bus, tick, fill> pub{feed};
        for(std::uint64_t i = 0; i < total; ++i) {
            REQUIRE(pub.post(tick{i, 0.0})); // block: waits for room
        }
    }
    feed.close();
    consumer.drain_and_stop();
    stop.store(true, std::memory_order_release);
    subscriber.join();
    CHECK(ticks.load() == total);
    CHECK(feed.stats().delivered == total);
    CHECK(feed.stats().rejected == 0u);
}

TEST_CASE("spsc: wait_for wakes on a post from the producer thread", "[queue][spsc][threads]") {
    lane<tick> ch{bounded(8)};
    int handled = 0;
    auto s = ch.subscribe([&](const tick &) { ++handled; });
    CHECK_FALSE(ch.wait_for(std::chrono::microseconds{10})); // nothing pending
    std::thread producer{[&] {
        for(std::uint64_t i = 0; i < 100; ++i) {
            while(!ch.post(tick{i, 0.0})) {
                std::this_thread::yield();
            }
        }
    }};
    while(handled < 100) {
        if(ch.wait_for(std::chrono::seconds{10})) {
            (void)ch.dispatch();
        }
    }
    producer.join();
    CHECK(handled == 100);
}

TEST_CASE("spsc: the producer's and the consumer's state sit on different cache lines", "[queue][spsc]") {
    // What the two sides write must not share a line; the ring itself is separately allocated.
    CHECK(sizeof(evbus::detail::spsc_queue<tick>) >= 3u * 64u);
    CHECK(alignof(evbus::detail::spsc_queue<tick>) >= 64u);
}

TEST_CASE("spsc channel: small events sit beside their position; dispatch(max) across chunks", "[queue][spsc]") {
    static_assert(evbus::detail::spsc_sequenced<tick>, "a 16-byte event and its position share a line");
    static_assert(!evbus::detail::spsc_sequenced<evbus::detail::envelope>, "a bus's envelope is a line itself");
    static_assert(sizeof(evbus::detail::spsc_cell<tick>) == 32u && alignof(evbus::detail::spsc_cell<tick>) == 32u,
                  "cells never straddle a cache line");
    lane<tick> ch{bounded(16)}; // chunks of 4
    std::vector<std::uint64_t> seen;
    auto s = ch.subscribe([&](const tick &t) { seen.push_back(t.seq); });
    for(std::uint64_t round = 0; round < 3; ++round) { // the ring wraps: old positions stay in the cells
        for(std::uint64_t i = 0; i < 16; ++i) {
            REQUIRE(ch.post(tick{round * 100 + i, 0.0}));
        }
        CHECK_FALSE(ch.post(tick{999, 0.0}));
        CHECK(ch.dispatch(10) == 10u); // a full first chunk, then the producer's position
        CHECK(ch.dispatch(2) == 2u);   // within one chunk: found by the cells alone
        CHECK(ch.dispatch() == 4u);
        CHECK(ch.dispatch() == 0u);
    }
    REQUIRE(seen.size() == 48u);
    for(std::uint64_t i = 0; i < 48; ++i) {
        CHECK(seen[i] == (i / 16) * 100 + i % 16);
    }
    tick bulk[5] = {{1, 0.0}, {2, 0.0}, {3, 0.0}, {4, 0.0}, {5, 0.0}};
    CHECK(ch.post_bulk(bulk, bulk + 5) == 5u);
    CHECK(ch.dispatch(3) == 3u);
    CHECK(ch.dispatch() == 2u);
    const auto st = ch.stats();
    CHECK(st.posted == 53u);
    CHECK(st.delivered == 53u);
    check_balance(st);
}
