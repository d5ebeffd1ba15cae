#include <evbus/bridge/nats.hpp>
#include <evbus/core/bus.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <string>

#include "nats_server.hpp"
#include "nats_types.hpp"

using evbus_test::dispatch_until;
using evbus_test::nats_server;
using evbus_test::wait_until;
using nats_test::fill;
using nats_test::tick;

#if EVBUS_HAS_EXCEPTIONS
TEST_CASE("connecting to no server is an error with libnats' message", "[bridge][nats]") {
    std::string port;
    {
        nats_server server;
        port = std::to_string(server.port());
    } // stopped: nothing listens there now
    try {
        evbus::nats::connection nc{"nats://127.0.0.1:" + port};
        FAIL("connected to a stopped server");
    } catch(const evbus::error &e) {
        REQUIRE(e.code() == evbus::errc::io_error);
        REQUIRE_THAT(e.what(), Catch::Contains("cannot connect to nats://127.0.0.1:" + port));
        REQUIRE_THAT(e.what(), Catch::Contains("No server available"));
    }
}
#endif

namespace {

const char *const auth_config = R"(
authorization {
  users = [
    { user: "alice", password: "s3cret",
      permissions: { publish: { allow: ["md.>", "_INBOX.>"] }, subscribe: { allow: [">"] } } }
  ]
}
)";

} // namespace

#if EVBUS_HAS_EXCEPTIONS
TEST_CASE("a wrong password fails to connect with the server's message", "[bridge][nats]") {
    nats_server server{auth_config};
    try {
        evbus::nats::connection nc{server.url("alice", "wrong")};
        FAIL("connected with a wrong password");
    } catch(const evbus::error &e) {
        REQUIRE(e.code() == evbus::errc::io_error);
        REQUIRE_THAT(e.what(), Catch::Contains("Authorization Violation"));
        REQUIRE_THAT(e.what(), !Catch::Contains("wrong")); // credentials are not repeated
    }
}
#endif

TEST_CASE("a publish the user may not make is reported", "[bridge][nats]") {
    nats_server server{auth_config};
    std::atomic<int> reported{0};
    evbus::nats::connection_options options;
    options.servers = {server.url()};
    options.user = "alice";
    options.password = "s3cret";
    options.on_error = [&](std::string_view message) {
        if(message.find("Permissions Violation") != std::string_view::npos) {
            ++reported;
        }
    };
    evbus::nats::connection nc{options};
    evbus::nats::connection watcher{server.url("alice", "s3cret")};
    evbus::bus bus, seen;
    evbus::nats::bridge br{bus, nc}, wb{seen, watcher};
    auto allowed = br.send<tick>("md.tick");
    auto denied = br.send<fill>("oms.fill");
    auto r = wb.receive<tick>("md.tick");
    auto rf = wb.receive<fill>("oms.fill");
    REQUIRE(watcher.flush());
    bus.publish(fill{1, 1});
    bus.publish(tick{2, 0.0});
    REQUIRE(wait_until([&] { return nc.stats().not_permitted >= 1u; }));
    REQUIRE(reported >= 1);
    REQUIRE_THAT(nc.last_error(), Catch::Contains("Permissions Violation") && Catch::Contains("oms.fill"));
    REQUIRE(dispatch_until(seen, [&] { return wb.stats().received == 1u; })); // the tick only
    REQUIRE(nc.connected()); // the connection survives a refused publish
}

TEST_CASE("a list of servers: the connection takes one that is up", "[bridge][nats]") {
    std::string dead;
    {
        nats_server gone;
        dead = gone.url();
    }
    nats_server server;
    evbus::nats::connection_options options;
    options.servers = {dead, server.url()};
    options.name = "evbus-test";
    evbus::nats::connection nc{options};
    REQUIRE(nc.connected());
    REQUIRE(nc.flush());
    evbus::nats::connection listed{dead + "," + server.url()}; // one string, comma-separated
    REQUIRE(listed.connected());
}

TEST_CASE("destroying a connection drains it: what was published is sent", "[bridge][nats]") {
    nats_server server;
    evbus::nats::connection cin{server.url()};
    evbus::bus sink;
    evbus::nats::bridge in{sink, cin};
    auto r = in.receive<tick>("md.tick");
    REQUIRE(cin.flush());
    std::atomic<int> got{0};
    auto h = sink.subscribe<tick>([&](const tick &) { ++got; });
    constexpr int n = 5000;
    {
        evbus::nats::connection cout{server.url()};
        evbus::bus feed;
        evbus::nats::bridge out{feed, cout};
        auto s = out.send<tick>("md.tick");
        for(int i = 0; i < n; ++i) {
            feed.publish(tick{i, 0.0});
        }
        REQUIRE(out.stats().sent == n);
    } // the bridge, then the connection: drained, closed
    REQUIRE(dispatch_until(sink, [&] { return got == n; }));
}
