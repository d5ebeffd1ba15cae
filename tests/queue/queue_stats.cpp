#include <evbus/core/bus.hpp>
#include <evbus/queue/queue_stats.hpp>

#include <catch2/catch.hpp>

#include <string>

#if defined(EVBUS_TEST_WITH_FMT)
#    include <evbus/fmt.hpp>
#endif

namespace {
struct tick {
    int id;
};
} // namespace

TEST_CASE("queue_stats counts every post", "[queue][stats]") {
    evbus::bus_config cfg;
    cfg.capacity = 2;
    evbus::st_bus bus{cfg};
    bus.post(tick{1});
    bus.post(tick{2});
    bus.post(tick{3}); // rejected
    bus.dispatch(1);
    bus.clear();
    const evbus::queue_stats s = bus.stats();
    REQUIRE(s.posted == 2u);
    REQUIRE(s.rejected == 1u);
    REQUIRE(s.delivered == 1u);
    REQUIRE(s.discarded == 1u);
    REQUIRE(s.pending == 0u);
#if defined(EVBUS_TEST_WITH_FMT)
    const std::string text = "posted=2 rejected=1 delivered=1 discarded=1 pending=0";
    REQUIRE(text.size() == 53u);
    REQUIRE(fmt::format("{}", s) == text);
    REQUIRE(fmt::format("{:>60}", s) == std::string(7u, ' ') + text);
    REQUIRE(fmt::format("{:*^57}", s) == "**" + text + "**");
    REQUIRE(fmt::format("{:-<55}|", s) == text + "--|");
#endif
}
