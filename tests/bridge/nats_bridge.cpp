#include <evbus/bridge/nats.hpp>
#include <evbus/core/bus.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "nats_server.hpp"
#include "nats_types.hpp"

using evbus_test::dispatch_until;
using evbus_test::nats_server;
using evbus_test::wait_until;
using nats_test::chat;
using nats_test::fill;
using nats_test::tick;

namespace {

/// Publishes raw bytes with optional bridge headers through the C client, as another program would.
void publish_raw(evbus::nats::connection &nc, const char *subject, const char *type, const char *version,
                 const void *data, int size) {
    natsMsg *msg = nullptr;
    REQUIRE(natsMsg_Create(&msg, subject, nullptr, static_cast<const char *>(data), size) == NATS_OK);
    if(type != nullptr) {
        REQUIRE(natsMsgHeader_Set(msg, "Evbus-Type", type) == NATS_OK);
    }
    if(version != nullptr) {
        REQUIRE(natsMsgHeader_Set(msg, "Evbus-Version", version) == NATS_OK);
    }
    REQUIRE(natsConnection_PublishMsg(nc.native(), msg) == NATS_OK);
    natsMsg_Destroy(msg);
}

} // namespace

TEST_CASE("typed events round-trip between two buses over two connections", "[bridge][nats]") {
    nats_server server;
    evbus::nats::connection out_conn{server.url()};
    evbus::nats::connection in_conn{server.url()};
    REQUIRE(out_conn.connected());
    evbus::bus feed;
    evbus::bus strategy;
    evbus::nats::bridge out{feed, out_conn};
    evbus::nats::bridge in{strategy, in_conn};
    auto s1 = out.send<tick>("md.tick");
    auto s2 = out.send<chat>("game.chat");
    auto r1 = in.receive<tick>("md.tick");
    auto r2 = in.receive<chat>("game.chat");
    REQUIRE(s1.active());
    REQUIRE(r1.active());
    REQUIRE(in_conn.flush()); // the server has the subscriptions

    std::vector<tick> ticks;
    std::vector<chat> chats;
    auto h1 = strategy.subscribe<tick>([&](const tick &t) { ticks.push_back(t); });
    auto h2 = strategy.subscribe<chat>([&](const chat &c) { chats.push_back(c); });
    constexpr int n = 1000;
    for(int i = 0; i < n; ++i) {
        if(i % 2 == 0) {
            feed.publish(tick{i, 0.5 * i});
        } else {
            REQUIRE(feed.post(tick{i, 0.5 * i}));
            feed.dispatch();
        }
    }
    feed.publish(chat{"ann", std::string(300, 'x')});
    REQUIRE(dispatch_until(strategy, [&] { return ticks.size() == n && chats.size() == 1u; }));
    for(int i = 0; i < n; ++i) {
        REQUIRE(ticks[static_cast<std::size_t>(i)].id == i); // one publisher, one subject: in order
        REQUIRE(ticks[static_cast<std::size_t>(i)].px == 0.5 * i);
    }
    REQUIRE(chats[0].from == "ann");
    REQUIRE(chats[0].text == std::string(300, 'x'));
    // libnats' thread counts a message right after its post: the handler may have run first.
    REQUIRE(wait_until([&] { return in.stats().received == n + 1u; }));
    const auto so = out.stats();
    const auto si = in.stats();
    REQUIRE(so.sent == n + 1u);
    REQUIRE(so.send_failed == 0u);
    REQUIRE(si.received == n + 1u);
    REQUIRE(si.malformed == 0u);
    REQUIRE(si.dropped == 0u);
    REQUIRE(si.rejected == 0u);

    // Resetting a handle unsubscribes at NATS and locally: nothing more arrives, nothing more is sent.
    r1.reset();
    REQUIRE_FALSE(r1.active());
    REQUIRE(in_conn.flush());
    feed.publish(tick{-1, 0.0});
    feed.publish(chat{"bob", "marker"}); // still received: orders the check below
    REQUIRE(dispatch_until(strategy, [&] { return chats.size() == 2u; }));
    REQUIRE(ticks.size() == n);
    s1.reset();
    feed.publish(tick{-2, 0.0});
    REQUIRE(out.stats().sent == n + 3u); // the -1 tick and the marker chat, not the -2 tick
}

TEST_CASE("publish_inline: handlers run on libnats' thread, without dispatch", "[bridge][nats]") {
    nats_server server;
    evbus::nats::connection out_conn{server.url()};
    evbus::nats::connection in_conn{server.url()};
    evbus::bus feed, sink;
    evbus::nats::bridge out{feed, out_conn}, in{sink, in_conn};
    auto s = out.send<tick>("md.tick");
    evbus::nats::receive_options options;
    options.publish_inline = true;
    auto r = in.receive<tick>("md.tick", options);
    REQUIRE(in_conn.flush());
    const auto main_thread = std::this_thread::get_id();
    std::atomic<int> got{0};
    std::atomic<int> on_main{0};
    auto h = sink.subscribe<tick>([&](const tick &t) {
        on_main += std::this_thread::get_id() == main_thread ? 1 : 0;
        if(t.id == got) {
            ++got; // in order
        }
    });
    for(int i = 0; i < 100; ++i) {
        feed.publish(tick{i, 0.0});
    }
    REQUIRE(wait_until([&] { return got == 100; })); // nobody dispatches sink
    REQUIRE(on_main == 0);
    REQUIRE(in.stats().received == 100u);
    REQUIRE(sink.stats().posted == 0u);
}

TEST_CASE("a queue group shares the messages among its members; a plain receiver sees all", "[bridge][nats]") {
    nats_server server;
    evbus::nats::connection c0{server.url()};
    evbus::nats::connection c1{server.url()};
    evbus::nats::connection c2{server.url()};
    evbus::nats::connection c3{server.url()};
    evbus::bus feed, w1, w2, audit;
    evbus::nats::bridge b0{feed, c0}, b1{w1, c1}, b2{w2, c2}, b3{audit, c3};
    auto s = b0.send<fill>("oms.fill");
    auto r1 = b1.receive<fill>("oms.fill", "workers");
    auto r2 = b2.receive<fill>("oms.fill", "workers");
    auto r3 = b3.receive<fill>("oms.fill");
    REQUIRE(c1.flush());
    REQUIRE(c2.flush());
    REQUIRE(c3.flush());
    std::atomic<int> n1{0}, n2{0}, n3{0};
    auto h1 = w1.subscribe<fill>([&](const fill &) { ++n1; });
    auto h2 = w2.subscribe<fill>([&](const fill &) { ++n2; });
    auto h3 = audit.subscribe<fill>([&](const fill &) { ++n3; });
    constexpr int n = 1000;
    for(int i = 0; i < n; ++i) {
        feed.publish(fill{i, 1});
    }
    REQUIRE(wait_until([&] {
        w1.dispatch();
        w2.dispatch();
        audit.dispatch();
        return n1 + n2 == n && n3 == n;
    }));
    REQUIRE(n1 > 0); // random among members: 2^-1000 that one gets none
    REQUIRE(n2 > 0);
    REQUIRE(wait_until([&] { return b1.stats().received + b2.stats().received == n && b3.stats().received == n; }));
}

TEST_CASE("no echo: a bridge does not send back what it received, nor receive what it sent", "[bridge][nats]") {
    nats_server server;
    evbus::nats::connection ca{server.url()};
    evbus::nats::connection cb{server.url()};
    evbus::bus a, b;
    evbus::nats::bridge ba{a, ca}, bb{b, cb};
    // Both processes send and receive the same subject.
    auto sa = ba.send<tick>("echo.tick");
    auto ra = ba.receive<tick>("echo.tick");
    auto sb = bb.send<tick>("echo.tick");
    auto rb = bb.receive<tick>("echo.tick");
    REQUIRE(ca.flush());
    REQUIRE(cb.flush());
    std::vector<std::int64_t> got_a, got_b;
    auto ha = a.subscribe<tick>([&](const tick &t) { got_a.push_back(t.id); });
    auto hb = b.subscribe<tick>([&](const tick &t) { got_b.push_back(t.id); });

    for(int i = 0; i < 10; ++i) {
        a.publish(tick{i, 1.0});
    }
    REQUIRE(got_a.size() == 10u); // the local handler
    REQUIRE(ca.flush());          // the server has processed them: an echo would be on its way first
    REQUIRE(dispatch_until(b, [&] { return got_b.size() == 10u; }));
    REQUIRE(wait_until([&] { return bb.stats().received == 10u; }));
    REQUIRE(bb.stats().sent == 0u); // delivered on b, not sent back out
    REQUIRE(bb.stats().echo_suppressed == 10u);
    // A marker from b orders a's view: a's own ticks would have reached it before.
    b.publish(tick{100, 2.0});
    REQUIRE(bb.stats().sent == 1u);
    REQUIRE(dispatch_until(a, [&] { return got_a.size() == 11u; }));
    REQUIRE(got_a.back() == 100);
    REQUIRE(wait_until([&] { return ba.stats().received == 1u; }));
    REQUIRE(ba.stats().echo_suppressed == 1u);
    REQUIRE(ba.stats().sent == 10u);
    // An event equal to a received one, published locally, still goes out once the echo was used up.
    a.publish(tick{100, 2.0});
    REQUIRE(ba.stats().sent == 11u);
}

TEST_CASE("malformed messages are counted and never posted", "[bridge][nats]") {
    nats_server server;
    evbus::nats::connection raw{server.url()};
    evbus::nats::connection cin{server.url()};
    evbus::bus bus;
    evbus::nats::bridge in{bus, cin};
    auto r = in.receive<tick>("md.tick");
    auto rc = in.receive<chat>("game.chat");
    REQUIRE(cin.flush());
    std::vector<tick> got;
    std::vector<chat> chats;
    auto h = bus.subscribe<tick>([&](const tick &t) { got.push_back(t); });
    auto hc = bus.subscribe<chat>([&](const chat &c) { chats.push_back(c); });
    const tick good{7, 1.5};
    const char garbage[] = "\x00\xff garbage \r\n";
    publish_raw(raw, "md.tick", nullptr, nullptr, garbage, sizeof garbage); // no headers
    publish_raw(raw, "md.tick", nullptr, nullptr, &good, sizeof good);      // right size, no headers
    publish_raw(raw, "md.tick", "test.fill", "1", &good, sizeof good);      // another type: other_type
    publish_raw(raw, "md.tick", "", "1", &good, sizeof good);               // an empty type name
    publish_raw(raw, "md.tick", "test fill", "1", &good, sizeof good);      // not a type name
    publish_raw(raw, "md.tick", "test.fill", nullptr, &good, sizeof good);  // another type, no version
    publish_raw(raw, "md.tick", "test.fill", "x", &good, sizeof good);      // another type, bad version
    publish_raw(raw, "md.tick", "test.tick", "2", &good, sizeof good);      // wrong version
    publish_raw(raw, "md.tick", "test.tick", nullptr, &good, sizeof good);  // no version
    publish_raw(raw, "md.tick", "test.tick", "1", &good, sizeof good - 1);  // too short
    publish_raw(raw, "md.tick", "test.tick", "1", garbage, sizeof garbage); // wrong size
    publish_raw(raw, "md.tick", "test.tick", "1", nullptr, 0);              // empty
    const unsigned char lying[] = {0xff, 0xff, 0xff, 0x7f, 'a'};            // a 2 GB string
    publish_raw(raw, "game.chat", "test.chat", "1", lying, sizeof lying);
    publish_raw(raw, "md.tick", "test.tick", "1", &good, sizeof good); // the one good message, last
    REQUIRE(dispatch_until(bus, [&] { return got.size() == 1u; }));
    REQUIRE(wait_until([&] { return in.stats().malformed == 12u; }));
    REQUIRE(in.stats().other_type == 1u);
    REQUIRE(got[0].id == 7);
    REQUIRE(chats.empty());
    REQUIRE(wait_until([&] { return in.stats().received == 1u; }));
    REQUIRE(bus.stats().posted == 1u);
}

TEST_CASE("several event types on one subject: each receive posts its own type, skips the others, counted",
          "[bridge][nats]") {
    nats_server server;
    evbus::nats::connection cout{server.url()};
    evbus::nats::connection ca{server.url()};
    evbus::nats::connection cb{server.url()};
    evbus::nats::connection cab{server.url()};
    evbus::bus feed, ticks_bus, fills_bus, both_bus;
    evbus::nats::bridge out{feed, cout}, in_a{ticks_bus, ca}, in_b{fills_bus, cb}, in_ab{both_bus, cab};
    auto st = out.send<tick>("mixed.md");
    auto sf = out.send<fill>("mixed.md");
    auto ra = in_a.receive<tick>("mixed.md");
    auto rb = in_b.receive<fill>("mixed.md");
    auto rab1 = in_ab.receive<tick>("mixed.md");
    auto rab2 = in_ab.receive<fill>("mixed.md");
    REQUIRE(ca.flush());
    REQUIRE(cb.flush());
    REQUIRE(cab.flush());
    std::vector<std::int64_t> ticks, fills, both_ticks, both_fills;
    auto ha = ticks_bus.subscribe<tick>([&](const tick &t) { ticks.push_back(t.id); });
    auto haf = ticks_bus.subscribe<fill>([&](const fill &f) { ticks.push_back(-f.order); }); // must not run
    auto hb = fills_bus.subscribe<fill>([&](const fill &f) { fills.push_back(f.order); });
    auto hbt = fills_bus.subscribe<tick>([&](const tick &t) { fills.push_back(-t.id); }); // must not run
    auto h1 = both_bus.subscribe<tick>([&](const tick &t) { both_ticks.push_back(t.id); });
    auto h2 = both_bus.subscribe<fill>([&](const fill &f) { both_fills.push_back(f.order); });
    constexpr std::uint64_t nt = 30, nf = 20;
    for(std::uint64_t i = 0; i < nt + nf; ++i) {
        if(i % 5 < 3) {
            feed.publish(tick{static_cast<std::int64_t>(i), 1.0});
        } else {
            feed.publish(fill{static_cast<std::int64_t>(i), 1});
        }
    }
    REQUIRE(out.stats().sent == nt + nf);
    REQUIRE(dispatch_until(ticks_bus, [&] { return in_a.stats().received + in_a.stats().other_type == nt + nf; }));
    REQUIRE(dispatch_until(fills_bus, [&] { return in_b.stats().received + in_b.stats().other_type == nt + nf; }));
    REQUIRE(dispatch_until(both_bus, [&] { return in_ab.stats().received == nt + nf; }));
    REQUIRE(wait_until([&] { return in_ab.stats().other_type == nt + nf; }));
    (void)ticks_bus.dispatch();
    (void)fills_bus.dispatch();
    (void)both_bus.dispatch();
    std::vector<std::int64_t> want_ticks, want_fills;
    for(std::int64_t i = 0; i < static_cast<std::int64_t>(nt + nf); ++i) {
        (i % 5 < 3 ? want_ticks : want_fills).push_back(i);
    }
    REQUIRE(ticks == want_ticks); // its own events, in order, none of the other type
    REQUIRE(fills == want_fills);
    REQUIRE(both_ticks == want_ticks);
    REQUIRE(both_fills == want_fills);
    const auto sa = in_a.stats();
    const auto sb = in_b.stats();
    const auto sab = in_ab.stats();
    REQUIRE(sa.received == nt);
    REQUIRE(sa.other_type == nf);
    REQUIRE(sb.received == nf);
    REQUIRE(sb.other_type == nt);
    REQUIRE(sab.received == nt + nf); // each message once, by the receive of its type
    REQUIRE(sab.other_type == nt + nf);
    for(const auto &s: {sa, sb, sab}) {
        REQUIRE(s.malformed == 0u);
        REQUIRE(s.rejected == 0u);
        REQUIRE(s.dropped == 0u);
    }
}

TEST_CASE("a slow consumer's drops are counted: every message sent is received or dropped", "[bridge][nats]") {
    nats_server server;
    evbus::nats::connection cout{server.url()};
    evbus::nats::connection cin{server.url()};
    evbus::bus feed;
    evbus::bus_config config;
    config.capacity = 1;
    config.overflow = evbus::overflow_policy::block; // a post that waits: libnats' thread stalls
    evbus::bus slow{config};
    evbus::nats::bridge out{feed, cout}, in{slow, cin};
    auto s = out.send<tick>("md.tick");
    evbus::nats::receive_options options;
    options.pending_messages = 8;
    auto r = in.receive<tick>("md.tick", options);
    REQUIRE(cin.flush());
    std::atomic<int> delivered{0};
    auto h = slow.subscribe<tick>([&](const tick &) { ++delivered; });
    constexpr std::uint64_t n = 200;
    for(std::uint64_t i = 0; i < n; ++i) {
        feed.publish(tick{static_cast<std::int64_t>(i), 0.0});
    }
    REQUIRE(cout.flush());
    // Nobody dispatches yet: the client holds 8, the rest is dropped. Wait until the connection has
    // read all n, so that the count below does not depend on how fast dispatching starts.
    REQUIRE(wait_until([&] {
        natsStatistics *ns = nullptr;
        uint64_t in_msgs = 0;
        if(natsStatistics_Create(&ns) == NATS_OK) {
            if(natsConnection_GetStats(cin.native(), ns) == NATS_OK) {
                (void)natsStatistics_GetCounts(ns, &in_msgs, nullptr, nullptr, nullptr, nullptr);
            }
            natsStatistics_Destroy(ns);
        }
        return in_msgs >= n;
    }));
    REQUIRE(wait_until([&] { return in.stats().dropped > 0u; }));
    REQUIRE(dispatch_until(slow, [&] {
        const auto st = in.stats();
        return st.received + st.dropped == n && delivered == static_cast<int>(st.received);
    }));
    const auto st = in.stats();
    REQUIRE(out.stats().sent == n);
    REQUIRE(st.received + st.dropped == n);
    REQUIRE(st.dropped >= n - 20u);
    REQUIRE(st.malformed == 0u);
    REQUIRE(wait_until([&] { return cin.stats().slow_consumer > 0u; }));
}

TEST_CASE("a full bounded bus rejects received messages, counted", "[bridge][nats]") {
    nats_server server;
    evbus::nats::connection cout{server.url()};
    evbus::nats::connection cin{server.url()};
    evbus::bus feed;
    evbus::bus_config config;
    config.capacity = 4;
    evbus::bus bounded{config};
    evbus::nats::bridge out{feed, cout}, in{bounded, cin};
    auto s = out.send<tick>("md.tick");
    auto r = in.receive<tick>("md.tick");
    REQUIRE(cin.flush());
    for(int i = 0; i < 10; ++i) {
        feed.publish(tick{i, 0.0});
    }
    REQUIRE(wait_until([&] { return in.stats().received + in.stats().rejected == 10u; }));
    REQUIRE(in.stats().received == 4u);
    REQUIRE(in.stats().rejected == 6u);
    REQUIRE(bounded.stats().rejected == 6u);
    REQUIRE(bounded.dispatch() == 4u);
}

TEST_CASE("a server killed and restarted: the bridge reconnects, what was refused is counted", "[bridge][nats]") {
    nats_server server;
    evbus::nats::connection_options options;
    options.servers = {server.url()};
    options.reconnect.max_attempts = -1;
    options.reconnect.wait = std::chrono::milliseconds{20};
    options.reconnect.buffer_size = 4096; // fills during the outage: refusals are counted
    evbus::nats::connection cout{options};
    evbus::nats::connection cin{options};
    evbus::bus feed, sink;
    evbus::nats::bridge out{feed, cout}, in{sink, cin};
    auto s = out.send<tick>("md.tick");
    auto r = in.receive<tick>("md.tick");
    REQUIRE(cin.flush());
    std::vector<std::int64_t> got;
    auto h = sink.subscribe<tick>([&](const tick &t) { got.push_back(t.id); });
    std::uint64_t published = 0u;
    for(int i = 0; i < 100; ++i, ++published) {
        feed.publish(tick{i, 0.0});
    }
    REQUIRE(dispatch_until(sink, [&] { return got.size() == 100u; }));

    server.kill();
    REQUIRE(wait_until([&] { return cout.status() == evbus::nats::connection_status::reconnecting; }));
    // Publishes are buffered while reconnecting, then refused once the buffer is full.
    for(int i = 0; i < 100000 && out.stats().send_failed < 10u; ++i, ++published) {
        feed.publish(tick{1000 + i, 0.0});
    }
    REQUIRE(out.stats().send_failed >= 10u);

    server.restart();
    REQUIRE(wait_until([&] { return cout.connected() && cin.connected(); }, std::chrono::seconds{15}));
    REQUIRE(cin.flush()); // the receiver's subscription is back at the server
    for(int i = 0; i < 100; ++i, ++published) {
        feed.publish(tick{1000000 + i, 0.0});
    }
    REQUIRE(dispatch_until(sink, [&] { return !got.empty() && got.back() == 1000000 + 99; }));
    REQUIRE(wait_until([&] { return in.stats().received == got.size(); }));
    const auto so = out.stats();
    const auto si = in.stats();
    // Every event the bus delivered to the sender is counted as sent or refused.
    REQUIRE(so.sent + so.send_failed == published);
    REQUIRE(si.received == got.size());
    REQUIRE(si.received <= so.sent);
    REQUIRE(si.malformed == 0u);
    REQUIRE(si.rejected == 0u);
    // sent = received + dropped + lost, lost >= 0: what was in flight when the server died.
    REQUIRE(si.received + si.dropped <= so.sent);
    const std::uint64_t lost = so.sent - si.received - si.dropped;
    INFO("sent " << so.sent << " refused " << so.send_failed << " received " << si.received << " lost " << lost);
    std::size_t after = 0u;
    for(std::int64_t id: got) {
        after += id >= 1000000 ? 1u : 0u;
    }
    REQUIRE(after == 100u); // after the restart, nothing is lost
    // libnats reports disconnects and reconnects on its callback thread, maybe after the status changed.
    REQUIRE(wait_until([&] { return cout.stats().reconnects >= 1u && cout.stats().disconnects >= 1u; }));
}

TEST_CASE("resetting a receive while messages arrive does not crash (libnats 3.4.1, nats.c #637)", "[bridge][nats]") {
    nats_server server;
    evbus::nats::connection raw{server.url()};
    evbus::nats::connection cin{server.url()};
    evbus::bus_config config;
    config.capacity = 16; // nobody dispatches: the rest is rejected, counted
    evbus::bus bus{config};
    evbus::nats::bridge in{bus, cin};
    std::atomic<bool> stop{false};
    std::thread flood{[&] {
        const tick t{1, 1.0};
        while(!stop.load()) {
            for(int i = 0; i < 100; ++i) {
                natsMsg *msg = nullptr;
                if(natsMsg_Create(&msg, "flood.tick", nullptr, reinterpret_cast<const char *>(&t), sizeof t) ==
                   NATS_OK) {
                    (void)natsMsgHeader_Set(msg, "Evbus-Type", "test.tick");
                    (void)natsMsgHeader_Set(msg, "Evbus-Version", "1");
                    (void)natsConnection_PublishMsg(raw.native(), msg);
                }
                natsMsg_Destroy(msg);
            }
            (void)natsConnection_FlushTimeout(raw.native(), 1000);
        }
    }};
    for(int round = 0; round < 100; ++round) {
        const auto before = in.stats();
        auto r = in.receive<tick>("flood.tick");
        REQUIRE(wait_until([&] {
            const auto st = in.stats();
            return st.received + st.rejected > before.received + before.rejected + 50u;
        }));
        r.reset(); // while the read loop is handing messages to the subscription
        REQUIRE_FALSE(r.active());
    }
    stop = true;
    flood.join();
    REQUIRE(in.stats().malformed == 0u);
}

TEST_CASE("resetting a receive mid-stream: what libnats held is delivered, not discarded uncounted", "[bridge][nats]") {
    nats_server server;
    evbus::nats::connection cout{server.url()};
    evbus::nats::connection cin{server.url()};
    evbus::bus feed, sink;
    evbus::nats::bridge out{feed, cout}, in{sink, cin};
    auto s = out.send<tick>("md.tick");
    evbus::nats::receive_options options;
    options.publish_inline = true;
    auto r = in.receive<tick>("md.tick", options);
    REQUIRE(cin.flush());
    std::atomic<bool> go{false};
    std::atomic<int> handled{0};
    auto h = sink.subscribe<tick>([&](const tick &) {
        ++handled;
        while(!go.load()) {
            std::this_thread::yield(); // the first message holds libnats' delivery thread
        }
    });
    constexpr std::uint64_t n = 500;
    for(std::uint64_t i = 0; i < n; ++i) {
        feed.publish(tick{static_cast<std::int64_t>(i), 0.0});
    }
    REQUIRE(cout.flush());
    REQUIRE(cin.flush()); // everything sent is in the client (pending), behind the held message
    REQUIRE(wait_until([&] { return handled == 1; }));
    std::thread release{[&] {
        std::this_thread::sleep_for(std::chrono::milliseconds{50});
        go = true;
    }};
    r.reset();
    release.join();
    const auto so = out.stats();
    const auto si = in.stats();
    INFO("sent " << so.sent << " received " << si.received << " dropped " << si.dropped);
    REQUIRE(so.sent == n);
    REQUIRE(si.received + si.dropped == n);
    REQUIRE(handled == static_cast<int>(si.received));
}

#if EVBUS_HAS_EXCEPTIONS
TEST_CASE("subjects are validated: a publish subject is literal, a receive subject may hold wildcards",
          "[bridge][nats]") {
    nats_server server;
    evbus::nats::connection nc{server.url()};
    evbus::bus bus;
    evbus::nats::bridge br{bus, nc};
    for(const char *bad: {"md tick", "md.tick\r\nPUB x 1", "md.*", "md.>", "md..tick", ".md", "md.", "md\ttick", ""}) {
        INFO(bad);
        REQUIRE_THROWS_AS(br.send<tick>(bad), evbus::error);
        try {
            (void)br.send<tick>(bad);
        } catch(const evbus::error &e) {
            REQUIRE(e.code() == evbus::errc::invalid_argument);
        }
    }
    for(const char *bad: {"md tick", "md.>.x", "md.t*", "md.>x", "md..tick", "a\r\nb", ""}) {
        INFO(bad);
        REQUIRE_THROWS_AS(br.receive<tick>(bad), evbus::error);
    }
    REQUIRE_THROWS_AS(br.receive<tick>("md.tick", "a b"), evbus::error);
    auto r1 = br.receive<tick>("md.*");
    auto r2 = br.receive<tick>("md.>");
    auto r3 = br.receive<tick>(">");
    auto r4 = br.receive<tick>("*.tick");
    auto s1 = br.send<tick>("md.tick-1_A");
    REQUIRE(r1.active());
    REQUIRE(r4.active());
    REQUIRE(s1.active());
    REQUIRE(br.stats().sent == 0u);
}

TEST_CASE("publish_inline: a handler that throws is counted once, as a handler error, not as malformed",
          "[bridge][nats]") {
    nats_server server;
    evbus::nats::connection cout{server.url()};
    evbus::nats::connection cin{server.url()};
    evbus::bus feed, sink;
    evbus::nats::bridge out{feed, cout}, in{sink, cin};
    auto s = out.send<tick>("md.tick");
    evbus::nats::receive_options options;
    options.publish_inline = true;
    auto r = in.receive<tick>("md.tick", options);
    REQUIRE(cin.flush());
    std::atomic<int> calls{0};
    auto h = sink.subscribe<tick>([&](const tick &t) {
        ++calls;
        if(t.id == 1) {
            throw std::runtime_error{"handler"};
        }
    });
    for(int i = 0; i < 3; ++i) {
        feed.publish(tick{i, 0.0});
    }
    REQUIRE(wait_until([&] { return calls == 3; }));
    REQUIRE(wait_until([&] { return in.stats().handler_errors == 1u; }));
    const auto st = in.stats();
    REQUIRE(st.received == 3u);
    REQUIRE(st.malformed == 0u);
}
#endif

TEST_CASE("no echo with two sends of the same type: neither sends back what the bridge received", "[bridge][nats]") {
    nats_server server;
    evbus::nats::connection ca{server.url()};
    evbus::nats::connection cb{server.url()};
    evbus::bus a, b;
    evbus::nats::bridge ba{a, ca}, bb{b, cb};
    auto sa = ba.send<tick>("echo.tick");
    auto rb = bb.receive<tick>("echo.tick");
    auto sb1 = bb.send<tick>("echo.tick");
    auto sb2 = bb.send<tick>("echo.copy");
    REQUIRE(cb.flush());
    std::vector<std::int64_t> got;
    auto hb = b.subscribe<tick>([&](const tick &t) { got.push_back(t.id); });
    for(int i = 0; i < 5; ++i) {
        a.publish(tick{i, 1.0});
    }
    REQUIRE(ca.flush());
    REQUIRE(dispatch_until(b, [&] { return got.size() == 5u; }));
    REQUIRE(bb.stats().sent == 0u);
    REQUIRE(bb.stats().echo_suppressed == 10u); // each send once per event
    // The entries are used up: the same event published locally goes out through both sends.
    b.publish(tick{0, 1.0});
    REQUIRE(bb.stats().sent == 2u);
    // A send reset leaves no stale entry behind for a later one.
    sb1.reset();
    sb2.reset();
    a.publish(tick{7, 1.0});
    REQUIRE(ca.flush());
    REQUIRE(dispatch_until(b, [&] { return got.size() == 7u; })); // 5, the local one, 7
    auto sb3 = bb.send<tick>("echo.tick");
    b.publish(tick{7, 1.0});
    REQUIRE(bb.stats().sent == 3u);
}

TEST_CASE("no echo: a send added between a receive's post and its dispatch does not send the event back",
          "[bridge][nats]") {
    nats_server server;
    evbus::nats::connection ca{server.url()};
    evbus::nats::connection cb{server.url()};
    evbus::bus a, b;
    evbus::nats::bridge ba{a, ca}, bb{b, cb};
    auto sa = ba.send<tick>("echo.gap");
    auto rb = bb.receive<tick>("echo.gap");
    REQUIRE(cb.flush());
    std::vector<std::int64_t> got;
    auto hb = b.subscribe<tick>([&](const tick &t) { got.push_back(t.id); });
    // 1. No send of tick in bb when the event is posted; one is added before b dispatches.
    a.publish(tick{1, 1.0});
    REQUIRE(wait_until([&] { return bb.stats().received == 1u; })); // posted to b, not dispatched
    REQUIRE(got.empty());
    auto sb1 = bb.send<tick>("echo.gap");
    REQUIRE(b.dispatch() == 1u);
    REQUIRE(got == std::vector<std::int64_t>{1});
    REQUIRE(bb.stats().sent == 0u);
    REQUIRE(bb.stats().echo_suppressed == 1u);
    // 2. One send when the event is posted; a second one is added before b dispatches.
    a.publish(tick{2, 1.0});
    REQUIRE(wait_until([&] { return bb.stats().received == 2u; }));
    auto sb2 = bb.send<tick>("echo.copy");
    REQUIRE(b.dispatch() == 1u);
    REQUIRE(got == std::vector<std::int64_t>{1, 2});
    REQUIRE(bb.stats().sent == 0u);
    REQUIRE(bb.stats().echo_suppressed == 3u); // each send skipped it once
    // 3. Events published locally still go out through both sends, even equal to a received one.
    b.publish(tick{2, 1.0});
    REQUIRE(bb.stats().sent == 2u);
}

TEST_CASE("publish_inline: a handler may reset its own receive; it returns at once, nothing more arrives",
          "[bridge][nats]") {
    nats_server server;
    evbus::nats::connection cout{server.url()};
    evbus::nats::connection cin{server.url()};
    evbus::bus feed, sink;
    evbus::nats::bridge out{feed, cout}, in{sink, cin};
    auto s = out.send<tick>("md.tick");
    evbus::nats::receive_options options;
    options.publish_inline = true;
    evbus::subscription r = in.receive<tick>("md.tick", options);
    REQUIRE(cin.flush());
    std::atomic<int> calls{0};
    std::atomic<bool> returned{false};
    auto h = sink.subscribe<tick>([&](const tick &) {
        if(++calls == 1) {
            r.reset(); // before: waited for a completion that only comes after this handler (15 s)
            returned = true;
        }
    });
    feed.publish(tick{1, 0.0});
    REQUIRE(cout.flush());
    REQUIRE(wait_until([&] { return returned.load(); }, std::chrono::seconds{12}));
    REQUIRE_FALSE(r.active());
    for(int i = 0; i < 10; ++i) {
        feed.publish(tick{2, 0.0});
    }
    REQUIRE(cout.flush());
    REQUIRE(cin.flush());
    REQUIRE(calls == 1);
    REQUIRE(in.stats().received == 1u);
}

TEST_CASE("slow-consumer drops stay counted after the connection closed", "[bridge][nats]") {
    nats_server server;
    evbus::nats::connection cout{server.url()};
    evbus::nats::connection cin{server.url()};
    evbus::bus feed, slow;
    evbus::nats::bridge out{feed, cout}, in{slow, cin};
    auto s = out.send<tick>("md.tick");
    evbus::nats::receive_options options;
    options.pending_messages = 4;
    options.publish_inline = true;
    std::atomic<bool> go{false};
    auto h = slow.subscribe<tick>([&](const tick &) {
        while(!go.load()) {
            std::this_thread::yield(); // holds libnats' delivery thread: the rest is dropped
        }
    });
    auto r = in.receive<tick>("md.tick", options);
    REQUIRE(cin.flush());
    for(int i = 0; i < 100; ++i) {
        feed.publish(tick{i, 0.0});
    }
    REQUIRE(cout.flush());
    REQUIRE(wait_until([&] { return in.stats().dropped > 0u; }));
    const std::uint64_t seen = in.stats().dropped;
    natsConnection_Close(cin.native()); // closes its subscriptions
    go = true;
    REQUIRE(in.stats().dropped >= seen);
}

namespace {

/// A prefix-format payload built by hand (docs/bridge.md, "Wire format"), as another language would.
std::string prefixed(std::string_view name, std::uint32_t version, const void *payload, std::size_t size) {
    std::string out{"EVB\x01", 4u};
    out += static_cast<char>(name.size());
    out += name;
    for(int i = 0; i < 4; ++i) {
        out += static_cast<char>((version >> (8 * i)) & 0xFFu);
    }
    out.append(static_cast<const char *>(payload), size);
    return out;
}

void publish_bytes(evbus::nats::connection &nc, const char *subject, const std::string &bytes) {
    REQUIRE(natsConnection_Publish(nc.native(), subject, bytes.data(), static_cast<int>(bytes.size())) == NATS_OK);
}

} // namespace

TEST_CASE("wire_format::prefix: typed events round-trip without headers; receivers take both formats",
          "[bridge][nats][prefix]") {
    nats_server server;
    evbus::nats::connection out_conn{server.url()};
    evbus::nats::connection in_conn{server.url()};
    evbus::nats::connection spy_conn{server.url()};
    evbus::bus feed, strategy;
    evbus::nats::bridge_options prefix;
    prefix.format = evbus::nats::wire_format::prefix;
    evbus::nats::bridge out{feed, out_conn, prefix};
    evbus::nats::bridge in{strategy, in_conn}; // the default (headers) bridge reads the prefix form too
    auto s1 = out.send<tick>("md.tick");
    auto s2 = out.send<chat>("game.chat");
    auto r1 = in.receive<tick>("md.tick");
    auto r2 = in.receive<chat>("game.chat");
    natsSubscription *spy = nullptr; // what goes over the wire
    REQUIRE(natsConnection_SubscribeSync(&spy, spy_conn.native(), "md.tick") == NATS_OK);
    REQUIRE(in_conn.flush());
    REQUIRE(spy_conn.flush());
    std::vector<tick> ticks;
    std::vector<chat> chats;
    auto h1 = strategy.subscribe<tick>([&](const tick &t) { ticks.push_back(t); });
    auto h2 = strategy.subscribe<chat>([&](const chat &c) { chats.push_back(c); });
    constexpr int n = 200;
    for(int i = 0; i < n; ++i) {
        feed.publish(tick{i, 0.25 * i});
    }
    feed.publish(chat{"ann", std::string(300, 'x')});
    REQUIRE(dispatch_until(strategy, [&] { return ticks.size() == n && chats.size() == 1u; }));
    for(int i = 0; i < n; ++i) {
        REQUIRE(ticks[static_cast<std::size_t>(i)].id == i);
        REQUIRE(ticks[static_cast<std::size_t>(i)].px == 0.25 * i);
    }
    REQUIRE(chats[0].text == std::string(300, 'x'));
    // On the wire: no headers, the documented prefix, then the event's bytes.
    natsMsg *m = nullptr;
    REQUIRE(natsSubscription_NextMsg(&m, spy, 10000) == NATS_OK);
    const char *type = nullptr;
    REQUIRE(natsMsgHeader_Get(m, "Evbus-Type", &type) == NATS_NOT_FOUND);
    const tick first{0, 0.0};
    const std::string want = prefixed("test.tick", 1u, &first, sizeof first);
    REQUIRE(std::string(natsMsg_GetData(m), static_cast<std::size_t>(natsMsg_GetDataLength(m))) == want);
    natsMsg_Destroy(m);
    REQUIRE(natsSubscription_Unsubscribe(spy) == NATS_OK);
    natsSubscription_Destroy(spy);
    REQUIRE(wait_until([&] { return in.stats().received == n + 1u; }));
    REQUIRE(out.stats().sent == n + 1u);
    REQUIRE(in.stats().malformed == 0u);
    // A headers bridge and a prefix bridge on one subject: the receiver takes both.
    evbus::nats::connection hdr_conn{server.url()};
    evbus::bus feed2;
    evbus::nats::bridge hdr{feed2, hdr_conn};
    auto s3 = hdr.send<tick>("md.tick");
    feed2.publish(tick{-1, 1.0});
    feed.publish(tick{-2, 1.0});
    REQUIRE(dispatch_until(strategy, [&] { return ticks.size() == n + 2u; }));
    REQUIRE(wait_until([&] { return in.stats().received == n + 3u; }));
    REQUIRE(in.stats().malformed == 0u);
}

TEST_CASE("wire_format::prefix: malformed prefixes are counted and never posted", "[bridge][nats][prefix]") {
    nats_server server;
    evbus::nats::connection raw{server.url()};
    evbus::nats::connection cin{server.url()};
    evbus::bus bus;
    evbus::nats::bridge in{bus, cin};
    auto r = in.receive<tick>("md.tick");
    auto rc = in.receive<chat>("game.chat");
    REQUIRE(cin.flush());
    std::vector<tick> got;
    std::vector<chat> chats;
    auto h = bus.subscribe<tick>([&](const tick &t) { got.push_back(t); });
    auto hc = bus.subscribe<chat>([&](const chat &c) { chats.push_back(c); });
    const tick good{7, 1.5};
    const std::string whole = prefixed("test.tick", 1u, &good, sizeof good);
    publish_bytes(raw, "md.tick", std::string{"EVB\x01", 4u});           // the magic alone
    publish_bytes(raw, "md.tick", whole.substr(0u, 10u));                // a prefix cut short
    publish_bytes(raw, "md.tick", prefixed("", 1u, &good, sizeof good)); // an empty name
    std::string lying = whole;
    lying[4] = static_cast<char>(255); // a name past the end
    publish_bytes(raw, "md.tick", lying);
    publish_bytes(raw, "md.tick", prefixed("test.tick", 2u, &good, sizeof good));     // wrong version
    publish_bytes(raw, "md.tick", prefixed("test.tick", 1u, &good, sizeof good - 1)); // too short
    publish_bytes(raw, "md.tick", whole + "x");                                       // too long
    publish_bytes(raw, "md.tick", prefixed("test.tick", 1u, nullptr, 0u));            // no payload
    publish_bytes(raw, "md.tick", prefixed("bad name", 1u, &good, sizeof good));      // not a type name
    publish_bytes(raw, "md.tick", std::string{"EVB\x02", 4u} + whole.substr(4u));     // another layout version
    const unsigned char lying_string[] = {0xff, 0xff, 0xff, 0x7f, 'a'};               // a 2 GB string
    publish_bytes(raw, "game.chat", prefixed("test.chat", 1u, lying_string, sizeof lying_string));
    publish_bytes(raw, "md.tick", prefixed("test.fill", 3u, &good, sizeof good)); // another type: other_type
    publish_bytes(raw, "md.tick", whole);                                         // the one good message, last
    REQUIRE(dispatch_until(bus, [&] { return got.size() == 1u; }));
    REQUIRE(wait_until([&] { return in.stats().malformed == 11u; }));
    REQUIRE(got[0].id == 7);
    REQUIRE(chats.empty());
    REQUIRE(wait_until([&] { return in.stats().received == 1u; }));
    REQUIRE(in.stats().other_type == 1u);
    REQUIRE(bus.stats().posted == 1u);
    // A message with the Evbus headers is read as the header form, whatever its payload.
    publish_raw(raw, "md.tick", "test.tick", "1", whole.data(), static_cast<int>(whole.size()));
    REQUIRE(wait_until([&] { return in.stats().malformed == 12u; })); // 34 bytes are not a tick
}

TEST_CASE("wire_format::prefix: the durable pair round-trips and suppresses its own echo", "[bridge][nats][prefix]") {
    nats_server server{{}, true};
    evbus::nats::connection cout{server.url()};
    evbus::nats::connection cin{server.url()};
    evbus::bus oms, gateway;
    evbus::nats::bridge_options prefix;
    prefix.format = evbus::nats::wire_format::prefix;
    evbus::nats::bridge out{oms, cout, prefix}, in{gateway, cin, prefix};
    auto s = out.send_durable<fill>("oms.fill");
    auto self = out.receive_durable<fill>("oms.fill", "self"); // its own events: acked, not posted
    auto r = in.receive_durable<fill>("oms.fill", "gateway");
    auto back = in.send<fill>("oms.copy"); // no echo: what in received does not go out again
    std::vector<std::int64_t> got, local;
    auto h = gateway.subscribe<fill>([&](const fill &f) { got.push_back(f.order); });
    auto hl = oms.subscribe<fill>([&](const fill &f) { local.push_back(f.order); });
    for(int i = 0; i < 10; ++i) {
        oms.publish(fill{i, 2});
    }
    REQUIRE(out.stats().sent == 10u);
    REQUIRE(dispatch_until(gateway, [&] { return got.size() == 10u; }));
    for(std::size_t i = 0; i < got.size(); ++i) {
        REQUIRE(got[i] == static_cast<std::int64_t>(i));
    }
    REQUIRE(wait_until([&] { return out.stats().echo_suppressed == 10u; }));
    (void)oms.dispatch();
    REQUIRE(local.size() == 10u); // the local deliveries only
    REQUIRE(in.stats().sent == 0u);
    REQUIRE(in.stats().echo_suppressed == 10u);
    REQUIRE(in.stats().malformed == 0u);
}

#if EVBUS_HAS_EXCEPTIONS
namespace nats_test {
struct long_name {
    int x;
};
} // namespace nats_test
template<>
struct evbus::event_traits<nats_test::long_name> {
    static constexpr std::string_view name =
        "a.name.longer.than.two.hundred.and.fifty.five.bytes.does.not.fit.the.prefix.format.whose.name.length.is."
        "one.byte.so.send.refuses.it.at.once.rather.than.sending.a.message.that.no.receiver.could.read.xxxxxxxxxxxx"
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";
    static constexpr std::uint32_t version = 1;
};

TEST_CASE("wire_format::prefix: a type name too long for the prefix is refused at send()", "[bridge][nats][prefix]") {
    static_assert(evbus::event_traits<nats_test::long_name>::name.size() > 255u);
    nats_server server;
    evbus::nats::connection nc{server.url()};
    evbus::bus bus;
    evbus::nats::bridge_options prefix;
    prefix.format = evbus::nats::wire_format::prefix;
    evbus::nats::bridge br{bus, nc, prefix};
    REQUIRE_THROWS_AS(br.send<nats_test::long_name>("long.name"), evbus::error);
    evbus::nats::bridge plain{bus, nc};
    auto s = plain.send<nats_test::long_name>("long.name"); // the header form has no such limit
    REQUIRE(s.active());
}
#endif
