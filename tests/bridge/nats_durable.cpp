#include <evbus/bridge/nats.hpp>
#include <evbus/core/bus.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <climits>
#include <thread>
#include <string>
#include <vector>

#include "nats_server.hpp"
#include "nats_types.hpp"

using evbus_test::dispatch_until;
using evbus_test::nats_server;
using evbus_test::wait_until;
using nats_test::fill;
using nats_test::tick;

namespace {

evbus::nats::connection_options reconnecting(const nats_server &server) {
    evbus::nats::connection_options options;
    options.servers = {server.url()};
    options.reconnect.max_attempts = -1;
    options.reconnect.wait = std::chrono::milliseconds{20};
    return options;
}

} // namespace

TEST_CASE("durable: every acknowledged event arrives once, in order, across a server restart",
          "[bridge][nats][durable]") {
    nats_server server{{}, true};
    evbus::nats::connection cout{reconnecting(server)};
    evbus::nats::connection cin{reconnecting(server)};
    evbus::bus oms, gateway;
    evbus::nats::bridge out{oms, cout}, in{gateway, cin};
    auto s = out.send_durable<fill>("oms.fill"); // creates the stream EVBUS_oms_fill
    auto r = in.receive_durable<fill>("oms.fill", "gateway");
    std::vector<std::int64_t> got;
    auto h = gateway.subscribe<fill>([&](const fill &f) { got.push_back(f.order); });
    for(int i = 0; i < 50; ++i) {
        oms.publish(fill{i, 1}); // returns once the stream acknowledged it
    }
    REQUIRE(out.stats().sent == 50u);
    REQUIRE(dispatch_until(gateway, [&] { return got.size() == 50u; }));

    server.kill(); // the store survives: a crash of the process, not of the machine
    server.restart();
    REQUIRE(wait_until([&] { return cout.connected() && cin.connected(); }, std::chrono::seconds{15}));
    for(int i = 50; i < 100; ++i) {
        oms.publish(fill{i, 1}); // retried with the same message id until the stream is back
    }
    REQUIRE(dispatch_until(gateway, [&] { return got.size() >= 100u; }));
    const auto so = out.stats();
    REQUIRE(so.sent == 100u);
    REQUIRE(so.send_failed == 0u);
    REQUIRE(got.size() == 100u);
    for(std::size_t i = 0; i < got.size(); ++i) {
        REQUIRE(got[i] == static_cast<std::int64_t>(i)); // once each, in order
    }
    REQUIRE(wait_until([&] { return in.stats().received == 100u; }));
    REQUIRE(in.stats().malformed == 0u);
}

TEST_CASE("durable: a server killed while a durable publish waits for its ack; after the restart every event "
          "arrives exactly once and every publish is counted",
          "[bridge][nats][durable]") {
    nats_server server{{}, true};
    evbus::nats::connection cout{reconnecting(server)};
    evbus::nats::connection cin{reconnecting(server)};
    evbus::bus oms, gateway;
    evbus::nats::bridge out{oms, cout}, in{gateway, cin};
    // Subscribed before the durable send at the same (top) priority: runs just before it, so it
    // says which event the send is about to publish.
    std::atomic<std::int64_t> started{-1};
    auto marker = oms.subscribe<fill>([&](const fill &f) { started = f.order; }, INT_MAX);
    evbus::nats::durable_options options;
    options.ack_timeout = std::chrono::milliseconds{500};
    options.retry_wait = std::chrono::milliseconds{100};
    options.attempts = 100; // long enough for the restart: nothing is expected to fail
    auto s = out.send_durable<fill>("oms.fill", options);
    // A message the server delivered just before the kill and never saw acknowledged comes again
    // after ack_wait (30 s by default: longer than the waits below); one at a time keeps the order.
    evbus::nats::durable_options receiving;
    receiving.ack_wait = std::chrono::milliseconds{1000};
    receiving.max_ack_pending = 1;
    auto r = in.receive_durable<fill>("oms.fill", "gateway", receiving);
    std::vector<std::int64_t> got;
    auto h = gateway.subscribe<fill>([&](const fill &f) { got.push_back(f.order); });
    // The publisher runs until told to stop, so it is still publishing when the server is paused
    // however slowly this thread gets there; n is how many it published.
    std::atomic<bool> stop{false};
    std::int64_t n = 0; // written by the publisher, read after the join
    std::thread publisher{[&] {
        std::int64_t i = 0;
        while(!stop.load()) {
            oms.publish(fill{i, 1}); // returns once the stream acknowledged it (or it failed)
            ++i;
        }
        n = i;
    }};
    struct joiner { // a failed REQUIRE below still ends the publisher (the server running again)
        nats_server &server;
        std::thread &thread;
        std::atomic<bool> &stop;
        ~joiner() {
            if(thread.joinable()) {
                stop = true;
                server.resume();
                thread.join();
            }
        }
    } join_on_exit{server, publisher, stop};
    REQUIRE(wait_until([&] { return out.stats().sent >= 20u; }));
    server.pause(); // the publish in progress gets no acknowledgement
    // The send has started event k and the stream acknowledged exactly the k before it, and that
    // stays so (an acknowledgement already on its way has arrived): event k waits for its ack.
    std::int64_t waiting = -1;
    REQUIRE(wait_until([&] {
        const std::int64_t k = started.load();
        if(k < 0 || out.stats().sent != static_cast<std::uint64_t>(k)) {
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds{100}); // no deadline asserted
        if(started.load() != k || out.stats().sent != static_cast<std::uint64_t>(k)) {
            return false;
        }
        waiting = k;
        return true;
    }));
    server.kill();
    server.restart(); // the same port, the same JetStream directory
    stop = true;      // event `waiting` is retried until the stream is back; at most one more follows
    publisher.join();
    REQUIRE(wait_until(
        [&] {
            gateway.dispatch();
            return got.size() >= static_cast<std::size_t>(n);
        },
        std::chrono::seconds{30}));
    const auto so = out.stats();
    INFO("waiting at the kill: event " << waiting << "; sent " << so.sent << " send_failed " << so.send_failed
                                       << " duplicates (stored before the kill) " << so.duplicates);
    REQUIRE(so.sent + so.send_failed == static_cast<std::uint64_t>(n)); // every publish counted once
    REQUIRE(so.send_failed == 0u);
    REQUIRE(so.duplicates <= 1u); // only the publish in flight can have been stored before its ack
    REQUIRE(got.size() == static_cast<std::size_t>(n)); // exactly once after dedup: no event twice
    for(std::size_t i = 0; i < got.size(); ++i) {
        REQUIRE(got[i] == static_cast<std::int64_t>(i)); // and in order
    }
    REQUIRE(wait_until([&] { return in.stats().received == static_cast<std::uint64_t>(n); }));
    const auto si = in.stats();
    REQUIRE(si.malformed == 0u);
    REQUIRE(si.rejected == 0u);
    (void)gateway.dispatch();
    REQUIRE(got.size() == static_cast<std::size_t>(n)); // nothing more came
}

TEST_CASE("durable: a consumer resumes after the last acknowledged event", "[bridge][nats][durable]") {
    nats_server server{{}, true};
    evbus::nats::connection cout{server.url()};
    evbus::bus oms;
    evbus::nats::bridge out{oms, cout};
    auto s = out.send_durable<fill>("oms.fill");
    std::vector<std::int64_t> got;
    {
        evbus::nats::connection cin{server.url()};
        evbus::bus gateway;
        evbus::nats::bridge in{gateway, cin};
        auto r = in.receive_durable<fill>("oms.fill", "gateway");
        auto h = gateway.subscribe<fill>([&](const fill &f) { got.push_back(f.order); });
        for(int i = 0; i < 10; ++i) {
            oms.publish(fill{i, 1});
        }
        REQUIRE(dispatch_until(gateway, [&] { return got.size() == 10u; }));
        REQUIRE(wait_until([&] { return in.stats().received == 10u; }));
        REQUIRE(cin.flush()); // the acknowledgements are at the server
    }                         // the gateway process goes away; its consumer stays
    for(int i = 10; i < 30; ++i) {
        oms.publish(fill{i, 1}); // stored while nobody consumes
    }
    evbus::nats::connection cin{server.url()};
    evbus::bus gateway;
    evbus::nats::bridge in{gateway, cin};
    auto r = in.receive_durable<fill>("oms.fill", "gateway");
    auto h = gateway.subscribe<fill>([&](const fill &f) { got.push_back(f.order); });
    REQUIRE(dispatch_until(gateway, [&] { return got.size() >= 30u; }));
    REQUIRE(got.size() == 30u);
    for(std::size_t i = 0; i < got.size(); ++i) {
        REQUIRE(got[i] == static_cast<std::int64_t>(i));
    }
}

TEST_CASE("durable: a refused post is not acknowledged, so it is redelivered and arrives once",
          "[bridge][nats][durable]") {
    nats_server server{{}, true};
    evbus::nats::connection cout{server.url()};
    evbus::nats::connection cin{server.url()};
    evbus::bus oms;
    evbus::bus_config config;
    config.capacity = 2;
    evbus::bus gateway{config};
    evbus::nats::bridge out{oms, cout}, in{gateway, cin};
    auto s = out.send_durable<fill>("oms.fill");
    evbus::nats::durable_options options;
    options.max_ack_pending = 1; // one at a time: the order holds across redeliveries
    auto r = in.receive_durable<fill>("oms.fill", "gateway", options);
    std::vector<std::int64_t> got;
    auto h = gateway.subscribe<fill>([&](const fill &f) { got.push_back(f.order); });
    for(int i = 0; i < 6; ++i) {
        oms.publish(fill{i, 1});
    }
    REQUIRE(wait_until([&] { return in.stats().rejected > 0u; })); // the full bus refused
    REQUIRE(dispatch_until(gateway, [&] { return got.size() >= 6u; }));
    REQUIRE(got == std::vector<std::int64_t>{0, 1, 2, 3, 4, 5});
    REQUIRE(wait_until([&] { return in.stats().received == 6u; }));
}

#if EVBUS_HAS_EXCEPTIONS
TEST_CASE("durable: a server without JetStream is an error with a message", "[bridge][nats][durable]") {
    nats_server server; // no --js
    evbus::nats::connection nc{server.url()};
    evbus::bus bus;
    evbus::nats::bridge br{bus, nc};
    try {
        auto s = br.send_durable<fill>("oms.fill");
        FAIL("a durable send without JetStream");
    } catch(const evbus::error &e) {
        REQUIRE(e.code() == evbus::errc::io_error);
        REQUIRE_THAT(e.what(), Catch::Contains("JetStream stream 'EVBUS_oms_fill'"));
    }
}
#endif

TEST_CASE("durable: a bridge that sends and receives a subject does not receive its own events",
          "[bridge][nats][durable]") {
    nats_server server{{}, true};
    evbus::nats::connection nc{server.url()};
    evbus::nats::connection other{server.url()};
    evbus::bus oms, audit;
    evbus::nats::bridge br{oms, nc}, watcher{audit, other};
    auto s = br.send_durable<fill>("oms.fill");
    auto r = br.receive_durable<fill>("oms.fill", "oms");
    auto w = watcher.receive_durable<fill>("oms.fill", "audit");
    std::vector<std::int64_t> got, seen;
    auto h = oms.subscribe<fill>([&](const fill &f) { got.push_back(f.order); });
    auto ha = audit.subscribe<fill>([&](const fill &f) { seen.push_back(f.order); });
    for(int i = 0; i < 10; ++i) {
        oms.publish(fill{i, 1});
    }
    REQUIRE(br.stats().sent == 10u);
    REQUIRE(dispatch_until(audit, [&] { return seen.size() == 10u; })); // stored, delivered to others
    REQUIRE(wait_until([&] { return br.stats().echo_suppressed == 10u; }));
    (void)oms.dispatch();
    REQUIRE(got.size() == 10u); // the local deliveries only
    REQUIRE(br.stats().received == 0u);
    REQUIRE(watcher.stats().echo_suppressed == 0u);
}

TEST_CASE("durable: redeliveries that arrive after newer messages are posted, not acked as duplicates",
          "[bridge][nats][durable]") {
    nats_server server{{}, true};
    evbus::nats::connection cout{server.url()};
    evbus::nats::connection cin{server.url()};
    evbus::nats::connection thief{server.url()};
    evbus::bus oms, gateway;
    evbus::nats::bridge out{oms, cout}, in{gateway, cin};
    evbus::nats::durable_options options;
    options.ack_wait = std::chrono::milliseconds{3000}; // the stolen ones come back after this
    options.max_ack_pending = 100;
    auto s = out.send_durable<fill>("oms.fill");
    {
        auto r = in.receive_durable<fill>("oms.fill", "gateway", options); // makes the consumer
    }
    // Another client takes the first two deliveries and never acks them (a receiver that died
    // with them in flight): the server redelivers them after ack_wait.
    natsSubscription *stolen = nullptr;
    REQUIRE(natsConnection_SubscribeSync(&stolen, thief.native(), "_EVBUS.deliver.EVBUS_oms_fill.gateway") == NATS_OK);
    REQUIRE(thief.flush());
    oms.publish(fill{0, 1});
    oms.publish(fill{1, 1});
    for(int i = 0; i < 2; ++i) {
        natsMsg *m = nullptr;
        REQUIRE(natsSubscription_NextMsg(&m, stolen, 10000) == NATS_OK);
        natsMsg_Destroy(m);
    }
    REQUIRE(natsSubscription_Unsubscribe(stolen) == NATS_OK);
    natsSubscription_Destroy(stolen);
    REQUIRE(thief.flush());
    oms.publish(fill{2, 1});
    oms.publish(fill{3, 1});
    REQUIRE(out.stats().sent == 4u);
    // The bridge comes back: 2 and 3 at once, 0 and 1 when their ack_wait ends.
    auto r = in.receive_durable<fill>("oms.fill", "gateway", options);
    std::vector<std::int64_t> got;
    auto h = gateway.subscribe<fill>([&](const fill &f) { got.push_back(f.order); });
    REQUIRE(dispatch_until(gateway, [&] { return got.size() >= 4u; }));
    std::sort(got.begin(), got.end());
    REQUIRE(got == std::vector<std::int64_t>{0, 1, 2, 3});
    REQUIRE(in.stats().duplicates == 0u);
}

TEST_CASE("durable: several event types on one stream; each consumer posts its own type and acks the others",
          "[bridge][nats][durable]") {
    nats_server server{{}, true};
    evbus::nats::connection cout{server.url()};
    evbus::nats::connection cin{server.url()};
    evbus::bus oms, gateway;
    evbus::nats::bridge out{oms, cout}, in{gateway, cin};
    auto sf = out.send_durable<fill>("oms.mixed");
    auto st = out.send_durable<tick>("oms.mixed"); // the same stream, EVBUS_oms_mixed
    auto rf = in.receive_durable<fill>("oms.mixed", "fills");
    auto rt = in.receive_durable<tick>("oms.mixed", "ticks");
    std::vector<std::int64_t> fills, ticks;
    auto hf = gateway.subscribe<fill>([&](const fill &f) { fills.push_back(f.order); });
    auto ht = gateway.subscribe<tick>([&](const tick &t) { ticks.push_back(t.id); });
    for(int i = 0; i < 20; ++i) {
        if(i % 2 == 0) {
            oms.publish(fill{i, 1});
        } else {
            oms.publish(tick{i, 1.0});
        }
    }
    REQUIRE(out.stats().sent == 20u);
    REQUIRE(dispatch_until(gateway, [&] {
        const auto s = in.stats();
        return s.received == 20u && s.other_type == 20u && fills.size() == 10u && ticks.size() == 10u;
    }));
    for(std::size_t i = 0; i < 10u; ++i) {
        REQUIRE(fills[i] == static_cast<std::int64_t>(2u * i)); // once each, in order
        REQUIRE(ticks[i] == static_cast<std::int64_t>(2u * i + 1u));
    }
    REQUIRE(in.stats().malformed == 0u);
    REQUIRE(in.stats().duplicates == 0u);
    REQUIRE(cin.flush()); // the acknowledgements of the skipped ones are at the server too
}
