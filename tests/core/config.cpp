#include <evbus/config.hpp>
#include <evbus/core/bus.hpp>

#include <catch2/catch.hpp>

#include <cstring>

#if !EVBUS_HAS_EXCEPTIONS
#    include <csetjmp>
#endif

TEST_CASE("error codes have names", "[core][config]") {
    REQUIRE(std::strcmp(evbus::to_string(evbus::errc::invalid_argument), "invalid_argument") == 0);
    REQUIRE(std::strcmp(evbus::to_string(evbus::errc::no_responder), "no_responder") == 0);
    REQUIRE(std::strcmp(evbus::to_string(evbus::errc::duplicate_responder), "duplicate_responder") == 0);
    REQUIRE(std::strcmp(evbus::to_string(evbus::errc::closed), "closed") == 0);
    REQUIRE(std::strcmp(evbus::to_string(evbus::errc::timeout), "timeout") == 0);
}

#if EVBUS_HAS_EXCEPTIONS
TEST_CASE("with exceptions, misuse throws evbus::error carrying a code", "[core][config]") {
    try {
        evbus::detail::raise(evbus::errc::no_responder, "nobody answers");
        FAIL("raise returned");
    } catch(const evbus::error &e) {
        REQUIRE(e.code() == evbus::errc::no_responder);
        REQUIRE(std::strcmp(e.what(), "nobody answers") == 0);
    }
}
#else
namespace {
std::jmp_buf escape;
evbus::errc seen_code{};
const char *seen_message = nullptr;

void recording_handler(evbus::errc code, const char *message) noexcept {
    seen_code = code;
    seen_message = message;
    std::longjmp(escape, 1);
}
} // namespace

TEST_CASE("without exceptions, misuse goes to the error handler", "[core][config]") {
    const auto previous = evbus::set_error_handler(&recording_handler);
    if(setjmp(escape) == 0) {
        evbus::bus_config cfg;
        cfg.capacity = 0;
        evbus::bus bus{cfg};
        FAIL("the bus accepted a zero capacity");
    }
    evbus::set_error_handler(previous);
    REQUIRE(seen_code == evbus::errc::invalid_argument);
    REQUIRE(std::strstr(seen_message, "capacity") != nullptr);
}
#endif
