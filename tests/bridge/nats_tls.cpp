// TLS: a server with a self-signed certificate that the test makes with the openssl command.
#include <evbus/bridge/nats.hpp>
#include <evbus/core/bus.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <spawn.h>
#include <sys/wait.h>

#include "nats_server.hpp"
#include "nats_types.hpp"

#ifdef EVBUS_OPENSSL

using evbus_test::dispatch_until;
using evbus_test::nats_server;
using nats_test::tick;

namespace {

/// Runs a program to its end; true when it exited with status 0.
bool run(std::vector<std::string> args) {
    std::vector<char *> argv;
    for(std::string &a: args) {
        argv.push_back(a.data());
    }
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid = -1;
    const int rc = ::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    int status = 0;
    return rc == 0 && ::waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/// A self-signed certificate for 127.0.0.1 and its key, in a directory of its own.
struct certificate {
    std::string dir;
    std::string cert;
    std::string key;

    certificate() {
        char pattern[] = "/tmp/evbus_tls_XXXXXX";
        dir = ::mkdtemp(pattern);
        cert = dir + "/cert.pem";
        key = dir + "/key.pem";
        REQUIRE(run({EVBUS_OPENSSL, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                     "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"}));
    }
    ~certificate() {
        std::error_code ignored;
        std::filesystem::remove_all(dir, ignored);
    }
};

} // namespace

TEST_CASE("TLS: a server with a self-signed certificate, trusted through tls_ca_file", "[bridge][nats][tls]") {
    certificate c;
    nats_server server{"tls {\n  cert_file: \"" + c.cert + "\"\n  key_file: \"" + c.key + "\"\n}\n"};
    const std::string url = "tls://127.0.0.1:" + std::to_string(server.port());
    evbus::nats::connection_options options;
    options.servers = {url};
    options.tls_ca_file = c.cert;
    evbus::nats::connection out_conn{options};
    evbus::nats::connection in_conn{options};
    REQUIRE(out_conn.connected());
    evbus::bus feed, sink;
    evbus::nats::bridge out{feed, out_conn}, in{sink, in_conn};
    auto s = out.send<tick>("md.tick");
    auto r = in.receive<tick>("md.tick");
    REQUIRE(in_conn.flush());
    std::atomic<int> got{0};
    auto h = sink.subscribe<tick>([&](const tick &t) { got += t.id == 42 ? 1 : 0; });
    feed.publish(tick{42, 1.0});
    REQUIRE(dispatch_until(sink, [&] { return got == 1; }));

#    if EVBUS_HAS_EXCEPTIONS
    evbus::nats::connection_options untrusted;
    untrusted.servers = {url};
    untrusted.tls = true; // the system's trust store, which does not know the certificate
    try {
        evbus::nats::connection nc{untrusted};
        FAIL("connected to a server whose certificate nobody trusts");
    } catch(const evbus::error &e) {
        REQUIRE(e.code() == evbus::errc::io_error);
        REQUIRE_THAT(e.what(), Catch::Contains("cannot connect to " + url));
    }
#    endif
}

#endif
