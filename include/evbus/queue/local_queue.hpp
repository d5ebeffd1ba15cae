#ifndef EVBUS_QUEUE_LOCAL_QUEUE_HPP
#define EVBUS_QUEUE_LOCAL_QUEUE_HPP

/// @file
/// @brief detail::local_queue: a growable ring buffer for single-thread buses and channels.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>
#include <vector>

#include "../config.hpp"
#include "queue_item.hpp"

namespace evbus::detail {

/// FIFO for one thread. Grows by doubling when full; never shrinks, so a steady state allocates
/// nothing. Positions count up without wrapping (64 bits); position p lives in slot p & mask_.
/// Queued items sit at positions [head_, tail_); a cursor hands them over in their slots.
template<typename Item>
class local_queue {
    static_assert(std::is_nothrow_move_constructible_v<Item>, "evbus: queued items must move without throwing");

public:
    struct producer_token {};

    local_queue() = default;
    local_queue(const local_queue &) = delete;
    local_queue &operator=(const local_queue &) = delete;

    ~local_queue() {
        for(; head_ != tail_; ++head_) {
            slot(head_)->~Item();
        }
        if(slots_) {
            std::allocator<Item>{}.deallocate(slots_, capacity());
        }
        free_outgrown();
    }

    [[nodiscard]] producer_token make_token() noexcept { return {}; }

    bool enqueue(producer_token &, Item &&item) { return enqueue(std::move(item)); }

    /// Moves item in; false (item untouched) when growing the ring fails to allocate.
    bool enqueue(Item &&item) {
        return emplace([&item]() noexcept -> Item && { return std::move(item); });
    }

    /// Moves count items from *first, *(first + 1)... (first yields Item&&: a move iterator).
    template<typename It>
    bool enqueue_bulk(producer_token &, It first, std::size_t count) {
        return enqueue_bulk(first, count);
    }

    /// Builds make()'s result in the next slot; false (make not called) when growing the ring
    /// fails to allocate. If make throws, nothing is queued.
    template<typename Make>
    bool emplace(Make &&make) {
        if(EVBUS_UNLIKELY(tail_ == limit_) && !grow_to_fit(1u)) {
            return false;
        }
        ::new(static_cast<void *>(slots_ + (tail_ & mask_))) Item(make());
        ++tail_;
        return true;
    }

    /// All or nothing: false (no item taken) when growing the ring fails to allocate.
    template<typename It>
    bool enqueue_bulk(It first, std::size_t count) {
        if(limit_ - tail_ < count && !grow_to_fit(count)) {
            return false;
        }
        for(std::size_t i = 0; i < count; ++i, ++first) {
            ::new(static_cast<void *>(slots_ + (tail_ & mask_))) Item(*first);
            ++tail_;
        }
        return true;
    }

    /// A consume in progress: hands out up to max queued items, oldest first, each in its slot.
    /// Whoever takes an item may post (items go behind) and consume again: a nested consume takes
    /// the items after the current one, and those count against this cursor's max. The slots
    /// from where the outermost consume began stay reserved until its cursor ends (the ring is
    /// full when tail_ reaches limit_), and storage the ring grows out of meanwhile is freed
    /// only then.
    class cursor {
    public:
        cursor(local_queue &queue, std::size_t max) noexcept
            : queue_{queue}, position_{queue.head_},
              end_{position_ + std::min<std::uint64_t>(max, queue.tail_ - queue.head_)}, outermost_{!queue.consuming_} {
            queue.consuming_ = true;
        }

        cursor(const cursor &) = delete;
        cursor &operator=(const cursor &) = delete;

        ~cursor() {
            if(outermost_) {
                queue_.end_consume();
            }
        }

        /// The next item, or null when this cursor's share is taken.
        [[nodiscard]] EVBUS_ALWAYS_INLINE Item *front() noexcept {
            if(EVBUS_UNLIKELY(queue_.head_ != position_)) { // whoever took the last item consumed too
                position_ = queue_.head_;
            }
            return position_ < end_ ? queue_.slot(position_) : nullptr;
        }

        /// Takes items from the front while there are some and keep(item) is true, calling f(item)
        /// (which must not throw) on each and ending it.
        template<typename Keep, typename F>
        EVBUS_ALWAYS_INLINE void take_while(Keep &&keep, F &&f) noexcept {
            static_assert(std::is_nothrow_invocable_v<F &, Item &>, "evbus: a delivery callback must be noexcept");
            // Positions in registers: f may post, grow the ring or consume, so only the queue's
            // own fields are read again after it, and head_ only to notice a nested consume (a
            // predicted branch, not a chain of stores and reloads).
            local_queue &queue = queue_;
            const std::uint64_t end = end_;
            std::uint64_t position = position_;
            std::size_t taken = taken_;
            for(;;) {
                if(EVBUS_UNLIKELY(queue.head_ != position)) {
                    position = queue.head_; // f consumed too
                }
                if(position >= end) {
                    break;
                }
                Item *item = queue.slot(position);
                if(!keep(std::as_const(*item))) {
                    break;
                }
                queue.head_ = ++position;
                ++taken;
                f(*item);
                detail::destroy_item(*item);
            }
            position_ = position;
            taken_ = taken;
        }

        /// How many items this cursor has handed out.
        [[nodiscard]] std::size_t taken() const noexcept { return taken_; }

    private:
        local_queue &queue_;
        std::uint64_t position_;
        std::uint64_t end_;
        std::size_t taken_{0};
        bool outermost_;
    };

private:
    [[nodiscard]] Item *slot(std::uint64_t position) noexcept { return std::launder(slots_ + (position & mask_)); }

    [[nodiscard]] std::size_t capacity() const noexcept { return slots_ ? mask_ + 1u : 0u; }

    /// Doubles the ring until count more items fit; false when an allocation fails. Storage that
    /// still holds items being consumed (slots before head_) is kept until the outermost consume ends.
    EVBUS_COLD bool grow_to_fit(std::size_t count) noexcept {
        const std::size_t old_capacity = capacity();
        const auto queued = static_cast<std::size_t>(tail_ - head_);
        std::size_t capacity = old_capacity ? old_capacity * 2u : 64u;
        while(capacity - queued < count) {
            capacity *= 2u;
        }
        const bool keep_old = slots_ && consuming_ && limit_ - old_capacity < head_;
        Item *slots = nullptr;
        EVBUS_TRY {
            slots = std::allocator<Item>{}.allocate(capacity);
            if(keep_old) {
                outgrown_.emplace_back(slots_, old_capacity);
            }
        }
        EVBUS_CATCH { // out of memory: allocate() and emplace_back() throw nothing else
            if(slots) {
                std::allocator<Item>{}.deallocate(slots, capacity);
            }
            return false;
        }
        const std::size_t mask = capacity - 1u;
        for(std::uint64_t p = head_; p != tail_; ++p) {
            Item *from = slot(p);
            ::new(static_cast<void *>(slots + (p & mask))) Item(std::move(*from));
            from->~Item();
        }
        if(slots_ && !keep_old) {
            std::allocator<Item>{}.deallocate(slots_, old_capacity);
        }
        slots_ = slots;
        mask_ = mask;
        limit_ = head_ + capacity; // nothing of the new storage is reserved yet
        return true;
    }

    /// The outermost cursor ended: nothing is reserved beyond the queued items any more.
    void end_consume() noexcept {
        consuming_ = false;
        limit_ = head_ + capacity();
        if(EVBUS_UNLIKELY(!outgrown_.empty())) {
            free_outgrown();
        }
    }

    EVBUS_COLD void free_outgrown() noexcept {
        for(const auto &[slots, capacity]: outgrown_) {
            std::allocator<Item>{}.deallocate(slots, capacity);
        }
        outgrown_.clear();
    }

    Item *slots_{nullptr};
    std::size_t mask_{0};
    std::uint64_t head_{0};  // position of the oldest queued item
    std::uint64_t tail_{0};  // position the next item goes to
    std::uint64_t limit_{0}; // tail_ == limit_: full (the reserved start, or head_, plus the capacity)
    bool consuming_{false};
    std::vector<std::pair<Item *, std::size_t>> outgrown_; // storage to free when consuming ends
};

} // namespace evbus::detail

#endif
