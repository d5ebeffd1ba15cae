#ifndef EVBUS_SYNC_RCU_HPP
#define EVBUS_SYNC_RCU_HPP

/// @file
/// @brief Read-copy-update for handler lists: publish reads with plain loads and stores,
/// subscribe/unsubscribe swap an immutable snapshot and wait for a grace period that covers
/// only the readers of one scope (a bus or a channel).

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>

#include "../config.hpp"
#include "spin.hpp"

#if defined(__linux__)
#    include <linux/membarrier.h>
#    include <sys/syscall.h>
#    include <unistd.h>
#endif

namespace evbus::detail {

/// What a read section reads: the scope of a bus or channel, its address as a number. A grace
/// period of one scope waits only for the sections that cover it.
using rcu_scope = std::uint64_t;

/// Scope of a section that covers every scope (see reader_record::scopes).
inline constexpr rcu_scope every_scope = ~rcu_scope{0};

/// The scope of an object (a bus or channel that does not move).
[[nodiscard]] inline rcu_scope scope_of(const void *owner) noexcept { return reinterpret_cast<std::uintptr_t>(owner); }

/// One per thread that has published on a concurrent list. The counter holds the epoch at which
/// the owner's outermost read section began (odd), or 0 outside; other threads only read it.
/// scope is the outermost section's scope; a nested section of another scope takes a word of
/// nested (and zeroes it at its exit); when all are taken, scope becomes every_scope until the
/// outermost section ends.
struct alignas(64) reader_record {
    static constexpr std::size_t nested_scopes = 3u;

    std::atomic<std::uint64_t> counter{0};
    std::atomic<std::uint64_t> scratch{0}; // where a nested section's exit stores: nobody reads it
    std::atomic<rcu_scope> scope{0};
    std::atomic<rcu_scope> nested[nested_scopes]{};
    std::atomic<bool> parked{false}; // owner is waiting for a grace period from inside a read section
    reader_record *next{nullptr};    // registry list, only ever prepended to; immutable once published
    bool in_use{false};              // guarded by the registry mutex

    /// Whether the section running now (if any) may read what scope `of` protects.
    [[nodiscard]] bool covers(rcu_scope of) const noexcept {
        const rcu_scope outer = this->scope.load(std::memory_order_acquire);
        if(outer == of || outer == every_scope) {
            return true;
        }
        for(const auto &word: nested) {
            if(word.load(std::memory_order_acquire) == of) {
                return true;
            }
        }
        return false;
    }
};

/// Whether readers may skip the store-load fence because writers issue an
/// asymmetric barrier (Linux membarrier) instead.
inline std::atomic<bool> &rcu_fast_readers() noexcept {
    static std::atomic<bool> fast{false};
    return fast;
}

/// The grace-period epoch: odd, advanced by 2 by every synchronize. A read section records the
/// epoch it began in, so its entry and exit store values that do not depend on the section
/// before (no chain of stores and reloads from one publish to the next), and a writer need not
/// wait for sections that began after it advanced the epoch.
inline std::atomic<std::uint64_t> &rcu_epoch() noexcept {
    static std::atomic<std::uint64_t> epoch{1};
    return epoch;
}

/// The process-wide registry of reader records. Records are never freed (a thread that exits
/// gives its record to the next), so a grace period walks them without a lock or a copy.
class rcu_registry {
public:
    [[nodiscard]] static rcu_registry &instance() {
        // Never destroyed: threads may exit after static destruction.
        static rcu_registry *registry = new rcu_registry{};
        return *registry;
    }

    [[nodiscard]] reader_record *acquire_record() {
        std::lock_guard<std::mutex> lock{mutex_};
        for(reader_record *r = head_.load(std::memory_order_relaxed); r; r = r->next) {
            if(!r->in_use) {
                r->in_use = true;
                return r;
            }
        }
        auto *r = new reader_record{};
        r->in_use = true;
        r->next = head_.load(std::memory_order_relaxed);
        head_.store(r, std::memory_order_release);
        return r;
    }

    /// Records that no thread holds (the next threads to register take them without allocating).
    [[nodiscard]] std::size_t idle_records() {
        std::lock_guard<std::mutex> lock{mutex_};
        std::size_t idle = 0;
        for(reader_record *r = head_.load(std::memory_order_relaxed); r; r = r->next) {
            idle += r->in_use ? 0u : 1u;
        }
        return idle;
    }

    void release_record(reader_record *record) noexcept {
        std::lock_guard<std::mutex> lock{mutex_};
        record->in_use = false;
    }

    /// Makes every reader's announcement visible to this thread.
    void heavy_fence() noexcept {
#if defined(__linux__)
        if(asymmetric_) {
            syscall(__NR_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0);
            return;
        }
#endif
        full_fence();
    }

    /// Waits until every read section of scope that was running on another thread has ended;
    /// sections of other scopes are not waited for. A caller that is itself inside a read
    /// section (of any scope) skips sections whose thread is parked in synchronize() too (it is
    /// inside a handler call, and loads each entry afresh before the next call), so that two of
    /// them never wait for each other. Returns true when nothing was skipped and the caller is
    /// not inside a read section: memory retired before the call may then be freed. Allocates
    /// nothing and never throws.
    bool synchronize(reader_record *self, bool nested, rcu_scope scope) noexcept;

private:
    rcu_registry() noexcept {
#if defined(__linux__)
        if(syscall(__NR_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0) {
            asymmetric_ = true;
            rcu_fast_readers().store(true, std::memory_order_release);
        }
#endif
    }

    std::mutex mutex_;
    std::atomic<reader_record *> head_{nullptr};
    bool asymmetric_{false};
};

inline bool rcu_registry::synchronize(reader_record *self, bool nested, rcu_scope scope) noexcept {
    // A section that reads the advanced epoch (acquire) also sees what was published before it.
    const std::uint64_t before = rcu_epoch().fetch_add(2u, std::memory_order_seq_cst);
    heavy_fence();
    if(nested && self) {
        self->parked.store(true, std::memory_order_seq_cst);
    }
    bool clean = !nested;
    for(reader_record *r = head_.load(std::memory_order_acquire); r; r = r->next) {
        const std::uint64_t value = r->counter.load(std::memory_order_acquire);
        if(r == self || value == 0u || value > before || !r->covers(scope)) {
            continue;
        }
        for(backoff wait; r->counter.load(std::memory_order_acquire) == value; wait()) {
            // Only a waiter inside a read section may skip a parked one (two of them could
            // otherwise wait for each other); a waiter outside any section waits for everyone.
            if(nested && r->parked.load(std::memory_order_seq_cst)) {
                clean = false;
                break;
            }
        }
    }
    if(nested && self) {
        self->parked.store(false, std::memory_order_seq_cst);
    }
    return clean;
}

/// The record a thread's fast path sees until it registers (and always where readers must fence):
/// its counter is never 0, so the fast path goes on to the slow path. Nobody writes it.
inline reader_record unregistered_reader{{1u}};

/// This thread's reader state; constant-initialized so access is a plain TLS load.
struct thread_reader {
    reader_record *record; // this thread's registered record, or null
    reader_record *fast;   // record when writers use membarrier (no reader fence), else unregistered_reader
};

inline thread_local thread_reader this_thread_reader{nullptr, &unregistered_reader};

struct thread_reader_cleanup {
    thread_reader_cleanup() = default;
    thread_reader_cleanup(const thread_reader_cleanup &) = delete;
    thread_reader_cleanup &operator=(const thread_reader_cleanup &) = delete;
    ~thread_reader_cleanup() {
        if(this_thread_reader.record) {
            rcu_registry::instance().release_record(this_thread_reader.record);
            this_thread_reader.record = nullptr;
            this_thread_reader.fast = &unregistered_reader;
        }
    }
};

/// Orders a store that announces a read section before the section's reads: writers use
/// membarrier (rcu_registry) when they can, else the reader fences.
EVBUS_ALWAYS_INLINE void announce_fence(bool fast) noexcept {
    if(EVBUS_LIKELY(fast)) {
        std::atomic_signal_fence(std::memory_order_seq_cst);
    } else {
        std::atomic_thread_fence(std::memory_order_seq_cst);
    }
}

/// Stores what a nested section covers, ordered before the section's reads; release, like the
/// outermost section's scope.
inline void announce(std::atomic<rcu_scope> &word, rcu_scope value, [[maybe_unused]] bool fast) noexcept {
#if EVBUS_TSAN
    word.exchange(value, std::memory_order_seq_cst);
#else
    word.store(value, std::memory_order_release);
    announce_fence(fast);
#endif
}

/// Registers the calling thread as a reader if it is not yet one (allocates its record once:
/// std::bad_alloc if that fails). Code that must not fail halfway calls it first.
inline void register_this_thread() {
    thread_reader &self = this_thread_reader;
    if(EVBUS_UNLIKELY(!self.record)) {
        static thread_local thread_reader_cleanup cleanup{};
        (void)&cleanup;
        self.record = rcu_registry::instance().acquire_record();
        if(rcu_fast_readers().load(std::memory_order_acquire)) {
            self.fast = self.record;
        }
    }
}

/// Marks the start of an outermost read section of scope in record.
EVBUS_ALWAYS_INLINE void begin_outermost_section(reader_record &record, rcu_scope scope, bool fast) noexcept {
    const std::uint64_t epoch = rcu_epoch().load(std::memory_order_acquire);
    // Before the counter: a writer that sees the section (acquire) sees its scope or a later one.
    // Release, so that a writer that reads a later section's scope (and skips this record) also
    // sees this thread's earlier sections as done.
    record.scope.store(scope, std::memory_order_release);
#if EVBUS_TSAN
    (void)fast;
    record.counter.exchange(epoch, std::memory_order_seq_cst);
#else
    // release: a writer that reads this value instead of the previous section's 0 still sees
    // that section's reads as done (C++20 no longer counts later relaxed stores in a release sequence).
    record.counter.store(epoch, std::memory_order_release);
    announce_fence(fast);
#endif
}

/// Enters a section of scope nested in one of another scope: takes a free word of
/// record.nested (what the exit zeroes), or widens the outermost section to every scope.
EVBUS_COLD inline std::atomic<std::uint64_t> *enter_nested_scope(reader_record &record, rcu_scope scope,
                                                                 bool fast) noexcept {
    const rcu_scope outer = record.scope.load(std::memory_order_relaxed);
    if(outer == scope || outer == every_scope) {
        return &record.scratch;
    }
    for(auto &word: record.nested) {
        if(word.load(std::memory_order_relaxed) == scope) {
            return &record.scratch; // an enclosing section took it
        }
    }
    for(auto &word: record.nested) {
        if(word.load(std::memory_order_relaxed) == 0u) {
            announce(word, scope, fast);
            return &word;
        }
    }
    announce(record.scope, every_scope, fast);
    return &record.scratch;
}

/// Enters a read section the slow way: registers the thread on first use, and fences when the
/// writers cannot use membarrier. Returns what the section's exit sets to 0: the record's
/// counter when this section is the outermost one, else its scratch word.
EVBUS_COLD inline std::atomic<std::uint64_t> *enter_read_section_slow(rcu_scope scope) {
    register_this_thread();
    thread_reader &self = this_thread_reader;
    reader_record *record = self.record;
    if(record->counter.load(std::memory_order_relaxed) != 0u) {
        return enter_nested_scope(*record, scope, self.fast == record);
    }
    begin_outermost_section(*record, scope, self.fast == record);
    return &record->counter;
}

/// RAII read section of one scope; nests freely on one thread (only the outermost one changes
/// the counter). The exit is one unconditional store: to the counter, to scratch for a section
/// nested in one of its scope, or to the nested-scope word it took. A thread's first section
/// registers it, which allocates its record once (std::bad_alloc if that fails).
class rcu_read_guard {
public:
    explicit rcu_read_guard(rcu_scope scope) {
        reader_record *record = this_thread_reader.fast;
        if(EVBUS_LIKELY(record->counter.load(std::memory_order_relaxed) == 0u)) {
            begin_outermost_section(*record, scope, true);
            exit_ = &record->counter;
        } else if(EVBUS_LIKELY(record->scope.load(std::memory_order_relaxed) == scope)) {
            // Nested in a section of the same scope (unregistered_reader's scope, 0, is nobody's).
            exit_ = &record->scratch;
        } else {
            exit_ = enter_read_section_slow(scope);
        }
    }

    rcu_read_guard(const rcu_read_guard &) = delete;
    rcu_read_guard &operator=(const rcu_read_guard &) = delete;

    ~rcu_read_guard() { exit_->store(0u, std::memory_order_release); }

private:
    std::atomic<std::uint64_t> *exit_;
};

/// Stands in for rcu_read_guard where the policy is single-threaded.
struct no_read_guard {
    no_read_guard() = default;
    explicit no_read_guard(rcu_scope) noexcept {}
};

/// A read section for Threading: covers a whole batch of deliveries so each
/// publish inside only nests (a store of an unchanged value).
template<typename Threading>
using batch_read_guard = std::conditional_t<Threading::concurrent, rcu_read_guard, no_read_guard>;

/// Whether the calling thread is inside a concurrent publish (a handler call).
[[nodiscard]] inline bool in_read_section() noexcept {
    const reader_record *record = this_thread_reader.record;
    return record && record->counter.load(std::memory_order_relaxed) != 0u;
}

/// Grace period of scope for the calling thread; see rcu_registry::synchronize.
inline bool rcu_synchronize(rcu_scope scope) noexcept {
    return rcu_registry::instance().synchronize(this_thread_reader.record, in_read_section(), scope);
}

} // namespace evbus::detail

#endif
