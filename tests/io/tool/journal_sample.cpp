// Writes the journals the evbus-journal tests read (tools/CMakeLists.txt): DIR/good.evj (5 ticks
// and a codec event), DIR/corrupt.evj (one bit of the last record flipped), DIR/torn.evj (cut in
// the middle of the last record), DIR/span.evj (two records 2^64 ns apart) and DIR/not_a_journal.evj.
// Usage: evbus_journal_sample DIR
#include <evbus/io/journal_writer.hpp>

#include <cstdint>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "../journal_fixture.hpp"

namespace {
std::int64_t fake_now = 1'764'547'200'000'000'000; // 2025-12-01T00:00:00Z
std::int64_t fake_timestamp() noexcept { return fake_now; }
} // namespace

int main(int argc, char **argv) {
    if(argc != 2) {
        std::fprintf(stderr, "usage: evbus_journal_sample DIR\n");
        return 2;
    }
    const std::string dir = argv[1];
    const std::string good = dir + "/good.evj";
    {
        evbus::journal_config config;
        config.timestamp = &fake_timestamp;
        evbus::st_bus bus;
        evbus::journal_writer jw{good, config};
        auto a = jw.record<journal_test::tick>(bus);
        auto b = jw.record<journal_test::note>(bus);
        for(int i = 0; i < 5; ++i) {
            fake_now += 250'000'000; // 0.25 s apart
            bus.publish(journal_test::tick{i, 100.0 + i});
        }
        fake_now += 250'000'000;
        bus.publish(journal_test::note{"end of session", 3});
    }
    {
        // span.evj: two ticks at the ends of int64_t, 2^64 ns apart (valid checksums: a crafted file)
        evbus::journal_config config;
        config.timestamp = &fake_timestamp;
        evbus::st_bus bus;
        evbus::journal_writer jw{dir + "/span.evj", config};
        auto a = jw.record<journal_test::tick>(bus);
        fake_now = std::numeric_limits<std::int64_t>::max() - 1;
        bus.publish(journal_test::tick{1, 1.0});
        fake_now = std::numeric_limits<std::int64_t>::min() + 1;
        bus.publish(journal_test::tick{2, 2.0});
        fake_now = 1'764'547'200'000'000'000;
    }
    std::vector<std::byte> bytes = journal_test::read_all(good);
    std::vector<std::byte> corrupt = bytes;
    corrupt[corrupt.size() - 9u] ^= std::byte{0x10}; // inside the last record's payload
    journal_test::write_all(dir + "/corrupt.evj", corrupt.data(), corrupt.size());
    journal_test::write_all(dir + "/torn.evj", bytes.data(), bytes.size() - 13u);
    const char text[] = "just some text, not a journal at all\n";
    journal_test::write_all(dir + "/not_a_journal.evj", reinterpret_cast<const std::byte *>(text), sizeof text - 1u);
    return 0;
}
