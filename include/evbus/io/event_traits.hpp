#ifndef EVBUS_IO_EVENT_TRAITS_HPP
#define EVBUS_IO_EVENT_TRAITS_HPP

/// @file
/// @brief evbus::event_traits: the stable name and version of an event type that leaves the process.

#include <cstdint>
#include <string_view>
#include <type_traits>

namespace evbus {

/// @brief Specialize for each event type that is journaled or sent: `name` (stable across builds and
/// processes) and `version` (bump it when the layout or encoding changes).
/// @details The primary template is empty: a type without a specialization has no name, and the
/// journal and the bridges refuse it at compile time (see has_event_traits_v).
/// @code
/// template<> struct evbus::event_traits<tick> {
///     static constexpr std::string_view name = "md.tick";
///     static constexpr std::uint32_t version = 1;
/// };
/// @endcode
template<typename Event>
struct event_traits {};

namespace detail {

template<typename Event, typename = void>
struct has_event_traits: std::false_type {};

template<typename Event>
struct has_event_traits<
    Event, std::void_t<decltype(std::string_view{event_traits<Event>::name}),
                       std::enable_if_t<std::is_convertible_v<decltype(event_traits<Event>::version), std::uint32_t>>>>
    : std::true_type {};

} // namespace detail

/// @brief True when evbus::event_traits<Event> is specialized with a `name` and a `version`.
template<typename Event>
inline constexpr bool has_event_traits_v = detail::has_event_traits<Event>::value;

/// @brief The stable name of Event (event_traits<Event>::name).
template<typename Event>
[[nodiscard]] constexpr std::string_view event_name() noexcept {
    static_assert(has_event_traits_v<Event>, "evbus: specialize evbus::event_traits<E> with `static constexpr "
                                             "std::string_view name` and `static constexpr std::uint32_t version`");
    return std::string_view{event_traits<Event>::name};
}

/// @brief The version of Event (event_traits<Event>::version).
template<typename Event>
[[nodiscard]] constexpr std::uint32_t event_version() noexcept {
    static_assert(has_event_traits_v<Event>, "evbus: specialize evbus::event_traits<E> with `static constexpr "
                                             "std::string_view name` and `static constexpr std::uint32_t version`");
    return static_cast<std::uint32_t>(event_traits<Event>::version);
}

} // namespace evbus

#endif
