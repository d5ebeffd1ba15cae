#ifndef EVBUS_TIME_TIMER_HPP
#define EVBUS_TIME_TIMER_HPP

/// @file
/// @brief evbus::timer, the move-only handle every scheduler::post_after/post_at/post_every returns.

#include <atomic>
#include <cstdint>
#include <utility>

namespace evbus {

namespace detail {

/// The part of a scheduler's timer slot that a handle reads without the scheduler's lock: the
/// slot's generation, bumped each time the slot's timer ends (posted, cancelled, or the scheduler
/// destroyed). Slots live until the last handle that points to them is gone.
struct timer_slot_base {
    std::atomic<std::uint64_t> generation{1u};
};

/// What a timer handle points back to: a scheduler's state, shared between the scheduler and its
/// handles through a reference count, so that a handle never dangles.
class timer_owner {
public:
    /// Ends the timer of slot if it is still the one of generation; true when this call ended it.
    virtual bool cancel(timer_slot_base &slot, std::uint64_t generation) noexcept = 0;

    void retain() noexcept { refs_.fetch_add(1u, std::memory_order_relaxed); }

    void release() noexcept {
        if(refs_.fetch_sub(1u, std::memory_order_acq_rel) == 1u) {
            delete this;
        }
    }

protected:
    timer_owner() = default;
    timer_owner(const timer_owner &) = delete;
    timer_owner &operator=(const timer_owner &) = delete;
    virtual ~timer_owner() = default;

private:
    std::atomic<std::uint32_t> refs_{1u}; // the scheduler's own
};

} // namespace detail

/// @brief Move-only handle to a scheduled event; destroying it cancels the event, like a subscription.
///
/// active() is true while the event is still to be posted (for post_every: until cancelled).
/// cancel() returns true when it stopped an event that was still to be posted; false when the
/// event was already posted (or refused by a full bus), already cancelled, or the scheduler is
/// gone. Once cancel() returns, the event is not posted. Safe from any thread, also from a handler
/// (its own timer included), and after the scheduler was destroyed.
class [[nodiscard]] timer {
public:
    /// @brief An empty handle.
    timer() noexcept = default;

    /// @brief Used by evbus::scheduler; users get handles from post_after, post_at and post_every.
    timer(detail::timer_owner *owner, detail::timer_slot_base *slot, std::uint64_t generation) noexcept
        : owner_{owner}, slot_{slot}, generation_{generation} {
        owner_->retain();
    }

    timer(const timer &) = delete;
    timer &operator=(const timer &) = delete;

    /// @brief Takes over other's event; other becomes empty.
    timer(timer &&other) noexcept
        : owner_{std::exchange(other.owner_, nullptr)}, slot_{std::exchange(other.slot_, nullptr)},
          generation_{other.generation_} {}

    /// @brief Cancels this handle's event, then takes over other's.
    timer &operator=(timer &&other) noexcept {
        if(this != &other) {
            reset();
            owner_ = std::exchange(other.owner_, nullptr);
            slot_ = std::exchange(other.slot_, nullptr);
            generation_ = other.generation_;
        }
        return *this;
    }

    /// @brief Cancels the event.
    ~timer() { reset(); }

    /// @brief True while the event is still to be posted; never takes a lock.
    [[nodiscard]] bool active() const noexcept {
        return slot_ && slot_->generation.load(std::memory_order_acquire) == generation_;
    }

    /// @brief Same as active().
    [[nodiscard]] explicit operator bool() const noexcept { return active(); }

    /// @brief Stops the event; true when it was still to be posted. The handle stays bound (active() is then false).
    bool cancel() noexcept {
        if(!active()) {
            return false; // ended already: posted, refused, cancelled, or its scheduler is gone
        }
        return owner_->cancel(*slot_, generation_);
    }

    /// @brief Cancels the event and empties the handle.
    void reset() noexcept {
        if(owner_) {
            (void)cancel();
            release();
        }
    }

    /// @brief Empties the handle without cancelling: the event stays scheduled (a periodic one
    /// until its scheduler is destroyed).
    void detach() noexcept {
        if(owner_) {
            release();
        }
    }

private:
    void release() noexcept {
        std::exchange(owner_, nullptr)->release();
        slot_ = nullptr;
    }

    detail::timer_owner *owner_{nullptr};
    detail::timer_slot_base *slot_{nullptr};
    std::uint64_t generation_{0u};
};

} // namespace evbus

#endif
