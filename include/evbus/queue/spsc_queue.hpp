#ifndef EVBUS_QUEUE_SPSC_QUEUE_HPP
#define EVBUS_QUEUE_SPSC_QUEUE_HPP

/// @file
/// @brief detail::spsc_queue: the post()/dispatch() queue of an evbus::spsc bus or channel: a
/// bounded ring with one producer and one consumer, each side on cache lines of its own.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <new>
#include <thread>
#include <type_traits>
#include <utility>

#include "../config.hpp"
#include "../sync/spin.hpp"
#include "bus_config.hpp"
#include "envelope.hpp"
#include "queue_item.hpp"
#include "queue_stats.hpp"
#include "wakeup.hpp"

#include <exception>

namespace evbus {

/// @brief Slots of the ring of an spsc bus or channel built with an unbounded bus_config (the default).
inline constexpr std::size_t spsc_default_capacity = 4096u;

/// @brief Most slots an spsc ring takes (2^30); a larger bus_config::capacity is errc::invalid_argument.
inline constexpr std::size_t spsc_max_capacity = std::size_t{1} << 30u;

} // namespace evbus

namespace evbus::detail {

/// True for a threading policy whose post queue has one producer and one consumer (evbus::spsc).
template<typename Threading, typename = void>
struct is_spsc: std::false_type {};

template<typename Threading>
struct is_spsc<Threading, std::void_t<decltype(Threading::single_producer)>>
    : std::bool_constant<Threading::single_producer> {};

template<typename Threading>
inline constexpr bool is_spsc_v = is_spsc<Threading>::value;

/// The slots of a ring for a capacity: the next power of two (at least 1); unbounded gives
/// spsc_default_capacity. Zero, or more than spsc_max_capacity, is errc::invalid_argument.
[[nodiscard]] inline std::size_t spsc_ring_size(std::size_t capacity) {
    EVBUS_EXPECT(capacity != 0u, "evbus: capacity must be at least 1 (use evbus::unbounded for no bound)");
    if(capacity == unbounded) {
        return spsc_default_capacity;
    }
    EVBUS_EXPECT(capacity <= spsc_max_capacity,
                 "evbus: an spsc ring holds at most evbus::spsc_max_capacity (2^30) events");
    std::size_t size = 1u;
    while(size < capacity) {
        size <<= 1u;
    }
    return size;
}

/// The spsc lane the calling thread is dispatching (innermost), for a post from its handler
/// into a full ring, which must not wait for itself.
[[nodiscard]] inline const void *&spsc_dispatching_lane() noexcept {
    static thread_local const void *lane = nullptr;
    return lane;
}

inline constexpr const char *spsc_second_producer =
    "evbus::spsc: two threads posted into one spsc lane at the same time (one producer thread at a time; "
    "use evbus::bus for several)";
inline constexpr const char *spsc_second_consumer =
    "evbus::spsc: two threads dispatched or cleared one spsc lane at the same time (one consumer thread at a "
    "time)";

/// EVBUS_DEBUG_CHECKS: which thread is on one side of a lane. Another thread entering while it is
/// there is the misuse named by the message; the same thread may enter again (a handler).
class spsc_side_check {
public:
    class guard {
    public:
        guard(spsc_side_check &check, const char *misuse) noexcept: check_{check} {
            const std::thread::id me = std::this_thread::get_id();
            std::thread::id expected{};
            const bool entered =
                check.owner_.compare_exchange_strong(expected, me, std::memory_order_acq_rel) || expected == me;
            EVBUS_ASSERT(entered, misuse);
            (void)entered;
            (void)misuse;
            ++check.depth_;
        }
        guard(const guard &) = delete;
        guard &operator=(const guard &) = delete;
        ~guard() {
            if(--check_.depth_ == 0u) {
                check_.owner_.store(std::thread::id{}, std::memory_order_release);
            }
        }

    private:
        spsc_side_check &check_;
    };

private:
    std::atomic<std::thread::id> owner_{};
    unsigned depth_{0u}; // written by the owner only
};

/// Where an spsc ring keeps an item: with the position it was written for (plus one) when both fit
/// one cache line, so that a consumer finds a new item from that line alone; else the item only.
template<typename Item>
struct spsc_sequenced_cell {
    std::atomic<std::uint64_t> seq{0u};
    alignas(Item) unsigned char storage[sizeof(Item)];
};

template<typename Item>
inline constexpr bool spsc_sequenced = sizeof(spsc_sequenced_cell<Item>) <= 64u;

/// The smallest power of two at least size (size at most 64).
[[nodiscard]] constexpr std::size_t spsc_cell_stride(std::size_t size) noexcept {
    std::size_t stride = 1u;
    while(stride < size) {
        stride <<= 1u;
    }
    return stride;
}

template<typename Item, bool Sequenced = spsc_sequenced<Item>>
struct spsc_cell {
    alignas(Item) unsigned char storage[sizeof(Item)];
};

template<typename Item>
struct alignas(spsc_cell_stride(sizeof(spsc_sequenced_cell<Item>))) spsc_cell<Item, true>: spsc_sequenced_cell<Item> {};

/// A bounded FIFO ring for one producer thread and one consumer thread. Positions count up
/// without wrapping (64 bits); position p lives in slot p & mask_. The producer writes an item in
/// its slot and publishes tail with a release store; it reads the consumer's position only when
/// its cached copy says the ring is full. The consumer finds what to take by reading tail once per
/// dispatch, or, when a cell holds its item's position too (spsc_sequenced), finds its first chunk
/// by those words (one line per item); it hands items over in their slots and publishes its
/// position once per chunk (up to 64 items), so that the two sides share no cache line but the
/// cells themselves.
template<typename Item>
class spsc_queue {
    using item_traits = queue_item_traits<Item>;
    using cell = spsc_cell<Item>;
    static constexpr bool sequenced = spsc_sequenced<Item>;
    static constexpr std::size_t slot_align = alignof(cell) > 64u ? alignof(cell) : 64u;
    using exception_slot = std::exception_ptr;

public:
    using clock = std::chrono::steady_clock;

    /// Nothing per producer: there is one (kept so that publishers and tokens work alike).
    struct producer_token {};

    /// The events of one chunk, handed over in their slots, as async_queue's cursor does: front()
    /// is the next one (null once the chunk is done); deliver_front(f) and deliver_while(keep, f)
    /// take events and call f on each; an exception from f is kept, and the chunk goes on.
    class cursor {
    public:
        cursor(const cursor &) = delete;
        cursor &operator=(const cursor &) = delete;

        [[nodiscard]] EVBUS_ALWAYS_INLINE const Item *front() noexcept {
            const std::uint64_t read = queue_.consumer_.read;
            if(EVBUS_UNLIKELY(read != position_)) { // a handler dispatched or cleared too
                position_ = read;
            }
            return position_ < end_ ? queue_.slot(position_) : nullptr;
        }

        /// Takes front() (which must be an event) and calls deliver(item).
        template<typename Deliver>
        EVBUS_ALWAYS_INLINE void deliver_front(Deliver &&deliver) noexcept {
            deliver_while([taken = false](const Item &) mutable noexcept { return !std::exchange(taken, true); },
                          deliver);
        }

        /// Takes events from the front while there are some and keep(item) is true, calling
        /// deliver(item) on each, then ending it in its slot.
        template<typename Keep, typename Deliver>
        EVBUS_ALWAYS_INLINE void deliver_while(Keep &&keep, Deliver &&deliver) noexcept {
            spsc_queue &queue = queue_;
            const std::uint64_t end = end_;
            std::uint64_t position = position_;
            std::size_t taken = taken_;
            for(;;) {
                if(EVBUS_UNLIKELY(queue.consumer_.read != position)) {
                    position = queue.consumer_.read; // deliver dispatched or cleared too
                }
                if(position >= end) {
                    break;
                }
                Item *item = queue.slot(position);
                if(!keep(std::as_const(*item))) {
                    break;
                }
                queue.consumer_.read = ++position;
                ++taken;
                EVBUS_TRY { deliver(std::as_const(*item)); }
                EVBUS_CATCH {
                    if(!first_) {
                        first_ = std::current_exception();
                    }
                }
                detail::destroy_item(*item);
            }
            position_ = position;
            taken_ = taken;
        }

    private:
        friend class spsc_queue;

        cursor(spsc_queue &queue, std::uint64_t end, exception_slot &first) noexcept
            : queue_{queue}, position_{queue.consumer_.read}, end_{end}, first_{first} {}

        spsc_queue &queue_;
        std::uint64_t position_;
        std::uint64_t end_;
        std::size_t taken_{0u};
        exception_slot &first_;
    };

    /// A ring of spsc_ring_size(config.capacity) slots.
    explicit spsc_queue(const bus_config &config)
        : size_{spsc_ring_size(config.capacity)}, mask_{size_ - 1u}, chunk_{std::clamp<std::size_t>(size_ / 4u, 1u,
                                                                                                    64u)},
          block_{config.overflow == overflow_policy::block}, cells_{static_cast<cell *>(::operator new(
                                                                 size_ * sizeof(cell), std::align_val_t{slot_align}))} {
        for(std::size_t i = 0u; i < size_; ++i) {
            ::new(static_cast<void *>(cells_ + i)) cell{};
        }
    }

    spsc_queue(const spsc_queue &) = delete;
    spsc_queue &operator=(const spsc_queue &) = delete;

    /// Ends what is still queued (owners drain or clear first) and frees the ring.
    ~spsc_queue() {
        const std::uint64_t tail = producer_.tail.load(std::memory_order_acquire);
        for(std::uint64_t p = consumer_.read; p < tail; ++p) {
            detail::destroy_item(*slot(p));
        }
        static_assert(std::is_trivially_destructible_v<cell>);
        ::operator delete(cells_, std::align_val_t{slot_align});
    }

    [[nodiscard]] producer_token make_token() noexcept { return {}; }

    /// Queues Event{arg}; false (and counted as rejected) when closed, or full and not waiting
    /// (overflow_policy::reject, a deadline passed, or a handler of this lane posting).
    template<typename Event, typename Arg>
    EVBUS_ALWAYS_INLINE bool post(delivery_fn delivery, Arg &&arg, producer_token *, clock::time_point deadline) {
        [[maybe_unused]] const auto side = producer_side_guard();
        const std::uint64_t tail = producer_.tail.load(std::memory_order_relaxed);
        if(EVBUS_UNLIKELY(closed_.load(std::memory_order_relaxed)) ||
           (EVBUS_UNLIKELY(tail - producer_.cached_released >= size_) && !wait_for_room(tail, deadline))) {
            reject(1u);
            return false;
        }
        cell &at = cells_[tail & mask_];
        ::new(static_cast<void *>(at.storage))
            Item(item_traits::template make<Event>(delivery, std::forward<Arg>(arg)));
        if constexpr(sequenced) {
            at.seq.store(tail + 1u, std::memory_order_release);
        }
        producer_.tail.store(tail + 1u, std::memory_order_release);
        wakeup_.posted();
        return true;
    }

    /// Queues the events of [first, last) in order, published at once; returns how many were
    /// accepted. Never waits: a full ring takes what fits and rejects (and counts) the rest.
    template<typename Event, typename It>
    std::size_t post_bulk(delivery_fn delivery, It first, It last, producer_token *) {
        [[maybe_unused]] const auto side = producer_side_guard();
        const auto count = static_cast<std::size_t>(std::distance(first, last));
        if(EVBUS_UNLIKELY(closed_.load(std::memory_order_relaxed))) {
            reject(count);
            return 0u;
        }
        const std::uint64_t tail = producer_.tail.load(std::memory_order_relaxed);
        if(size_ - (tail - producer_.cached_released) < count) {
            producer_.cached_released = released_.released.load(std::memory_order_acquire);
        }
        const std::size_t room = size_ - static_cast<std::size_t>(tail - producer_.cached_released);
        const std::size_t accepted = count < room ? count : room;
        std::size_t built = 0u;
        EVBUS_TRY {
            for(; built < accepted; ++built, ++first) {
                ::new(static_cast<void *>(cells_[(tail + built) & mask_].storage))
                    Item(item_traits::template make<Event>(delivery, *first));
            }
        }
        EVBUS_CATCH { // nothing was published: end what was built, report the exception
            for(std::size_t i = 0u; i < built; ++i) {
                detail::destroy_item(*slot(tail + i));
            }
            EVBUS_RETHROW;
        }
        if(accepted != 0u) {
            if constexpr(sequenced) {
                for(std::size_t i = 0u; i < accepted; ++i) {
                    cells_[(tail + i) & mask_].seq.store(tail + i + 1u, std::memory_order_release);
                }
            }
            producer_.tail.store(tail + accepted, std::memory_order_release);
            wakeup_.posted();
        }
        if(accepted != count) {
            reject(count - accepted);
        }
        return accepted;
    }

    /// Blocks the calling thread until an event is pending, wake_all() is called, cancel is set,
    /// or the deadline passes; true when an event is pending (see wakeup).
    bool wait_until(clock::time_point deadline, const std::atomic<bool> *cancel = nullptr) {
        return wakeup_.wait_until(
            deadline, [this] { return has_pending(); }, cancel);
    }

    /// Wakes every thread blocked in wait_until().
    void wake_all() { wakeup_.wake_all(); }

    /// Hands up to max of the events queued when the call starts, in chunks, to a batch object
    /// that batch_factory() returns for each (called as batch(cursor&)); returns how many this call
    /// delivered. After each chunk the slots go back to the producer. If a delivery throws, the
    /// rest of its chunk is still delivered and the first exception is rethrown; later events stay
    /// queued. A handler may dispatch (taking the events that follow) or clear.
    template<typename BatchFactory>
    std::size_t drain(std::size_t max, BatchFactory &&batch_factory) {
        [[maybe_unused]] const auto side = consumer_side_guard();
        const std::uint64_t start = consumer_.read;
        const std::uint64_t end = max == 0u ? start : drain_end(start, max);
        if(end == start) {
            return 0u;
        }
        const consume_scope scope{*this};
        exception_slot first{};
        std::size_t done = 0u;
        while(consumer_.read < end) {
            std::size_t got;
            {
                cursor from{*this, std::min<std::uint64_t>(end, consumer_.read + chunk_), first};
                batch_factory()(from);
                got = from.taken_;
            }
            done += got;
            released_.delivered.store(released_.delivered.load(std::memory_order_relaxed) + got,
                                      std::memory_order_release);
            release_slots();
            rethrow_first(first);
            if(got == 0u) {
                break;
            }
        }
        return done;
    }

    /// Closes, then drains every queued event with batch_factory (see drain()); for destructors,
    /// so exceptions from handlers are dropped. When the owner cannot deliver (can_deliver false:
    /// out of memory), what is queued is discarded.
    template<typename BatchFactory>
    void shutdown(BatchFactory &&batch_factory, bool can_deliver) noexcept {
        close();
        if(!can_deliver) {
            (void)clear();
            return;
        }
        while(producer_.tail.load(std::memory_order_acquire) > consumer_.read) {
            EVBUS_TRY { (void)drain(unbounded, batch_factory); }
            EVBUS_CATCH {} // a destructor cannot report it
        }
    }

    /// Drops every queued event (a consumer operation); returns how many (counted as discarded).
    std::size_t clear() {
        [[maybe_unused]] const auto side = consumer_side_guard();
        // A consume of its own: from a handler, the slot of the event being delivered is not given
        // back (the outermost dispatch gives it back when done with its chunk).
        const consume_scope scope{*this};
        const std::uint64_t read = consumer_.read;
        const std::uint64_t tail = std::max(read, producer_.tail.load(std::memory_order_acquire));
        for(std::uint64_t p = read; p < tail; ++p) {
            detail::destroy_item(*slot(p));
        }
        consumer_.read = tail;
        const auto dropped = static_cast<std::size_t>(tail - read);
        if(dropped != 0u) {
            released_.discarded.store(released_.discarded.load(std::memory_order_relaxed) + dropped,
                                      std::memory_order_release);
            release_slots();
        }
        return dropped;
    }

    void close() noexcept { closed_.store(true, std::memory_order_release); }

    [[nodiscard]] bool closed() const noexcept { return closed_.load(std::memory_order_acquire); }

    /// The counters; delivered and discarded are read before posted, so pending never underflows.
    [[nodiscard]] queue_stats stats() const noexcept {
        queue_stats out;
        out.delivered = released_.delivered.load(std::memory_order_acquire);
        out.discarded = released_.discarded.load(std::memory_order_acquire);
        out.rejected = producer_.rejected.load(std::memory_order_relaxed);
        const std::uint64_t done = out.delivered + out.discarded;
        // A consumer may take an event by its cell before the producer's position shows it here.
        out.posted = std::max(producer_.tail.load(std::memory_order_acquire), done);
        out.pending = out.posted > done ? out.posted - done : 0u;
        return out;
    }

    /// The ring's slots: bus_config::capacity rounded up to a power of two.
    [[nodiscard]] std::size_t capacity() const noexcept { return size_; }

private:
    /// The consumer's nesting depth (a handler dispatching or clearing), and the lane its
    /// thread dispatches for a blocking post from a handler (see wait_for_room()).
    class consume_scope {
    public:
        explicit consume_scope(spsc_queue &queue) noexcept: queue_{queue} {
            ++queue.consumer_.depth;
            if(queue.block_) {
                previous_ = std::exchange(spsc_dispatching_lane(), &queue);
            }
        }
        consume_scope(const consume_scope &) = delete;
        consume_scope &operator=(const consume_scope &) = delete;
        ~consume_scope() {
            --queue_.consumer_.depth;
            if(queue_.block_) {
                spsc_dispatching_lane() = previous_;
            }
        }

    private:
        spsc_queue &queue_;
        const void *previous_{nullptr};
    };

#if EVBUS_DEBUG_CHECKS
    [[nodiscard]] spsc_side_check::guard producer_side_guard() noexcept {
        return {producer_check_, spsc_second_producer};
    }
    [[nodiscard]] spsc_side_check::guard consumer_side_guard() noexcept {
        return {consumer_check_, spsc_second_consumer};
    }
#else
    struct no_guard {};
    [[nodiscard]] static constexpr no_guard producer_side_guard() noexcept { return {}; }
    [[nodiscard]] static constexpr no_guard consumer_side_guard() noexcept { return {}; }
#endif

    /// Where a drain from start stops: the events published when it starts, at most max, found
    /// before any handler runs. Sequenced cells: the first chunk is found by its cells' words (one
    /// line per event, not the producer's position and then the cell), and the producer's
    /// position is read only when that chunk comes out full.
    [[nodiscard]] std::uint64_t drain_end(std::uint64_t start, std::size_t max) const noexcept {
        std::uint64_t found = start;
        if constexpr(sequenced) {
            const std::uint64_t limit = start + std::min<std::uint64_t>(chunk_, max);
            while(found != limit && cells_[found & mask_].seq.load(std::memory_order_acquire) == found + 1u) {
                ++found;
            }
            if(found != limit || max <= chunk_) {
                return found;
            }
        }
        // Events before tail were written before it was published; it may lag what the cells show.
        const std::uint64_t tail = producer_.tail.load(std::memory_order_acquire);
        const std::uint64_t queued = tail > start ? tail - start : 0u;
        return std::max(found, start + std::min<std::uint64_t>(queued, max));
    }

    [[nodiscard]] EVBUS_ALWAYS_INLINE Item *slot(std::uint64_t position) const noexcept {
        return std::launder(reinterpret_cast<Item *>(cells_[position & mask_].storage));
    }

    /// The ring was full as cached: reads the consumer's position, and while there is no room
    /// waits (overflow_policy::block) until there is, the lane closes or the deadline passes. A
    /// thread dispatching this lane (a handler) never waits: it is the one that would make room.
    EVBUS_COLD bool wait_for_room(std::uint64_t tail, clock::time_point deadline) {
        for(backoff wait;;) {
            producer_.cached_released = released_.released.load(std::memory_order_acquire);
            if(tail - producer_.cached_released < size_) {
                return true;
            }
            if(!block_ || spsc_dispatching_lane() == this || closed_.load(std::memory_order_relaxed) ||
               (deadline != clock::time_point::max() && clock::now() >= deadline)) {
                return false;
            }
            wait();
        }
    }

    /// Gives the slots taken so far back to the producer; only the outermost consume does, since
    /// the slot of an event a handler is running for must not be reused under it.
    void release_slots() noexcept {
        if(consumer_.depth <= 1u) {
            released_.released.store(consumer_.read, std::memory_order_release);
        }
    }

    void reject(std::size_t count) noexcept {
        producer_.rejected.store(producer_.rejected.load(std::memory_order_relaxed) + count, std::memory_order_relaxed);
    }

    /// Whether an accepted post is not yet taken (seq_cst: pairs with a sleeper's check).
    [[nodiscard]] bool has_pending() const noexcept {
        const std::uint64_t released = released_.released.load(std::memory_order_seq_cst);
        return producer_.tail.load(std::memory_order_seq_cst) > released;
    }

    static void rethrow_first(exception_slot &first) {
        if(EVBUS_HAS_EXCEPTIONS && first) {
            std::rethrow_exception(first);
        }
    }

    // Read by both sides, written only at construction and by close().
    alignas(64) const std::size_t size_;
    const std::size_t mask_;
    const std::size_t chunk_; // items per chunk: the consumer publishes its position once per chunk
    const bool block_;
    std::atomic<bool> closed_{false};
    cell *const cells_;

    // Written by the producer.
    struct alignas(64) producer_state {
        std::atomic<std::uint64_t> tail{0u};     // positions published to the consumer
        std::uint64_t cached_released{0u};       // the consumer's position as last read
        std::atomic<std::uint64_t> rejected{0u}; // refused posts (stats)
    } producer_;

    // Written by the consumer on every event; never read by the producer.
    struct alignas(64) consumer_state {
        std::uint64_t read{0u}; // the next position to take
        unsigned depth{0u};     // nested consumes (handlers)
    } consumer_;

    // Written by the consumer once per chunk; the producer reads released only when its cached copy
    // says the ring is full, which must not take the line the consumer writes on every event.
    struct alignas(64) release_state {
        std::atomic<std::uint64_t> released{0u};  // positions given back to the producer
        std::atomic<std::uint64_t> delivered{0u}; // stats
        std::atomic<std::uint64_t> discarded{0u}; // stats
    } released_;

    wakeup wakeup_; // its flag read on every post sits on a line of its own

    // Used only with EVBUS_DEBUG_CHECKS, but always there: the layout does not depend on the switch.
    alignas(64) spsc_side_check producer_check_;
    alignas(64) spsc_side_check consumer_check_;
};

} // namespace evbus::detail

#endif
