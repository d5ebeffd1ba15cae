#ifndef EVBUS_QUEUE_ASYNC_QUEUE_HPP
#define EVBUS_QUEUE_ASYNC_QUEUE_HPP

/// @file
/// @brief detail::async_queue: the post()/dispatch() queue of a bus or channel, with its
/// accounting, bound, overflow behaviour and close().

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <cstdint>
#include <iterator>
#include <thread>
#include <type_traits>
#include <utility>

#include "../config.hpp"
#include "../core/bus_config.hpp"
#include "../core/rcu.hpp"
#include "envelope.hpp"
#include "queue_item.hpp"
#include "local_queue.hpp"
#include "mpmc_queue.hpp"
#include "queue_stats.hpp"

#if EVBUS_HAS_EXCEPTIONS
#    include <exception>
#endif

namespace evbus::detail {

/// Backs off a waiting thread: spin, then yield, then sleep.
inline void backoff(unsigned &spins) noexcept {
    if(spins < 64u) {
        ++spins;
    } else if(spins < 1024u) {
        ++spins;
        std::this_thread::yield();
    } else {
        std::this_thread::sleep_for(std::chrono::microseconds{20});
    }
}

/// steady_clock's now() + timeout, saturating at time_point::max() (wait forever).
template<typename Rep, typename Period>
[[nodiscard]] std::chrono::steady_clock::time_point deadline_after(std::chrono::duration<Rep, Period> timeout) {
    using clock = std::chrono::steady_clock;
    const auto now = clock::now();
    if(timeout <= timeout.zero()) {
        return now;
    }
    const auto room = std::chrono::duration_cast<std::chrono::duration<double>>(clock::time_point::max() - now);
    if(std::chrono::duration_cast<std::chrono::duration<double>>(timeout) >= room) {
        return clock::time_point::max();
    }
    return now + std::chrono::duration_cast<clock::duration>(timeout);
}

/// Counters keep posted >= delivered + discarded at every instant: a post is
/// counted before its event is enqueued, a drain after its events are handled.
/// Item is what the queue stores: an envelope (a bus) or an event type (a channel).
template<typename Threading, typename Item>
class async_queue {
    using queue_type = std::conditional_t<Threading::concurrent, mpmc_queue<Item>, local_queue<Item>>;
    using item_ops = queue_item<Item>;
    using batch = item_batch<Item>;
    using counter = typename Threading::template atomic<std::uint64_t>;
    static constexpr std::size_t batch_size = batch::capacity;
    static constexpr std::size_t line = Threading::concurrent ? 64u : alignof(counter);
    using inner_cursor =
        std::conditional_t<Threading::concurrent, batch_cursor<Item>, typename local_queue<Item>::cursor>;

    /// The first exception a drain caught (nothing to hold without exceptions).
#if EVBUS_HAS_EXCEPTIONS
    using exception_slot = std::exception_ptr;
#else
    struct exception_slot {};
#endif

    /// The post count of one producer token, written only by the thread using the
    /// token (a plain store, no read-modify-write) and summed by readers. Slots are
    /// recycled between tokens and freed with the queue.
    struct alignas(64) producer_slot {
        std::atomic<std::uint64_t> posted{0u};
        std::atomic<bool> in_use{true};
        producer_slot *next{nullptr}; // immutable once the slot is published
    };

public:
    using clock = std::chrono::steady_clock;

    /// The events of one batch as drain() hands them to a batch object: front() is the next one
    /// (null once the batch is done), deliver_front(f) takes it and calls f(item). An exception
    /// from f is kept for drain() to rethrow, and the batch goes on. A batch object takes every
    /// event of its cursor.
    class cursor {
    public:
        cursor(const cursor &) = delete;
        cursor &operator=(const cursor &) = delete;

        [[nodiscard]] EVBUS_ALWAYS_INLINE const Item *front() noexcept { return inner_.front(); }

        /// Takes front() (which must be an event) and calls deliver(item).
        template<typename Deliver>
        EVBUS_ALWAYS_INLINE void deliver_front(Deliver &&deliver) noexcept {
            inner_.take_while([taken = false](const Item &) mutable noexcept { return !std::exchange(taken, true); },
                              guarded(deliver));
        }

        /// Takes events from the front while there are some and keep(item) is true, calling
        /// deliver(item) on each.
        template<typename Keep, typename Deliver>
        EVBUS_ALWAYS_INLINE void deliver_while(Keep &&keep, Deliver &&deliver) noexcept {
            inner_.take_while(keep, guarded(deliver));
        }

    private:
        friend class async_queue;

        template<typename... Source>
        explicit cursor(exception_slot &first, Source &&...source) noexcept
            : inner_{std::forward<Source>(source)...}, first_{first} {}

        /// deliver, keeping the first exception it throws in first_.
        template<typename Deliver>
        [[nodiscard]] EVBUS_ALWAYS_INLINE auto guarded(Deliver &deliver) noexcept {
            return [this, &deliver](Item &item) noexcept {
#if EVBUS_HAS_EXCEPTIONS
                try {
                    deliver(std::as_const(item));
                } catch(...) {
                    if(!first_) {
                        first_ = std::current_exception();
                    }
                }
#else
                deliver(std::as_const(item));
#endif
            };
        }

        inner_cursor inner_;
        exception_slot &first_;
    };

    /// A producer's handle: the queue's own token and a post counter of its own.
    class producer_token {
    public:
        producer_token(producer_token &&other) noexcept
            : inner_{std::move(other.inner_)}, slot_{std::exchange(other.slot_, nullptr)} {}

        producer_token &operator=(producer_token &&other) noexcept {
            if(this != &other) {
                release();
                inner_ = std::move(other.inner_);
                slot_ = std::exchange(other.slot_, nullptr);
            }
            return *this;
        }

        producer_token(const producer_token &) = delete;
        producer_token &operator=(const producer_token &) = delete;

        ~producer_token() { release(); }

    private:
        friend class async_queue;
        using inner_type = typename queue_type::producer_token;

        producer_token(inner_type inner, producer_slot *slot) noexcept: inner_{std::move(inner)}, slot_{slot} {}

        void release() noexcept {
            if(slot_) {
                slot_->in_use.store(false, std::memory_order_release);
            }
        }

        inner_type inner_;
        producer_slot *slot_;
    };

    explicit async_queue(const bus_config &config)
        : capacity_{config.capacity}, block_{config.overflow == overflow_policy::block} {
        EVBUS_EXPECT(config.capacity != 0u, "evbus: capacity must be at least 1 (use evbus::unbounded for no bound)");
        EVBUS_EXPECT(
            Threading::concurrent || !block_,
            "evbus: overflow_policy::block needs a multi_thread bus or channel (one thread cannot wait for itself)");
    }

    async_queue(const async_queue &) = delete;
    async_queue &operator=(const async_queue &) = delete;

    /// Frees what is still queued (owners drain or clear first; this only reclaims memory).
    ~async_queue() {
        (void)clear();
        for(producer_slot *slot = slots_.load(std::memory_order_acquire); slot;) {
            delete std::exchange(slot, slot->next);
        }
    }

    [[nodiscard]] producer_token make_token() {
        producer_slot *slot = nullptr;
        if constexpr(Threading::concurrent) {
            for(producer_slot *s = slots_.load(std::memory_order_acquire); s && !slot; s = s->next) {
                bool expected = false;
                if(s->in_use.compare_exchange_strong(expected, true, std::memory_order_acq_rel)) {
                    slot = s;
                }
            }
            if(!slot) {
                slot = new producer_slot{};
                slot->next = slots_.load(std::memory_order_relaxed);
                while(!slots_.compare_exchange_weak(slot->next, slot, std::memory_order_release,
                                                    std::memory_order_relaxed)) {
                }
            }
        }
        return producer_token{queue_.make_token(), slot};
    }

    /// Queues Event{arg}; false (and counted as rejected) when closed, full, or timed out.
    template<typename Event, typename Arg>
    bool post(event_kind kind, Arg &&arg, producer_token *token, clock::time_point deadline) {
        producer_slot *slot = token ? token->slot_ : nullptr;
        if(EVBUS_UNLIKELY(closed_.load(std::memory_order_relaxed)) || EVBUS_UNLIKELY(!reserve(deadline, slot))) {
            rejected_.fetch_add(1u, std::memory_order_relaxed);
            return false;
        }
        bool queued;
        if constexpr(Threading::concurrent) {
            Item item = make<Event>(kind, std::forward<Arg>(arg), slot);
            queued = token ? queue_.enqueue(token->inner_, std::move(item)) : queue_.enqueue(std::move(item));
            if(EVBUS_UNLIKELY(!queued)) {
                item_ops::release(item);
            }
        } else { // built in its slot: no copy through the stack, which stalls store forwarding
            queued = queue_.emplace([&] { return make<Event>(kind, std::forward<Arg>(arg), slot); });
        }
        if(EVBUS_UNLIKELY(!queued)) { // the queue could not allocate
            unreserve(slot);
            rejected_.fetch_add(1u, std::memory_order_relaxed);
            return false;
        }
        if constexpr(Threading::concurrent) {
            if(EVBUS_UNLIKELY(wakeups_enabled_.load(std::memory_order_relaxed))) {
                wake_sleepers();
            }
        }
        return true;
    }

    /// Queues the events of [first, last) in order, in chunks of up to 64 per enqueue;
    /// returns how many were accepted. Never waits: on a full bounded queue it takes
    /// what fits and rejects (and counts) the rest; all are rejected once closed.
    template<typename Event, typename It>
    std::size_t post_bulk(event_kind kind, It first, It last, producer_token *token) {
        std::size_t accepted = 0;
        batch chunk;
        while(first != last) {
            std::size_t want = 0;
            for(It probe = first; probe != last && want < batch_size; ++probe) {
                ++want;
            }
            producer_slot *slot = token ? token->slot_ : nullptr;
            const std::size_t room = closed_.load(std::memory_order_relaxed) ? 0u : reserve_up_to(want, slot);
            std::size_t built = 0;
#if EVBUS_HAS_EXCEPTIONS
            try {
#endif
                for(; built < room; ++built, ++first) {
                    ::new(static_cast<void *>(chunk.at(built))) Item(item_ops::template make<Event>(kind, *first));
                }
#if EVBUS_HAS_EXCEPTIONS
            } catch(...) {
                for(std::size_t i = 0; i < built; ++i) {
                    detail::destroy_item(chunk[i]);
                }
                unreserve(slot, room);
                throw;
            }
#endif
            bool queued = true;
            if(room != 0u) {
                const auto moved = std::make_move_iterator(&chunk[0]);
                queued = token ? queue_.enqueue_bulk(token->inner_, moved, room) : queue_.enqueue_bulk(moved, room);
                for(std::size_t i = 0; i < room; ++i) {
                    if(queued) {
                        chunk[i].~Item(); // moved from: the queued copy owns the payload now
                    } else {              // the queue could not allocate
                        detail::destroy_item(chunk[i]);
                    }
                }
                if(!queued) {
                    unreserve(slot, room);
                }
            }
            if(queued) {
                accepted += room;
            }
            if(!queued || room < want) { // closed, full or out of memory: the rest is rejected
                const auto rest = static_cast<std::uint64_t>(std::distance(first, last)) + (queued ? 0u : room);
                rejected_.fetch_add(rest, std::memory_order_relaxed);
                break;
            }
        }
        if constexpr(Threading::concurrent) {
            if(accepted != 0u && EVBUS_UNLIKELY(wakeups_enabled_.load(std::memory_order_relaxed))) {
                wake_sleepers();
            }
        }
        return accepted;
    }

    /// Blocks the calling thread until an event is pending, wake_all() is
    /// called, or the deadline passes; true when an event is pending. While no
    /// thread has ever waited, posting pays nothing for this.
    bool wait_until(clock::time_point deadline, const std::atomic<bool> *cancel = nullptr) {
        static_assert(Threading::concurrent, "evbus: waiting for posts needs a multi_thread bus or channel");
        // One sleep is capped so that a post racing with the very first wait (it may not
        // see wakeups enabled yet) is picked up within max_sleep; later posts wake at once.
        constexpr auto max_sleep = std::chrono::milliseconds{100};
        wakeups_enabled_.store(true, std::memory_order_seq_cst);
        std::unique_lock<std::mutex> lock{sleep_mutex_};
        while(!has_pending()) {
            const auto now = clock::now();
            if(now >= deadline) {
                return false;
            }
            const std::uint64_t seen = wake_epoch_;
            if(cancel && cancel->load(std::memory_order_acquire)) {
                return false; // whoever set it calls wake_all() after, under this mutex
            }
            sleepers_.fetch_add(1u, std::memory_order_seq_cst);
            if(!has_pending()) {
                const auto until = deadline - now > max_sleep ? now + max_sleep : deadline;
                sleep_cv_.wait_until(lock, until, [&] { return wake_epoch_ != seen; });
            }
            sleepers_.fetch_sub(1u, std::memory_order_relaxed);
            if(wake_epoch_ != seen && !has_pending()) {
                return false; // woken by wake_all()
            }
        }
        return true;
    }

    /// Wakes every thread blocked in wait_until().
    void wake_all() {
        {
            std::lock_guard<std::mutex> lock{sleep_mutex_};
            ++wake_epoch_;
        }
        sleep_cv_.notify_all();
    }

    /// Hands up to max queued events, in batches, to a batch object that make_batch() returns
    /// for each (it holds what the batch's deliveries share, such as a read section), called as
    /// batch(cursor&) on this thread; returns how many this call delivered. Events posted after
    /// the call starts wait for the next call. If a delivery throws, the rest of the current
    /// batch is still delivered and the first exception is rethrown; later events stay queued.
    template<typename MakeBatch>
    std::size_t drain(std::size_t max, MakeBatch &&make_batch) {
        std::size_t done = 0;
        exception_slot first{};
        if constexpr(Threading::concurrent) {
            // Dequeue before reading the post counters (lines that producers write on every post),
            // and read them only when the queue holds more than one batch: a consumer that keeps up
            // with its producers then reads only what a dequeue reads.
            batch items;
            const std::size_t want = std::min<std::size_t>(batch_size, max);
            std::size_t got = queue_.take(items, want);
            if(got == 0u) {
                return 0u;
            }
            // A short take emptied the queue as far as this thread can see: nothing more was queued
            // when the call started. Otherwise the batch in hand, counted as posted before it was
            // queued and not yet as consumed, fits within target.
            const std::uint64_t target = got < want ? 0u : drain_target(max);
            for(;;) {
                done += deliver_batch(make_batch, first, items, got);
                rethrow_first(first);
                const std::uint64_t now = consumed_.load(std::memory_order_acquire);
                if(now >= target) {
                    break;
                }
                got = queue_.take(items, static_cast<std::size_t>(std::min<std::uint64_t>(batch_size, target - now)));
                if(got == 0u) {
                    break;
                }
            }
        } else {
            const std::uint64_t target = drain_target(max);
            for(std::uint64_t now; (now = consumed_.load(std::memory_order_acquire)) < target;) {
                const std::size_t got =
                    deliver_batch(make_batch, first, queue_,
                                  static_cast<std::size_t>(std::min<std::uint64_t>(batch_size, target - now)));
                if(got == 0u) {
                    break;
                }
                done += got;
                rethrow_first(first);
            }
        }
        return done;
    }

    /// Closes, then drains every queued event with make_batch (see drain()); for destructors,
    /// so exceptions from handlers are dropped (the remaining events still go out).
    template<typename MakeBatch>
    void shutdown(MakeBatch &&make_batch) noexcept {
        close();
        while(stats().pending != 0u) {
#if EVBUS_HAS_EXCEPTIONS
            try {
                drain(unbounded, make_batch);
            } catch(...) { // a destructor cannot report it
            }
#else
            drain(unbounded, make_batch);
#endif
        }
    }

    /// Drops every queued event; returns how many (counted as discarded).
    std::size_t clear() {
        std::size_t total = 0;
        for(std::size_t got; (got = discard_batch()) != 0u; total += got) {
            discarded_.fetch_add(got, std::memory_order_relaxed);
            consumed_.fetch_add(got, std::memory_order_release);
        }
        return total;
    }

    void close() noexcept { closed_.store(true, std::memory_order_release); }

    [[nodiscard]] bool closed() const noexcept { return closed_.load(std::memory_order_acquire); }

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

    [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }

private:
    [[nodiscard]] bool has_pending() const noexcept {
        const std::uint64_t consumed = consumed_.load(std::memory_order_seq_cst);
        return posted_total(std::memory_order_seq_cst) > consumed;
    }

    /// Item for Event{arg}; if building it throws, takes back the post reserve() counted.
    template<typename Event, typename Arg>
    Item make(event_kind kind, Arg &&arg, producer_slot *slot) {
#if EVBUS_HAS_EXCEPTIONS
        try {
            return item_ops::template make<Event>(kind, std::forward<Arg>(arg));
        } catch(...) {
            unreserve(slot);
            throw;
        }
#else
        (void)slot;
        return item_ops::template make<Event>(kind, std::forward<Arg>(arg));
#endif
    }

    /// Accepted posts: the shared count plus every producer token's own.
    [[nodiscard]] std::uint64_t posted_total(std::memory_order order) const noexcept {
        std::uint64_t total = posted_.load(order);
        if constexpr(Threading::concurrent) {
            for(const producer_slot *slot = slots_.load(std::memory_order_acquire); slot; slot = slot->next) {
                total += slot->posted.load(order);
            }
        }
        return total;
    }

    /// Producer side of wait_until(): a full fence orders this post's counting
    /// before the check for sleepers (pairs with the sleeper's seq_cst increment).
    void wake_sleepers() {
        rcu_domain::full_fence();
        if(sleepers_.load(std::memory_order_seq_cst) != 0u) {
            {
                std::lock_guard<std::mutex> lock{sleep_mutex_};
                ++wake_epoch_;
            }
            sleep_cv_.notify_all();
        }
    }

    /// Counts one post, waiting for room if the queue is bounded, full and blocking.
    /// Unbounded posts through a token count in the token's own slot; bounded ones
    /// share one counter, so that the bound is exact.
    bool reserve(clock::time_point deadline, producer_slot *slot) {
        if(capacity_ == unbounded) {
            if constexpr(Threading::concurrent) {
                if(slot) {
                    slot->posted.store(slot->posted.load(std::memory_order_relaxed) + 1u, std::memory_order_release);
                    return true;
                }
            }
            posted_.fetch_add(1u, std::memory_order_relaxed);
            return true;
        }
        std::uint64_t posted = posted_.load(std::memory_order_relaxed);
        for(unsigned spins = 0;;) {
            if(posted - consumed_.load(std::memory_order_acquire) < capacity_) {
                if(posted_.compare_exchange_weak(posted, posted + 1u, std::memory_order_relaxed)) {
                    return true;
                }
                continue;
            }
            if(!block_ || closed_.load(std::memory_order_relaxed) ||
               (deadline != clock::time_point::max() && clock::now() >= deadline)) {
                return false;
            }
            backoff(spins);
            posted = posted_.load(std::memory_order_relaxed);
        }
    }

    /// Counts up to want posts without waiting; returns how many fit.
    std::size_t reserve_up_to(std::size_t want, producer_slot *slot) {
        if(capacity_ == unbounded) {
            if constexpr(Threading::concurrent) {
                if(slot) {
                    slot->posted.store(slot->posted.load(std::memory_order_relaxed) + want, std::memory_order_release);
                    return want;
                }
            }
            posted_.fetch_add(want, std::memory_order_relaxed);
            return want;
        }
        std::uint64_t posted = posted_.load(std::memory_order_relaxed);
        for(;;) {
            const std::uint64_t used = posted - consumed_.load(std::memory_order_acquire);
            const std::size_t room =
                used >= capacity_ ? 0u : static_cast<std::size_t>(std::min<std::uint64_t>(capacity_ - used, want));
            if(room == 0u || posted_.compare_exchange_weak(posted, posted + room, std::memory_order_relaxed)) {
                return room;
            }
        }
    }

    /// Where a drain that starts now stops: consumed_ plus what is queued, at most max. Events that
    /// a nested dispatch or clear (or another consumer) takes count against this call's budget.
    [[nodiscard]] std::uint64_t drain_target(std::size_t max) const noexcept {
        const std::uint64_t consumed = consumed_.load(std::memory_order_acquire);
        const std::uint64_t posted = posted_total(std::memory_order_acquire);
        const std::uint64_t queued = posted > consumed ? posted - consumed : 0u;
        return consumed + std::min<std::uint64_t>(queued, max);
    }

    /// Hands one batch, a cursor made from source, to one make_batch() object, keeping the first
    /// exception in first; counts the batch as delivered and returns its size.
    template<typename MakeBatch, typename... Source>
    std::size_t deliver_batch(MakeBatch &make_batch, exception_slot &first, Source &&...source) {
        std::size_t got;
        {
            cursor from{first, std::forward<Source>(source)...};
            make_batch()(from);
            got = from.inner_.taken();
        }
        if(got != 0u) {
            delivered_.fetch_add(got, std::memory_order_relaxed);
            consumed_.fetch_add(got, std::memory_order_release);
        }
        return got;
    }

    /// Drops up to one batch of queued events; returns how many.
    std::size_t discard_batch() {
        const auto discard = [](inner_cursor &from) noexcept {
            from.take_while([](const Item &) noexcept { return true; }, [](Item &) noexcept {});
            return from.taken();
        };
        if constexpr(Threading::concurrent) {
            batch items;
            inner_cursor from{items, queue_.take(items, batch_size)};
            return discard(from);
        } else {
            inner_cursor from{queue_, batch_size};
            return discard(from);
        }
    }

    static void rethrow_first([[maybe_unused]] exception_slot &first) {
#if EVBUS_HAS_EXCEPTIONS
        if(first) {
            std::rethrow_exception(first);
        }
#endif
    }

    /// Takes back the count of posts that reserve() accepted and that then failed.
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

    queue_type queue_;
    std::atomic<producer_slot *> slots_{nullptr};
    std::size_t capacity_;
    bool block_;
    alignas(line) counter posted_{0u};
    alignas(line) counter consumed_{0u};
    counter delivered_{0u};
    alignas(line) counter rejected_{0u};
    counter discarded_{0u};
    typename Threading::template atomic<bool> closed_{false};
    alignas(line) std::atomic<bool> wakeups_enabled_{false};
    std::atomic<std::uint32_t> sleepers_{0u};
    std::mutex sleep_mutex_;
    std::condition_variable sleep_cv_;
    std::uint64_t wake_epoch_{0u}; // guarded by sleep_mutex_
};

} // namespace evbus::detail

#endif
