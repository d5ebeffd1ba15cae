#ifndef EVBUS_QUEUE_ENVELOPE_HPP
#define EVBUS_QUEUE_ENVELOPE_HPP

/// @file
/// @brief detail::envelope: one queued event of any type, as 64 trivially copyable bytes.

#include <cstddef>
#include <cstring>
#include <new>
#include <type_traits>
#include <utility>

namespace evbus::detail {

struct envelope;

/// The function that delivers a run of events of one type, stored with each event by the owner of
/// the queue (a bus; a channel, which carries one type, leaves it null), and so also what names
/// the event's type; any function pointer, converted back before a call.
using delivery_fn = void (*)();

/// How to free the payload of one heap-stored event type.
struct envelope_ops {
    void (*destroy)(envelope &self) noexcept;
};

/// A queued event: one cache line, trivially copyable, so queues move it with a
/// plain copy. Trivially copyable events of at most inline_size bytes (alignment
/// at most 16) are stored inline; any other event is moved to the heap (one
/// allocation per post) and the envelope holds the pointer; `ops` is null for
/// inline events, so delivering them never touches another cache line. An
/// envelope owns its payload until release() is called.
struct envelope {
    static constexpr std::size_t inline_size = 48u;
    static constexpr std::size_t inline_align = 16u;

    template<typename Event>
    static constexpr bool fits_inline = std::is_trivially_copyable_v<Event> && sizeof(Event) <= inline_size &&
                                        alignof(Event) <= inline_align;

    const envelope_ops *ops;
    delivery_fn delivery;
    alignas(inline_align) unsigned char storage[inline_size];

    /// Stores an Event built from arg, with the function that delivers it.
    template<typename Event, typename Arg>
    void emplace(delivery_fn deliver, Arg &&arg);

    /// The payload, which must be an Event (stored inline or not as fits_inline<Event> says).
    template<typename Event>
    [[nodiscard]] const Event &get() const noexcept {
        if constexpr(fits_inline<Event>) {
            return *std::launder(reinterpret_cast<const Event *>(storage));
        } else {
            const Event *heap;
            std::memcpy(&heap, storage, sizeof(heap));
            return *heap;
        }
    }

    [[nodiscard]] const void *payload() const noexcept {
        if(ops) {
            void *heap;
            std::memcpy(&heap, storage, sizeof(heap));
            return heap;
        }
        return storage;
    }

    /// Frees the payload; the envelope is garbage afterwards.
    void release() noexcept {
        if(ops) {
            ops->destroy(*this);
        }
    }
};

static_assert(sizeof(envelope) == 64u, "an envelope is one cache line");
static_assert(std::is_trivially_copyable_v<envelope>, "queues copy envelopes bytewise");

template<typename Event>
void envelope_destroy_heap(envelope &self) noexcept {
    Event *heap;
    std::memcpy(&heap, self.storage, sizeof(heap));
    delete heap;
}

template<typename Event>
inline constexpr envelope_ops envelope_heap_ops{&envelope_destroy_heap<Event>};

template<typename Event, typename Arg>
void envelope::emplace(delivery_fn deliver, Arg &&arg) {
    if constexpr(fits_inline<Event>) {
        ::new(static_cast<void *>(storage)) Event(std::forward<Arg>(arg));
        ops = nullptr;
    } else {
        Event *heap = new Event(std::forward<Arg>(arg));
        std::memcpy(storage, &heap, sizeof(heap));
        ops = &envelope_heap_ops<Event>;
    }
    delivery = deliver;
}

} // namespace evbus::detail

#endif
