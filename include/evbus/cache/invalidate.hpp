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

/// @brief Priority of invalidation handlers: before every other handler of the same event,
/// so those handlers already see fresh answers.
inline constexpr int invalidation_priority = std::numeric_limits<int>::max();

/// @brief Each Event published or dispatched on source erases key_fn(event) from cache.
/// The cache must outlive the returned subscription; with handlers on several threads use
/// evbus::concurrent_cache.
template<typename Event, typename Bus, typename Cache, typename KeyFn>
[[nodiscard]] subscription evict_on(Bus &source, Cache &cache, KeyFn key_fn) {
    static_assert(std::is_invocable_v<KeyFn &, const Event &>,
                  "evbus::evict_on: key_fn must be callable with `const Event&`");
    return source.template subscribe<Event>(
        [&cache, key = std::move(key_fn)](const Event &event) mutable { (void)cache.erase(key(event)); },
        invalidation_priority);
}

/// @brief Each Event published or dispatched on source replaces the answer for key_fn(event) in cache
/// with value_fn(event) (write-through).
template<typename Event, typename Bus, typename Cache, typename KeyFn, typename ValueFn>
[[nodiscard]] subscription refresh_on(Bus &source, Cache &cache, KeyFn key_fn, ValueFn value_fn) {
    static_assert(std::is_invocable_v<KeyFn &, const Event &>,
                  "evbus::refresh_on: key_fn must be callable with `const Event&`");
    static_assert(std::is_invocable_v<ValueFn &, const Event &>,
                  "evbus::refresh_on: value_fn must be callable with `const Event&`");
    return source.template subscribe<Event>(
        [&cache, key = std::move(key_fn), value = std::move(value_fn)](const Event &event) mutable {
            (void)cache.put(key(event), value(event));
        },
        invalidation_priority);
}

} // namespace evbus

#endif
