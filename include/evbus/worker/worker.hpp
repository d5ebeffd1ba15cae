#ifndef EVBUS_WORKER_WORKER_HPP
#define EVBUS_WORKER_WORKER_HPP

/// @file
/// @brief evbus::worker: a thread that dispatches a bus (or channel) until stopped.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <thread>

#include "../config.hpp"
#include "../core/bus.hpp"
#include "../fwd.hpp"
#include "../sync/spin.hpp"
#include "../time/timer_source.hpp"

#include <exception>
#include <mutex>

namespace evbus {

/// @brief How an idle consumer waits for the next event: latency against CPU.
enum class wait_strategy {
    busy_spin, ///< never leaves the CPU: lowest latency, one core at 100%
    yield,     ///< spins briefly, then yields the CPU between polls
    block,     ///< spins briefly, then sleeps until a producer signals: no CPU while idle
};

/// @brief Settings of a worker.
struct worker_config {
    /// @brief What to do while the queue is empty.
    wait_strategy wait{wait_strategy::block};
    /// @brief Most events one dispatch() call delivers before the stop flag is checked again.
    std::size_t batch{256};
    /// @brief Empty polls before yielding or sleeping.
    std::uint32_t spins{64};
};

/// @brief Runs `target.dispatch()` on its own thread until stop() or destruction (and, given a
/// scheduler, its `poll()`).
///
/// Target is a multi_thread or spsc bus or channel that outlives the worker (for spsc, the
/// worker's thread is the lane's one consumer). A handler
/// exception does not stop the worker: it is counted in errors() and the first
/// one is kept for first_error().
template<typename Target>
class basic_worker {
public:
    /// @brief Starts the thread.
    explicit basic_worker(Target &target, worker_config config = {}): basic_worker{target, nullptr, config} {}

    /// @brief Starts the thread, which also polls timers (a scheduler of target that outlives the
    /// worker) and, with wait_strategy::block, sleeps no longer than its next deadline.
    template<typename Clock>
    basic_worker(Target &target, scheduler<Clock> &timers, worker_config config = {})
        : basic_worker{target, &timers.source(), config} {}

    basic_worker(const basic_worker &) = delete;
    basic_worker &operator=(const basic_worker &) = delete;

    /// @brief Stops and joins the thread.
    ~basic_worker() { stop(); }

    /// @brief Stops the thread after its current batch and joins it; queued events stay queued
    /// (drain_and_stop() delivers them first).
    void stop() {
        if(thread_.joinable()) {
            stop_.store(true, std::memory_order_seq_cst);
            if(timers_) {
                timers_->interrupt();
            }
            target_->wake_waiters();
            thread_.join();
        }
    }

    /// @brief Delivers everything queued, including what its handlers post meanwhile, then stops
    /// and joins the thread: nothing posted before the call is left behind.
    /// @details The thread stops at the first dispatch that finds the queue empty, so producers that
    /// keep posting can hold it up; close() the bus first when they may (its later posts are then
    /// rejected and counted). Handler exceptions meanwhile are counted as usual. After stop() it
    /// does nothing.
    void drain_and_stop() {
        if(thread_.joinable()) {
            drain_.store(true, std::memory_order_relaxed);
            stop();
        }
    }

    /// @brief True until stop() has been called.
    [[nodiscard]] bool running() const noexcept { return !stop_.load(std::memory_order_acquire); }

    /// @brief Number of dispatch() calls that ended with a handler exception.
    [[nodiscard]] std::uint64_t errors() const noexcept { return errors_.load(std::memory_order_acquire); }

    /// @brief The first exception a handler threw on this worker, or null (always null with -fno-exceptions).
    [[nodiscard]] std::exception_ptr first_error() const {
        std::lock_guard<std::mutex> lock{error_mutex_};
        return first_error_;
    }

private:
    basic_worker(Target &target, detail::timer_source *timers, worker_config config)
        : target_{&target}, timers_{timers}, config_{config} {
        EVBUS_EXPECT(config.batch != 0u, "evbus::worker: batch must be at least 1");
        EVBUS_EXPECT(!timers || timers->target() == &target, "evbus::worker: the scheduler posts into another bus");
        thread_ = std::thread{[this] { run(); }};
    }

    std::size_t dispatch_once() {
        EVBUS_TRY {
            const std::size_t fired = timers_ ? timers_->poll_due() : 0u;
            return target_->dispatch(config_.batch) + fired;
        }
        EVBUS_CATCH {
            {
                std::lock_guard<std::mutex> lock{error_mutex_};
                if(!first_error_) {
                    first_error_ = std::current_exception();
                }
            }
            errors_.fetch_add(1u, std::memory_order_release);
        }
        return 1u; // something was delivered (or a handler threw); poll again at once
    }

    void run() {
        std::uint32_t idle = 0;
        while(!stop_.load(std::memory_order_acquire)) {
            if(dispatch_once() != 0u) {
                idle = 0;
                continue;
            }
            if(config_.wait == wait_strategy::busy_spin || idle < config_.spins) {
                ++idle;
                detail::cpu_relax();
            } else if(config_.wait == wait_strategy::yield) {
                std::this_thread::yield();
            } else if(timers_) {
                timers_->sleep(stop_);
            } else {
                (void)target_->wait_for(std::chrono::hours{24}, stop_);
            }
        }
        if(drain_.load(std::memory_order_relaxed)) {
            while(dispatch_once() != 0u) {
            }
        }
    }

    Target *target_;
    detail::timer_source *timers_;
    worker_config config_;
    std::atomic<bool> stop_{false};
    std::atomic<bool> drain_{false}; // written before stop_'s release store, read after its acquire load
    std::atomic<std::uint64_t> errors_{0u};
    mutable std::mutex error_mutex_;
    std::exception_ptr first_error_;
    std::thread thread_;
};

/// @brief A worker dispatching an evbus::bus.
using worker = basic_worker<bus>;

} // namespace evbus

#endif
