// market_feed: publishes ticks to NATS through an evbus bus and a bridge, and counts the fills a
// strategy (examples/strategy.cpp, another process) sends back through JetStream (a durable consumer,
// so fills sent while the feed is down arrive when it comes back); ends with the strategy's summary.
// Usage: market_feed [nats-url] [ticks]   (default nats://127.0.0.1:4222, 10000 ticks)
// Run it with strategy against a local nats-server (README, "NATS bridge").

#include <evbus/bridge/nats.hpp>
#include <evbus/evbus.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <thread>

#include "nats_events.hpp"

namespace {

int run(const char *url, long long count) {
    evbus::nats::connection nc{url};
    evbus::bus bus;
    evbus::nats::bridge bridge{bus, nc};
    auto ticks_out = bridge.send<demo::tick>("md.tick");
    auto end_out = bridge.send<demo::feed_end>("md.end");
    auto fills_in = bridge.receive_durable<demo::fill>("oms.fill", "market_feed"); // acked once posted
    auto done_in = bridge.receive<demo::strategy_done>("oms.done");
    long long fills = 0;
    bool done = false;
    demo::strategy_done summary{};
    auto on_fill = bus.subscribe<demo::fill>([&fills](const demo::fill &) { ++fills; });
    auto on_done = bus.subscribe<demo::strategy_done>([&](const demo::strategy_done &d) {
        summary = d;
        done = true;
    });
    (void)nc.flush();
    for(long long i = 0; i < count; ++i) {
        const auto symbol = static_cast<std::int32_t>(i % 8);
        const double px = 100.0 + symbol + std::sin(static_cast<double>(i) * 0.01) * 0.5;
        bus.publish(demo::tick{i, symbol, px}); // sent to md.tick by ticks_out
        if(i % 1000 == 999) {
            bus.dispatch(); // fills so far
        }
    }
    bus.publish(demo::feed_end{count});
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{20};
    while(!done && std::chrono::steady_clock::now() < deadline) {
        if(bus.dispatch() == 0u) {
            std::this_thread::sleep_for(std::chrono::microseconds{100});
        }
    }
    if(!done) {
        std::fprintf(stderr, "market_feed: no summary from the strategy\n");
        return 1;
    }
    while(fills < summary.fills && std::chrono::steady_clock::now() < deadline) {
        if(bus.dispatch() == 0u) {
            std::this_thread::sleep_for(std::chrono::microseconds{100});
        }
    }
    const auto st = bridge.stats();
    std::printf("market_feed: sent %llu (failed %llu); strategy saw %lld ticks, sent %lld fills, %lld "
                "arrived here\n",
                static_cast<unsigned long long>(st.sent), static_cast<unsigned long long>(st.send_failed),
                static_cast<long long>(summary.ticks), static_cast<long long>(summary.fills), fills);
    return summary.ticks == count && fills == summary.fills ? 0 : 1;
}

} // namespace

int main(int argc, char **argv) {
    const char *url = argc > 1 ? argv[1] : "nats://127.0.0.1:4222";
    const long long count = argc > 2 ? std::atoll(argv[2]) : 10000;
    if(count <= 0) {
        std::fprintf(stderr, "usage: market_feed [nats-url] [ticks > 0]\n");
        return 2;
    }
#if EVBUS_HAS_EXCEPTIONS
    try {
        return run(url, count);
    } catch(const std::exception &e) { // evbus::error: no server, a refused subscription
        std::fprintf(stderr, "market_feed: %s\n", e.what());
        return 1;
    }
#else
    return run(url, count); // evbus errors print their message and abort
#endif
}
