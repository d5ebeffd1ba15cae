#ifndef EVBUS_CACHE_MEMOIZE_HPP
#define EVBUS_CACHE_MEMOIZE_HPP

/// @file
/// @brief evbus::memoize and evbus::memoized: a function whose results are kept in a cache.

#include <functional>
#include <type_traits>
#include <utility>

#include "../core/diagnostics.hpp"
#include "cache_ref.hpp"

namespace evbus {

namespace detail {

/// Key function of memoize(cache, fn): the single argument is the key.
struct argument_key {
    template<typename Type>
    [[nodiscard]] constexpr const Type &operator()(const Type &argument) const noexcept {
        return argument;
    }
};

/// What memoized::operator() checks, each only once the ones before it hold, so that a mistake
/// is reported by one static_assert and nothing else.
template<typename Key, typename Result, typename Function, typename KeyFunction, bool DefaultKey, typename... Args>
struct memoize_checks {
    static constexpr bool default_key = DefaultKey;
    static constexpr bool arity = !DefaultKey || sizeof...(Args) == 1u;

    template<bool Arity, typename = void>
    struct key_result {
        static constexpr bool callable = false;
        static constexpr bool converts = false;
    };
    template<typename Unused>
    struct key_result<true, Unused> {
        static constexpr bool callable = std::is_invocable_v<KeyFunction &, const std::remove_reference_t<Args> &...>;
        static constexpr bool converts = [] {
            if constexpr(callable) {
                return std::is_convertible_v<
                    std::invoke_result_t<KeyFunction &, const std::remove_reference_t<Args> &...>, const Key &>;
            } else {
                return false;
            }
        }();
    };

    static constexpr bool key_callable = key_result<arity>::callable;
    static constexpr bool key_converts = key_result<arity>::converts;
    static constexpr bool function_callable =
        key_converts && std::is_invocable_v<Function &, std::remove_reference_t<Args> &...>;
    static constexpr bool result_converts = [] {
        if constexpr(function_callable) {
            return std::is_convertible_v<std::invoke_result_t<Function &, std::remove_reference_t<Args> &...>, Result>;
        } else {
            return false;
        }
    }();
};

template<typename Type>
struct is_cache_ref: std::false_type {};

template<typename Type>
struct is_cache_ref<cache_ref<Type>>: std::true_type {};

} // namespace detail

/// @brief A function whose results are kept in a cache: a call runs the function only on a miss.
/// @details Over an evbus::cache it is single-threaded, like the cache, and the function may call the
/// memoized object recursively. Over an evbus::concurrent_cache, calls from several threads are safe and a
/// missing key is computed once however many threads ask for it at the same time (see
/// concurrent_cache::get_or_put for what happens when the function throws, or calls the memoized object for a key
/// it is computing). A call that throws caches nothing.
/// Arguments reach the function as lvalues, so that the key derived from them stays valid.
template<typename Cache, typename Function, typename KeyFunction = detail::argument_key>
class memoized {
public:
    /// @brief The cache type.
    using cache_type = Cache;
    /// @brief Key type of the cache.
    using key_type = typename Cache::key_type;
    /// @brief Result type: the cache's value type.
    using result_type = typename Cache::mapped_type;

    /// @brief Builds a memoized function from a cache, a function and a key function.
    memoized(Cache cache, Function function, KeyFunction key_function = {})
        : cache_{std::move(cache)}, function_{std::move(function)}, key_function_{std::move(key_function)} {}

    /// @brief The cached result for the key of @p args, computed by the function on a miss.
    template<typename... Args>
    result_type operator()(Args &&...args) {
        using checks = detail::memoize_checks<key_type, result_type, Function, KeyFunction,
                                              std::is_same_v<KeyFunction, detail::argument_key>, Args...>;
        static_assert(checks::arity,
                      "evbus::memoize: without a key function the memoized function takes exactly one argument (the "
                      "key); pass a key function as third argument of memoize()");
        static_assert(!checks::arity || checks::key_callable,
                      "evbus::memoize: the key function cannot be called with these arguments");
        static_assert(!checks::key_callable || checks::key_converts || !checks::default_key,
                      "evbus::memoize: without a key function the argument is the cache key, and this argument does "
                      "not convert to the cache's key_type; pass a key function as third argument of memoize(), e.g. "
                      "`evbus::memoize(cache, fn, [](const price_query &q) { return q.id; })`");
        static_assert(!checks::key_callable || checks::key_converts || checks::default_key,
                      "evbus::memoize: the key function's result does not convert to the cache's key_type");
        static_assert(!checks::key_converts || checks::function_callable,
                      "evbus::memoize: the memoized function cannot be called with these arguments");
        static_assert(!checks::key_converts || !checks::function_callable || checks::result_converts,
                      "evbus::memoize: the memoized function's result does not convert to the cache's mapped_type");
        if constexpr(checks::result_converts) {
            const auto &key = std::invoke(key_function_, std::as_const(args)...);
            auto &&result =
                cache_.get_or_put(key, [this, &args...]() -> result_type { return std::invoke(function_, args...); });
            if constexpr(detail::is_cache_ref<std::decay_t<decltype(result)>>::value) {
                return *result;
            } else {
                return std::move(result);
            }
        } else {
            return detail::failed_build_value<result_type>(); // a static_assert above has failed
        }
    }

    /// @brief The cache, for stats() or invalidation.
    [[nodiscard]] Cache &cache() noexcept { return cache_; }

    /// @brief The cache, for stats().
    [[nodiscard]] const Cache &cache() const noexcept { return cache_; }

    /// @brief The memoized function.
    [[nodiscard]] const Function &function() const noexcept { return function_; }

private:
    Cache cache_;
    Function function_;
    KeyFunction key_function_;
};

/// @brief Memoizes a one-argument function: its argument is the cache key. The cache is moved in.
template<typename Cache, typename Function>
[[nodiscard]] memoized<Cache, std::decay_t<Function>> memoize(Cache cache, Function &&function) {
    return {std::move(cache), std::forward<Function>(function)};
}

/// @brief Memoizes a function whose cache key is @p key_function(args...). The cache is moved in.
template<typename Cache, typename Function, typename KeyFunction>
[[nodiscard]] memoized<Cache, std::decay_t<Function>, std::decay_t<KeyFunction>>
memoize(Cache cache, Function &&function, KeyFunction &&key_function) {
    return {std::move(cache), std::forward<Function>(function), std::forward<KeyFunction>(key_function)};
}

} // namespace evbus

#endif
