#include <evbus/cache/cache.hpp>
#include <evbus/cache/lru.hpp>
#include <evbus/cache/memoize.hpp>
#include <evbus/core/bus.hpp>
#include <evbus/core/diagnostics.hpp>
#include <evbus/core/query.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#if !EVBUS_HAS_EXCEPTIONS
#    include <csetjmp>
#endif

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

namespace app {
struct depth_query {
    int levels;
    using result_type = int;
};
} // namespace app

static_assert(evbus::detail::is_query_v<price_query>);
static_assert(!evbus::detail::is_query_v<tick>);
static_assert(std::is_same_v<evbus::detail::query_result_t<const price_query &>, double>);
static_assert(std::is_same_v<evbus::detail::query_result_t<tick>, evbus::detail::not_a_query>);

// The names in the runtime messages come from the compiler, without RTTI.
static_assert(evbus::detail::type_name<int>() == "int");
static_assert(evbus::detail::type_name<app::depth_query>() == "app::depth_query");

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
    // The first one also answers after a refused second one that owned a capture to destroy.
    try {
        auto second = bus.template respond<price_query>(
            [s = std::string(64, 'x')](const price_query &) { return static_cast<double>(s.size()); });
        FAIL("a second responder was accepted");
    } catch(const evbus::error &e) {
        REQUIRE(e.code() == evbus::errc::duplicate_responder);
    }
    REQUIRE(bus.request(price_query{1}) == 1.0);
    REQUIRE_THROWS_AS(bus.request(price_query{-1}), std::invalid_argument);
    REQUIRE(bus.request(price_query{1}) == 1.0);
    double (*null_responder)(const price_query &) = nullptr;
    r.reset();
    REQUIRE_THROWS_AS(bus.template respond<price_query>(null_responder), evbus::error);
}

TEMPLATE_TEST_CASE("the query-misuse messages name the query type", "[core][query][errors]", evbus::bus,
                   evbus::st_bus) {
    TestType bus;
    try {
        (void)bus.request(app::depth_query{1});
        FAIL("request without a responder returned");
    } catch(const evbus::error &e) {
        REQUIRE(e.code() == evbus::errc::no_responder);
        REQUIRE(std::string_view{e.what()} ==
                "evbus::bus::request: no responder for the query type 'app::depth_query'");
    }
    auto r = bus.template respond<app::depth_query>([](const app::depth_query &q) { return q.levels; });
    try {
        auto second = bus.template respond<app::depth_query>([](const app::depth_query &) { return 0; });
        FAIL("a second responder was accepted");
    } catch(const evbus::error &e) {
        REQUIRE(e.code() == evbus::errc::duplicate_responder);
        REQUIRE(std::string_view{e.what()} ==
                "evbus::bus::respond: the query type 'app::depth_query' already has a responder (reset its "
                "subscription before registering another)");
    }
    REQUIRE(bus.request(app::depth_query{3}) == 3);
}
#else
namespace {
std::jmp_buf escape;
evbus::errc seen_code{};
std::string seen_message;

void recording_handler(evbus::errc code, const char *message) noexcept {
    seen_code = code;
    seen_message = message; // copied: the message lives only until the handler returns
    std::longjmp(escape, 1);
}
} // namespace

TEMPLATE_TEST_CASE("without exceptions, the query-misuse messages name the query type", "[core][query][errors]",
                   evbus::bus, evbus::st_bus) {
    TestType bus;
    const auto previous = evbus::set_error_handler(&recording_handler);
    if(setjmp(escape) == 0) {
        (void)bus.request(app::depth_query{1});
        FAIL("request without a responder returned");
    }
    evbus::set_error_handler(previous);
    REQUIRE(seen_code == evbus::errc::no_responder);
    REQUIRE(seen_message == "evbus::bus::request: no responder for the query type 'app::depth_query'");
}
#endif

TEMPLATE_TEST_CASE("respond holds an lvalue memoized function by reference, and moves an rvalue one in",
                   "[core][query][cache]", evbus::bus, evbus::st_bus) {
    TestType bus;
    int price = 100;
    int computed = 0;
    auto depth = evbus::memoize(
        evbus::cache<int, int, evbus::lru>{16},
        [&](const app::depth_query &q) {
            ++computed;
            return q.levels * price;
        },
        [](const app::depth_query &q) { return q.levels; });
    auto r = bus.template respond<app::depth_query>(depth);
    REQUIRE(bus.request(app::depth_query{2}) == 200);
    REQUIRE(depth.cache().size() == 1u); // the responder filled depth's own cache
    price = 150;
    REQUIRE(bus.request(app::depth_query{2}) == 200); // cached
    depth.cache().erase(2);                           // what evict_on does with depth.cache()
    REQUIRE(bus.request(app::depth_query{2}) == 300); // the responder sees the eviction
    REQUIRE(computed == 2);
    REQUIRE(depth.cache().stats().hits == 1u);
    r.reset();

    // An rvalue is moved in: the responder owns it, with a cache of its own.
    auto moved = bus.template respond<app::depth_query>(evbus::memoize(
        evbus::cache<int, int, evbus::lru>{16}, [](const app::depth_query &q) { return -q.levels; },
        [](const app::depth_query &q) { return q.levels; }));
    REQUIRE(bus.request(app::depth_query{4}) == -4);
    REQUIRE(bus.request(app::depth_query{4}) == -4);
    REQUIRE(depth.cache().size() == 1u);
}

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
