// detail::queue_item_traits, item_batch and batch_cursor: how queues make, hand out and end items.
#include <evbus/queue/queue_item.hpp>

#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <type_traits>
#include <vector>

namespace {
struct tick {
    int id;
};
struct huge {
    char bytes[200];
};
} // namespace

TEST_CASE("queue_item_of: a channel queues small nothrow-movable events as themselves, a bus envelopes",
          "[queue][queue_item]") {
    using evbus::detail::envelope;
    using evbus::detail::queue_item_of_t;
    STATIC_REQUIRE(std::is_same_v<queue_item_of_t<tick>, tick>);
    STATIC_REQUIRE(std::is_same_v<queue_item_of_t<std::string>, std::string>);
    STATIC_REQUIRE(std::is_same_v<queue_item_of_t<huge>, envelope>);
    STATIC_REQUIRE(std::is_same_v<queue_item_of_t<void>, envelope>);
}

TEST_CASE("queue_item_traits: an event item is itself; an envelope item owns its payload", "[queue][queue_item]") {
    using evbus::detail::envelope;
    using evbus::detail::queue_item_traits;
    const tick made = queue_item_traits<tick>::make<tick>(nullptr, tick{4});
    CHECK(static_cast<const tick *>(queue_item_traits<tick>::payload(made))->id == 4);

    auto owner = std::make_shared<int>(1);
    envelope item = queue_item_traits<envelope>::make<std::shared_ptr<int>>(nullptr, owner);
    CHECK(owner.use_count() == 2);
    CHECK(static_cast<const std::shared_ptr<int> *>(queue_item_traits<envelope>::payload(item))->get() == owner.get());
    queue_item_traits<envelope>::release(item);
    CHECK(owner.use_count() == 1);
}

TEST_CASE("batch_cursor: hands out a batch oldest first, stops where keep says, ends each item it takes",
          "[queue][queue_item]") {
    using evbus::detail::batch_cursor;
    using evbus::detail::item_batch;
    STATIC_REQUIRE(evbus::detail::batch_capacity<tick> == 64u);
    STATIC_REQUIRE(evbus::detail::batch_capacity<huge> == 20u);
    auto owner = std::make_shared<int>(0);
    item_batch<std::shared_ptr<int>> items;
    auto out = items.out();
    for(int i = 0; i < 5; ++i) {
        *out++ = std::make_shared<int>(i);
    }
    batch_cursor<std::shared_ptr<int>> from{items, 5};
    CHECK(from.taken() == 5u);
    std::vector<int> seen;
    from.take_while([](const std::shared_ptr<int> &p) noexcept { return *p < 3; },
                    [&seen](std::shared_ptr<int> &p) noexcept { seen.push_back(*p); });
    CHECK(seen == std::vector<int>{0, 1, 2});
    REQUIRE(from.front() != nullptr);
    CHECK(**from.front() == 3);
    from.take_while([](const std::shared_ptr<int> &) noexcept { return true; },
                    [&seen](std::shared_ptr<int> &p) noexcept { seen.push_back(*p); });
    CHECK(seen == std::vector<int>{0, 1, 2, 3, 4});
    CHECK(from.front() == nullptr); // ASan would see a leak if an item were not ended
}
