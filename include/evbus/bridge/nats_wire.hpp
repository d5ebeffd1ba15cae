#ifndef EVBUS_BRIDGE_NATS_WIRE_HPP
#define EVBUS_BRIDGE_NATS_WIRE_HPP

/// @file
/// @brief The wire format of the NATS bridge: the codec's bytes as the payload, the type's stable
/// name and version in two NATS headers (docs/bridge.md, "Wire format"). No libnats here, so the
/// decoder can be tested and fuzzed on its own.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "../io/codec.hpp"
#include "../io/event_traits.hpp"

namespace evbus::nats {

/// @brief The NATS header that carries event_traits<E>::name.
inline constexpr std::string_view type_header = "Evbus-Type";

/// @brief The NATS header that carries event_traits<E>::version, in decimal.
inline constexpr std::string_view version_header = "Evbus-Version";

/// @brief Why a message did not decode (or `ok`).
enum class decode_status {
    ok,            ///< decoded
    no_type,       ///< no Evbus-Type header (a message that is not the bridge's)
    wrong_type,    ///< an Evbus-Type other than the receiving event's name that is not a well-formed message of
                   ///< another type (an empty name or one with control characters or spaces; no valid version)
    other_type,    ///< a well-formed message of another event type: skipped, not malformed (see docs/bridge.md)
    wrong_version, ///< a missing, unparsable or different Evbus-Version
    bad_payload,   ///< the codec refused the payload, or left bytes unread (a wrong size)
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
    byte_source in{static_cast<const std::byte *>(payload), payload == nullptr ? 0u : size};
    if(!codec<Event>::decode(in, event) || in.remaining() != 0u) {
        return decode_status::bad_payload;
    }
    return decode_status::ok;
}

} // namespace evbus::nats

#endif
