#include <evbus/core/bus.hpp>
#include <evbus/core/query.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace {
struct price_query {
    int id;
    using result_type = double;
};
struct name_query {
    int id;
    using result_type = std::string;
};
struct tick {
    int id;
};
} // namespace

static_assert(evbus::detail::is_query_v<price_query>);
static_assert(!evbus::detail::is_query_v<tick>);

TEMPLATE_TEST_CASE("request returns the single responder's answer", "[core][query]", evbus::bus, evbus::st_bus) {
    TestType bus;
    REQUIRE_FALSE(bus.template has_responder<price_query>());
    int asked = 0;
    auto r = bus.template respond<price_query>([&](const price_query &q) {
        ++asked;
        return q.id * 1.5;
    });
    auto n = bus.template respond<name_query>(
        [](const name_query &q) { return std::string(static_cast<std::size_t>(q.id), 'x'); });
    REQUIRE(bus.template has_responder<price_query>());
    REQUIRE(bus.request(price_query{4}) == 6.0);
    const price_query lvalue{2};
    REQUIRE(bus.request(lvalue) == 3.0);
    REQUIRE(bus.request(name_query{3}) == "xxx");
    REQUIRE(asked == 2);
    // Queries and events of the same type are separate: publishing a query type calls no responder.
    REQUIRE(bus.publish(price_query{1}) == 0u);
    REQUIRE(asked == 2);
    r.reset();
    REQUIRE_FALSE(bus.template has_responder<price_query>());
}

TEMPLATE_TEST_CASE("a responder may be replaced after its handle is reset, and may request other queries",
                   "[core][query]", evbus::bus, evbus::st_bus) {
    TestType bus;
    auto names = bus.template respond<name_query>([](const name_query &q) { return std::to_string(q.id); });
    auto r = bus.template respond<price_query>(
        [&](const price_query &q) { return static_cast<double>(bus.request(name_query{q.id}).size()); });
    REQUIRE(bus.request(price_query{12345}) == 5.0);
    r.reset();
    r = bus.template respond<price_query>([](const price_query &) { return -1.0; });
    REQUIRE(bus.request(price_query{0}) == -1.0);
}

#if EVBUS_HAS_EXCEPTIONS
TEMPLATE_TEST_CASE("query misuse: no responder, a second responder, a throwing responder", "[core][query][errors]",
                   evbus::bus, evbus::st_bus) {
    TestType bus;
    try {
        (void)bus.request(price_query{1});
        FAIL("request without a responder returned");
    } catch(const evbus::error &e) {
        REQUIRE(e.code() == evbus::errc::no_responder);
    }
    auto r = bus.template respond<price_query>([](const price_query &q) -> double {
        if(q.id < 0) {
            throw std::invalid_argument{"negative id"};
        }
        return 1.0;
    });
    try {
        auto second = bus.template respond<price_query>([](const price_query &) { return 2.0; });
        FAIL("a second responder was accepted");
    } catch(const evbus::error &e) {
        REQUIRE(e.code() == evbus::errc::duplicate_responder);
    }
    REQUIRE(bus.request(price_query{1}) == 1.0); // the first one still answers
    REQUIRE_THROWS_AS(bus.request(price_query{-1}), std::invalid_argument);
    REQUIRE(bus.request(price_query{1}) == 1.0);
    double (*null_responder)(const price_query &) = nullptr;
    r.reset();
    REQUIRE_THROWS_AS(bus.template respond<price_query>(null_responder), evbus::error);
}
#endif

TEST_CASE("requests on several threads while the responder is replaced", "[core][query][threads]") {
    evbus::bus bus;
    auto r = bus.respond<price_query>([](const price_query &q) { return q.id * 2.0; });
    std::atomic<bool> stop{false};
    std::atomic<long> wrong{0};
    std::vector<std::thread> threads;
    for(int t = 0; t < 2; ++t) {
        threads.emplace_back([&] {
            for(int i = 0; !stop.load(); ++i) {
                if(bus.has_responder<price_query>()) {
#if EVBUS_HAS_EXCEPTIONS
                    try {
                        const double a = bus.request(price_query{i});
                        if(a != i * 2.0 && a != i * 3.0) {
                            wrong.fetch_add(1);
                        }
                    } catch(const evbus::error &) { // the responder went away between the two calls
                    }
#endif
                }
            }
        });
    }
    for(int round = 0; round < 100; ++round) {
        r.reset();
        r = bus.respond<price_query>([round](const price_query &q) { return q.id * (round % 2 ? 2.0 : 3.0); });
    }
    stop.store(true);
    for(auto &t: threads) {
        t.join();
    }
    REQUIRE(wrong.load() == 0);
}
