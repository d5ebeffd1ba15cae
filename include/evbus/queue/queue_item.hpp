#ifndef EVBUS_QUEUE_QUEUE_ITEM_HPP
#define EVBUS_QUEUE_QUEUE_ITEM_HPP

/// @file
/// @brief detail::queue_item: how a post queue stores its events (the event itself, or an
/// envelope), and detail::item_batch, uninitialized room for a batch of them.

#include <algorithm>
#include <cstddef>
#include <iterator>
#include <new>
#include <type_traits>
#include <utility>

#include "envelope.hpp"

namespace evbus::detail {

/// Largest event a channel's queue stores as itself: queues allocate room for many items at once
/// (moodycamel, six blocks of 64 when built), so larger events go to the heap in an envelope.
inline constexpr std::size_t max_inline_channel_event = 128u;

/// A queue of one event type stores the event itself when moving it cannot throw (a queue
/// moves items while it grows), its alignment is ordinary and it is at most
/// max_inline_channel_event bytes; otherwise an envelope.
template<typename Event>
using channel_item_t =
    std::conditional_t<std::is_nothrow_move_constructible_v<Event> && alignof(Event) <= alignof(std::max_align_t) &&
                           sizeof(Event) <= max_inline_channel_event,
                       Event, envelope>;

/// What the post queue of Event holds: channel_item_t<Event>, or for void (a bus, any event
/// type) an envelope.
template<typename Event>
struct queue_item_of {
    using type = channel_item_t<Event>;
};
template<>
struct queue_item_of<void> {
    using type = envelope;
};
template<typename Event>
using queue_item_of_t = typename queue_item_of<Event>::type;

/// Traits of a queue item: how to make one, find its payload and release it. This one is for a
/// queue that stores Item, an event type, as itself. Items are made as values (not in place) so
/// that the compiler can keep a post's item in registers.
template<typename Item>
struct queue_item_traits {
    static_assert(std::is_nothrow_move_constructible_v<Item>, "evbus: queued items must move without throwing");

    template<typename Event, typename Arg>
    [[nodiscard]] static Item make(delivery_fn, Arg &&arg) {
        static_assert(std::is_constructible_v<Item, Arg &&>,
                      "evbus: the event type cannot be built from this argument");
        return Item(std::forward<Arg>(arg));
    }

    [[nodiscard]] static const void *payload(const Item &item) noexcept { return std::addressof(item); }

    /// Frees what the item owns beyond what its destructor frees (for an event: nothing).
    static void release(Item &) noexcept {}
};

/// Traits of envelopes, which own a heap payload until released.
template<>
struct queue_item_traits<envelope> {
    template<typename Event, typename Arg>
    [[nodiscard]] static envelope make(delivery_fn delivery, Arg &&arg) {
        envelope item; // NOLINT: emplace fills it
        item.template emplace<Event>(delivery, std::forward<Arg>(arg));
        return item;
    }

    [[nodiscard]] static const void *payload(const envelope &item) noexcept { return item.payload(); }

    static void release(envelope &item) noexcept { item.release(); }
};

/// Ends an item in raw storage that will not be used again: delivered, discarded, or never queued.
template<typename Item>
void destroy_item(Item &item) noexcept {
    queue_item_traits<Item>::release(item);
    item.~Item();
}

/// Items per batch: up to 64, and at most 4 KiB of stack (items are at most 128 bytes).
template<typename Item>
inline constexpr std::size_t batch_capacity = std::clamp<std::size_t>(4096u / sizeof(Item), 1u, 64u);

/// Uninitialized room for up to Capacity items; the caller tracks which are alive.
template<typename Item, std::size_t Capacity = batch_capacity<Item>>
class item_batch {
public:
    static constexpr std::size_t capacity = Capacity;

    /// Output iterator that constructs each assigned item in place (for bulk dequeues).
    class inserter {
    public:
        using iterator_category = std::output_iterator_tag;
        using value_type = void;
        using difference_type = std::ptrdiff_t;
        using pointer = void;
        using reference = void;

        struct slot {
            Item *where;
            // NOLINTNEXTLINE(misc-unconventional-assign-operator): constructs, as an output iterator must
            void operator=(Item &&item) const noexcept { ::new(static_cast<void *>(where)) Item(std::move(item)); }
        };

        explicit inserter(Item *where) noexcept: where_{where} {}
        [[nodiscard]] slot operator*() const noexcept { return slot{where_}; }
        inserter &operator++() noexcept {
            ++where_;
            return *this;
        }
        inserter operator++(int) noexcept { return inserter{where_++}; }

    private:
        Item *where_;
    };

    item_batch() noexcept {} // NOLINT: storage stays uninitialized
    item_batch(const item_batch &) = delete;
    item_batch &operator=(const item_batch &) = delete;

    /// Room for item i, alive or not.
    [[nodiscard]] Item *at(std::size_t i) noexcept { return reinterpret_cast<Item *>(storage_) + i; }
    /// Item i, which must be alive.
    [[nodiscard]] Item &operator[](std::size_t i) noexcept { return *std::launder(at(i)); }
    [[nodiscard]] inserter out() noexcept { return inserter{at(0)}; }

private:
    alignas(Item) unsigned char storage_[sizeof(Item) * capacity];
};

/// Hands out the first count items of an item_batch, oldest first, like local_queue::cursor.
/// Whoever holds it takes every item.
template<typename Item>
class batch_cursor {
public:
    template<std::size_t Capacity>
    batch_cursor(item_batch<Item, Capacity> &items, std::size_t count) noexcept
        : next_{items.at(0)}, end_{next_ + count}, taken_{count} {}

    batch_cursor(const batch_cursor &) = delete;
    batch_cursor &operator=(const batch_cursor &) = delete;

    /// The next item, or null when all are taken.
    [[nodiscard]] Item *front() const noexcept { return next_ != end_ ? std::launder(next_) : nullptr; }

    /// Takes items while there are some and keep(item) is true, calling f(item) (which must not
    /// throw) on each and ending it.
    template<typename Keep, typename F>
    void take_while(Keep &&keep, F &&f) noexcept {
        static_assert(std::is_nothrow_invocable_v<F &, Item &>, "evbus: a delivery callback must be noexcept");
        Item *next = next_;
        Item *const end = end_;
        for(; next != end && keep(std::as_const(*std::launder(next))); ++next) {
            f(*std::launder(next));
            detail::destroy_item(*std::launder(next));
        }
        next_ = next;
    }

    /// How many items this cursor hands out.
    [[nodiscard]] std::size_t taken() const noexcept { return taken_; }

private:
    Item *next_;
    Item *end_;
    std::size_t taken_;
};

} // namespace evbus::detail

#endif
