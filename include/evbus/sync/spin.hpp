#ifndef EVBUS_SYNC_SPIN_HPP
#define EVBUS_SYNC_SPIN_HPP

/// @file
/// @brief detail::cpu_relax, detail::full_fence and detail::backoff: how every evbus thread waits
/// for another without a lock (RCU grace periods, a blocked post, a spinning worker).

#include <atomic>
#include <chrono>
#include <thread>

#include "../config.hpp"

namespace evbus::detail {

/// A spin-wait hint to the CPU (PAUSE on x86); nothing elsewhere.
inline void cpu_relax() noexcept {
#if(defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
    __builtin_ia32_pause(); // _mm_pause without <immintrin.h>, which costs more to parse than all of evbus
#endif
}

/// A sequentially consistent fence that ThreadSanitizer understands.
inline void full_fence() noexcept {
#if EVBUS_TSAN
    // TSan does not model stand-alone fences; a seq_cst RMW is one it understands.
    static std::atomic<int> dummy{0};
    dummy.fetch_add(0, std::memory_order_seq_cst);
#else
    std::atomic_thread_fence(std::memory_order_seq_cst);
#endif
}

/// Waits a little longer at each call: spins with cpu_relax(), then yields, then sleeps.
class backoff {
public:
    /// Calls that only spin.
    static constexpr unsigned spin_limit = 128u;
    /// Calls (spins included) before each call sleeps.
    static constexpr unsigned yield_limit = 4096u;
    /// How long each call past yield_limit sleeps.
    static constexpr std::chrono::microseconds sleep{50};

    void operator()() noexcept {
        if(calls_ < spin_limit) {
            ++calls_;
            cpu_relax();
        } else if(calls_ < yield_limit) {
            ++calls_;
            std::this_thread::yield();
        } else {
            std::this_thread::sleep_for(sleep);
        }
    }

    /// Calls so far, capped at yield_limit.
    [[nodiscard]] unsigned calls() const noexcept { return calls_; }

private:
    unsigned calls_{0u};
};

/// A lock for critical sections of a few tens of nanoseconds: one exchange to take it, a release
/// store to give it back (no read-modify-write, no system call), and backoff() while another holds it.
class spin_mutex {
public:
    void lock() noexcept {
        while(locked_.exchange(true, std::memory_order_acquire)) {
            backoff wait;
            do {
                wait();
            } while(locked_.load(std::memory_order_relaxed));
        }
    }

    void unlock() noexcept { locked_.store(false, std::memory_order_release); }

private:
    std::atomic<bool> locked_{false};
};

} // namespace evbus::detail

#endif
