// strategy: the other half of market_feed, in its own process. Receives ticks from NATS into its own
// bus, buys a symbol whose price fell below its running mean (a fill, sent back durably through
// JetStream: the server needs --js), and when the feed says it is done, sends a summary and exits.
// Usage: strategy [nats-url]   (default nats://127.0.0.1:4222); prints "ready" once subscribed.
// Run it with market_feed against a local nats-server (README, "NATS bridge").

#include <evbus/bridge/nats.hpp>
#include <evbus/evbus.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <thread>

#include "nats_events.hpp"

namespace {

int run(const char *url) {
    evbus::nats::connection_options options;
    options.servers = {url};
    options.name = "evbus-strategy";
    evbus::nats::connection nc{options};
    evbus::bus bus;
    evbus::nats::bridge bridge{bus, nc};
    auto ticks_in = bridge.receive<demo::tick>("md.tick");
    auto end_in = bridge.receive<demo::feed_end>("md.end");
    auto fills_out = bridge.send_durable<demo::fill>("oms.fill"); // JetStream: acknowledged, never lost
    auto done_out = bridge.send<demo::strategy_done>("oms.done");

    std::array<double, 8> mean{};
    std::array<std::int64_t, 8> seen{};
    std::int64_t ticks = 0, fills = 0;
    std::int64_t expected = -1; // the feed's count, once its end arrived
    auto on_tick = bus.subscribe<demo::tick>([&](const demo::tick &t) {
        ++ticks;
        const auto s = static_cast<std::size_t>(t.symbol) % mean.size();
        ++seen[s];
        mean[s] += (t.px - mean[s]) / static_cast<double>(seen[s]);
        if(seen[s] > 10 && t.px < mean[s] * 0.999) {
            ++fills;
            bus.publish(demo::fill{t.seq, t.symbol, 100, t.px}); // sent by fills_out
        }
    });
    // Each subject has its own delivery thread: the end may overtake the last ticks, so it carries
    // their count and the strategy waits for them (for a while: core NATS is at most once).
    auto on_end = bus.subscribe<demo::feed_end>([&expected](const demo::feed_end &e) { expected = e.ticks; });
    if(!nc.flush()) { // the server has our subscriptions
        std::fprintf(stderr, "strategy: no answer from %s\n", url);
        return 1;
    }
    std::printf("ready\n");
    std::fflush(stdout);
    auto deadline = std::chrono::steady_clock::time_point::max();
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds{60}; // no feed came
    while((expected < 0 || (ticks < expected && std::chrono::steady_clock::now() < deadline)) &&
          std::chrono::steady_clock::now() < give_up) {
        if(bus.dispatch() == 0u) {
            std::this_thread::sleep_for(std::chrono::microseconds{100});
        }
        if(expected >= 0 && deadline == std::chrono::steady_clock::time_point::max()) {
            deadline = std::chrono::steady_clock::now() + std::chrono::seconds{5};
        }
    }
    std::printf("strategy: the feed sent %lld ticks, %lld arrived\n", static_cast<long long>(expected),
                static_cast<long long>(ticks));
    bus.publish(demo::strategy_done{ticks, fills});
    (void)nc.flush();
    const auto st = bridge.stats();
    std::printf("strategy: received %llu, malformed %llu, dropped %llu; sent %llu fills\n",
                static_cast<unsigned long long>(st.received), static_cast<unsigned long long>(st.malformed),
                static_cast<unsigned long long>(st.dropped), static_cast<unsigned long long>(fills));
    return 0;
}

} // namespace

int main(int argc, char **argv) {
    const char *url = argc > 1 ? argv[1] : "nats://127.0.0.1:4222";
#if EVBUS_HAS_EXCEPTIONS
    try {
        return run(url);
    } catch(const std::exception &e) { // evbus::error: no server, a refused subscription
        std::fprintf(stderr, "strategy: %s\n", e.what());
        return 1;
    }
#else
    return run(url); // evbus errors print their message and abort
#endif
}
