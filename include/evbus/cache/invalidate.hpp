#ifndef EVBUS_CACHE_INVALIDATE_HPP
#define EVBUS_CACHE_INVALIDATE_HPP

/// @file
/// @brief Write-through invalidation: events that change state evict or refresh the cached answers
/// that depend on it.

#include <limits>
#include <type_traits>
#include <utility>

#include "../core/subscription.hpp"

namespace evbus {

/// @brief The highest priority a handler can be given. evict_on and refresh_on run before every
/// handler of their event, even those at this priority (see basic_bus::subscribe_around).
inline constexpr int invalidation_priority = std::numeric_limits<int>::max();

namespace detail {

template<typename Type, typename = void>
struct has_cache_member: std::false_type {};

template<typename Type>
struct has_cache_member<Type, std::void_t<typename Type::cache_type, decltype(std::declval<Type &>().cache())>>
    : std::true_type {};

/// The cache to invalidate: a memoized function's own cache, or the cache itself.
template<typename Target>
[[nodiscard]] auto &cache_of(Target &target) noexcept {
    if constexpr(has_cache_member<Target>::value) {
        return target.cache();
    } else {
        return target;
    }
}

template<typename Source, typename = void>
struct is_channel_like: std::false_type {};

template<typename Source>
struct is_channel_like<Source, std::void_t<typename Source::event_type>>: std::true_type {};

/// source.subscribe_around for Event, on a bus (any event type) or a channel (its own).
template<typename Event, typename Source, typename Before, typename After>
[[nodiscard]] subscription subscribe_around(Source &source, Before &&before, After &&after) {
    if constexpr(is_channel_like<Source>::value) {
        static_assert(std::is_same_v<typename Source::event_type, Event>,
                      "evbus::evict_on / refresh_on: a channel carries only its own event type");
        return source.subscribe_around(std::forward<Before>(before), std::forward<After>(after));
    } else {
        return source.template subscribe_around<Event>(std::forward<Before>(before), std::forward<After>(after));
    }
}

} // namespace detail

/// @brief Each Event published or dispatched on source erases key_fn(event) from target (a cache, or
/// a memoized function's cache), before every other handler of the event and again after all of them.
/// @details So the answer computed after the event is from the state the event left, whatever the
/// handlers' order: one that ran before the handler updating that state and asked for the answer
/// cached an old one, which the second erase removes (docs/queries.md says what each handler sees).
/// target must outlive the returned subscription; with handlers on several threads use
/// evbus::concurrent_cache.
template<typename Event, typename Source, typename Target, typename KeyFn>
[[nodiscard]] subscription evict_on(Source &source, Target &target, KeyFn key_fn) {
    static_assert(std::is_invocable_v<KeyFn &, const Event &>,
                  "evbus::evict_on: key_fn must be callable with `const Event&`");
    static_assert(std::is_copy_constructible_v<KeyFn>,
                  "evbus::evict_on: key_fn is copied (one copy runs before the handlers, one after)");
    auto &cache = detail::cache_of(target);
    auto evict = [&cache, key = std::move(key_fn)](const Event &event) mutable { (void)cache.erase(key(event)); };
    auto evict_again = evict;
    return detail::subscribe_around<Event>(source, std::move(evict), std::move(evict_again));
}

/// @brief Each Event published or dispatched on source puts value_fn(event) as the answer for
/// key_fn(event) in target (a cache, or a memoized function's cache), before every other handler of
/// the event and again after all of them (write-through).
/// @details The second put restores the event's value if a handler erased it, or if one cached an
/// answer of its own for the key meanwhile. key_fn and value_fn run twice per event: keep them
/// cheap, and functions of the event alone.
template<typename Event, typename Source, typename Target, typename KeyFn, typename ValueFn>
[[nodiscard]] subscription refresh_on(Source &source, Target &target, KeyFn key_fn, ValueFn value_fn) {
    static_assert(std::is_invocable_v<KeyFn &, const Event &>,
                  "evbus::refresh_on: key_fn must be callable with `const Event&`");
    static_assert(std::is_invocable_v<ValueFn &, const Event &>,
                  "evbus::refresh_on: value_fn must be callable with `const Event&`");
    static_assert(std::is_copy_constructible_v<KeyFn> && std::is_copy_constructible_v<ValueFn>,
                  "evbus::refresh_on: key_fn and value_fn are copied (one copy runs before the handlers, one after)");
    auto &cache = detail::cache_of(target);
    auto refresh = [&cache, key = std::move(key_fn), value = std::move(value_fn)](const Event &event) mutable {
        (void)cache.put(key(event), value(event));
    };
    auto refresh_again = refresh;
    return detail::subscribe_around<Event>(source, std::move(refresh), std::move(refresh_again));
}

} // namespace evbus

#endif
