#include <evbus/io/event_traits.hpp>

#include <catch2/catch.hpp>

#include "journal_fixture.hpp"

namespace {
struct nameless {
    int x;
};
} // namespace

TEST_CASE("event_traits gives a specialized type its name and version", "[io][event_traits]") {
    STATIC_REQUIRE(evbus::has_event_traits_v<journal_test::tick>);
    STATIC_REQUIRE(!evbus::has_event_traits_v<nameless>);
    STATIC_REQUIRE(evbus::event_name<journal_test::fill>() == "test.fill");
    STATIC_REQUIRE(evbus::event_version<journal_test::fill>() == 2u);
}
