#ifndef EVBUS_QUEUE_POST_COUNTER_HPP
#define EVBUS_QUEUE_POST_COUNTER_HPP

/// @file
/// @brief detail::post_counter: what a post queue has accepted, consumed and refused, its bound
/// and back-pressure, and close().

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>

#include "../config.hpp"
#include "../sync/spin.hpp"
#include "bus_config.hpp"
#include "queue_stats.hpp"

namespace evbus::detail {

/// Counts posts against the bound. posted >= consumed at every instant: a post is counted
/// (reserved) before its event is enqueued, and consumed after its event is handled or dropped.
/// Threading's atomic type holds the shared counters, so a test can stand in for it and run
/// code between any two of its loads.
template<typename Threading>
class post_counter {
    using counter = typename Threading::template atomic<std::uint64_t>;
    static constexpr std::size_t line = Threading::concurrent ? 64u : alignof(counter);

public:
    using clock = std::chrono::steady_clock;

    /// The post count of one producer token, written only by the thread using the token (a
    /// plain store, no read-modify-write) and summed by readers. Slots are recycled between
    /// tokens and freed with the counter.
    struct alignas(64) producer_slot {
        std::atomic<std::uint64_t> posted{0u};
        std::atomic<bool> in_use{true};
        producer_slot *next{nullptr}; // immutable once the slot is published
    };

    /// A counter bounded at config.capacity; config.capacity 0 is errc::invalid_argument.
    explicit post_counter(const bus_config &config)
        : capacity_{config.capacity}, block_{config.overflow == overflow_policy::block} {
        EVBUS_EXPECT(config.capacity != 0u, "evbus: capacity must be at least 1 (use evbus::unbounded for no bound)");
        EVBUS_EXPECT(
            Threading::concurrent || !block_,
            "evbus: overflow_policy::block needs a multi_thread bus or channel (one thread cannot wait for itself)");
    }

    post_counter(const post_counter &) = delete;
    post_counter &operator=(const post_counter &) = delete;

    ~post_counter() {
        for(producer_slot *slot = slots_.load(std::memory_order_acquire); slot;) {
            delete std::exchange(slot, slot->next);
        }
    }

    /// A free producer slot (multi_thread; single_thread: null). Unbounded posts through a
    /// token count in its slot; bounded ones share one counter, so that the bound is exact.
    [[nodiscard]] producer_slot *acquire_slot() {
        if constexpr(Threading::concurrent) {
            for(producer_slot *s = slots_.load(std::memory_order_acquire); s; s = s->next) {
                bool expected = false;
                if(s->in_use.compare_exchange_strong(expected, true, std::memory_order_acq_rel)) {
                    return s;
                }
            }
            auto *slot = new producer_slot{};
            slot->next = slots_.load(std::memory_order_relaxed);
            while(
                !slots_.compare_exchange_weak(slot->next, slot, std::memory_order_release, std::memory_order_relaxed)) {
            }
            return slot;
        } else {
            return nullptr;
        }
    }

    /// Gives a slot back for another token (its count stays in the totals).
    static void release_slot(producer_slot *slot) noexcept {
        if(slot) {
            slot->in_use.store(false, std::memory_order_release);
        }
    }

    /// Counts one post, waiting for room until deadline if the queue is bounded, full and
    /// blocking; false (not counted as rejected: see reject()) when closed or full.
    [[nodiscard]] EVBUS_ALWAYS_INLINE bool reserve(clock::time_point deadline, producer_slot *slot) {
        if(EVBUS_UNLIKELY(closed_.load(std::memory_order_relaxed))) {
            return false;
        }
        if(capacity_ == unbounded) {
            count_unbounded(slot, 1u);
            return true;
        }
        return reserve_bounded(deadline);
    }

    /// Counts up to want posts without waiting; returns how many fit (0 once closed).
    [[nodiscard]] std::size_t reserve_up_to(std::size_t want, producer_slot *slot) {
        if(EVBUS_UNLIKELY(closed_.load(std::memory_order_relaxed))) {
            return 0u;
        }
        if(capacity_ == unbounded) {
            count_unbounded(slot, want);
            return want;
        }
        std::uint64_t posted = posted_.load(std::memory_order_relaxed);
        for(;;) {
            const std::size_t room = static_cast<std::size_t>(std::min<std::uint64_t>(room_for(posted), want));
            if(room != 0u) {
                if(posted_.compare_exchange_weak(posted, posted + room, std::memory_order_relaxed)) {
                    return room;
                }
                continue;
            }
            if(settled(posted)) {
                return 0u;
            }
        }
    }

    /// Takes back count posts that reserve() accepted and that then failed.
    void unreserve(producer_slot *slot, std::size_t count = 1u) noexcept {
        if constexpr(Threading::concurrent) {
            if(slot && capacity_ == unbounded) {
                slot->posted.store(slot->posted.load(std::memory_order_relaxed) - count, std::memory_order_release);
                return;
            }
        }
        (void)slot;
        posted_.fetch_sub(count, std::memory_order_relaxed);
    }

    /// Counts refused posts.
    void reject(std::uint64_t count = 1u) noexcept { rejected_.fetch_add(count, std::memory_order_relaxed); }

    /// Counts events handed to handlers (they leave the queue's bound).
    void delivered(std::uint64_t count) noexcept {
        delivered_.fetch_add(count, std::memory_order_relaxed);
        consumed_.fetch_add(count, std::memory_order_release);
    }

    /// Counts events dropped by clear() (they leave the queue's bound).
    void discarded(std::uint64_t count) noexcept {
        discarded_.fetch_add(count, std::memory_order_relaxed);
        consumed_.fetch_add(count, std::memory_order_release);
    }

    /// Delivered plus discarded.
    [[nodiscard]] std::uint64_t consumed() const noexcept { return consumed_.load(std::memory_order_acquire); }

    /// Where a drain that starts now stops: consumed() plus what is queued, at most max.
    [[nodiscard]] std::uint64_t drain_target(std::size_t max) const noexcept {
        const std::uint64_t consumed = consumed_.load(std::memory_order_acquire);
        const std::uint64_t posted = posted_total(std::memory_order_acquire);
        const std::uint64_t queued = posted > consumed ? posted - consumed : 0u;
        return consumed + std::min<std::uint64_t>(queued, max);
    }

    /// Whether an accepted post is not yet consumed (seq_cst: pairs with a sleeper's check).
    [[nodiscard]] bool has_pending() const noexcept {
        const std::uint64_t consumed = consumed_.load(std::memory_order_seq_cst);
        return posted_total(std::memory_order_seq_cst) > consumed;
    }

    /// Makes every later reserve() fail; a blocked one returns at its next try.
    void close() noexcept { closed_.store(true, std::memory_order_release); }

    /// True once close() has been called.
    [[nodiscard]] bool closed() const noexcept { return closed_.load(std::memory_order_acquire); }

    /// The counters; pending is posted minus delivered and discarded.
    [[nodiscard]] queue_stats stats() const noexcept {
        queue_stats out;
        out.delivered = delivered_.load(std::memory_order_acquire);
        out.discarded = discarded_.load(std::memory_order_acquire);
        out.rejected = rejected_.load(std::memory_order_relaxed);
        out.posted = posted_total(std::memory_order_acquire);
        const std::uint64_t done = out.delivered + out.discarded;
        out.pending = out.posted > done ? out.posted - done : 0u;
        return out;
    }

    /// The bound (evbus::unbounded for none).
    [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }

private:
    bool reserve_bounded(clock::time_point deadline) {
        std::uint64_t posted = posted_.load(std::memory_order_relaxed);
        for(backoff wait;;) {
            if(room_for(posted) != 0u) {
                if(posted_.compare_exchange_weak(posted, posted + 1u, std::memory_order_relaxed)) {
                    return true;
                }
                continue;
            }
            if(!settled(posted)) {
                continue;
            }
            if(!block_ || closed_.load(std::memory_order_relaxed) ||
               (deadline != clock::time_point::max() && clock::now() >= deadline)) {
                return false;
            }
            wait();
            posted = posted_.load(std::memory_order_relaxed);
        }
    }

    EVBUS_ALWAYS_INLINE void count_unbounded(producer_slot *slot, std::size_t count) noexcept {
        if constexpr(Threading::concurrent) {
            if(slot) {
                slot->posted.store(slot->posted.load(std::memory_order_relaxed) + count, std::memory_order_release);
                return;
            }
        }
        (void)slot;
        posted_.fetch_add(count, std::memory_order_relaxed);
    }

    /// Room left if posted_ still reads posted. posted was loaded before consumed_ is, so it may
    /// be stale and behind it; that reads as room, and the compare-exchange on the stale value
    /// then fails and reloads.
    [[nodiscard]] std::uint64_t room_for(std::uint64_t posted) const noexcept {
#if !EVBUS_TSAN
        // The load that gave posted (also a failed compare-exchange's, or settled()'s) happens before
        // the load of consumed_, as settled() assumes (acquire alone orders only what follows it).
        std::atomic_thread_fence(std::memory_order_acquire);
#endif
        const std::uint64_t consumed = consumed_.load(std::memory_order_acquire);
        const std::uint64_t used = posted > consumed ? posted - consumed : 0u;
        return used >= capacity_ ? 0u : capacity_ - used;
    }

    /// After room_for(posted) found none: true when posted_ still reads posted, so the queue
    /// was full when consumed_ was read; else posted takes the new value (try again).
    [[nodiscard]] bool settled(std::uint64_t &posted) const noexcept {
        const std::uint64_t now = posted_.load(std::memory_order_relaxed);
        if(now == posted) {
            return true;
        }
        posted = now;
        return false;
    }

    /// Accepted posts: the shared count plus every producer slot's own.
    [[nodiscard]] std::uint64_t posted_total(std::memory_order order) const noexcept {
        std::uint64_t total = posted_.load(order);
        if constexpr(Threading::concurrent) {
            for(const producer_slot *slot = slots_.load(std::memory_order_acquire); slot; slot = slot->next) {
                total += slot->posted.load(order);
            }
        }
        return total;
    }

    std::atomic<producer_slot *> slots_{nullptr};
    std::size_t capacity_;
    bool block_;
    alignas(line) counter posted_{0u};
    alignas(line) counter consumed_{0u};
    counter delivered_{0u};
    alignas(line) counter rejected_{0u};
    counter discarded_{0u};
    typename Threading::template atomic<bool> closed_{false};
};

} // namespace evbus::detail

#endif
