#ifndef EVBUS_IO_CODEC_HPP
#define EVBUS_IO_CODEC_HPP

/// @file
/// @brief evbus::codec: how an event becomes bytes and back (journal, bridges). Trivially copyable
/// events are their bytes; other types specialize evbus::codec<E>.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>
#include <type_traits>

#include "../config.hpp"

namespace evbus {

namespace detail {

/// A growable byte buffer: one allocation, grown by doubling, never shrunk; clear() keeps it.
class byte_buffer {
public:
    byte_buffer() noexcept = default;
    explicit byte_buffer(std::size_t capacity): data_{new std::byte[capacity]}, capacity_{capacity} {}

    [[nodiscard]] std::byte *data() noexcept { return data_.get(); }
    [[nodiscard]] const std::byte *data() const noexcept { return data_.get(); }
    [[nodiscard]] std::size_t size() const noexcept { return size_; }
    [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }
    void clear() noexcept { size_ = 0u; }

    /// Makes room for n more bytes and returns where they go; size() grows by n.
    std::byte *extend(std::size_t n) {
        if(EVBUS_UNLIKELY(capacity_ - size_ < n)) {
            grow(size_ + n);
        }
        std::byte *at = data_.get() + size_;
        size_ += n;
        return at;
    }

    void append(const void *bytes, std::size_t n) {
        if(n != 0u) {
            std::memcpy(extend(n), bytes, n);
        }
    }

    /// Drops the bytes after the first n.
    void truncate(std::size_t n) noexcept { size_ = n < size_ ? n : size_; }

private:
    EVBUS_COLD void grow(std::size_t needed) {
        std::size_t capacity = capacity_ < 64u ? 64u : capacity_;
        while(capacity < needed) {
            capacity *= 2u;
        }
        std::unique_ptr<std::byte[]> grown{new std::byte[capacity]};
        if(size_ != 0u) {
            std::memcpy(grown.get(), data_.get(), size_);
        }
        data_ = std::move(grown);
        capacity_ = capacity;
    }

    std::unique_ptr<std::byte[]> data_;
    std::size_t size_{0u};
    std::size_t capacity_{0u};
};

} // namespace detail

/// @brief Where a codec writes an event's bytes: append-only, in the host's byte order.
class byte_sink {
public:
    /// @brief A sink appending to buffer (used by the journal and the bridges).
    explicit byte_sink(detail::byte_buffer &buffer) noexcept: buffer_{&buffer} {}

    /// @brief Appends size bytes from data.
    void write(const void *data, std::size_t size) { buffer_->append(data, size); }

    /// @brief Appends the bytes of a trivially copyable value (an integer, a double, a small struct).
    template<typename Value>
    void write_value(const Value &value) {
        static_assert(std::is_trivially_copyable_v<Value>, "evbus::byte_sink::write_value: a trivially copyable value");
        write(&value, sizeof(Value));
    }

    /// @brief Appends a string as a 32-bit length followed by its bytes (read back by byte_source::read_string).
    void write_string(std::string_view text) {
        write_value(static_cast<std::uint32_t>(text.size()));
        write(text.data(), text.size());
    }

private:
    detail::byte_buffer *buffer_;
};

/// @brief What a codec reads an event from: a cursor over the payload; every read checks the bounds.
class byte_source {
public:
    /// @brief A source over [data, data + size).
    byte_source(const std::byte *data, std::size_t size) noexcept: data_{data}, size_{size} {}

    /// @brief Bytes not read yet.
    [[nodiscard]] std::size_t remaining() const noexcept { return size_ - at_; }

    /// @brief Copies size bytes to out; false (nothing read) when fewer remain.
    [[nodiscard]] bool read(void *out, std::size_t size) noexcept {
        if(size > remaining()) {
            return false;
        }
        if(size != 0u) {
            std::memcpy(out, data_ + at_, size);
        }
        at_ += size;
        return true;
    }

    /// @brief Reads a trivially copyable value written by byte_sink::write_value.
    template<typename Value>
    [[nodiscard]] bool read_value(Value &out) noexcept {
        static_assert(std::is_trivially_copyable_v<Value>,
                      "evbus::byte_source::read_value: a trivially copyable value");
        return read(&out, sizeof(Value));
    }

    /// @brief A view of the next size bytes (valid while the payload is), or false when fewer remain.
    [[nodiscard]] bool read_view(std::string_view &out, std::size_t size) noexcept {
        if(size > remaining()) {
            return false;
        }
        out = std::string_view{reinterpret_cast<const char *>(data_ + at_), size};
        at_ += size;
        return true;
    }

    /// @brief Reads a string written by byte_sink::write_string into out (any type with assign(ptr, n)).
    template<typename String>
    [[nodiscard]] bool read_string(String &out) {
        std::uint32_t size = 0u;
        std::string_view view;
        if(!read_value(size) || !read_view(view, size)) {
            return false;
        }
        out.assign(view.data(), view.size());
        return true;
    }

private:
    const std::byte *data_;
    std::size_t size_;
    std::size_t at_{0u};
};

namespace detail {

/// The codec of a trivially copyable event: its sizeof(Event) bytes, padding included.
template<typename Event>
struct bytes_codec {
    /// Marks the fixed-size encoding: the payload is always sizeof(Event) bytes.
    static constexpr bool is_bytes = true;
    static void encode(const Event &event, byte_sink &out) { out.write(&event, sizeof(Event)); }
    [[nodiscard]] static bool decode(byte_source &in, Event &event) noexcept {
        return in.remaining() == sizeof(Event) && in.read(&event, sizeof(Event));
    }
};

/// No codec: what codec<Event> is for a type that is not trivially copyable and has no specialization.
struct no_codec {};

} // namespace detail

/// @brief How Event is encoded: trivially copyable types are carried as their bytes; specialize it
/// for any other type with `static void encode(const E&, evbus::byte_sink&)` and
/// `static bool decode(evbus::byte_source&, E&)` (false: malformed; E is value-initialized first).
/// @details The bytes of a trivially copyable event include its padding, as whatever it holds:
/// value-initialize events (`tick t{}` or `tick{1, 2.0}`) for byte-for-byte reproducible files.
/// Bytes are in the host's byte order.
template<typename Event>
struct codec: std::conditional_t<std::is_trivially_copyable_v<Event>, detail::bytes_codec<Event>, detail::no_codec> {};

namespace detail {

template<typename Event, typename = void>
struct has_codec: std::false_type {};

template<typename Event>
struct has_codec<
    Event, std::void_t<decltype(codec<Event>::encode(std::declval<const Event &>(), std::declval<byte_sink &>())),
                       decltype(bool{codec<Event>::decode(std::declval<byte_source &>(), std::declval<Event &>())})>>
    : std::true_type {};

template<typename Event, typename = void>
struct is_bytes_codec: std::false_type {};

template<typename Event>
struct is_bytes_codec<Event, std::void_t<decltype(codec<Event>::is_bytes)>>
    : std::bool_constant<codec<Event>::is_bytes> {};

} // namespace detail

/// @brief True when Event can be encoded and decoded: trivially copyable, or evbus::codec<Event> specialized.
template<typename Event>
inline constexpr bool has_codec_v = detail::has_codec<Event>::value;

/// @brief True when Event travels as its sizeof(Event) bytes (the default codec of a trivially copyable type).
template<typename Event>
inline constexpr bool is_bytes_codec_v = detail::is_bytes_codec<Event>::value;

namespace detail {

/// Fails the build with a message naming what is missing for Event to leave the process.
template<typename Event>
constexpr bool assert_codable() noexcept {
    static_assert(has_codec_v<Event>,
                  "evbus: this event type is not trivially copyable, so it needs a codec: specialize "
                  "evbus::codec<E> with `static void encode(const E&, evbus::byte_sink&)` and "
                  "`static bool decode(evbus::byte_source&, E&)` (docs/journal.md, \"Codecs\")");
    static_assert(std::is_default_constructible_v<Event>,
                  "evbus: an event that is decoded must be default constructible (decode fills a "
                  "value-initialized E)");
    return has_codec_v<Event> && std::is_default_constructible_v<Event>;
}

} // namespace detail

} // namespace evbus

#endif
