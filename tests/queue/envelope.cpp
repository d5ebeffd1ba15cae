// detail::envelope: one queued event of any type in one cache line; large or non-trivial events
// on the heap, owned until release().
#include <evbus/queue/envelope.hpp>

#include <catch2/catch.hpp>

#include <memory>
#include <string>

namespace {
struct small {
    int id;
    double px;
};
struct large {
    char bytes[100];
};

void deliver_small() {}
void deliver_other() {}
} // namespace

TEST_CASE("envelope: a small trivially copyable event is stored inline, with its delivery function",
          "[queue][envelope]") {
    using evbus::detail::envelope;
    STATIC_REQUIRE(envelope::fits_inline<small>);
    STATIC_REQUIRE_FALSE(envelope::fits_inline<large>);
    STATIC_REQUIRE_FALSE(envelope::fits_inline<std::string>);
    envelope item;
    item.emplace<small>(&deliver_small, small{7, 1.5});
    CHECK(item.ops == nullptr);
    CHECK(item.delivery == &deliver_small);
    CHECK(item.delivery != &deliver_other);
    CHECK(item.get<small>().id == 7);
    CHECK(item.payload() == static_cast<const void *>(item.storage));
    item.release(); // nothing to free
}

TEST_CASE("envelope: other events live on the heap and are freed by release(), copies included", "[queue][envelope]") {
    using evbus::detail::envelope;
    auto owner = std::make_shared<int>(3);
    struct holds {
        std::shared_ptr<int> shared;
    };
    envelope item;
    item.emplace<holds>(nullptr, holds{owner});
    CHECK(item.ops != nullptr);
    CHECK(owner.use_count() == 2);
    CHECK(item.payload() == static_cast<const void *>(&item.get<holds>()));
    const envelope copy = item; // queues copy envelopes bytewise: the copy now owns the payload
    CHECK(*copy.get<holds>().shared == 3);
    envelope last = copy;
    last.release();
    CHECK(owner.use_count() == 1);

    envelope text;
    text.emplace<std::string>(nullptr, std::string(200, 'x'));
    CHECK(text.get<std::string>().size() == 200u);
    text.release();
}
