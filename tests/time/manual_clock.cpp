#include <evbus/time/manual_clock.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <type_traits>

namespace {
struct clock_a;
struct clock_b;
} // namespace

TEST_CASE("a manual clock moves only when told to, and each tag is its own clock", "[time][manual_clock]") {
    using a = evbus::manual_clock<clock_a>;
    using b = evbus::manual_clock<clock_b>;
    static_assert(a::is_steady);
    static_assert(!std::is_same_v<a::time_point, b::time_point>);
    a::reset();
    b::reset();
    CHECK(a::now().time_since_epoch().count() == 0);
    a::advance(std::chrono::milliseconds{5});
    CHECK(a::now() == a::time_point{std::chrono::milliseconds{5}});
    CHECK(b::now() == b::time_point{});
    a::set(a::time_point{std::chrono::seconds{1}});
    CHECK(a::now() == a::time_point{std::chrono::seconds{1}});
    a::advance(std::chrono::nanoseconds{0});
    CHECK(a::now() == a::time_point{std::chrono::seconds{1}});
#if EVBUS_HAS_EXCEPTIONS
    CHECK_THROWS_AS(a::advance(std::chrono::nanoseconds{-1}), evbus::error);
    CHECK_THROWS_AS(a::set(a::time_point{std::chrono::milliseconds{999}}), evbus::error);
    CHECK(a::now() == a::time_point{std::chrono::seconds{1}});
#endif
    a::reset();
    CHECK(a::now() == a::time_point{});
}
