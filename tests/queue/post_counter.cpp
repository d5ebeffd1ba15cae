// detail::post_counter: the bound and the counts, with every interleaving that matters driven
// by hand. scripted_threading's atomics run a step between a load and the code after it, so a
// test can do what another thread would do exactly there.
#include <evbus/queue/post_counter.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <type_traits>
#include <utility>
#include <thread>
#include <vector>

namespace {

/// Runs once, at the next load of a scripted counter (a 64-bit one: posted, consumed, ...).
std::function<void()> &next_load_step() {
    static std::function<void()> step;
    return step;
}

template<typename Type>
class scripted_atomic {
public:
    constexpr scripted_atomic(Type value = Type{}) noexcept: value_{value} {}

    Type load(std::memory_order order = std::memory_order_seq_cst) const {
        const Type seen = value_.load(order);
        if constexpr(std::is_same_v<Type, std::uint64_t>) {
            if(auto step = std::exchange(next_load_step(), nullptr)) {
                step(); // another thread runs here, after this load and before what follows it
            }
        }
        return seen;
    }
    void store(Type value, std::memory_order order = std::memory_order_seq_cst) noexcept { value_.store(value, order); }
    Type fetch_add(Type value, std::memory_order order = std::memory_order_seq_cst) noexcept {
        return value_.fetch_add(value, order);
    }
    Type fetch_sub(Type value, std::memory_order order = std::memory_order_seq_cst) noexcept {
        return value_.fetch_sub(value, order);
    }
    bool compare_exchange_weak(Type &expected, Type desired,
                               std::memory_order order = std::memory_order_seq_cst) noexcept {
        return value_.compare_exchange_strong(expected, desired, order);
    }

private:
    std::atomic<Type> value_;
};

struct scripted_threading {
    template<typename Type>
    using atomic = scripted_atomic<Type>;
    static constexpr bool concurrent = true;
};

using counter = evbus::detail::post_counter<scripted_threading>;
using clock = counter::clock;

evbus::bus_config bounded(std::size_t capacity, evbus::overflow_policy overflow = evbus::overflow_policy::reject) {
    evbus::bus_config config;
    config.capacity = capacity;
    config.overflow = overflow;
    return config;
}

} // namespace

TEST_CASE("post_counter: a bound counts what is queued and refuses only when full", "[queue][post_counter]") {
    counter posts{bounded(3)};
    REQUIRE(posts.reserve(clock::time_point::max(), nullptr));
    REQUIRE(posts.reserve_up_to(5, nullptr) == 2u);
    REQUIRE_FALSE(posts.reserve(clock::time_point::max(), nullptr));
    REQUIRE(posts.reserve_up_to(1, nullptr) == 0u);
    posts.delivered(2);
    REQUIRE(posts.reserve_up_to(5, nullptr) == 2u);
    posts.unreserve(nullptr, 1);
    REQUIRE(posts.reserve(clock::time_point::max(), nullptr));
    const auto stats = posts.stats();
    CHECK(stats.posted == 5u);
    CHECK(stats.delivered == 2u);
    CHECK(stats.pending == 3u);
    CHECK(stats.rejected == 0u); // reject() is the caller's to count
}

// The fault: the producer loaded posted, then a consumer caught up past it before the producer
// loaded consumed; posted - consumed wrapped and a queue with room refused the post.
TEST_CASE("post_counter: a producer whose count of posts went stale before it read the consumer's still gets room",
          "[queue][post_counter]") {
    counter posts{bounded(4)};
    REQUIRE(posts.reserve_up_to(2, nullptr) == 2u);     // posted 2, consumed 0
    next_load_step() = [&] {                            // right after the producer reads posted (2):
        REQUIRE(posts.reserve_up_to(2, nullptr) == 2u); // another producer posts 2 more
        posts.delivered(4);                             // and a consumer takes all 4
    };
    CHECK(posts.reserve(clock::time_point::max(), nullptr));
    CHECK(posts.stats().posted == 5u);
    CHECK(posts.stats().pending == 1u);
}

TEST_CASE("post_counter: a bulk reservation whose count of posts went stale still gets room", "[queue][post_counter]") {
    counter posts{bounded(4)};
    REQUIRE(posts.reserve_up_to(3, nullptr) == 3u);
    next_load_step() = [&] {
        REQUIRE(posts.reserve_up_to(1, nullptr) == 1u);
        posts.discarded(4);
    };
    CHECK(posts.reserve_up_to(4, nullptr) == 4u);
    CHECK(posts.stats().pending == 4u);
}

TEST_CASE("post_counter: a queue seen full through a count that has since gone down is retried, not refused",
          "[queue][post_counter]") {
    counter posts{bounded(2)};
    REQUIRE(posts.reserve_up_to(2, nullptr) == 2u);
    // The producer reads posted (2); before it reads consumed, the post that made it full fails
    // (its event could not be queued) and takes its count back.
    next_load_step() = [&] { posts.unreserve(nullptr, 1); };
    CHECK(posts.reserve(clock::time_point::max(), nullptr));
    CHECK_FALSE(posts.reserve(clock::time_point::max(), nullptr));
    CHECK(posts.stats().posted == 2u);
}

TEST_CASE("post_counter: full is full: refused without waiting, or after the deadline when blocking",
          "[queue][post_counter]") {
    counter reject{bounded(1)};
    REQUIRE(reject.reserve(clock::time_point::max(), nullptr));
    CHECK_FALSE(reject.reserve(clock::time_point::max(), nullptr));

    counter block{bounded(1, evbus::overflow_policy::block)};
    REQUIRE(block.reserve(clock::time_point::max(), nullptr));
    CHECK_FALSE(block.reserve(clock::now(), nullptr)); // a deadline already passed
}

TEST_CASE("post_counter: a blocked reservation gets the room a consumer makes, and close() ends the wait",
          "[queue][post_counter]") {
    evbus::detail::post_counter<evbus::multi_thread> posts{bounded(1, evbus::overflow_policy::block)};
    REQUIRE(posts.reserve(clock::time_point::max(), nullptr));
    std::atomic<bool> got{false};
    std::thread producer{[&] { got = posts.reserve(clock::time_point::max(), nullptr); }};
    posts.delivered(1);
    producer.join();
    CHECK(got.load());

    std::thread closed_out{[&] { got = posts.reserve(clock::time_point::max(), nullptr); }};
    posts.close();
    closed_out.join();
    CHECK_FALSE(got.load());
    CHECK(posts.closed());
    CHECK(posts.reserve_up_to(1, nullptr) == 0u);
}

TEST_CASE("post_counter: unbounded posts through producer slots are summed", "[queue][post_counter]") {
    evbus::detail::post_counter<evbus::multi_thread> posts{evbus::bus_config{}};
    auto *a = posts.acquire_slot();
    auto *b = posts.acquire_slot();
    REQUIRE(a != b);
    REQUIRE(posts.reserve(clock::time_point::max(), a));
    REQUIRE(posts.reserve_up_to(3, b) == 3u);
    REQUIRE(posts.reserve(clock::time_point::max(), nullptr));
    posts.unreserve(b, 1);
    CHECK(posts.stats().posted == 4u);
    CHECK(posts.drain_target(2) == 2u);
    CHECK(posts.has_pending());
    posts.delivered(4);
    CHECK_FALSE(posts.has_pending());
    decltype(posts)::release_slot(a);
    CHECK(posts.acquire_slot() == a); // recycled, its count kept
    CHECK(posts.stats().posted == 4u);
}

TEST_CASE("post_counter: zero capacity and blocking on one thread are refused with a message",
          "[queue][post_counter]") {
#if EVBUS_HAS_EXCEPTIONS
    CHECK_THROWS_WITH(counter{bounded(0)}, Catch::Contains("capacity must be at least 1"));
    CHECK_THROWS_WITH((evbus::detail::post_counter<evbus::single_thread>{bounded(1, evbus::overflow_policy::block)}),
                      Catch::Contains("needs a multi_thread"));
#endif
}
