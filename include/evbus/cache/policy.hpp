#ifndef EVBUS_CACHE_POLICY_HPP
#define EVBUS_CACHE_POLICY_HPP

/// @file
/// @brief What a cache policy must provide, as a C++17 trait, a C++20 concept and readable static_asserts.
///
/// A policy is a type `P` with a nested class template `P::type<Key>` that the cache instantiates
/// once. The cache stores entries in numbered slots and tells the policy what happens to each slot;
/// the policy only keeps an order over slot numbers and names the slot to evict.
///
/// Required members of `P::type<Key>` (the cache never calls them concurrently):
/// - a constructor `type(std::size_t slots, Args...)`: slot numbers are in [0, slots); `Args` are the
///   cache constructor's arguments after the capacity; `slots` is the capacity plus one spare slot;
/// - `void on_insert(std::size_t slot, const Key &key)`: a new entry now lives in `slot`; or
///   `void on_insert(std::size_t slot, const Key &key, std::size_t hash)`, which also receives the
///   key's hash by the cache's own hasher (for policies that keep frequencies of keys, like wtinylfu);
/// - `void on_access(std::size_t slot)`: a lookup hit the entry in `slot`;
/// - `void on_erase(std::size_t slot)`: the entry in `slot` left (erase, eviction or expiration);
/// - `std::size_t victim()`: the slot to evict; called only when the cache is full, with the
///   incoming entry not yet inserted.
///
/// Optional members:
/// - `void on_access(std::size_t slot, std::size_t hash)`: called instead of on_access(slot) when
///   present, with the key's hash, which the lookup has already computed (a policy that records
///   frequencies of hashes then starts on them without waiting for the slot);
/// - `void on_update(std::size_t slot)`: put() replaced the value in `slot`; defaults to on_access;
/// - `bool expired(std::size_t slot) const`: the entry in `slot` must not be returned any more;
///   defaults to never;
/// - `void clear()`: forget every slot at once; defaults to one on_erase per entry.
///
/// Hooks must not throw and should be O(1): they run on every lookup.

#include <cstddef>
#include <type_traits>
#include <utility>

/// @def EVBUS_HAS_CONCEPTS
/// @brief 1 when C++20 concepts are available (slot_policy and cache_policy exist), else 0.
#if defined(__cpp_concepts) && __cpp_concepts >= 201907L && __has_include(<concepts>)
#    include <concepts>
#    define EVBUS_HAS_CONCEPTS 1
#else
#    define EVBUS_HAS_CONCEPTS 0
#endif

namespace evbus {

namespace detail {

template<typename Policy, typename Key, typename = void>
struct policy_type {
    using type = void;
};

template<typename Policy, typename Key>
struct policy_type<Policy, Key, std::void_t<typename Policy::template type<Key>>> {
    using type = typename Policy::template type<Key>;
};

template<typename Type, typename Key, typename = void>
struct has_on_insert: std::false_type {};

template<typename Type, typename Key>
struct has_on_insert<
    Type, Key, std::void_t<decltype(std::declval<Type &>().on_insert(std::size_t{}, std::declval<const Key &>()))>>
    : std::true_type {};

template<typename Type, typename Key, typename = void>
struct has_on_insert_hashed: std::false_type {};

template<typename Type, typename Key>
struct has_on_insert_hashed<
    Type, Key,
    std::void_t<decltype(std::declval<Type &>().on_insert(std::size_t{}, std::declval<const Key &>(), std::size_t{}))>>
    : std::true_type {};

template<typename Type, typename = void>
struct has_on_access_hashed: std::false_type {};

template<typename Type>
struct has_on_access_hashed<Type, std::void_t<decltype(std::declval<Type &>().on_access(std::size_t{}, std::size_t{}))>>
    : std::true_type {};

template<typename Type, typename = void>
struct has_on_access: std::false_type {};

template<typename Type>
struct has_on_access<Type, std::void_t<decltype(std::declval<Type &>().on_access(std::size_t{}))>>: std::true_type {};

template<typename Type, typename = void>
struct has_on_erase: std::false_type {};

template<typename Type>
struct has_on_erase<Type, std::void_t<decltype(std::declval<Type &>().on_erase(std::size_t{}))>>: std::true_type {};

template<typename Type, typename = void>
struct has_victim: std::false_type {};

template<typename Type>
struct has_victim<Type, std::void_t<decltype(std::declval<Type &>().victim())>>
    : std::is_convertible<decltype(std::declval<Type &>().victim()), std::size_t> {};

template<typename Type, typename = void>
struct has_on_update: std::false_type {};

template<typename Type>
struct has_on_update<Type, std::void_t<decltype(std::declval<Type &>().on_update(std::size_t{}))>>: std::true_type {};

template<typename Type, typename = void>
struct has_expired: std::false_type {};

template<typename Type>
struct has_expired<Type, std::void_t<decltype(std::declval<const Type &>().expired(std::size_t{}))>>
    : std::is_convertible<decltype(std::declval<const Type &>().expired(std::size_t{})), bool> {};

template<typename Type, typename = void>
struct has_clear: std::false_type {};

template<typename Type>
struct has_clear<Type, std::void_t<decltype(std::declval<Type &>().clear())>>: std::true_type {};

template<typename Policy, typename Key, typename Type = typename policy_type<Policy, Key>::type>
struct policy_check {
    static constexpr bool has_type = !std::is_void_v<Type>;
    static_assert(
        has_type,
        "evbus cache policy: the policy needs a nested `template<class Key> struct type` (see evbus/cache/policy.hpp)");
    static constexpr bool insert =
        !has_type || has_on_insert<Type, Key>::value || has_on_insert_hashed<Type, Key>::value;
    static_assert(insert,
                  "evbus cache policy: Policy::type<Key> needs `void on_insert(std::size_t slot, const Key &key)` "
                  "(or the same with a third parameter, `std::size_t hash`)");
    static constexpr bool access = !has_type || has_on_access<Type>::value;
    static_assert(access, "evbus cache policy: Policy::type<Key> needs `void on_access(std::size_t slot)`");
    static constexpr bool erase = !has_type || has_on_erase<Type>::value;
    static_assert(erase, "evbus cache policy: Policy::type<Key> needs `void on_erase(std::size_t slot)`");
    static constexpr bool victim = !has_type || has_victim<Type>::value;
    static_assert(victim,
                  "evbus cache policy: Policy::type<Key> needs `std::size_t victim()` returning the slot to evict");
    static constexpr bool value = has_type && insert && access && erase && victim;
};

} // namespace detail

/// @brief True when @p Policy provides everything evbus::cache needs for keys of type @p Key.
template<typename Policy, typename Key, typename Type = typename detail::policy_type<Policy, Key>::type>
inline constexpr bool is_cache_policy_v =
    !std::is_void_v<Type> &&
    (detail::has_on_insert<Type, Key>::value || detail::has_on_insert_hashed<Type, Key>::value) &&
    detail::has_on_access<Type>::value && detail::has_on_erase<Type>::value && detail::has_victim<Type>::value;

/// @brief Trait form of is_cache_policy_v.
template<typename Policy, typename Key>
struct is_cache_policy: std::bool_constant<is_cache_policy_v<Policy, Key>> {};

#if EVBUS_HAS_CONCEPTS
/// @brief The per-cache state of a policy: the slot hooks evbus::cache calls.
template<typename Type, typename Key>
concept slot_policy = requires(Type &policy, const Key &key, std::size_t slot) {
    requires requires { policy.on_insert(slot, key); } || requires {
        policy.on_insert(slot, key, slot);
    };
    policy.on_access(slot);
    policy.on_erase(slot);
    { policy.victim() } -> std::convertible_to<std::size_t>;
};

/// @brief A cache policy: a type with a nested `type<Key>` that models slot_policy.
template<typename Policy, typename Key>
concept cache_policy = requires {
    typename Policy::template type<Key>;
}
&&slot_policy<typename Policy::template type<Key>, Key>;
#endif

} // namespace evbus

#endif
