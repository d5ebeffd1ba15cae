#ifndef EVBUS_CACHE_CACHE_HPP
#define EVBUS_CACHE_CACHE_HPP

/// @file
/// @brief evbus::cache: a fixed-capacity key-value cache with a pluggable eviction policy.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <new>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "../config.hpp"
#include "cache_ref.hpp"
#include "policy.hpp"
#include "stats.hpp"

namespace evbus {

namespace detail {

template<typename Type, typename = void>
struct is_transparent: std::false_type {};

template<typename Type>
struct is_transparent<Type, std::void_t<typename Type::is_transparent>>: std::true_type {};

[[nodiscard]] constexpr std::size_t bit_ceil(std::size_t value) noexcept {
    std::size_t result = 1u;
    while(result < value) {
        result <<= 1u;
    }
    return result;
}

template<typename Key, typename Value>
struct cache_node {
    using value_type = std::pair<const Key, Value>;

    [[nodiscard]] value_type &entry() noexcept { return *std::launder(reinterpret_cast<value_type *>(storage)); }
    [[nodiscard]] const value_type &entry() const noexcept {
        return *std::launder(reinterpret_cast<const value_type *>(storage));
    }

    alignas(value_type) unsigned char storage[sizeof(value_type)];
    std::size_t hash;
    std::uint32_t next;
};

} // namespace detail

/// @brief Fixed-capacity key-value cache with a pluggable eviction policy (evbus::lru, evbus::lfu,
/// evbus::ttl or a user policy, see evbus/cache/policy.hpp).
/// @details get and put are O(1) on average. Every node is allocated by the constructor: lookups and
/// puts, evicting ones included, never allocate (beyond what copying a key or value does).
/// Not thread-safe: use one cache per thread, a lock, or evbus::concurrent_cache.
/// Move-only; a moved-from cache may only be destroyed or assigned to.
template<typename Key, typename Value, typename Policy, typename Hash = std::hash<Key>,
         typename KeyEqual = std::equal_to<Key>>
class cache {
    static_assert(detail::policy_check<Policy, Key>::value, "evbus::cache: Policy is not a cache policy");
    static_assert(!std::is_reference_v<Key> && !std::is_reference_v<Value>,
                  "evbus::cache: keys and values must be object types");

    using node_type = detail::cache_node<Key, Value>;
    using index_type = std::uint32_t;
    static constexpr index_type null = std::numeric_limits<index_type>::max();

    template<typename Query>
    using lookup_key = std::enable_if_t<!std::is_same_v<Query, Key> && detail::is_transparent<Hash>::value &&
                                            detail::is_transparent<KeyEqual>::value,
                                        int>;

public:
    /// @brief Key type.
    using key_type = Key;
    /// @brief Cached value type.
    using mapped_type = Value;
    /// @brief Stored entry type.
    using value_type = std::pair<const Key, Value>;
    /// @brief Eviction policy family.
    using policy = Policy;
    /// @brief The policy's per-cache state.
    using policy_type = typename Policy::template type<Key>;
    /// @brief Hash function type.
    using hasher = Hash;
    /// @brief Key comparison type.
    using key_equal = KeyEqual;
    /// @brief Size type.
    using size_type = std::size_t;
    /// @brief Handle returned by lookups on a mutable cache.
    using reference = cache_ref<Value>;
    /// @brief Handle returned by lookups on a const cache.
    using const_reference = cache_ref<const Value>;

    /// @brief Largest supported capacity.
    static constexpr size_type max_capacity = std::numeric_limits<index_type>::max() - 2u;

    /// @brief Builds an empty cache for @p capacity entries; the other arguments go to the policy (a
    /// time to live for evbus::ttl). A zero capacity raises errc::invalid_argument.
    template<typename... Args>
    explicit cache(size_type capacity, Args &&...policy_args)
        : policy_{checked(capacity) + 1u, std::forward<Args>(policy_args)...}, nodes_(capacity + 1u),
          buckets_(detail::bit_ceil(capacity) * 2u, null), capacity_{capacity} {
        while((std::uint64_t{1} << (64u - shift_)) < buckets_.size()) {
            --shift_;
        }
        link_free_nodes();
    }

    /// @brief Takes over the entries, policy state and counters of another cache.
    cache(cache &&other) noexcept
        : hash_{std::move(other.hash_)}, equal_{std::move(other.equal_)}, policy_{std::move(other.policy_)},
          nodes_{std::move(other.nodes_)}, buckets_{std::move(other.buckets_)}, shift_{other.shift_},
          capacity_{std::exchange(other.capacity_, 0u)}, size_{std::exchange(other.size_, 0u)},
          free_{std::exchange(other.free_, null)}, stats_{other.stats_} {
        other.buckets_.clear();
    }

    /// @brief Destroys the entries and takes over those of another cache.
    cache &operator=(cache &&other) noexcept {
        if(this != &other) {
            destroy_entries();
            hash_ = std::move(other.hash_);
            equal_ = std::move(other.equal_);
            policy_ = std::move(other.policy_);
            nodes_ = std::move(other.nodes_);
            buckets_ = std::move(other.buckets_);
            shift_ = other.shift_;
            capacity_ = std::exchange(other.capacity_, 0u);
            size_ = std::exchange(other.size_, 0u);
            free_ = std::exchange(other.free_, null);
            stats_ = other.stats_;
            other.buckets_.clear();
        }
        return *this;
    }

    /// @brief Not copyable: nodes are preallocated and handles point into them.
    cache(const cache &) = delete;
    /// @brief Not copyable.
    cache &operator=(const cache &) = delete;

    /// @brief Destroys the entries.
    ~cache() { destroy_entries(); }

    /// @brief Looks a key up: a handle to its value on a hit, an empty handle on a miss.
    /// A hit counts as a use for the policy; an expired entry is removed and counts as a miss.
    /// The handle is invalidated by the next call that mutates the cache.
    [[nodiscard]] EVBUS_ALWAYS_INLINE reference get(const key_type &key) { return get_impl(key); }

    /// @brief Heterogeneous get, for transparent Hash and KeyEqual.
    template<typename Query, lookup_key<Query> = 0>
    [[nodiscard]] EVBUS_ALWAYS_INLINE reference get(const Query &key) {
        return get_impl(key);
    }

    /// @brief Looks a key up without touching the policy or the counters; expired entries are not returned.
    [[nodiscard]] const_reference peek(const key_type &key) const { return peek_impl(key); }

    /// @brief Heterogeneous peek, for transparent Hash and KeyEqual.
    template<typename Query, lookup_key<Query> = 0>
    [[nodiscard]] const_reference peek(const Query &key) const {
        return peek_impl(key);
    }

    /// @brief True when a live entry has this key; touches neither the policy nor the counters.
    [[nodiscard]] bool contains(const key_type &key) const { return static_cast<bool>(peek_impl(key)); }

    /// @brief Heterogeneous contains, for transparent Hash and KeyEqual.
    template<typename Query, lookup_key<Query> = 0>
    [[nodiscard]] bool contains(const Query &key) const {
        return static_cast<bool>(peek_impl(key));
    }

    /// @brief Inserts or replaces the value of a key; returns true when another entry was evicted (or
    /// dropped as expired) to make room. Strong guarantee for a new key, and for a present one when V's move
    /// assignment is noexcept (the new value is built, then moved in): if copying the key or value throws,
    /// nothing changes. Otherwise a present value is replaced by V's own assignment; if that throws, the key
    /// stays with whatever value the assignment left, and the policy and the counters are untouched.
    bool put(const key_type &key, const mapped_type &value) { return put_impl(key, value).second; }

    /// @brief Inserts or replaces the value of a key, moving the value in.
    bool put(const key_type &key, mapped_type &&value) { return put_impl(key, std::move(value)).second; }

    /// @brief Inserts or replaces the value of a key, moving the key and the value in.
    bool put(key_type &&key, mapped_type &&value) { return put_impl(std::move(key), std::move(value)).second; }

    /// @brief Inserts or replaces the value of a key, moving the key in.
    bool put(key_type &&key, const mapped_type &value) { return put_impl(std::move(key), value).second; }

    /// @brief Inserts a value built from @p args when the key is absent; leaves a present value alone.
    /// Returns a handle to the key's value and whether it was inserted; touches the policy only on insertion.
    template<typename... Args>
    std::pair<reference, bool> emplace(const key_type &key, Args &&...args) {
        return emplace_impl(key, std::forward<Args>(args)...);
    }

    /// @brief emplace() moving the key in.
    template<typename... Args>
    std::pair<reference, bool> emplace(key_type &&key, Args &&...args) {
        return emplace_impl(std::move(key), std::forward<Args>(args)...);
    }

    /// @brief get(), and on a miss inserts the value returned by @p factory() (called without arguments).
    /// The returned handle is never empty. If @p factory throws, nothing is inserted. The factory may use
    /// the cache itself (as a recursive memoized function does).
    template<typename Factory>
    reference get_or_put(const key_type &key, Factory &&factory) {
        if(reference hit = get_impl(key)) {
            return hit;
        }
        return reference{&nodes_[put_impl(key, std::invoke(std::forward<Factory>(factory))).first].entry().second};
    }

    /// @brief Removes a key; true when a live entry was removed (an expired one counts as an expiration).
    bool erase(const key_type &key) { return erase_impl(key); }

    /// @brief Heterogeneous erase, for transparent Hash and KeyEqual.
    template<typename Query, lookup_key<Query> = 0>
    bool erase(const Query &key) {
        return erase_impl(key);
    }

    /// @brief Removes every entry for which @p predicate(key, value) is true; returns how many; O(capacity).
    template<typename Predicate>
    size_type erase_if(Predicate predicate) {
        return remove_if([this, &predicate](index_type slot) {
            const value_type &entry = nodes_[slot].entry();
            return static_cast<bool>(predicate(entry.first, entry.second));
        });
    }

    /// @brief Removes the expired entries (policies with expired() only); returns how many; O(capacity).
    size_type purge_expired() {
        if constexpr(detail::has_expired<policy_type>::value) {
            const size_type purged = remove_if([this](index_type slot) { return is_expired(slot); });
            stats_.expirations += purged;
            return purged;
        } else {
            return 0u;
        }
    }

    /// @brief Removes every entry; the counters are kept.
    void clear() noexcept {
        if constexpr(!detail::has_clear<policy_type>::value) {
            for(const index_type head: buckets_) {
                for(index_type slot = head; slot != null; slot = nodes_[slot].next) {
                    policy_.on_erase(slot);
                }
            }
        } else {
            policy_.clear();
        }
        destroy_entries();
        std::fill(buckets_.begin(), buckets_.end(), null);
        size_ = 0u;
        link_free_nodes();
    }

    /// @brief Number of entries held, including expired ones not yet removed.
    [[nodiscard]] size_type size() const noexcept { return size_; }

    /// @brief True when no entry is held.
    [[nodiscard]] bool empty() const noexcept { return size_ == 0u; }

    /// @brief Maximum number of entries.
    [[nodiscard]] size_type capacity() const noexcept { return capacity_; }

    /// @brief Counters of hits, misses, evictions and expirations since construction or reset_stats().
    [[nodiscard]] const cache_stats &stats() const noexcept { return stats_; }

    /// @brief Zeroes the counters.
    void reset_stats() noexcept { stats_ = {}; }

    /// @brief The policy's state, for inspection.
    [[nodiscard]] const policy_type &policy_state() const noexcept { return policy_; }

    /// @brief The hash function.
    [[nodiscard]] hasher hash_function() const { return hash_; }

    /// @brief The key comparison function.
    [[nodiscard]] key_equal key_eq() const { return equal_; }

private:
    static size_type checked(size_type capacity) {
        EVBUS_EXPECT(capacity != 0u, "evbus::cache: capacity must be positive");
        EVBUS_EXPECT(capacity <= max_capacity, "evbus::cache: capacity too large (the limit is 2^32 - 3)");
        return capacity;
    }

    [[nodiscard]] std::size_t bucket_of(std::size_t hash) const noexcept {
        return static_cast<std::size_t>((static_cast<std::uint64_t>(hash) * 0x9E3779B97F4A7C15ull) >> shift_);
    }

    template<typename Query>
    [[nodiscard]] index_type find(const Query &key, std::size_t hash) const {
        for(index_type slot = buckets_[bucket_of(hash)]; slot != null; slot = nodes_[slot].next) {
            if(nodes_[slot].hash == hash && equal_(nodes_[slot].entry().first, key)) {
                return slot;
            }
        }
        return null;
    }

    [[nodiscard]] bool is_expired([[maybe_unused]] index_type slot) const {
        if constexpr(detail::has_expired<policy_type>::value) {
            return static_cast<bool>(policy_.expired(slot));
        } else {
            return false;
        }
    }

    // get() and get_impl() are always inlined: a hit is the hot path, and with a policy as large as
    // W-TinyLFU's the compiler's heuristics left them out of line (a call: about 1 ns of 13).
    template<typename Query>
    EVBUS_ALWAYS_INLINE reference get_impl(const Query &key) {
        const std::size_t hash = hash_(key);
        const index_type slot = find(key, hash);
        if(slot == null) {
            ++stats_.misses;
            return {};
        }
        if(is_expired(slot)) {
            remove(slot);
            ++stats_.misses;
            ++stats_.expirations;
            return {};
        }
        ++stats_.hits;
        if constexpr(detail::has_on_access_hashed<policy_type>::value) {
            policy_.on_access(slot, hash);
        } else {
            policy_.on_access(slot);
        }
        return reference{&nodes_[slot].entry().second};
    }

    template<typename Query>
    const_reference peek_impl(const Query &key) const {
        const index_type slot = find(key, hash_(key));
        return slot == null || is_expired(slot) ? const_reference{} : const_reference{&nodes_[slot].entry().second};
    }

    template<typename Query>
    bool erase_impl(const Query &key) {
        const index_type slot = find(key, hash_(key));
        if(slot == null) {
            return false;
        }
        const bool live = !is_expired(slot);
        stats_.expirations += live ? 0u : 1u;
        remove(slot);
        return live;
    }

    template<typename KeyArg, typename ValueArg>
    std::pair<index_type, bool> put_impl(KeyArg &&key, ValueArg &&value) {
        const std::size_t hash = hash_(key);
        if(const index_type slot = find(key, hash); slot != null) {
            replace(nodes_[slot].entry().second, std::forward<ValueArg>(value));
            if constexpr(detail::has_on_update<policy_type>::value) {
                policy_.on_update(slot);
            } else {
                policy_.on_access(slot);
            }
            return {slot, false};
        }
        return insert(hash, std::forward<KeyArg>(key), std::forward<ValueArg>(value));
    }

    // Strong when the assignment cannot throw, or when V's move assignment cannot: the new value is then
    // built aside, where a throwing copy leaves the old one alone. Otherwise as strong as V's assignment.
    template<typename ValueArg>
    static void replace(Value &target, ValueArg &&value) {
        if constexpr(std::is_nothrow_assignable_v<Value &, ValueArg &&> || !std::is_nothrow_move_assignable_v<Value>) {
            target = std::forward<ValueArg>(value);
        } else {
            Value fresh(std::forward<ValueArg>(value));
            target = std::move(fresh);
        }
    }

    template<typename KeyArg, typename... Args>
    std::pair<reference, bool> emplace_impl(KeyArg &&key, Args &&...args) {
        const std::size_t hash = hash_(key);
        if(const index_type slot = find(key, hash); slot != null) {
            if(!is_expired(slot)) {
                return {reference{&nodes_[slot].entry().second}, false};
            }
            remove(slot);
            ++stats_.expirations;
        }
        const index_type slot = insert(hash, std::forward<KeyArg>(key), std::forward<Args>(args)...).first;
        return {reference{&nodes_[slot].entry().second}, true};
    }

    // The spare node takes the new entry before the victim leaves, so a throwing copy changes nothing
    // and a value that aliases the victim is read before it is destroyed.
    template<typename KeyArg, typename... Args>
    std::pair<index_type, bool> insert(std::size_t hash, KeyArg &&key, Args &&...args) {
        const index_type slot = free_;
        node_type &node = nodes_[slot];
        ::new(static_cast<void *>(node.storage))
            value_type(std::piecewise_construct, std::forward_as_tuple(std::forward<KeyArg>(key)),
                       std::forward_as_tuple(std::forward<Args>(args)...));
        free_ = node.next;
        bool made_room = false;
        if(size_ == capacity_) {
            const auto victim = static_cast<index_type>(policy_.victim());
            ++(is_expired(victim) ? stats_.expirations : stats_.evictions);
            remove(victim);
            made_room = true;
        }
        node.hash = hash;
        index_type &head = buckets_[bucket_of(hash)];
        node.next = head;
        head = slot;
        ++size_;
        if constexpr(detail::has_on_insert_hashed<policy_type, Key>::value) {
            policy_.on_insert(slot, node.entry().first, hash);
        } else {
            policy_.on_insert(slot, node.entry().first);
        }
        return {slot, made_room};
    }

    template<typename Predicate>
    size_type remove_if(Predicate predicate) {
        size_type removed = 0u;
        for(const index_type head: buckets_) {
            for(index_type slot = head; slot != null;) {
                const index_type next = nodes_[slot].next;
                if(predicate(slot)) {
                    remove(slot);
                    ++removed;
                }
                slot = next;
            }
        }
        return removed;
    }

    void remove(index_type slot) {
        node_type &node = nodes_[slot];
        index_type *link = &buckets_[bucket_of(node.hash)];
        while(*link != slot) {
            link = &nodes_[*link].next;
        }
        *link = node.next;
        policy_.on_erase(slot);
        node.entry().~value_type();
        node.next = free_;
        free_ = slot;
        --size_;
    }

    void destroy_entries() noexcept {
        if constexpr(!std::is_trivially_destructible_v<value_type>) {
            for(const index_type head: buckets_) {
                for(index_type slot = head; slot != null; slot = nodes_[slot].next) {
                    nodes_[slot].entry().~value_type();
                }
            }
        }
    }

    void link_free_nodes() noexcept {
        for(std::size_t i = 0; i < nodes_.size(); ++i) {
            nodes_[i].next = i + 1u < nodes_.size() ? static_cast<index_type>(i + 1u) : null;
        }
        free_ = nodes_.empty() ? null : 0u;
    }

    hasher hash_{};
    key_equal equal_{};
    policy_type policy_;
    std::vector<node_type> nodes_;
    std::vector<index_type> buckets_;
    unsigned shift_{64u};
    size_type capacity_;
    size_type size_{};
    index_type free_{null};
    cache_stats stats_{};
};

} // namespace evbus

#endif
