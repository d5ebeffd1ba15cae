#ifndef EVBUS_IO_JOURNAL_FORMAT_HPP
#define EVBUS_IO_JOURNAL_FORMAT_HPP

/// @file
/// @brief The journal's file format (docs/journal.md, "File format") and the process-wide table of
/// the event types this build can replay.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "../core/bus.hpp"
#include "../core/diagnostics.hpp"
#include "../core/type_index.hpp"
#include "codec.hpp"
#include "crc32c.hpp"
#include "event_traits.hpp"

namespace evbus {

/// @brief The journal format version this build writes, and the newest it reads.
inline constexpr std::uint16_t journal_format_version = 1u;

namespace detail::journal {

inline constexpr char magic[8] = {'E', 'V', 'B', 'U', 'S', 'J', 'N', 'L'};
inline constexpr std::uint32_t byte_order_mark = 0x01020304u; // written in the host's byte order
inline constexpr std::size_t file_header_size = 32u;
inline constexpr std::size_t frame_header_size = 32u;
inline constexpr std::size_t alignment = 8u;
inline constexpr std::size_t type_entry_fixed = 20u; // id, version, size, encoding, name length
inline constexpr std::uint32_t type_entry_type = 0u; // the type field of a type-table frame
inline constexpr std::uint32_t encoding_bytes = 0u;  // payload: the event's sizeof(E) bytes
inline constexpr std::uint32_t encoding_codec = 1u;  // payload: what codec<E>::encode wrote
inline constexpr std::size_t max_name_length = 1024u;
inline constexpr std::uint32_t max_types = 65535u; // type ids per journal: 1 ... max_types

// Offsets of the fields of a frame header.
inline constexpr std::size_t at_length = 0u;
inline constexpr std::size_t at_crc = 4u;
inline constexpr std::size_t at_type = 8u;
inline constexpr std::size_t at_reserved = 12u;
inline constexpr std::size_t at_sequence = 16u;
inline constexpr std::size_t at_timestamp = 24u;

[[nodiscard]] constexpr std::size_t padded(std::size_t length) noexcept {
    return (length + alignment - 1u) & ~(alignment - 1u);
}

template<typename Value>
[[nodiscard]] inline Value load(const std::byte *at) noexcept {
    Value value;
    std::memcpy(&value, at, sizeof(Value));
    return value;
}

template<typename Value>
inline void store(std::byte *at, Value value) noexcept {
    std::memcpy(at, &value, sizeof(Value));
}

/// The CRC of a frame: its length field, then everything after the CRC field up to the padded end.
[[nodiscard]] inline std::uint32_t frame_crc(const std::byte *frame, std::size_t padded_length) noexcept {
    return crc32c(frame + at_type, padded_length - at_type, crc32c(frame + at_length, 4u));
}

/// Writes a 32-byte file header into out (created: nanoseconds since the Unix epoch).
inline void make_file_header(std::byte *out, std::int64_t created) noexcept {
    std::memset(out, 0, file_header_size);
    std::memcpy(out, magic, sizeof magic);
    store(out + 8, byte_order_mark);
    store(out + 12, journal_format_version);
    store(out + 14, static_cast<std::uint16_t>(file_header_size));
    store(out + 16, created);
    store(out + 28, crc32c(out, 28u));
}

/// Raises errc::io_error with `what` followed by the OS's description of error_number.
[[noreturn]] EVBUS_COLD inline void raise_io(std::string_view what, int error_number) {
    std::string message{what};
    message += std::strerror(error_number);
    raise(errc::io_error, message.c_str());
}

using deliver_fn = bool (*)(const std::byte *payload, std::size_t size, void *bus);

/// What this build knows of one event type: enough to recognize its records and publish them.
struct known_type {
    std::string_view name;
    std::uint32_t version;
    std::uint32_t size; // sizeof(E) for the bytes encoding, 0 for a codec
    std::uint32_t encoding;
    std::size_t index;         // detail::type_index<E>
    deliver_fn deliver_multi;  // into a basic_bus<multi_thread>
    deliver_fn deliver_single; // into a basic_bus<single_thread>
    deliver_fn deliver_spsc;   // into a basic_bus<spsc>
};

/// The deliver function of known for a bus of Threading.
template<typename Threading>
[[nodiscard]] deliver_fn deliver_for(const known_type &known) noexcept {
    static_assert(std::is_same_v<Threading, multi_thread> || std::is_same_v<Threading, single_thread> ||
                      std::is_same_v<Threading, spsc>,
                  "evbus::journal_reader::replay: a bus of this threading policy is not supported");
    if constexpr(std::is_same_v<Threading, multi_thread>) {
        return known.deliver_multi;
    } else if constexpr(std::is_same_v<Threading, single_thread>) {
        return known.deliver_single;
    } else {
        return known.deliver_spsc;
    }
}

template<typename Event, typename Threading>
bool deliver(const std::byte *payload, std::size_t size, void *bus) {
    Event event{};
    byte_source in{payload, size};
    if(!codec<Event>::decode(in, event) || in.remaining() != 0u) {
        return false;
    }
    static_cast<basic_bus<Threading> *>(bus)->publish(event);
    return true;
}

template<typename Event>
[[nodiscard]] known_type make_known_type() noexcept {
    return known_type{event_name<Event>(),
                      event_version<Event>(),
                      is_bytes_codec_v<Event> ? static_cast<std::uint32_t>(sizeof(Event)) : 0u,
                      is_bytes_codec_v<Event> ? encoding_bytes : encoding_codec,
                      type_index<Event>::value(),
                      &deliver<Event, multi_thread>,
                      &deliver<Event, single_thread>,
                      &deliver<Event, spsc>};
}

/// The event types this build can replay, process-wide: one entry per (name, version).
class registry {
public:
    [[nodiscard]] static registry &instance() {
        static registry table;
        return table;
    }

    /// Adds a type; returns the entry that holds its (name, version), which is another type's when
    /// two types claim the same name and version (the caller decides whether that is an error).
    const known_type &add(const known_type &type) {
        std::lock_guard<std::mutex> lock{mutex_};
        for(const auto &entry: entries_) {
            if(entry->name == type.name && entry->version == type.version) {
                return *entry;
            }
        }
        entries_.push_back(std::make_unique<known_type>(type));
        return *entries_.back();
    }

    /// The entry of (name, version), or null. Entries live as long as the process.
    [[nodiscard]] const known_type *find(std::string_view name, std::uint32_t version) const {
        std::lock_guard<std::mutex> lock{mutex_};
        for(const auto &entry: entries_) {
            if(entry->name == name && entry->version == version) {
                return entry.get();
            }
        }
        return nullptr;
    }

private:
    registry() = default;
    mutable std::mutex mutex_;
    std::vector<std::unique_ptr<known_type>> entries_;
};

/// Adds Event to the registry; raises errc::invalid_argument if another type has its name and version.
template<typename Event>
const known_type &register_type() {
    const known_type &entry = registry::instance().add(make_known_type<Event>());
    if(EVBUS_UNLIKELY(entry.index != type_index<Event>::value())) {
        raise_naming(errc::invalid_argument, "evbus journal: two event types share the name ", event_name<Event>(),
                     " and one version; give each type its own evbus::event_traits name");
    }
    return entry;
}

/// Registers Event before main() in every program that records or registers it, so that a reader
/// knows the types of the build even where no recording has run yet.
template<typename Event>
struct static_registration {
    static inline const bool done = (registry::instance().add(make_known_type<Event>()), true);
};

} // namespace detail::journal

} // namespace evbus

#endif
