#ifndef EVBUS_QUEUE_WAKEUP_HPP
#define EVBUS_QUEUE_WAKEUP_HPP

/// @file
/// @brief detail::wakeup: how a consumer sleeps until a producer posts, and how a producer that
/// nobody waits for pays one relaxed load for it.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <type_traits>

#include "../sync/spin.hpp"

namespace evbus::detail {

/// Sleep and wake for a queue's consumers. A sleeper registers, then rechecks the queue; a
/// producer, once wakeups are enabled, counts its post, fences, then checks for sleepers. The
/// two seq_cst steps pair so that a post is never missed by a sleeper that saw none.
class wakeup {
public:
    using clock = std::chrono::steady_clock;

    /// One sleep is capped so that a post racing with the very first wait (it may not see
    /// wakeups enabled yet) is picked up within max_sleep; later posts wake at once.
    static constexpr std::chrono::milliseconds max_sleep{100};

    /// Blocks until pending() is true, wake_all() is called, cancel is set or the deadline passes;
    /// returns pending() as last seen.
    template<typename Pending>
    bool wait_until(clock::time_point deadline, Pending &&pending, const std::atomic<bool> *cancel = nullptr) {
        enabled_.store(true, std::memory_order_seq_cst);
        std::unique_lock<std::mutex> lock{mutex_};
        while(!pending()) {
            const auto now = clock::now();
            if(now >= deadline) {
                return false;
            }
            const std::uint64_t seen = epoch_;
            if(cancel && cancel->load(std::memory_order_acquire)) {
                return false; // whoever set it calls wake_all() after, under this mutex
            }
            sleepers_.fetch_add(1u, std::memory_order_seq_cst);
            if(!pending()) {
                const auto until = deadline - now > max_sleep ? now + max_sleep : deadline;
                cv_.wait_until(lock, until, [&] { return epoch_ != seen; });
            }
            sleepers_.fetch_sub(1u, std::memory_order_relaxed);
            if(epoch_ != seen && !pending()) {
                return false; // woken by wake_all()
            }
        }
        return true;
    }

    /// Wakes every thread blocked in wait_until().
    void wake_all() {
        {
            std::lock_guard<std::mutex> lock{mutex_};
            ++epoch_;
        }
        cv_.notify_all();
    }

    /// Producer side, after a post was counted: wakes sleepers, if any. Costs one relaxed load
    /// while no thread has ever waited.
    EVBUS_ALWAYS_INLINE void posted() {
        if(EVBUS_UNLIKELY(enabled_.load(std::memory_order_relaxed))) {
            wake_sleepers();
        }
    }

    /// Threads inside wait_until() that are about to sleep or sleeping.
    [[nodiscard]] std::uint32_t sleepers() const noexcept { return sleepers_.load(std::memory_order_seq_cst); }

private:
    // Not EVBUS_COLD: see docs/benchmarks.md, "Code layout on the hot path".
    void wake_sleepers() {
        full_fence(); // orders the post's counting before the check for sleepers
        if(sleepers_.load(std::memory_order_seq_cst) != 0u) {
            wake_all();
        }
    }

    alignas(64) std::atomic<bool> enabled_{false};
    std::atomic<std::uint32_t> sleepers_{0u};
    std::mutex mutex_;
    std::condition_variable cv_;
    std::uint64_t epoch_{0u}; // guarded by mutex_
};

/// Stands in for wakeup where the policy is single-threaded (nobody can wait for a post).
struct no_wakeup {
    EVBUS_ALWAYS_INLINE void posted() noexcept {}
    void wake_all() noexcept {}
};

/// The wakeup of a threading policy.
template<typename Threading>
using wakeup_for = std::conditional_t<Threading::concurrent, wakeup, no_wakeup>;

} // namespace evbus::detail

#endif
