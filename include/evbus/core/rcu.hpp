#ifndef EVBUS_CORE_RCU_HPP
#define EVBUS_CORE_RCU_HPP

/// @file
/// @brief Read-copy-update for handler lists: publish reads with plain loads and stores,
/// subscribe/unsubscribe swap an immutable snapshot and wait for a grace period.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "../config.hpp"

#if defined(__linux__)
#    include <linux/membarrier.h>
#    include <sys/syscall.h>
#    include <unistd.h>
#endif

namespace evbus::detail {

/// One per thread that has published on a concurrent list. The counter holds the epoch at which
/// the owner's outermost read section began (odd), or 0 outside; other threads only read it.
struct alignas(64) reader_record {
    std::atomic<std::uint64_t> counter{0};
    std::atomic<std::uint64_t> scratch{0}; // where a nested section's exit stores: nobody reads it
    std::atomic<bool> parked{false};       // owner is waiting for a grace period from inside a read section
    reader_record *next{nullptr};          // registry list, only ever appended to
    bool in_use{false};                    // guarded by the registry mutex
};

inline void cpu_relax() noexcept {
#if(defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
    __builtin_ia32_pause(); // _mm_pause without <immintrin.h>, which costs more to parse than all of evbus
#endif
}

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

/// The process-wide registry of reader records.
class rcu_domain {
public:
    [[nodiscard]] static rcu_domain &instance() {
        // Never destroyed: threads may exit after static destruction.
        static rcu_domain *domain = new rcu_domain{};
        return *domain;
    }

    [[nodiscard]] reader_record *acquire_record() {
        std::lock_guard<std::mutex> lock{mutex_};
        for(reader_record *r = head_; r; r = r->next) {
            if(!r->in_use) {
                r->in_use = true;
                return r;
            }
        }
        auto *r = new reader_record{};
        r->in_use = true;
        r->next = head_;
        head_ = r;
        return r;
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

    /// Waits until every read section that was running on another thread has
    /// ended. A caller that is itself inside a read section skips sections whose
    /// thread is parked in synchronize() too (it is inside a handler call, and
    /// loads each entry afresh before the next call), so that two of them never
    /// wait for each other. Returns true when nothing was skipped and the caller
    /// is not inside a read section: memory retired before the call may then be freed.
    bool synchronize(reader_record *self, bool nested);

    static void full_fence() noexcept {
#if EVBUS_TSAN
        // TSan does not model stand-alone fences; a seq_cst RMW is one it understands.
        static std::atomic<int> dummy{0};
        dummy.fetch_add(0, std::memory_order_seq_cst);
#else
        std::atomic_thread_fence(std::memory_order_seq_cst);
#endif
    }

private:
    rcu_domain() noexcept {
#if defined(__linux__)
        if(syscall(__NR_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0) {
            asymmetric_ = true;
            rcu_fast_readers().store(true, std::memory_order_release);
        }
#endif
    }

    std::mutex mutex_;
    reader_record *head_{nullptr};
    bool asymmetric_{false};
};

inline bool rcu_domain::synchronize(reader_record *self, bool nested) {
    // A section that reads the advanced epoch (acquire) also sees what was published before it.
    const std::uint64_t before = rcu_epoch().fetch_add(2u, std::memory_order_seq_cst);
    heavy_fence();
    std::vector<std::pair<reader_record *, std::uint64_t>> busy;
    {
        std::lock_guard<std::mutex> lock{mutex_};
        for(reader_record *r = head_; r; r = r->next) {
            if(r != self) {
                const auto value = r->counter.load(std::memory_order_acquire);
                if(value != 0u && value <= before) {
                    busy.emplace_back(r, value);
                }
            }
        }
    }
    if(nested && self) {
        self->parked.store(true, std::memory_order_seq_cst);
    }
    bool clean = !nested;
    for(auto [record, value]: busy) {
        for(unsigned spins = 0; record->counter.load(std::memory_order_acquire) == value; ++spins) {
            // Only a waiter inside a read section may skip a parked one (two of them could
            // otherwise wait for each other); a waiter outside any section waits for everyone.
            if(nested && record->parked.load(std::memory_order_seq_cst)) {
                clean = false;
                break;
            }
            if(spins < 128) {
                cpu_relax();
            } else if(spins < 4096) {
                std::this_thread::yield();
            } else {
                std::this_thread::sleep_for(std::chrono::microseconds{50});
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
            rcu_domain::instance().release_record(this_thread_reader.record);
            this_thread_reader.record = nullptr;
            this_thread_reader.fast = &unregistered_reader;
        }
    }
};

/// Marks the start of an outermost read section in record. Writers order this store before
/// their next reads with membarrier (rcu_domain) when they can, else the reader fences.
EVBUS_ALWAYS_INLINE void begin_outermost_section(reader_record &record, bool fast) noexcept {
    const std::uint64_t epoch = rcu_epoch().load(std::memory_order_acquire);
#if EVBUS_TSAN
    (void)fast;
    record.counter.exchange(epoch, std::memory_order_seq_cst);
#else
    // release: a writer that reads this value instead of the previous section's 0 still sees
    // that section's reads as done (C++20 no longer counts later relaxed stores in a release sequence).
    record.counter.store(epoch, std::memory_order_release);
    if(EVBUS_LIKELY(fast)) {
        std::atomic_signal_fence(std::memory_order_seq_cst);
    } else {
        std::atomic_thread_fence(std::memory_order_seq_cst);
    }
#endif
}

/// Enters a read section the slow way: registers the thread on first use, and fences when the
/// writers cannot use membarrier. Returns what the section's exit sets to 0: the record's
/// counter when this section is the outermost one, else its scratch word.
EVBUS_COLD inline std::atomic<std::uint64_t> *enter_read_section_slow() noexcept {
    thread_reader &self = this_thread_reader;
    if(!self.record) {
        static thread_local thread_reader_cleanup cleanup{};
        (void)&cleanup;
        self.record = rcu_domain::instance().acquire_record();
        if(rcu_fast_readers().load(std::memory_order_acquire)) {
            self.fast = self.record;
        }
    }
    reader_record *record = self.record;
    if(record->counter.load(std::memory_order_relaxed) != 0u) {
        return &record->scratch; // nested
    }
    begin_outermost_section(*record, self.fast == record);
    return &record->counter;
}

/// RAII read section; nests freely on one thread (only the outermost one changes the counter).
/// The exit is one unconditional store: to the counter, or to scratch for a nested section.
class rcu_read_guard {
public:
    rcu_read_guard() noexcept {
        reader_record *record = this_thread_reader.fast;
        if(EVBUS_LIKELY(record->counter.load(std::memory_order_relaxed) == 0u)) {
            begin_outermost_section(*record, true);
            exit_ = &record->counter;
        } else if(EVBUS_LIKELY(record != &unregistered_reader)) {
            exit_ = &record->scratch; // nested
        } else {
            exit_ = enter_read_section_slow();
        }
    }

    rcu_read_guard(const rcu_read_guard &) = delete;
    rcu_read_guard &operator=(const rcu_read_guard &) = delete;

    ~rcu_read_guard() { exit_->store(0u, std::memory_order_release); }

private:
    std::atomic<std::uint64_t> *exit_;
};

/// Stands in for rcu_read_guard where the policy is single-threaded.
struct no_read_guard {};

/// A read section for Threading: covers a whole batch of deliveries so each
/// publish inside only nests (a store of an unchanged value).
template<typename Threading>
using batch_read_guard = std::conditional_t<Threading::concurrent, rcu_read_guard, no_read_guard>;

/// Whether the calling thread is inside a concurrent publish (a handler call).
[[nodiscard]] inline bool in_read_section() noexcept {
    const reader_record *record = this_thread_reader.record;
    return record && record->counter.load(std::memory_order_relaxed) != 0u;
}

/// Grace period for the calling thread; see rcu_domain::synchronize.
inline bool rcu_synchronize() {
    return rcu_domain::instance().synchronize(this_thread_reader.record, in_read_section());
}

} // namespace evbus::detail

#endif
