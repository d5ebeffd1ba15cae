// Writes the seed corpus of the journal_reader fuzz target: small valid journals of ticks and notes.
// Usage: fuzz_journal_seeds DIR (the committed corpus, fuzz/corpus/journal, was written by it).
#include <cstdio>
#include <string>

#include <evbus/core/bus.hpp>
#include <evbus/io/journal_writer.hpp>

#include "journal_types.hpp"

int main(int argc, char **argv) {
    if(argc != 2) {
        std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    for(int seed = 0; seed < 6; ++seed) {
        const std::string path = std::string{argv[1]} + "/seed_" + std::to_string(seed) + ".evj";
        evbus::st_bus bus;
        evbus::journal_writer jw{path};
        auto a = jw.record<evbus_fuzz::tick>(bus);
        auto b = jw.record<evbus_fuzz::note>(bus);
        for(int i = 0; i < seed * 2; ++i) {
            if((i + seed) % 3 == 0) {
                bus.publish(evbus_fuzz::note{std::string(static_cast<std::size_t>(i), 'a' + static_cast<char>(seed))});
            } else {
                evbus_fuzz::tick t{};
                t.id = i;
                t.px = 100.0 + i;
                bus.publish(t);
            }
        }
    }
    return 0;
}
