#ifndef EVBUS_TIME_SCHEDULER_HPP
#define EVBUS_TIME_SCHEDULER_HPP

/// @file
/// @brief evbus::scheduler: delayed and periodic events, posted into a bus on real or simulated time.

#include <atomic>
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include "../config.hpp"
#include "../core/bus.hpp"
#include "../core/subscription.hpp"
#include "../core/threading.hpp"
#include "timer.hpp"
#include "timer_source.hpp"
#include "timer_stats.hpp"

namespace evbus {

/// @brief What a periodic timer does when it falls behind (a stalled loop, a debugger, a jump of
/// simulated time): several of its occurrences are due at one poll.
enum class catch_up {
    /// Posts one event for the whole run of missed occurrences and counts the others in
    /// stats().skipped; the next one is due on the original grid (start + k * period). The default.
    once,
    /// Posts every missed occurrence, each in its deadline order among the other timers.
    each,
};

namespace detail {

template<typename... Types>
struct type_list {};

/// The bus threading policies a scheduler can post into; the scheduler stores which one its bus
/// has, so one scheduler type serves them all. A new policy (spsc) is added here.
using scheduler_threadings = type_list<multi_thread, single_thread, spsc>;

template<typename Type, typename List>
struct index_in;

template<typename Type, typename... Rest>
struct index_in<Type, type_list<Type, Rest...>>: std::integral_constant<std::size_t, 0u> {};

template<typename Type, typename First, typename... Rest>
struct index_in<Type, type_list<First, Rest...>>
    : std::integral_constant<std::size_t, 1u + index_in<Type, type_list<Rest...>>::value> {};

template<typename Type, typename List>
struct contains;

template<typename Type, typename... Types>
struct contains<Type, type_list<Types...>>: std::bool_constant<(std::is_same_v<Type, Types> || ...)> {};

/// Posts the event stored at event into the bus at target; try_only: never wait for room.
using timer_post_fn = bool (*)(void *target, void *event, bool try_only);
using timer_destroy_fn = void (*)(void *event) noexcept;

/// Where a timer keeps its event: inline when it fits (most events: ticks, fills, small structs),
/// else on the heap (one allocation per schedule, freed when the timer ends).
struct timer_storage {
    static constexpr std::size_t inline_size = 48u;
    static constexpr std::size_t inline_align = 16u;

    template<typename Event>
    static constexpr bool fits_inline = sizeof(Event) <= inline_size && alignof(Event) <= inline_align;

    alignas(inline_align) unsigned char bytes[inline_size];
};

/// The type-dependent operations of a timer of Event: one function pointer each, chosen at schedule.
template<typename Event>
struct timer_event {
    [[nodiscard]] static Event &get(void *storage) noexcept {
        if constexpr(timer_storage::fits_inline<Event>) {
            return *std::launder(reinterpret_cast<Event *>(storage));
        } else {
            Event *heap;
            std::memcpy(&heap, storage, sizeof(heap));
            return *heap;
        }
    }

    template<typename Arg>
    static void emplace(void *storage, Arg &&arg) {
        if constexpr(timer_storage::fits_inline<Event>) {
            ::new(storage) Event(std::forward<Arg>(arg));
        } else {
            Event *heap = new Event(std::forward<Arg>(arg));
            std::memcpy(storage, &heap, sizeof(heap));
        }
    }

    static void destroy(void *storage) noexcept {
        if constexpr(timer_storage::fits_inline<Event>) {
            get(storage).~Event();
        } else {
            delete &get(storage);
        }
    }

    template<typename Threading, typename Arg>
    static bool post(void *target, Arg &&event, bool try_only) {
        auto &bus = *static_cast<basic_bus<Threading> *>(target);
        if constexpr(Threading::concurrent) {
            if(try_only) { // an overflow_policy::block bus: refuse rather than wait (see docs/time.md)
                return bus.post_for(std::forward<Arg>(event), std::chrono::nanoseconds{0});
            }
        }
        (void)try_only;
        return bus.post(std::forward<Arg>(event));
    }

    /// A one-shot timer's post: the event moves into the bus.
    template<typename Threading>
    static bool post_move(void *target, void *storage, bool try_only) {
        return post<Threading>(target, std::move(get(storage)), try_only);
    }

    /// A periodic timer's post: a copy goes into the bus, the timer keeps its event.
    template<typename Threading>
    static bool post_copy(void *target, void *storage, bool try_only) {
        return post<Threading>(target, static_cast<const Event &>(get(storage)), try_only);
    }
};

template<typename Event, typename List>
struct timer_move_posts;

template<typename Event, typename... Threadings>
struct timer_move_posts<Event, type_list<Threadings...>> {
    static constexpr timer_post_fn table[] = {&timer_event<Event>::template post_move<Threadings>...};
};

template<typename Event, typename List>
struct timer_copy_posts;

template<typename Event, typename... Threadings>
struct timer_copy_posts<Event, type_list<Threadings...>> {
    static constexpr timer_post_fn table[] = {&timer_event<Event>::template post_copy<Threadings>...};
};

/// One timer: its event, how to post it, and for a periodic timer its grid (first + period * k).
/// What firing a one-shot timer reads (its generation, post and an inline event) shares the first
/// cache line; the rest is read by periodic timers, cancel and the slot bookkeeping.
template<typename Clock>
struct alignas(64) timer_slot: timer_slot_base {
    timer_post_fn post{nullptr};
    timer_storage storage;
    timer_destroy_fn destroy{nullptr};
    typename Clock::time_point first{};
    typename Clock::duration period{}; // zero: a one-shot timer
    std::uint64_t occurrence{0u};      // periodic: the k of the next deadline
    catch_up policy{catch_up::once};
    std::uint32_t index{0u};
    timer_slot *buried_next{nullptr}; // in the scheduler's graveyard: the next slot freed outside the lock
};

/// A subscription of this type tells the scheduler whether its bus is still alive.
struct scheduler_guard {};

/// A scheduler's state, shared with its timer handles (timer_owner's reference count) so that a
/// handle may outlive the scheduler. An indexed binary min-heap keyed by (deadline, sequence)
/// orders the pending timers; slots live in fixed chunks (stable addresses for the handles) and
/// freed ones are reused, so steady state allocates nothing.
template<typename Clock>
class scheduler_core final: public timer_owner, public timer_source {
public:
    using time_point = typename Clock::time_point;
    using duration = typename Clock::duration;
    using rep = typename duration::rep;
    using slot = timer_slot<Clock>;

    static_assert(std::is_arithmetic_v<rep>, "evbus::scheduler<Clock>: Clock's rep must be an arithmetic type");

    template<typename Threading>
    explicit scheduler_core(basic_bus<Threading> &target)
        : target_{&target}, kind_{index_in<Threading, scheduler_threadings>::value},
          try_only_{Threading::concurrent && target.config().overflow == overflow_policy::block},
          guard_{target.template subscribe<scheduler_guard>([](const scheduler_guard &) {})} {
        if constexpr(Threading::concurrent) {
            wake_ = [](void *bus) { static_cast<basic_bus<Threading> *>(bus)->wake_waiters(); };
            wait_ = [](void *bus, std::chrono::nanoseconds timeout, const std::atomic<bool> &cancel) {
                (void)static_cast<basic_bus<Threading> *>(bus)->wait_for(timeout, cancel);
            };
        }
    }

    template<typename Event, bool Periodic, typename Arg>
    timer schedule(time_point deadline, Arg &&event, duration period, catch_up policy) {
        slot *s;
        std::uint64_t generation;
        bool earliest;
        {
            std::lock_guard<std::mutex> lock{mutex_};
            const std::uint32_t index = acquire_slot();
            s = &at(index);
            EVBUS_TRY { timer_event<Event>::emplace(s->storage.bytes, std::forward<Arg>(event)); }
            EVBUS_CATCH {
                free_.push_back(index);
                EVBUS_RETHROW;
            }
            if constexpr(Periodic) {
                s->post = timer_copy_posts<Event, scheduler_threadings>::table[kind_];
            } else {
                s->post = timer_move_posts<Event, scheduler_threadings>::table[kind_];
            }
            s->destroy = &timer_event<Event>::destroy;
            s->first = deadline;
            s->period = period;
            s->occurrence = 0u;
            s->policy = policy;
            position_[index] = static_cast<std::uint32_t>(heap_.size());
            heap_.push_back(entry{deadline, sequence_++, index, Periodic,
                                  timer_storage::fits_inline<Event> && std::is_trivially_destructible_v<Event>});
            sift_up(heap_.size() - 1u);
            earliest = position_[index] == 0u;
            if(earliest) {
                earliest_.store(deadline.time_since_epoch().count(), std::memory_order_seq_cst);
            }
            ++stats_.scheduled;
            generation = s->generation.load(std::memory_order_relaxed);
        }
        if(earliest) {
            wake_sleeper();
        }
        return timer{this, s, generation};
    }

    /// Nothing due: one atomic load and a compare, no lock.
    EVBUS_ALWAYS_INLINE std::size_t poll_until(time_point now) {
        if(now.time_since_epoch().count() < earliest_.load(std::memory_order_acquire)) {
            return 0u;
        }
        return fire(now);
    }

    /// O(1) and, unless nothing is pending, without the lock: earliest_ mirrors the heap's top.
    [[nodiscard]] std::optional<time_point> next_deadline() const {
        const rep next = earliest_.load(std::memory_order_acquire);
        if(EVBUS_LIKELY(next != never)) {
            return time_point{duration{next}};
        }
        std::lock_guard<std::mutex> lock{mutex_}; // empty, or a timer at time_point::max()
        if(heap_.empty()) {
            return std::nullopt;
        }
        return heap_.front().deadline;
    }

    [[nodiscard]] timer_stats stats() const {
        std::lock_guard<std::mutex> lock{mutex_};
        timer_stats copy = stats_;
        copy.pending = heap_.size();
        return copy;
    }

    bool cancel(timer_slot_base &base, std::uint64_t generation) noexcept override {
        slot &s = static_cast<slot &>(base);
        {
            std::lock_guard<std::mutex> lock{mutex_};
            if(s.generation.load(std::memory_order_relaxed) != generation) {
                return false; // it ended while this thread waited for the lock
            }
            const std::uint32_t pos = position_[s.index];
            const bool trivial = heap_[pos].trivial;
            erase(pos);
            retire(s);
            ++stats_.cancelled;
            publish_earliest();
            if(trivial) { // nothing to destroy: the slot is free at once
                free_.push_back(s.index);
                return true;
            }
        }
        bury(s);
        return true;
    }

    /// The scheduler is being destroyed: pending events are destroyed, handles become inactive.
    /// Runs on the scheduler's thread, which may unsubscribe from the bus (an st_bus too).
    void shutdown() noexcept {
        guard_.reset();
        std::vector<entry> pending;
        {
            std::lock_guard<std::mutex> lock{mutex_};
            pending.swap(heap_);
            for(const entry &e: pending) {
                retire(at(e.slot));
            }
            earliest_.store(never, std::memory_order_seq_cst);
        }
        for(const entry &e: pending) { // outside the lock: an event may own a timer of this scheduler
            slot &s = at(e.slot);
            s.destroy(s.storage.bytes);
        }
    }

    std::size_t poll_due() override { return poll_until(Clock::now()); }

    void sleep(const std::atomic<bool> &stop) override {
        interrupt_.store(false, std::memory_order_seq_cst);
        sleeping_.store(true, std::memory_order_seq_cst);
        if(!stop.load(std::memory_order_seq_cst) && wait_) {
            // A timer scheduled from now on either is seen here (earliest_) or sees sleeping_ and
            // interrupts: the seq_cst stores and loads on both sides pair.
            const rep next = earliest_.load(std::memory_order_seq_cst);
            std::chrono::nanoseconds timeout = max_sleep;
            if(next != never) {
                // Compared before subtracting: an unsigned rep, or a deadline far in the past, must
                // not wrap into a long sleep.
                const time_point due{duration{next}};
                const time_point now = Clock::now();
                if(!(now < due)) {
                    timeout = std::chrono::nanoseconds::zero();
                } else if(std::chrono::duration<double>(due - now) < std::chrono::duration<double>(max_sleep)) {
                    timeout = std::chrono::ceil<std::chrono::nanoseconds>(due - now);
                }
            }
            if(timeout > std::chrono::nanoseconds::zero()) {
                wait_(target_, timeout, interrupt_);
            }
        }
        sleeping_.store(false, std::memory_order_relaxed);
    }

    void interrupt() override {
        interrupt_.store(true, std::memory_order_seq_cst);
        if(wake_) {
            wake_(target_);
        }
    }

    [[nodiscard]] const void *target() const noexcept override { return target_; }

private:
    struct entry {
        time_point deadline;
        std::uint64_t sequence;
        std::uint32_t slot;
        bool periodic; // fire() tells one-shot timers from periodic ones without reading the slot
        bool trivial;  // the event is inline and trivially destructible: it ends under the lock
    };

    static constexpr std::uint32_t chunk_bits = 6u;
    static constexpr std::uint32_t chunk_size = 1u << chunk_bits;
    static constexpr rep never = std::numeric_limits<rep>::max();
    static constexpr std::chrono::nanoseconds max_sleep = std::chrono::hours{24};

    ~scheduler_core() override = default;

    [[nodiscard]] slot &at(std::uint32_t index) noexcept {
        return chunks_[index >> chunk_bits][index & (chunk_size - 1u)];
    }

    /// A free slot; a full set of slots grows by one chunk, with room reserved in every vector so
    /// that nothing else allocates until the next chunk. Strong guarantee.
    std::uint32_t acquire_slot() {
        // The graveyard first: its slots were freed last and are the likeliest to be in the cache.
        if(graveyard_.load(std::memory_order_relaxed) != nullptr) {
            for(slot *buried = graveyard_.exchange(nullptr, std::memory_order_acquire); buried != nullptr;
                buried = buried->buried_next) {
                free_.push_back(buried->index); // room reserved when its chunk came
            }
        }
        if(EVBUS_UNLIKELY(free_.empty())) {
            const std::size_t total = (chunks_.size() + 1u) * chunk_size;
            EVBUS_EXPECT(total <= std::numeric_limits<std::uint32_t>::max(), "evbus::scheduler: too many timers");
            grow(heap_, total);
            grow(position_, total);
            grow(free_, total);
            grow(chunks_, chunks_.size() + 1u);
            auto chunk = std::make_unique<slot[]>(chunk_size);
            const auto base = static_cast<std::uint32_t>(chunks_.size() * chunk_size);
            for(std::uint32_t i = 0; i < chunk_size; ++i) {
                chunk[i].index = base + i;
                free_.push_back(base + chunk_size - 1u - i); // lowest index on top
            }
            position_.resize(total);
            chunks_.push_back(std::move(chunk));
        }
        const std::uint32_t index = free_.back();
        free_.pop_back();
        return index;
    }

    /// Room for total elements, growing geometrically.
    template<typename Vector>
    static void grow(Vector &vector, std::size_t total) {
        if(vector.capacity() < total) {
            vector.reserve(std::max(total, 2u * vector.capacity()));
        }
    }

    /// Under the lock: the timer of s ended, its handles see it inactive. Its event is destroyed
    /// later, without the lock (bury), since destroying it may call into this scheduler (an event
    /// that owns a timer); the slot is reused only after that.
    /// Only this function writes a generation, always under the lock: a plain increment, not a
    /// read-modify-write (which would drain the store buffer on x86).
    void retire(slot &s) noexcept {
        s.generation.store(s.generation.load(std::memory_order_relaxed) + 1u, std::memory_order_release);
    }

    /// Without the lock: destroys the event of a retired slot, then puts the slot in the graveyard,
    /// a lock-free stack that acquire_slot() empties into free_ under the lock (pushes and a
    /// take-all exchange only: no ABA).
    void bury(slot &s) noexcept {
        s.destroy(s.storage.bytes);
        s.buried_next = graveyard_.load(std::memory_order_relaxed);
        while(!graveyard_.compare_exchange_weak(s.buried_next, &s, std::memory_order_release,
                                                std::memory_order_relaxed)) {
        }
    }

    /// In fire(), under the lock: retires the slot at index; unless its event needs no
    /// destruction (trivial), its burial follows when fire() returns or throws.
    void end(std::uint32_t index, bool trivial) noexcept {
        retire(at(index));
        if(trivial) { // nothing to destroy: the slot is free at once
            free_.push_back(index);
        } else {
            dead_.push_back(index); // room reserved at the start of fire()
        }
    }

    /// Buries, once fire() has released the lock, the timers that fire() ended.
    struct burial {
        explicit burial(scheduler_core &owner) noexcept: core{owner} {}
        burial(const burial &) = delete;
        burial &operator=(const burial &) = delete;
        ~burial() {
            if(core.dead_.empty()) {
                return;
            }
            // Destroys the events, chains the slots, and hands the chain to the graveyard in one
            // exchange. Only fire() touches dead_, and polls run one at a time.
            slot *chain = nullptr;
            for(const std::uint32_t index: core.dead_) {
                slot &s = core.at(index);
                s.destroy(s.storage.bytes);
                s.buried_next = chain;
                chain = &s;
            }
            slot &last = core.at(core.dead_.front());
            last.buried_next = core.graveyard_.load(std::memory_order_relaxed);
            while(!core.graveyard_.compare_exchange_weak(last.buried_next, chain, std::memory_order_release,
                                                         std::memory_order_relaxed)) {
            }
            core.dead_.clear();
        }
        scheduler_core &core;
    };

    /// How many whole periods from due to now (now not before due), without overflowing rep.
    [[nodiscard]] static std::uint64_t periods_between(time_point due, time_point now, duration period) noexcept {
        const duration zero = duration::zero();
        if(due.time_since_epoch() < zero && now.time_since_epoch() >= zero) { // the difference may not fit
            return static_cast<std::uint64_t>(now.time_since_epoch() / period) +
                   static_cast<std::uint64_t>((zero - due.time_since_epoch()) / period);
        }
        return static_cast<std::uint64_t>((now - due) / period);
    }

    /// The largest k for which first + k * period is a time_point (not past time_point::max()).
    [[nodiscard]] static std::uint64_t periods_left(time_point first, duration period) noexcept {
        const rep start = first.time_since_epoch().count();
        const rep room = start >= rep{0} ? never - start : never;
        return static_cast<std::uint64_t>(room / period.count());
    }

    [[nodiscard]] static bool before(const entry &a, const entry &b) noexcept {
        return a.deadline < b.deadline || (a.deadline == b.deadline && a.sequence < b.sequence);
    }

    void place(std::size_t at_pos, const entry &e) noexcept {
        heap_[at_pos] = e;
        position_[e.slot] = static_cast<std::uint32_t>(at_pos);
    }

    void sift_up(std::size_t pos) noexcept {
        const entry moving = heap_[pos];
        while(pos != 0u) {
            const std::size_t parent = (pos - 1u) / 2u;
            if(!before(moving, heap_[parent])) {
                break;
            }
            place(pos, heap_[parent]);
            pos = parent;
        }
        place(pos, moving);
    }

    void sift_down(std::size_t pos) noexcept {
        const std::size_t size = heap_.size();
        const entry moving = heap_[pos];
        for(;;) {
            std::size_t child = 2u * pos + 1u;
            if(child >= size) {
                break;
            }
            if(child + 1u < size && before(heap_[child + 1u], heap_[child])) {
                ++child;
            }
            if(!before(heap_[child], moving)) {
                break;
            }
            place(pos, heap_[child]);
            pos = child;
        }
        place(pos, moving);
    }

    /// Removes the entry at pos from the heap.
    void erase(std::size_t pos) noexcept {
        const std::size_t last = heap_.size() - 1u;
        if(pos != last) {
            const entry moved = heap_[last];
            heap_.pop_back();
            place(pos, moved);
            if(pos != 0u && before(moved, heap_[(pos - 1u) / 2u])) {
                sift_up(pos);
            } else {
                sift_down(pos);
            }
        } else {
            heap_.pop_back();
        }
    }

    /// After a removal (fire, cancel) the earliest deadline only moves later, which no sleeper needs
    /// to hear about at once (it wakes early and sleeps again): a release store, not the seq_cst
    /// one that schedule() pairs with sleep().
    void publish_earliest() noexcept {
        earliest_.store(heap_.empty() ? never : heap_.front().deadline.time_since_epoch().count(),
                        std::memory_order_release);
    }

    /// Posts, under the lock, everything due at now in (deadline, sequence) order. Posting into a
    /// bus only queues (no handler runs, and a full bus is never waited for), so holding the lock
    /// cannot deadlock with a handler that schedules or cancels; and it is what makes cancel()
    /// exact: an event is posted entirely before or entirely after any cancel().
    std::size_t fire(time_point now) {
        const burial buried{*this}; // after the lock below is released: the events of ended timers
        std::lock_guard<std::mutex> lock{mutex_};
        // Room for every slot, reserved here rather than by acquire_slot(): burial reads dead_
        // without the lock. Allocates only after the set of slots grew.
        grow(dead_, chunks_.size() * chunk_size);
        if(!guard_.active()) {
            detail::raise(errc::closed, "evbus::scheduler: its bus was destroyed before it (see docs/time.md)");
        }
        std::size_t posted = 0u;
        while(!heap_.empty() && !(now < heap_.front().deadline)) {
            const entry top = heap_.front();
            slot &s = at(top.slot);
            bool accepted = false;
            // The next occurrence of a periodic timer goes on the grid first; catch_up::once jumps
            // over the ones that are already due too, and counts them. An occurrence past
            // time_point::max() never comes: the one being posted is then the last.
            std::uint64_t next = 0u;
            if(top.periodic) {
                next = s.occurrence + 1u;
                if(s.policy == catch_up::once) {
                    const std::uint64_t behind = periods_between(top.deadline, now, s.period);
                    stats_.skipped += behind;
                    next += behind;
                }
            }
            if(!top.periodic || next > periods_left(s.first, s.period)) {
                erase(0u);
                EVBUS_TRY { accepted = s.post(target_, s.storage.bytes, try_only_); }
                EVBUS_CATCH {
                    ++stats_.rejected;
                    end(top.slot, top.trivial);
                    publish_earliest();
                    EVBUS_RETHROW;
                }
                end(top.slot, top.trivial);
            } else {
                s.occurrence = next;
                heap_.front().deadline = s.first + s.period * static_cast<rep>(next);
                sift_down(0u);
                EVBUS_TRY { accepted = s.post(target_, s.storage.bytes, try_only_); }
                EVBUS_CATCH {
                    ++stats_.rejected;
                    publish_earliest();
                    EVBUS_RETHROW;
                }
            }
            if(accepted) {
                ++stats_.posted;
                ++posted;
            } else {
                ++stats_.rejected;
            }
        }
        publish_earliest();
        if(!heap_.empty()) { // the next timer to fire: its slot is likely cold by the time it is due
            prefetch(&at(heap_.front().slot));
        }
        return posted;
    }

    static void prefetch(const void *address) noexcept {
#if defined(__GNUC__) || defined(__clang__)
        __builtin_prefetch(address);
#else
        (void)address;
#endif
    }

    void wake_sleeper() {
        if(sleeping_.load(std::memory_order_seq_cst)) {
            interrupt();
        }
    }

    mutable std::mutex mutex_;
    std::vector<std::unique_ptr<slot[]>> chunks_;
    std::vector<std::uint32_t> free_;
    std::vector<std::uint32_t> dead_; // ended by fire(), to bury once it has released the lock
    std::atomic<slot *> graveyard_{nullptr};
    std::vector<entry> heap_;
    std::vector<std::uint32_t> position_; // slot index -> its place in heap_ (while pending)
    std::uint64_t sequence_{0u};
    timer_stats stats_{};
    alignas(64) std::atomic<rep> earliest_{never}; // heap_.front()'s deadline, or never
    std::atomic<bool> sleeping_{false};
    std::atomic<bool> interrupt_{false};
    void *target_;
    std::size_t kind_;
    bool try_only_;
    void (*wake_)(void *){nullptr};
    void (*wait_)(void *, std::chrono::nanoseconds, const std::atomic<bool> &){nullptr};
    subscription guard_;
};

} // namespace detail

/// @brief Delayed and periodic events, posted into a bus when they come due on Clock.
///
/// Clock is a std-style clock with a static now() (std::chrono::steady_clock by default;
/// evbus::manual_clock for simulated time). One scheduler type takes any bus (bus, st_bus,
/// basic_bus<spsc>: the thread that polls is then one of the lane's producers) and timers of any
/// event types. post_after, post_at, post_every and cancel() are safe from any
/// thread, a handler included; poll() and poll_until() from one thread at a time. The bus must
/// outlive the scheduler; see docs/time.md for that and the other misuse outcomes.
template<typename Clock = std::chrono::steady_clock>
class scheduler {
    using core_type = detail::scheduler_core<Clock>;

public:
    /// @brief The clock that poll() reads.
    using clock = Clock;
    /// @brief Clock's time points: deadlines.
    using time_point = typename Clock::time_point;
    /// @brief Clock's durations: delays and periods.
    using duration = typename Clock::duration;

    /// @brief A scheduler that posts into target (evbus::bus, evbus::st_bus or basic_bus<spsc>), which
    /// must outlive it.
    template<typename Threading>
    explicit scheduler(basic_bus<Threading> &target) {
        static_assert(detail::contains<Threading, detail::scheduler_threadings>::value,
                      "evbus::scheduler: this bus's threading policy is not one it can post into");
        core_ = new core_type{target};
    }

    scheduler(const scheduler &) = delete;
    scheduler &operator=(const scheduler &) = delete;

    /// @brief Destroys the pending events without posting them; live handles become inactive and
    /// stay safe to cancel or destroy.
    ~scheduler() {
        core_->shutdown();
        core_->release();
    }

    /// @brief Posts event once delay has passed (at the first poll at or after Clock::now() + delay,
    /// rounded up to Clock's tick); a negative delay is errc::invalid_argument.
    template<typename Event, typename Rep, typename Period>
    [[nodiscard]] timer post_after(std::chrono::duration<Rep, Period> delay, Event &&event) {
        EVBUS_EXPECT(delay >= delay.zero(), "evbus::scheduler::post_after: negative delay");
        return post_at(deadline_after(Clock::now(), delay), std::forward<Event>(event));
    }

    /// @brief Posts event at the first poll whose time is at or after deadline (a past one: the next poll).
    template<typename Event>
    [[nodiscard]] timer post_at(time_point deadline, Event &&event) {
        using event_type = std::remove_cv_t<std::remove_reference_t<Event>>;
        return core_->template schedule<event_type, false>(deadline, std::forward<Event>(event), duration::zero(),
                                                           catch_up::once);
    }

    /// @brief Posts a copy of event every period, first at Clock::now() + period, at fixed rate:
    /// occurrence k is due at start + k * period, whatever the polls' lateness (no drift). A zero
    /// or negative period is errc::invalid_argument; policy says what falling behind does.
    template<typename Event, typename Rep, typename Period>
    [[nodiscard]] timer post_every(std::chrono::duration<Rep, Period> period, Event &&event,
                                   catch_up policy = catch_up::once) {
        const duration step = checked_period(period);
        return post_every(deadline_after(Clock::now(), step), step, std::forward<Event>(event), policy);
    }

    /// @brief post_every() whose first occurrence is due at first, then first + k * period.
    template<typename Event, typename Rep, typename Period>
    [[nodiscard]] timer post_every(time_point first, std::chrono::duration<Rep, Period> period, Event &&event,
                                   catch_up policy = catch_up::once) {
        using event_type = std::remove_cv_t<std::remove_reference_t<Event>>;
        static_assert(std::is_copy_constructible_v<event_type>,
                      "evbus::scheduler::post_every: a periodic event is copied into the bus at each occurrence");
        return core_->template schedule<event_type, true>(first, std::forward<Event>(event), checked_period(period),
                                                          policy);
    }

    /// @brief Posts into the bus what is due at Clock::now(), in deadline order (ties: the order
    /// they were scheduled); returns how many the bus accepted. With nothing due it reads the
    /// clock and one atomic, and takes no lock.
    std::size_t poll() { return core_->poll_until(Clock::now()); }

    /// @brief poll() as if the clock read now: everything due at or before now (simulated time,
    /// backtests, tests).
    std::size_t poll_until(time_point now) { return core_->poll_until(now); }

    /// @brief The deadline of the earliest pending timer, if any; O(1), no lock while one is pending.
    [[nodiscard]] std::optional<time_point> next_deadline() const { return core_->next_deadline(); }

    /// @brief Counters: scheduled, posted, cancelled, rejected, skipped, pending.
    [[nodiscard]] timer_stats stats() const { return core_->stats(); }

private:
    template<typename>
    friend class basic_worker;

    /// now + delay rounded up to Clock's tick, or time_point::max() when that is past it (a delay
    /// too long to represent means "never", not an overflow into the past).
    template<typename Rep, typename Period>
    [[nodiscard]] static time_point deadline_after(time_point now, std::chrono::duration<Rep, Period> delay) {
        using seconds = std::chrono::duration<long double>;
        const duration room = now.time_since_epoch() < duration::zero() ? duration::max() : time_point::max() - now;
        if(seconds{delay} >= seconds{room}) {
            return time_point::max();
        }
        const duration step = std::chrono::ceil<duration>(delay);
        return step >= room ? time_point::max() : now + step;
    }

    /// period in Clock's ticks: positive, representable, and a whole number of ticks (a rounded
    /// period would drift from start + k * period); otherwise errc::invalid_argument.
    template<typename Rep, typename Period>
    [[nodiscard]] static duration checked_period(std::chrono::duration<Rep, Period> period) {
        using seconds = std::chrono::duration<long double>;
        EVBUS_EXPECT(period > period.zero(), "evbus::scheduler::post_every: the period must be positive");
        EVBUS_EXPECT(seconds{period} < seconds{duration::max()},
                     "evbus::scheduler::post_every: the period is longer than Clock's durations can hold");
        const duration step = std::chrono::ceil<duration>(period);
        EVBUS_EXPECT(step == period,
                     "evbus::scheduler::post_every: the period must be a whole number of Clock's ticks");
        return step;
    }

    [[nodiscard]] detail::timer_source &source() noexcept { return *core_; }

    core_type *core_;
};

} // namespace evbus

#endif
