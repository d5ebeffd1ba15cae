#include <evbus/core/type_index.hpp>

#include <catch2/catch.hpp>

namespace {
struct a {};
struct b {};
} // namespace

TEST_CASE("type indices are dense, distinct and stable", "[core][type_index]") {
    const auto ia = evbus::detail::type_index<a>::value();
    const auto ib = evbus::detail::type_index<b>::value();
    REQUIRE(ia != ib);
    REQUIRE(evbus::detail::type_index<a>::value() == ia);
    const auto ic = evbus::detail::type_index<int>::value();
    REQUIRE(ic != ia);
    REQUIRE(ic != ib);
}
