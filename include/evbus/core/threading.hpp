#ifndef EVBUS_CORE_THREADING_HPP
#define EVBUS_CORE_THREADING_HPP

/// @file
/// @brief Threading policies for buses and channels: multi_thread (default), single_thread and spsc.

#include <atomic>
#include <mutex>

namespace evbus {

namespace detail {

/// std::atomic's interface over a plain value, for single-threaded policies.
template<typename Type>
class plain_atomic {
public:
    constexpr plain_atomic() noexcept = default;
    constexpr plain_atomic(Type value) noexcept: value_{value} {}
    [[nodiscard]] Type load(std::memory_order = std::memory_order_seq_cst) const noexcept { return value_; }
    void store(Type value, std::memory_order = std::memory_order_seq_cst) noexcept { value_ = value; }
    Type exchange(Type value, std::memory_order = std::memory_order_seq_cst) noexcept {
        Type old = value_;
        value_ = value;
        return old;
    }
    Type fetch_add(Type value, std::memory_order = std::memory_order_seq_cst) noexcept {
        Type old = value_;
        value_ += value;
        return old;
    }
    Type fetch_sub(Type value, std::memory_order = std::memory_order_seq_cst) noexcept {
        Type old = value_;
        value_ -= value;
        return old;
    }
    bool compare_exchange_weak(Type &expected, Type desired, std::memory_order = std::memory_order_seq_cst) noexcept {
        if(value_ == expected) {
            value_ = desired;
            return true;
        }
        expected = value_;
        return false;
    }

private:
    Type value_{};
};

/// A mutex that does nothing, for single-threaded policies.
struct null_mutex {
    void lock() noexcept {}
    void unlock() noexcept {}
    [[nodiscard]] bool try_lock() noexcept { return true; }
};

} // namespace detail

/// @brief Threading policy: publish, subscribe and unsubscribe are safe from any thread at any time.
struct multi_thread {
    /// @brief Atomic cell type the policy uses.
    template<typename Type>
    using atomic = std::atomic<Type>;
    /// @brief Mutex type guarding writers.
    using mutex = std::mutex;
    /// @brief True when several threads may use the object at once.
    static constexpr bool concurrent = true;
};

/// @brief Threading policy: one thread at a time; no atomics, no fences, same re-entrancy guarantees.
struct single_thread {
    /// @brief Atomic cell type the policy uses.
    template<typename Type>
    using atomic = detail::plain_atomic<Type>;
    /// @brief Mutex type guarding writers.
    using mutex = detail::null_mutex;
    /// @brief True when several threads may use the object at once.
    static constexpr bool concurrent = false;
};

/// @brief Threading policy: one producer thread posts, one consumer thread dispatches, through a
/// bounded ring (docs/async.md, "spsc lanes"); subscribe, unsubscribe and publish from any thread.
/// @details A second thread posting, or dispatching, while another does is misuse: builds with
/// EVBUS_DEBUG_CHECKS (no NDEBUG) abort with a message naming it; release builds do not check.
struct spsc {
    /// @brief Atomic cell type the policy uses (handlers are shared between threads).
    template<typename Type>
    using atomic = std::atomic<Type>;
    /// @brief Mutex type guarding writers.
    using mutex = std::mutex;
    /// @brief True when several threads may use the object at once.
    static constexpr bool concurrent = true;
    /// @brief True: one producer and one consumer at a time, so the post queue is an spsc ring.
    static constexpr bool single_producer = true;
};

} // namespace evbus

#endif
