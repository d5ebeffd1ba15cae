// libFuzzer target: the NATS bridge's decoders over any bytes. selector % 3 picks the event type
// (tick, fill, chat); (selector / 3) % 2 the wire format:
// - headers (evbus::nats::decode): the input is cut into the two header values and the payload, as a
//   message from an unknown sender would carry them:
//     [selector][type length][type][version length][version][payload...]
//   (a length of 0xFF: that header is absent);
// - prefix (evbus::nats::decode_prefixed): the rest of the input is the whole NATS payload:
//     [selector][payload: magic, name length, name, version, event bytes...]
// Neither may read outside the payload (ASan), and a message either accepts must be one the bridge
// could have sent: re-encoding the event (after its prefix) gives the input's bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include <evbus/bridge/nats_wire.hpp>

#include "../tests/bridge/nats_types.hpp"

namespace {

struct cursor {
    const std::uint8_t *data;
    std::size_t size;

    /// Takes one header value: nullptr when absent (length 0xFF) or when the input ends.
    bool header(std::string &out, bool &present) {
        if(size == 0u) {
            return false;
        }
        const std::size_t n = data[0];
        ++data;
        --size;
        present = n != 0xFFu;
        if(!present) {
            return true;
        }
        if(n > size) {
            return false;
        }
        out.assign(reinterpret_cast<const char *>(data), n);
        data += n;
        size -= n;
        return true;
    }
};

template<typename Event>
void check(const std::string &type, bool has_type, const std::string &version, bool has_version,
           const std::uint8_t *payload, std::size_t size) {
    // The payload in its own allocation, so that ASan sees a read one byte past it.
    std::uint8_t *copy = size == 0u ? nullptr : static_cast<std::uint8_t *>(std::malloc(size));
    if(size != 0u) {
        std::memcpy(copy, payload, size);
    }
    Event event{};
    const evbus::nats::decode_status status = evbus::nats::decode(
        has_type ? type.c_str() : nullptr, has_version ? version.c_str() : nullptr, copy, size, event);
    if(status == evbus::nats::decode_status::other_type &&
       (!has_type || !has_version || type == evbus::event_name<Event>() || type.empty())) {
        std::abort(); // only a named, versioned message of another type is skipped as other_type
    }
    if(status == evbus::nats::decode_status::ok) {
        evbus::detail::byte_buffer buffer;
        evbus::byte_sink sink{buffer};
        evbus::codec<Event>::encode(event, sink);
        if(buffer.size() != size || (size != 0u && std::memcmp(buffer.data(), copy, size) != 0)) {
            std::abort(); // accepted bytes that the bridge would not have sent
        }
    }
    std::free(copy);
}

/// The prefix form: the payload in its own allocation; an accepted one re-encodes to the same bytes.
template<typename Event>
void check_prefixed(const std::uint8_t *payload, std::size_t size) {
    std::uint8_t *copy = size == 0u ? nullptr : static_cast<std::uint8_t *>(std::malloc(size));
    if(size != 0u) {
        std::memcpy(copy, payload, size);
    }
    Event event{};
    const evbus::nats::decode_status status = evbus::nats::decode_prefixed(copy, size, event);
    const std::string_view name = evbus::event_name<Event>();
    if(status == evbus::nats::decode_status::other_type &&
       (size < evbus::nats::detail::prefix_size(name) - name.size() ||
        (copy[4] == name.size() && std::memcmp(copy + 5, name.data(), name.size()) == 0))) {
        std::abort(); // other_type only for a whole prefix naming another type
    }
    if(status == evbus::nats::decode_status::ok) {
        evbus::detail::byte_buffer buffer;
        const std::size_t n = evbus::nats::detail::prefix_size(name);
        evbus::nats::detail::write_prefix(name, evbus::event_version<Event>(),
                                          reinterpret_cast<unsigned char *>(buffer.extend(n)));
        evbus::byte_sink sink{buffer};
        evbus::codec<Event>::encode(event, sink);
        if(buffer.size() != size || std::memcmp(buffer.data(), copy, size) != 0) {
            std::abort(); // accepted bytes that the bridge would not have sent
        }
    }
    std::free(copy);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    if(size == 0u) {
        return 0;
    }
    const std::uint8_t selector = data[0];
    if((selector / 3u) % 2u == 1u) {
        switch(selector % 3u) {
        case 0:
            check_prefixed<nats_test::tick>(data + 1, size - 1u);
            break;
        case 1:
            check_prefixed<nats_test::fill>(data + 1, size - 1u);
            break;
        default:
            check_prefixed<nats_test::chat>(data + 1, size - 1u);
            break;
        }
        return 0;
    }
    cursor in{data + 1, size - 1u};
    std::string type, version;
    bool has_type = false, has_version = false;
    if(!in.header(type, has_type) || !in.header(version, has_version)) {
        return 0;
    }
    switch(selector % 3u) {
    case 0:
        check<nats_test::tick>(type, has_type, version, has_version, in.data, in.size);
        break;
    case 1:
        check<nats_test::fill>(type, has_type, version, has_version, in.data, in.size);
        break;
    default:
        check<nats_test::chat>(type, has_type, version, has_version, in.data, in.size);
        break;
    }
    return 0;
}
