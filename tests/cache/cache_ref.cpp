#include <catch2/catch.hpp>

#include <string>
#include <type_traits>
#include <evbus/cache/cache_ref.hpp>

TEST_CASE("cache_ref: optional-like handle over a pointer", "[cache]") {
    std::string text{"hello"};
    const evbus::cache_ref<std::string> empty{};
    CHECK_FALSE(empty);
    CHECK_FALSE(empty.has_value());
    CHECK(empty.get() == nullptr);
    CHECK(empty.value_or("fallback") == "fallback");

    const evbus::cache_ref<std::string> ref{&text};
    REQUIRE(ref);
    CHECK(&*ref == &text);
    CHECK(ref->size() == 5u);
    *ref += "!";
    CHECK(text == "hello!");

    const evbus::cache_ref<const std::string> view = ref;
    CHECK(view.get() == &text);
    STATIC_REQUIRE(std::is_convertible_v<evbus::cache_ref<int>, evbus::cache_ref<const int>>);
    STATIC_REQUIRE_FALSE(std::is_convertible_v<evbus::cache_ref<const int>, evbus::cache_ref<int>>);
    STATIC_REQUIRE_FALSE(std::is_convertible_v<evbus::cache_ref<int>, bool>);
    STATIC_REQUIRE(std::is_trivially_copyable_v<evbus::cache_ref<int>>);
}
