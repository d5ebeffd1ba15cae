// libFuzzer target: evbus::journal_reader over any bytes, from memory. The header is refused with an
// evbus::error or accepted; replay() and next() then read records without reading past the input
// (ASan), and every event published is one the writer could have written (checked by the handlers).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <evbus/io/journal_reader.hpp>
#include <evbus/io/journal_writer.hpp>

#include "journal_types.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    static const bool registered = [] {
        evbus::journal_reader::register_type<evbus_fuzz::tick>();
        evbus::journal_reader::register_type<evbus_fuzz::note>();
        return true;
    }();
    (void)registered;
    try {
        evbus::journal_reader jr{data, size};
        evbus::st_bus bus;
        std::size_t seen = 0u;
        auto a = bus.subscribe<evbus_fuzz::tick>([&seen](const evbus_fuzz::tick &) { ++seen; });
        auto b = bus.subscribe<evbus_fuzz::note>([&seen](const evbus_fuzz::note &n) {
            if(n.text.size() > (std::size_t{1} << 20)) {
                std::abort(); // a length the payload cannot hold
            }
            ++seen;
        });
        const std::size_t replayed = jr.replay(bus);
        const auto &st = jr.stats();
        if(replayed != seen || st.replayed != replayed || st.records != st.replayed + st.unknown + st.malformed ||
           st.corrupt_bytes > size) {
            std::abort();
        }
        evbus::journal_reader walk{data, size};
        evbus::journal_record record;
        std::uint64_t last = 0u;
        while(walk.next(record)) {
            if(record.sequence <= last ||
               record.payload + record.size > reinterpret_cast<const std::byte *>(data) + size ||
               record.type_name.empty()) {
                std::abort();
            }
            last = record.sequence;
        }
        if(walk.stats().records != st.records || walk.stats().corrupt_bytes != st.corrupt_bytes) {
            std::abort();
        }
    } catch(const evbus::error &e) {
        if(e.code() != evbus::errc::format_error) {
            std::abort();
        }
    }
    return 0;
}
