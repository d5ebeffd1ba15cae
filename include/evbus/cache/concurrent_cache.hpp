#ifndef EVBUS_CACHE_CONCURRENT_CACHE_HPP
#define EVBUS_CACHE_CONCURRENT_CACHE_HPP

/// @file
/// @brief evbus::concurrent_cache: a sharded thread-safe cache whose get_or_put is stampede-free.

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <utility>

#include "../config.hpp"
#include "cache.hpp"
#include "stats.hpp"

namespace evbus {

/// @brief Number of shards of an evbus::concurrent_cache, rounded up to a power of two.
struct shard_count {
    /// @brief Requested number of shards; must be positive.
    std::size_t value;
};

namespace detail {

[[nodiscard]] constexpr std::uint64_t mix_bits(std::uint64_t value) noexcept {
    value ^= value >> 33u;
    value *= 0xFF51AFD7ED558CCDull;
    value ^= value >> 33u;
    value *= 0xC4CEB9FE1A85EC53ull;
    value ^= value >> 33u;
    return value;
}

[[nodiscard]] inline std::size_t default_shard_count() noexcept {
    const std::size_t threads = std::thread::hardware_concurrency();
    const std::size_t wanted = bit_ceil((threads == 0u ? 4u : threads) * 4u);
    return wanted < 64u ? wanted : 64u;
}

} // namespace detail

/// @brief Thread-safe cache: N shards, each a mutex and an evbus::cache with capacity / N entries.
/// @details A key always maps to the same shard, so the policy is applied per shard (approximately
/// global). get() returns a copy, since a reference could not outlive the shard's lock. get_or_put()
/// runs the factory once per missing key however many threads ask at the same time.
/// Movable, but moving is not thread-safe, and a moved-from cache may only be destroyed or assigned to.
template<typename Key, typename Value, typename Policy, typename Hash = std::hash<Key>,
         typename KeyEqual = std::equal_to<Key>>
class concurrent_cache {
    struct flight {
        std::condition_variable ready;
        std::optional<Value> value;
        std::thread::id owner{std::this_thread::get_id()};
        bool done{false};
        bool stale{false};
    };

    using cache_type = cache<Key, Value, Policy, Hash, KeyEqual>;

    struct alignas(64) shard {
        std::mutex mutex;
        std::optional<cache_type> entries;
        std::unordered_map<Key, std::shared_ptr<flight>, Hash, KeyEqual> in_flight;

        void invalidate(const Key &key) {
            if(!in_flight.empty()) {
                if(const auto it = in_flight.find(key); it != in_flight.end()) {
                    it->second->stale = true;
                    in_flight.erase(it);
                }
            }
        }
    };

public:
    /// @brief Key type.
    using key_type = Key;
    /// @brief Cached value type.
    using mapped_type = Value;
    /// @brief Eviction policy family.
    using policy = Policy;
    /// @brief Hash function type.
    using hasher = Hash;
    /// @brief Key comparison type.
    using key_equal = KeyEqual;
    /// @brief Size type.
    using size_type = std::size_t;

    /// @brief Builds a cache for about @p capacity entries over the default number of shards (the power
    /// of two above 4 x hardware threads, at most 64, and no more than the capacity allows).
    template<typename... Args>
    explicit concurrent_cache(size_type capacity, const Args &...policy_args)
        : concurrent_cache{shard_count{detail::default_shard_count()}, capacity, policy_args...} {}

    /// @brief Builds a cache for about @p capacity entries over @p shards shards; each shard holds
    /// ceil(capacity / shards) entries. Zero shards or a zero capacity raise errc::invalid_argument.
    template<typename... Args>
    concurrent_cache(shard_count shards, size_type capacity, const Args &...policy_args) {
        EVBUS_EXPECT(shards.value != 0u, "evbus::concurrent_cache: shard count must be positive");
        EVBUS_EXPECT(capacity != 0u, "evbus::concurrent_cache: capacity must be positive");
        size_type count = detail::bit_ceil(shards.value);
        while(count > 1u && count > capacity) {
            count >>= 1u;
        }
        shards_ = std::make_unique<shard[]>(count);
        mask_ = count - 1u;
        for(size_type i = 0; i < count; ++i) {
            shards_[i].entries.emplace((capacity + count - 1u) / count, policy_args...);
        }
    }

    /// @brief Looks a key up and returns a copy of its value, or nothing on a miss.
    [[nodiscard]] std::optional<mapped_type> get(const key_type &key) {
        shard &s = shard_of(key);
        const std::lock_guard<std::mutex> lock{s.mutex};
        if(auto hit = s.entries->get(key)) {
            return std::optional<mapped_type>{*hit};
        }
        return std::nullopt;
    }

    /// @brief Calls @p visitor(value) under the shard's lock when the key is live; true when it was called.
    /// Counts as a get. The visitor must not use this cache.
    template<typename Visitor>
    bool visit(const key_type &key, Visitor &&visitor) {
        shard &s = shard_of(key);
        const std::lock_guard<std::mutex> lock{s.mutex};
        if(auto hit = s.entries->get(key)) {
            std::invoke(std::forward<Visitor>(visitor), *hit);
            return true;
        }
        return false;
    }

    /// @brief True when a live entry has this key; touches neither the policy nor the counters.
    [[nodiscard]] bool contains(const key_type &key) const {
        shard &s = shard_of(key);
        const std::lock_guard<std::mutex> lock{s.mutex};
        return s.entries->contains(key);
    }

    /// @brief Inserts or replaces the value of a key; true when another entry of its shard was evicted.
    /// A get_or_put() computing this key meanwhile will not overwrite it.
    bool put(const key_type &key, mapped_type value) {
        shard &s = shard_of(key);
        const std::lock_guard<std::mutex> lock{s.mutex};
        s.invalidate(key);
        return s.entries->put(key, std::move(value));
    }

    /// @brief put() moving the key in.
    bool put(key_type &&key, mapped_type value) {
        shard &s = shard_of(key);
        const std::lock_guard<std::mutex> lock{s.mutex};
        s.invalidate(key);
        return s.entries->put(std::move(key), std::move(value));
    }

    /// @brief Returns the key's value, computing it with @p factory() on a miss; thread-safe and
    /// stampede-free: while one thread runs the factory for a key, other threads asking for that key
    /// wait for its result instead of running it too. The factory runs without any lock held.
    /// @details If the factory throws, the exception reaches the thread that ran it, nothing is cached,
    /// and each waiting thread retries (one of them runs the factory again). The same holds when copying
    /// the computed value throws (into the cache, or for the waiting threads), except that a copy already
    /// in the cache stays there and the retrying threads find it. A put(), erase() or clear() during the
    /// computation wins: the computed value is still returned to the callers waiting for it but is not
    /// cached, and a later call for the key computes it anew.
    ///
    /// A factory may ask this cache for other keys, but not for a key in flight on its own thread: its
    /// own key, or one whose factory is further up the same thread's calls (A's factory asks for B, B's
    /// asks for A). Instead of waiting for itself forever, that inner call raises
    /// errc::recursive_computation with no lock held; the outer factory may let the error propagate
    /// (nothing is cached, the flight ends as for any exception) or catch it and return a value. Without
    /// exceptions the error handler is called, then abort(). Factories on two threads that wait for each
    /// other's keys (thread 1 computes A and asks for B while thread 2 computes B and asks for A) are not
    /// detected: they deadlock, like two mutexes locked in opposite orders.
    template<typename Factory>
    mapped_type get_or_put(const key_type &key, Factory &&factory) {
        shard &s = shard_of(key);
        std::unique_lock<std::mutex> lock{s.mutex};
        for(;;) {
            if(auto hit = s.entries->get(key)) {
                return *hit;
            }
            const auto it = s.in_flight.find(key);
            if(it == s.in_flight.end()) {
                break;
            }
            if(it->second->owner == std::this_thread::get_id()) {
                lock.unlock();
                detail::raise(errc::recursive_computation,
                              "evbus::concurrent_cache::get_or_put: a factory asked for a key it is computing");
            }
            const std::shared_ptr<flight> pending = it->second;
            pending->ready.wait(lock, [&pending] { return pending->done; });
            if(pending->value) {
                return *pending->value;
            }
        }
        const auto pending = std::make_shared<flight>();
        s.in_flight.emplace(key, pending);
        flight_guard guard{s, key, *pending, lock};
        lock.unlock();
        mapped_type value = std::invoke(std::forward<Factory>(factory));
        lock.lock();
        if(!pending->stale) {
            s.entries->put(key, value);
        }
        pending->value.emplace(value);
        guard.finish();
        return value;
    }

    /// @brief Removes a key; true when a live entry was removed. A get_or_put() computing this key meanwhile will not
    /// cache its result.
    bool erase(const key_type &key) {
        shard &s = shard_of(key);
        const std::lock_guard<std::mutex> lock{s.mutex};
        s.invalidate(key);
        return s.entries->erase(key);
    }

    /// @brief Removes every entry of every shard; the counters are kept.
    void clear() {
        for(size_type i = 0; i <= mask_; ++i) {
            const std::lock_guard<std::mutex> lock{shards_[i].mutex};
            for(auto &pending: shards_[i].in_flight) {
                pending.second->stale = true;
            }
            shards_[i].in_flight.clear();
            shards_[i].entries->clear();
        }
    }

    /// @brief Number of entries held, summed over the shards (each read under its lock).
    [[nodiscard]] size_type size() const {
        size_type total = 0u;
        for(size_type i = 0; i <= mask_; ++i) {
            const std::lock_guard<std::mutex> lock{shards_[i].mutex};
            total += shards_[i].entries->size();
        }
        return total;
    }

    /// @brief Total capacity: shard count times the capacity of each shard.
    [[nodiscard]] size_type capacity() const noexcept { return (mask_ + 1u) * shards_[0].entries->capacity(); }

    /// @brief Number of shards.
    [[nodiscard]] size_type shards() const noexcept { return mask_ + 1u; }

    /// @brief Counters summed over the shards.
    [[nodiscard]] cache_stats stats() const {
        cache_stats total{};
        for(size_type i = 0; i <= mask_; ++i) {
            const std::lock_guard<std::mutex> lock{shards_[i].mutex};
            total += shards_[i].entries->stats();
        }
        return total;
    }

    /// @brief Zeroes the counters of every shard.
    void reset_stats() {
        for(size_type i = 0; i <= mask_; ++i) {
            const std::lock_guard<std::mutex> lock{shards_[i].mutex};
            shards_[i].entries->reset_stats();
        }
    }

private:
    // Ends a flight however get_or_put() leaves: the factory or a copy of its value may throw with the
    // shard's lock held or not, so the guard shares the caller's lock and takes it only when needed.
    class flight_guard {
    public:
        flight_guard(shard &owner, const key_type &key, flight &pending, std::unique_lock<std::mutex> &lock) noexcept
            : owner_{owner}, key_{key}, pending_{pending}, lock_{lock} {}

        flight_guard(const flight_guard &) = delete;
        flight_guard &operator=(const flight_guard &) = delete;

        // Leaves the shard's lock held.
        void finish() {
            if(!lock_.owns_lock()) {
                lock_.lock();
            }
            if(!pending_.stale) {
                owner_.in_flight.erase(key_);
            }
            pending_.done = true;
            pending_.ready.notify_all();
            finished_ = true;
        }

        ~flight_guard() {
            if(!finished_) {
                finish();
            }
        }

    private:
        shard &owner_;
        const key_type &key_;
        flight &pending_;
        std::unique_lock<std::mutex> &lock_;
        bool finished_{false};
    };

    [[nodiscard]] shard &shard_of(const key_type &key) const {
        return shards_[static_cast<size_type>(detail::mix_bits(static_cast<std::uint64_t>(hash_(key)))) & mask_];
    }

    hasher hash_{};
    std::unique_ptr<shard[]> shards_;
    size_type mask_{};
};

} // namespace evbus

#endif
