// Destroying a subscription never throws and never terminates, even when memory has run out:
// the handler list then keeps a nulled entry until its next change.
#include <evbus/evbus.hpp>

#include <catch2/catch.hpp>

#include "alloc_counter.hpp"

#include <atomic>
#include <memory>
#include <new>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace {
struct tick {
    int id;
};
struct price_query {
    int id;
    using result_type = double;
};

template<typename Target, typename Fn>
evbus::subscription subscribe_to(Target &target, Fn &&fn) {
    if constexpr(std::is_same_v<Target, evbus::bus> || std::is_same_v<Target, evbus::st_bus>) {
        return target.template subscribe<tick>(std::forward<Fn>(fn));
    } else {
        return target.subscribe(std::forward<Fn>(fn));
    }
}

template<typename Target>
std::size_t count_of(const Target &target) {
    if constexpr(std::is_same_v<Target, evbus::bus> || std::is_same_v<Target, evbus::st_bus>) {
        return target.template handler_count<tick>();
    } else {
        return target.handler_count();
    }
}
} // namespace

TEMPLATE_TEST_CASE("an unsubscribe with no memory left still removes the handler", "[alloc][unsubscribe]", evbus::bus,
                   evbus::st_bus, evbus::channel<tick>, (evbus::channel<tick, evbus::single_thread>)) {
    TestType target;
    int a = 0;
    int b = 0;
    int c = 0;
    int d = 0;
    auto sa = subscribe_to(target, [&a](const tick &) { ++a; });
    auto sb = subscribe_to(target, [&b](const tick &) { ++b; });
    auto sc = subscribe_to(target, [&c](const tick &) { ++c; });
    REQUIRE(target.publish(tick{1}) == 3u); // registers this thread with the bus machinery
    {
        alloc_counter::scoped_failure out_of_memory;
        sb.reset();
        CHECK_FALSE(sb.active());
        CHECK(target.publish(tick{2}) == 2u);
        CHECK(count_of(target) == 2u);
    }
    CHECK(b == 1);
    CHECK(a == 2);
    // The next change drops the nulled entry (and frees its handler: ASan would see a leak).
    auto sd = subscribe_to(target, [&d](const tick &) { ++d; });
    CHECK(target.publish(tick{3}) == 3u);
    CHECK(count_of(target) == 3u);
    {
        alloc_counter::scoped_failure out_of_memory;
        sa.reset();
        sc.reset();
        sd.reset(); // the last one leaves the shared empty list: no memory either way
        CHECK(target.publish(tick{4}) == 0u);
        CHECK(count_of(target) == 0u);
    }
    CHECK(a == 3);
    CHECK(b == 1);
    CHECK(c == 3);
    CHECK(d == 1);
    auto again = subscribe_to(target, [&b](const tick &) { ++b; });
    CHECK(target.publish(tick{5}) == 1u);
    CHECK(b == 2);
}

TEST_CASE("a responder unregisters with no memory left, and a new one may take its place", "[alloc][unsubscribe]") {
    evbus::bus bus;
    auto responder = bus.respond<price_query>([](const price_query &q) { return q.id * 1.0; });
    REQUIRE(bus.request(price_query{2}) == 2.0);
    {
        alloc_counter::scoped_failure out_of_memory;
        responder.reset();
        CHECK_FALSE(bus.has_responder<price_query>());
    }
    auto next = bus.respond<price_query>([](const price_query &q) { return q.id * 2.0; });
    CHECK(bus.request(price_query{2}) == 4.0);
}

TEST_CASE("a handler may unsubscribe itself with no memory left", "[alloc][unsubscribe]") {
    evbus::bus bus;
    int calls = 0;
    evbus::subscription self;
    auto other = bus.subscribe<tick>([](const tick &) {});
    self = bus.subscribe<tick>([&](const tick &) {
        ++calls;
        alloc_counter::scoped_failure out_of_memory;
        self.reset();
    });
    CHECK(bus.publish(tick{1}) == 2u);
    CHECK(bus.publish(tick{2}) == 1u);
    CHECK(calls == 1);
}

#if EVBUS_HAS_EXCEPTIONS
namespace {
/// Threads that exited left their reader records for the next ones to take without allocating;
/// while alive, this holds every such record on threads of its own, so that a new thread's
/// registration must allocate.
class idle_records_held {
public:
    idle_records_held() {
        const std::size_t idle = evbus::detail::rcu_registry::instance().idle_records();
        for(std::size_t i = 0; i < idle; ++i) {
            holders_.emplace_back([this] {
                evbus::detail::register_this_thread();
                ++holding_;
                while(!done_.load()) {
                    std::this_thread::yield();
                }
            });
        }
        while(holding_.load() != idle) {
            std::this_thread::yield();
        }
    }
    idle_records_held(const idle_records_held &) = delete;
    idle_records_held &operator=(const idle_records_held &) = delete;
    ~idle_records_held() {
        done_ = true;
        for(auto &holder: holders_) {
            holder.join();
        }
    }

private:
    std::atomic<bool> done_{false};
    std::atomic<std::size_t> holding_{0};
    std::vector<std::thread> holders_;
};
} // namespace

// A thread's first read section allocates its record. A dispatch allocates it before it takes
// anything from the queue, so running out of memory there loses no event.
TEST_CASE("a dispatch that cannot register its thread throws before it takes anything", "[alloc][dispatch]") {
    evbus::bus bus;
    int delivered = 0;
    auto s = bus.subscribe<tick>([&delivered](const tick &) { ++delivered; });
    REQUIRE(bus.post(tick{1}));
    REQUIRE(bus.post(tick{2}));
    bool threw = false;
    std::size_t later = 0;
    const idle_records_held held;
    std::thread consumer{[&] {
        {
            alloc_counter::scoped_failure out_of_memory;
            try {
                (void)bus.dispatch();
            } catch(const std::bad_alloc &) {
                threw = true;
            }
        }
        later = bus.dispatch();
    }};
    consumer.join();
    CHECK(threw);
    CHECK(later == 2u);
    CHECK(delivered == 2);
    CHECK(bus.stats().pending == 0u);
}

// The outcome docs/bus.md gives for a bus destroyed where it cannot deliver: what is queued is
// discarded (its payloads freed), not delivered, and the destructor returns.
TEST_CASE("a bus destroyed on a thread that cannot register discards what is queued", "[alloc][dispatch]") {
    auto payload = std::make_shared<int>(7);
    int delivered = 0;
    auto bus = std::make_unique<evbus::bus>();
    auto s = bus->subscribe<std::shared_ptr<int>>([&delivered](const std::shared_ptr<int> &) { ++delivered; });
    REQUIRE(bus->post(payload));
    REQUIRE(bus->post(payload));
    REQUIRE(payload.use_count() == 3);
    const idle_records_held held;
    REQUIRE(evbus::detail::rcu_registry::instance().idle_records() == 0u);
    std::thread owner{[&] {
        alloc_counter::scoped_failure out_of_memory;
        bus.reset();
    }};
    owner.join();
    CHECK(delivered == 0);
    CHECK(payload.use_count() == 1);
    CHECK_FALSE(s.active());
}
#endif

#if EVBUS_HAS_EXCEPTIONS
TEMPLATE_TEST_CASE("subscribe_around out of memory at any step changes nothing", "[alloc][subscribe]", evbus::bus,
                   evbus::st_bus) {
    TestType bus;
    int calls = 0;
    auto h = bus.template subscribe<tick>([&](const tick &) { ++calls; });
    bool subscribed = false;
    for(std::size_t allowed = 0; !subscribed; ++allowed) {
        REQUIRE(allowed < 16u);
        evbus::subscription around;
        try {
            const alloc_counter::scoped_failure failure{allowed};
            around = bus.template subscribe_around<tick>([&](const tick &) { calls += 10; },
                                                         [&](const tick &) { calls += 100; });
            subscribed = true;
        } catch(const std::bad_alloc &) {
        }
        calls = 0;
        if(subscribed) {
            REQUIRE(bus.template handler_count<tick>() == 3u);
            REQUIRE(bus.publish(tick{0}) == 3u);
            REQUIRE(calls == 111);
        } else {
            INFO("failed after " << allowed << " allocations");
            REQUIRE(bus.template handler_count<tick>() == 1u);
            REQUIRE(bus.publish(tick{0}) == 1u);
            REQUIRE(calls == 1);
        }
    }
}
#endif
