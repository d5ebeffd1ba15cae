#ifndef EVBUS_QUEUE_ASYNC_QUEUE_HPP
#define EVBUS_QUEUE_ASYNC_QUEUE_HPP

/// @file
/// @brief detail::async_queue: the post()/dispatch() queue of a bus or channel: it builds items,
/// queues them, and hands them out in batches; post_counter counts and bounds them, wakeup
/// puts consumers to sleep.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <type_traits>
#include <utility>

#include "../config.hpp"
#include "bus_config.hpp"
#include "envelope.hpp"
#include "local_queue.hpp"
#include "mpmc_queue.hpp"
#include "post_counter.hpp"
#include "queue_item.hpp"
#include "queue_stats.hpp"
#include "thread_tokens.hpp"
#include "wakeup.hpp"

#include <exception>

namespace evbus::detail {

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

/// Item is what the queue stores: an envelope (a bus) or an event type (a channel).
template<typename Threading, typename Item>
class async_queue {
    using queue_type = std::conditional_t<Threading::concurrent, mpmc_queue<Item>, local_queue<Item>>;
    using item_traits = queue_item_traits<Item>;
    using batch = item_batch<Item>;
    using counter_type = post_counter<Threading>;
    using producer_slot = typename counter_type::producer_slot;
    static constexpr std::size_t batch_size = batch::capacity;
    using inner_cursor =
        std::conditional_t<Threading::concurrent, batch_cursor<Item>, typename local_queue<Item>::cursor>;

    /// The first exception a drain caught (always null without exceptions).
    using exception_slot = std::exception_ptr;

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
                EVBUS_TRY { deliver(std::as_const(item)); }
                EVBUS_CATCH {
                    if(!first_) {
                        first_ = std::current_exception();
                    }
                }
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

        void release() noexcept { counter_type::release_slot(slot_); }

        inner_type inner_;
        producer_slot *slot_;
    };

    explicit async_queue(const bus_config &config): counter_{config} {}

    async_queue(const async_queue &) = delete;
    async_queue &operator=(const async_queue &) = delete;

    /// Frees what is still queued (owners drain or clear first; this only reclaims memory).
    ~async_queue() { (void)clear(); }

    [[nodiscard]] producer_token make_token() {
        producer_slot *slot = counter_.acquire_slot();
        return producer_token{queue_.make_token(), slot};
    }

    /// Queues Event{arg}; false (and counted as rejected) when closed, full, or timed out. Without a
    /// token, multi_thread posts go through the calling thread's own (made on its first post).
    template<typename Event, typename Arg>
    bool post(delivery_fn delivery, Arg &&arg, producer_token *token, clock::time_point deadline) {
        if constexpr(Threading::concurrent) {
            if(token == nullptr) {
                token = thread_token();
            }
        }
        producer_slot *slot = token ? token->slot_ : nullptr;
        if(EVBUS_UNLIKELY(!counter_.reserve(deadline, slot))) {
            counter_.reject();
            return false;
        }
        bool queued;
        if constexpr(Threading::concurrent) {
            queued = token ? enqueue_new<Event>(delivery, std::forward<Arg>(arg), *token, slot)
                           : enqueue_new<Event>(delivery, std::forward<Arg>(arg), slot);
        } else { // built in its slot (docs/benchmarks.md, "Code layout on the hot path")
            queued = queue_.emplace([&] { return make<Event>(delivery, std::forward<Arg>(arg), slot); });
        }
        if(EVBUS_UNLIKELY(!queued)) { // the queue could not allocate
            counter_.unreserve(slot);
            counter_.reject();
            return false;
        }
        if constexpr(Threading::concurrent) {
            wakeup_.posted();
        }
        return true;
    }

    /// Queues the events of [first, last) in order, in chunks of up to 64 per enqueue;
    /// returns how many were accepted. Never waits: on a full bounded queue it takes
    /// what fits and rejects (and counts) the rest; all are rejected once closed.
    template<typename Event, typename It>
    std::size_t post_bulk(delivery_fn delivery, It first, It last, producer_token *token) {
        if constexpr(Threading::concurrent) {
            if(token == nullptr) {
                token = thread_token();
            }
        }
        std::size_t accepted = 0;
        batch chunk;
        while(first != last) {
            std::size_t want = 0;
            for(It probe = first; probe != last && want < batch_size; ++probe) {
                ++want;
            }
            producer_slot *slot = token ? token->slot_ : nullptr;
            const std::size_t room = counter_.reserve_up_to(want, slot);
            std::size_t built = 0;
            EVBUS_TRY {
                for(; built < room; ++built, ++first) {
                    ::new(static_cast<void *>(chunk.at(built)))
                        Item(item_traits::template make<Event>(delivery, *first));
                }
            }
            EVBUS_CATCH {
                for(std::size_t i = 0; i < built; ++i) {
                    detail::destroy_item(chunk[i]);
                }
                counter_.unreserve(slot, room);
                EVBUS_RETHROW;
            }
            std::size_t queued = 0;
            if(room != 0u) {
                queued = enqueue_chunk(chunk, room, token);
                for(std::size_t i = 0; i < room; ++i) {
                    if(i < queued) {
                        chunk[i].~Item(); // moved from: the queued copy owns the payload now
                    } else {              // the queue could not allocate
                        detail::destroy_item(chunk[i]);
                    }
                }
                if(queued < room) {
                    counter_.unreserve(slot, room - queued);
                }
            }
            accepted += queued;
            if(queued < room || room < want) { // closed, full or out of memory: the rest is rejected
                const auto rest = static_cast<std::uint64_t>(std::distance(first, last)) + (room - queued);
                counter_.reject(rest);
                break;
            }
        }
        if constexpr(Threading::concurrent) {
            if(accepted != 0u) {
                wakeup_.posted();
            }
        }
        return accepted;
    }

    /// Blocks the calling thread until an event is pending, wake_all() is called, cancel is set,
    /// or the deadline passes; true when an event is pending. While no thread has ever waited,
    /// posting pays nothing for this.
    bool wait_until(clock::time_point deadline, const std::atomic<bool> *cancel = nullptr) {
        static_assert(Threading::concurrent, "evbus: waiting for posts needs a multi_thread bus or channel");
        return wakeup_.wait_until(
            deadline, [this] { return counter_.has_pending(); }, cancel);
    }

    /// Wakes every thread blocked in wait_until().
    void wake_all() { wakeup_.wake_all(); }

    /// Hands up to max queued events, in batches, to a batch object that batch_factory() returns
    /// for each (it holds what the batch's deliveries share, such as a read section), called as
    /// batch(cursor&) on this thread; returns how many this call delivered. Events posted after
    /// the call starts wait for the next call. If a delivery throws, the rest of the current
    /// batch is still delivered and the first exception is rethrown; later events stay queued.
    template<typename BatchFactory>
    std::size_t drain(std::size_t max, BatchFactory &&batch_factory) {
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
            const std::uint64_t target = got < want ? 0u : counter_.drain_target(max);
            for(;;) {
                done += deliver_batch(batch_factory, first, items, got);
                rethrow_first(first);
                const std::uint64_t now = counter_.consumed();
                if(now >= target) {
                    break;
                }
                got = queue_.take(items, static_cast<std::size_t>(std::min<std::uint64_t>(batch_size, target - now)));
                if(got == 0u) {
                    break;
                }
            }
        } else {
            const std::uint64_t target = counter_.drain_target(max);
            for(std::uint64_t now; (now = counter_.consumed()) < target;) {
                const std::size_t got =
                    deliver_batch(batch_factory, first, queue_,
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

    /// Closes, then drains every queued event with batch_factory (see drain()); for destructors,
    /// so exceptions from handlers are dropped (the remaining events still go out). When the
    /// owner cannot deliver (can_deliver false: out of memory), what is queued is discarded.
    template<typename BatchFactory>
    void shutdown(BatchFactory &&batch_factory, bool can_deliver) noexcept {
        close();
        if(!can_deliver) {
            (void)clear();
            return;
        }
        while(stats().pending != 0u) {
            EVBUS_TRY { drain(unbounded, batch_factory); }
            EVBUS_CATCH {} // a destructor cannot report it
        }
    }

    /// Drops every queued event; returns how many (counted as discarded).
    std::size_t clear() {
        std::size_t total = 0;
        for(std::size_t got; (got = discard_batch()) != 0u; total += got) {
            counter_.discarded(got);
        }
        return total;
    }

    void close() noexcept { counter_.close(); }

    [[nodiscard]] bool closed() const noexcept { return counter_.closed(); }

    [[nodiscard]] queue_stats stats() const noexcept { return counter_.stats(); }

    [[nodiscard]] std::size_t capacity() const noexcept { return counter_.capacity(); }

    /// Number of threads that posted without a token and have not exited (multi_thread; for tests).
    [[nodiscard]] std::size_t thread_token_count() const {
        static_assert(Threading::concurrent, "evbus: only multi_thread queues keep thread tokens");
        return thread_tokens_.size();
    }

private:
    /// The calling thread's token (multi_thread); null after the thread's tokens were given back.
    EVBUS_ALWAYS_INLINE producer_token *thread_token() {
        return thread_tokens_.local([this] { return make_token(); });
    }

    /// Builds Event{arg} and queues it through token; false if the queue could not allocate.
    // Flattened (GCC; Clang inlines one level): moodycamel's explicit enqueue is inlined here, and
    // the item goes from registers into its slot. Out of line, it went through the stack, and the
    // enqueue's 16-byte load of it waited for the 8-byte stores that built it (a store cannot
    // forward to a wider load): about 2-3 ns of a post (docs/benchmarks.md, "spsc lanes").
    // A token whose producer could not be allocated (out of memory when it was made) posts without
    // it, through the thread's implicit producer, every time: its posts keep their order.
    template<typename Event, typename Arg>
    EVBUS_FLATTEN bool enqueue_new(delivery_fn delivery, Arg &&arg, producer_token &token, producer_slot *slot) {
        if(EVBUS_UNLIKELY(!token.inner_.valid())) {
            return enqueue_untokened<Event>(delivery, std::forward<Arg>(arg), slot);
        }
        Item item = make<Event>(delivery, std::forward<Arg>(arg), slot);
        if(EVBUS_UNLIKELY(!queue_.enqueue(token.inner_, std::move(item)))) {
            item_traits::release(item);
            return false;
        }
        return true;
    }

    /// enqueue_new() without a token (a thread whose tokens were given back at its exit).
    template<typename Event, typename Arg>
    bool enqueue_new(delivery_fn delivery, Arg &&arg, producer_slot *slot) {
        Item item = make<Event>(delivery, std::forward<Arg>(arg), slot);
        if(EVBUS_UNLIKELY(!queue_.enqueue(std::move(item)))) {
            item_traits::release(item);
            return false;
        }
        return true;
    }

    /// enqueue_new() without a token, kept out of the flattened post of a token whose producer
    /// could not be allocated (the implicit producer's enqueue is large, and this path is rare).
    template<typename Event, typename Arg>
    [[gnu::noinline, gnu::cold]] bool enqueue_untokened(delivery_fn delivery, Arg &&arg, producer_slot *slot) {
        return enqueue_new<Event>(delivery, std::forward<Arg>(arg), slot);
    }

    /// Item for Event{arg}; if building it throws, takes back the post reserve() counted.
    template<typename Event, typename Arg>
    Item make(delivery_fn delivery, Arg &&arg, producer_slot *slot) {
        EVBUS_TRY { return item_traits::template make<Event>(delivery, std::forward<Arg>(arg)); }
        EVBUS_CATCH {
            counter_.unreserve(slot);
            EVBUS_RETHROW;
        }
    }

    /// Queues chunk[0, room) in order (moving from it); returns how many went in (fewer only when the
    /// queue could not allocate). Through a valid token (multi_thread), one enqueue each: written so
    /// when moodycamel's explicit enqueue_bulk tripped GCC 12's false -Wstringop-overflow
    /// (concurrentqueue issue #456). That warning came from the path of an invalid token, which is
    /// now excluded; this loop was not measured against the bulk call since.
    std::size_t enqueue_chunk(batch &chunk, std::size_t room, [[maybe_unused]] producer_token *token) {
        if constexpr(Threading::concurrent) {
            if(token != nullptr && token->inner_.valid()) {
                std::size_t done = 0;
                while(done < room && queue_.enqueue(token->inner_, std::move(chunk[done]))) {
                    ++done;
                }
                return done;
            }
        }
        return queue_.enqueue_bulk(std::make_move_iterator(&chunk[0]), room) ? room : 0u;
    }

    /// Hands one batch, a cursor made from source, to one batch_factory() object, keeping the first
    /// exception in first; counts the batch as delivered and returns its size.
    template<typename BatchFactory, typename... Source>
    std::size_t deliver_batch(BatchFactory &batch_factory, exception_slot &first, Source &&...source) {
        std::size_t got;
        {
            cursor from{first, std::forward<Source>(source)...};
            batch_factory()(from);
            got = from.inner_.taken();
        }
        if(got != 0u) {
            counter_.delivered(got);
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

    static void rethrow_first(exception_slot &first) {
        if(EVBUS_HAS_EXCEPTIONS && first) {
            std::rethrow_exception(first);
        }
    }

    queue_type queue_;
    counter_type counter_;
    wakeup_for<Threading> wakeup_;
    // Last, so destroyed first: the tokens belong to queue_ and hold slots of counter_.
    std::conditional_t<Threading::concurrent, thread_token_owner<producer_token>, no_thread_tokens> thread_tokens_;
};

} // namespace evbus::detail

#endif
