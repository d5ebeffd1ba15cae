#include <evbus/time/scheduler.hpp>
#include <evbus/time/timer.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <type_traits>
#include <utility>

using namespace std::chrono_literals;

namespace {
struct ping {
    int id;
};
} // namespace

static_assert(!std::is_copy_constructible_v<evbus::timer>);
static_assert(std::is_nothrow_move_constructible_v<evbus::timer>);
static_assert(std::is_nothrow_move_assignable_v<evbus::timer>);

TEST_CASE("an empty timer handle is inactive and every operation on it is harmless", "[time][timer]") {
    evbus::timer empty;
    CHECK_FALSE(empty.active());
    CHECK_FALSE(static_cast<bool>(empty));
    CHECK_FALSE(empty.cancel());
    empty.reset();
    empty.detach();
    evbus::timer moved = std::move(empty);
    CHECK_FALSE(moved.active());
}

TEST_CASE("a timer handle moves its event; self-move-assignment keeps it", "[time][timer]") {
    evbus::st_bus bus;
    evbus::scheduler<> sched{bus};
    evbus::timer a = sched.post_after(1h, ping{1});
    CHECK(static_cast<bool>(a));
    evbus::timer b{std::move(a)};
    CHECK(b.active());
    evbus::timer &alias = b;
    b = std::move(alias);
    CHECK(b.active());
    CHECK(sched.stats().pending == 1u);
    b.reset();
    CHECK_FALSE(b.active());
    CHECK(sched.stats().pending == 0u);
    CHECK(sched.stats().cancelled == 1u);
}
