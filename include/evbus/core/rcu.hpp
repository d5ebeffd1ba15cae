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

#if defined(__x86_64__) || defined(__i386__)
#    include <immintrin.h>
#endif

namespace evbus::detail {

/// One per thread that has published on a concurrent list. The counter is odd
/// while the owner is inside a read section; other threads only read it.
struct alignas(64) reader_record {
    std::atomic<std::uint64_t> counter{0};
    std::atomic<bool> parked{false}; // owner is waiting for a grace period from inside a read section
    reader_record *next{nullptr};    // registry list, only ever appended to
    bool in_use{false};              // guarded by the registry mutex
};

inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
    _mm_pause();
#endif
}

/// Whether readers may skip the store-load fence because writers issue an
/// asymmetric barrier (Linux membarrier) instead.
inline std::atomic<bool> &rcu_fast_readers() noexcept {
    static std::atomic<bool> fast{false};
    return fast;
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
    /// ended, except sections whose thread is itself parked in synchronize()
    /// (it is inside a handler call, and loads each entry afresh before the
    /// next call). Returns true when nothing was skipped and the caller is not
    /// inside a read section: memory retired before the call may then be freed.
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
    heavy_fence();
    std::vector<std::pair<reader_record *, std::uint64_t>> busy;
    {
        std::lock_guard<std::mutex> lock{mutex_};
        for(reader_record *r = head_; r; r = r->next) {
            if(r != self) {
                const auto value = r->counter.load(std::memory_order_acquire);
                if(value & 1u) {
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
            if(record->parked.load(std::memory_order_seq_cst)) {
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

/// This thread's reader state; constant-initialized so access is a plain TLS load.
struct thread_reader {
    reader_record *record;
    std::uint32_t depth;
    std::size_t skipped; // calls to unsubscribed handlers this thread has skipped (see handler_list)
};

inline thread_local thread_reader this_thread_reader{nullptr, 0, 0};

struct thread_reader_cleanup {
    thread_reader_cleanup() = default;
    thread_reader_cleanup(const thread_reader_cleanup &) = delete;
    thread_reader_cleanup &operator=(const thread_reader_cleanup &) = delete;
    ~thread_reader_cleanup() {
        if(this_thread_reader.record) {
            rcu_domain::instance().release_record(this_thread_reader.record);
            this_thread_reader.record = nullptr;
        }
    }
};

EVBUS_COLD inline reader_record *register_thread_reader() {
    static thread_local thread_reader_cleanup cleanup{};
    (void)&cleanup;
    this_thread_reader.record = rcu_domain::instance().acquire_record();
    return this_thread_reader.record;
}

/// Without membarrier, each outermost read section pays a full fence.
EVBUS_COLD inline void slow_reader_fence() noexcept { std::atomic_thread_fence(std::memory_order_seq_cst); }

/// RAII read section; nests freely on one thread.
class rcu_read_guard {
public:
    rcu_read_guard() noexcept {
        thread_reader &self = this_thread_reader;
        if(self.depth++ == 0) {
            reader_record *record = self.record;
            if(EVBUS_UNLIKELY(!record)) {
                record = register_thread_reader();
            }
            const auto next = record->counter.load(std::memory_order_relaxed) + 1;
#if EVBUS_TSAN
            record->counter.exchange(next, std::memory_order_seq_cst);
#else
            record->counter.store(next, std::memory_order_release);
            if(EVBUS_LIKELY(rcu_fast_readers().load(std::memory_order_relaxed))) {
                std::atomic_signal_fence(std::memory_order_seq_cst);
            } else {
                slow_reader_fence();
            }
#endif
        }
    }

    rcu_read_guard(const rcu_read_guard &) = delete;
    rcu_read_guard &operator=(const rcu_read_guard &) = delete;

    ~rcu_read_guard() {
        thread_reader &self = this_thread_reader;
        if(--self.depth == 0) {
            reader_record *record = self.record;
            record->counter.store(record->counter.load(std::memory_order_relaxed) + 1, std::memory_order_release);
        }
    }
};

/// Stands in for rcu_read_guard where the policy is single-threaded.
struct no_read_guard {};

/// A read section for Threading: covers a whole batch of deliveries so each
/// publish inside only bumps a thread-local depth.
template<typename Threading>
using batch_read_guard = std::conditional_t<Threading::concurrent, rcu_read_guard, no_read_guard>;

/// Whether the calling thread is inside a concurrent publish (a handler call).
[[nodiscard]] inline bool in_read_section() noexcept { return this_thread_reader.depth != 0; }

/// Grace period for the calling thread; see rcu_domain::synchronize.
inline bool rcu_synchronize() {
    thread_reader &self = this_thread_reader;
    return rcu_domain::instance().synchronize(self.record, self.depth != 0);
}

} // namespace evbus::detail

#endif
