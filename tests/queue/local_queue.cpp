// detail::local_queue: the single-thread ring. FIFO, growth that keeps order, all-or-nothing
// bulk, and consumes that nest.
#include <evbus/queue/local_queue.hpp>

#include <catch2/catch.hpp>

#include <cstddef>
#include <iterator>
#include <memory>
#include <vector>

namespace {
using queue = evbus::detail::local_queue<std::unique_ptr<int>>;

std::vector<int> take(queue &q, std::size_t max) {
    std::vector<int> seen;
    queue::cursor from{q, max};
    from.take_while([](const std::unique_ptr<int> &) noexcept { return true; },
                    [&seen](std::unique_ptr<int> &p) noexcept { seen.push_back(*p); });
    return seen;
}
} // namespace

TEST_CASE("local_queue: FIFO across growth, and a cursor takes at most its share", "[queue][local_queue]") {
    queue q;
    for(int i = 0; i < 10; ++i) {
        REQUIRE(q.enqueue(std::make_unique<int>(i)));
    }
    CHECK(take(q, 3) == std::vector<int>{0, 1, 2});
    for(int i = 10; i < 200; ++i) { // past the first 64 slots, with head_ not at slot 0
        REQUIRE(q.emplace([i] { return std::make_unique<int>(i); }));
    }
    const std::vector<int> rest = take(q, 1000);
    REQUIRE(rest.size() == 197u);
    for(std::size_t i = 0; i < rest.size(); ++i) {
        CHECK(rest[i] == static_cast<int>(i) + 3);
    }
    CHECK(take(q, 10).empty());
}

TEST_CASE("local_queue: bulk enqueue moves every item in order", "[queue][local_queue]") {
    queue q;
    std::vector<std::unique_ptr<int>> items;
    for(int i = 0; i < 100; ++i) {
        items.push_back(std::make_unique<int>(i));
    }
    REQUIRE(q.enqueue_bulk(std::make_move_iterator(items.begin()), items.size()));
    CHECK(items.front() == nullptr);
    const std::vector<int> seen = take(q, 1000);
    REQUIRE(seen.size() == 100u);
    CHECK(seen.back() == 99);
}

TEST_CASE("local_queue: a nested consume takes what follows, within the outer cursor's share", "[queue][local_queue]") {
    queue q;
    for(int i = 0; i < 6; ++i) {
        REQUIRE(q.enqueue(std::make_unique<int>(i)));
    }
    std::vector<int> outer;
    std::vector<int> inner;
    {
        queue::cursor from{q, 4};
        from.take_while([](const std::unique_ptr<int> &) noexcept { return true; },
                        [&](std::unique_ptr<int> &p) noexcept {
                            outer.push_back(*p);
                            if(*p == 0) {
                                inner = take(q, 2);                        // takes 1 and 2
                                (void)q.enqueue(std::make_unique<int>(6)); // goes behind
                            }
                        });
    }
    CHECK(outer == std::vector<int>{0, 3});
    CHECK(inner == std::vector<int>{1, 2});
    CHECK(take(q, 10) == std::vector<int>{4, 5, 6});
}
