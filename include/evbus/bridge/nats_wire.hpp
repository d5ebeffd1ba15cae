#ifndef EVBUS_BRIDGE_NATS_WIRE_HPP
#define EVBUS_BRIDGE_NATS_WIRE_HPP

/// @file
/// @brief The wire format of the NATS bridge: the codec's bytes as the payload, the type's stable
/// name and version in two NATS headers, or (wire_format::prefix) in a short prefix of the payload
/// (docs/bridge.md, "Wire format"). No libnats here, so the decoders can be tested and fuzzed on
/// their own.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "../io/codec.hpp"
#include "../io/event_traits.hpp"

namespace evbus::nats {

/// @brief The NATS header that carries event_traits<E>::name.
inline constexpr std::string_view type_header = "Evbus-Type";

/// @brief The NATS header that carries event_traits<E>::version, in decimal.
inline constexpr std::string_view version_header = "Evbus-Version";

/// @brief How a bridge's sends carry each event's type name and version (bridge_options::format).
/// Receives accept both, whatever the bridge's format.
enum class wire_format {
    headers, ///< the NATS headers Evbus-Type and Evbus-Version (the default)
    prefix,  ///< a binary prefix of the payload and no headers (cheaper in libnats 3.4.1; docs/bridge.md)
};

/// @brief The first four bytes of a prefix-format payload: "EVB" and the prefix layout's version, 1.
inline constexpr unsigned char prefix_magic[4] = {0x45u, 0x56u, 0x42u, 0x01u};

/// @brief The longest type name the prefix format carries (its length is one byte).
inline constexpr std::size_t prefix_max_name = 255u;

/// @brief Why a message did not decode (or `ok`).
enum class decode_status {
    ok,            ///< decoded
    no_type,       ///< no Evbus-Type header (a message that is not the bridge's)
    wrong_type,    ///< an Evbus-Type other than the receiving event's name that is not a well-formed message of
                   ///< another type (an empty name or one with control characters or spaces; no valid version)
    other_type,    ///< a well-formed message of another event type: skipped, not malformed (see docs/bridge.md)
    wrong_version, ///< a missing, unparsable or different Evbus-Version
    bad_payload,   ///< the codec refused the payload, or left bytes unread (a wrong size)
    bad_prefix,    ///< prefix format: the magic, then a prefix cut short or a type name of length 0
};

namespace detail {

/// Parses a decimal uint32 with nothing else around it ("1", not " 1", "+1", "01x" or "").
[[nodiscard]] constexpr bool parse_version(std::string_view text, std::uint32_t &out) noexcept {
    if(text.empty() || text.size() > 10u) {
        return false;
    }
    std::uint64_t value = 0u;
    for(const char c: text) {
        if(c < '0' || c > '9') {
            return false;
        }
        value = value * 10u + static_cast<std::uint64_t>(c - '0');
    }
    if(value > 0xFFFFFFFFu) {
        return false;
    }
    out = static_cast<std::uint32_t>(value);
    return true;
}

/// A type name another event type could have: not empty, printable ASCII without spaces.
[[nodiscard]] constexpr bool plausible_type_name(std::string_view name) noexcept {
    if(name.empty()) {
        return false;
    }
    for(const char c: name) {
        if(c <= 0x20 || c >= 0x7F) {
            return false;
        }
    }
    return true;
}

/// Writes version in decimal into out (11 bytes: 10 digits and a NUL); returns out.
inline const char *format_version(std::uint32_t version, char (&out)[11]) noexcept {
    char digits[10];
    std::size_t n = 0u;
    do {
        digits[n++] = static_cast<char>('0' + version % 10u);
        version /= 10u;
    } while(version != 0u);
    for(std::size_t i = 0u; i < n; ++i) {
        out[i] = digits[n - 1u - i];
    }
    out[n] = '\0';
    return out;
}

/// The size of the prefix for a type name: magic, name length, name, version.
[[nodiscard]] constexpr std::size_t prefix_size(std::string_view name) noexcept { return 4u + 1u + name.size() + 4u; }

/// Writes the prefix of (name, version) to out, which has prefix_size(name) bytes; name holds 1 to
/// prefix_max_name bytes.
inline void write_prefix(std::string_view name, std::uint32_t version, unsigned char *out) noexcept {
    std::memcpy(out, prefix_magic, 4u);
    out[4] = static_cast<unsigned char>(name.size());
    std::memcpy(out + 5, name.data(), name.size());
    unsigned char *v = out + 5 + name.size();
    for(int i = 0; i < 4; ++i) {
        v[i] = static_cast<unsigned char>((version >> (8 * i)) & 0xFFu); // little-endian on every host
    }
}

/// True when [data, data + size) starts with prefix_magic: a prefix-format payload (or a broken one).
[[nodiscard]] inline bool has_prefix(const void *data, std::size_t size) noexcept {
    return data != nullptr && size >= 4u && std::memcmp(data, prefix_magic, 4u) == 0;
}

/// Decodes the payload of a message whose type name matched: the codec must take all of it.
template<typename Event>
[[nodiscard]] decode_status decode_payload(const void *payload, std::size_t size, Event &event) {
    byte_source in{static_cast<const std::byte *>(payload), payload == nullptr ? 0u : size};
    if(!codec<Event>::decode(in, event) || in.remaining() != 0u) {
        return decode_status::bad_payload;
    }
    return decode_status::ok;
}

} // namespace detail

/// @brief Decodes one bridge message into event: `type` and `version` are the values of the two
/// headers (type == nullptr: the header is absent; the same for version), payload its bytes.
/// @details Survives any input (fuzzed): nothing is read outside [payload, payload + size), and
/// event is only meaningful when the result is decode_status::ok.
template<typename Event>
[[nodiscard]] decode_status decode(const char *type, const char *version, const void *payload, std::size_t size,
                                   Event &event) {
    static_assert(evbus::detail::assert_codable<Event>());
    if(type == nullptr) {
        return decode_status::no_type;
    }
    std::uint32_t parsed = 0u;
    if(std::string_view{type} != event_name<Event>()) {
        // another sender's type on the same subject, or a header that names no type at all
        const bool versioned = version != nullptr && detail::parse_version(version, parsed);
        return versioned && detail::plausible_type_name(type) ? decode_status::other_type : decode_status::wrong_type;
    }
    if(version == nullptr || !detail::parse_version(version, parsed) || parsed != event_version<Event>()) {
        return decode_status::wrong_version;
    }
    return detail::decode_payload(payload, size, event);
}

/// @brief Decodes one prefix-format message (no headers; wire_format::prefix) into event: data is the
/// whole NATS payload, the prefix and then the codec's bytes (layout in docs/bridge.md).
/// @details Survives any input (fuzzed): nothing is read outside [data, data + size). A payload
/// without the magic is no_type; the magic with a prefix cut short or an empty name, bad_prefix;
/// another well-formed type name, other_type; then the same checks as decode().
template<typename Event>
[[nodiscard]] decode_status decode_prefixed(const void *data, std::size_t size, Event &event) {
    static_assert(evbus::detail::assert_codable<Event>());
    if(!detail::has_prefix(data, size)) {
        return decode_status::no_type;
    }
    const auto *bytes = static_cast<const unsigned char *>(data);
    if(size < 5u) {
        return decode_status::bad_prefix;
    }
    const std::size_t n = bytes[4];
    if(n == 0u || size - 5u < n + 4u) {
        return decode_status::bad_prefix;
    }
    const std::string_view type{reinterpret_cast<const char *>(bytes + 5), n};
    if(type != event_name<Event>()) {
        return detail::plausible_type_name(type) ? decode_status::other_type : decode_status::wrong_type;
    }
    const unsigned char *v = bytes + 5 + n;
    const std::uint32_t version = static_cast<std::uint32_t>(v[0]) | (static_cast<std::uint32_t>(v[1]) << 8u) |
                                  (static_cast<std::uint32_t>(v[2]) << 16u) | (static_cast<std::uint32_t>(v[3]) << 24u);
    if(version != event_version<Event>()) {
        return decode_status::wrong_version;
    }
    const std::size_t at = 5u + n + 4u;
    return detail::decode_payload(size == at ? nullptr : bytes + at, size - at, event);
}

} // namespace evbus::nats

#endif
