// evbus-journal: prints a journal's header, type table, record count, time span and first records,
// and verifies every frame's checksum. Needs no event types: it reads records without decoding them.
//
// Usage: evbus-journal [-n COUNT] [-q] FILE
//   -n COUNT  records to print (default 10; 0: none)
//   -q        print nothing but errors: only the exit status says whether the file is whole
// Exit status: 0 every frame is whole and valid; 1 a torn or corrupt tail (or header); 2 bad
// arguments, or a file that cannot be read.

#include <evbus/io/journal_reader.hpp>

#include <cerrno>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>

namespace {

constexpr const char *usage = "usage: evbus-journal [-n COUNT] [-q] FILE\n"
                              "  -n COUNT  records to print (default 10; 0: none)\n"
                              "  -q        quiet: print only errors; the exit status tells\n"
                              "exit status: 0 valid, 1 torn or corrupt, 2 bad arguments or unreadable file\n";

constexpr int exit_valid = 0;
constexpr int exit_corrupt = 1;
constexpr int exit_usage = 2;

/// "2026-12-01T16:10:46.123456789Z" for system_clock nanoseconds since the Unix epoch.
std::string utc(std::int64_t ns) {
    std::int64_t seconds = ns / 1'000'000'000;
    std::int64_t fraction = ns % 1'000'000'000;
    if(fraction < 0) {
        fraction += 1'000'000'000;
        --seconds;
    }
    const std::time_t t = static_cast<std::time_t>(seconds);
    std::tm parts{};
    char date[32] = "?";
    if(::gmtime_r(&t, &parts)) {
        std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &parts);
    }
    char out[64];
    std::snprintf(out, sizeof out, "%s.%09" PRId64 "Z", date, fraction);
    return out;
}

/// to - from in seconds, for timestamps anywhere in int64_t (a CRC-valid file may span more than 2^63 ns:
/// subtracting them as int64_t would overflow).
double seconds_between(std::int64_t from, std::int64_t to) {
    const std::uint64_t distance = to >= from ? static_cast<std::uint64_t>(to) - static_cast<std::uint64_t>(from)
                                              : static_cast<std::uint64_t>(from) - static_cast<std::uint64_t>(to);
    const double seconds = static_cast<double>(distance) / 1e9;
    return to >= from ? seconds : -seconds;
}

#if !EVBUS_HAS_EXCEPTIONS
[[noreturn]] void on_error(evbus::errc code, const char *message) noexcept {
    std::fprintf(stderr, "evbus-journal: %s\n", message);
    std::fflush(stderr);
    std::_Exit(code == evbus::errc::format_error ? exit_corrupt : exit_usage);
}
#endif

int inspect(const char *path, unsigned long count, bool quiet) {
    evbus::journal_reader jr{path};
    if(!quiet) {
        std::printf("file        %s, %zu bytes\n", path, jr.size());
        std::printf("format      version %u, created %s\n", static_cast<unsigned>(jr.format_version()),
                    utc(jr.created()).c_str());
    }
    std::uint64_t records = 0u;
    std::int64_t first = 0;
    std::int64_t last = 0;
    std::int64_t lowest = 0;
    std::int64_t highest = 0;
    evbus::journal_record rec;
    while(jr.next(rec)) {
        if(records == 0u) {
            first = lowest = highest = rec.timestamp;
            if(!quiet && count != 0u) {
                std::printf("first       %lu records\n", count);
            }
        }
        last = rec.timestamp;
        lowest = rec.timestamp < lowest ? rec.timestamp : lowest;
        highest = rec.timestamp > highest ? rec.timestamp : highest;
        if(!quiet && records < count) {
            std::printf("  #%-8" PRIu64 " +%.9f s  %s v%u  %zu bytes ", rec.sequence,
                        seconds_between(first, rec.timestamp), std::string{rec.type_name}.c_str(), rec.version,
                        rec.size);
            for(std::size_t i = 0; i < rec.size && i < 16u; ++i) {
                std::printf(" %02x", static_cast<unsigned>(rec.payload[i]));
            }
            std::printf("%s\n", rec.size > 16u ? " ..." : "");
        }
        ++records;
    }
    const evbus::journal_reader_stats &st = jr.stats();
    if(!quiet) {
        std::printf("types       %zu\n", jr.types().size());
        for(const evbus::journal_type &type: jr.types()) {
            if(type.id == 0u) {
                continue; // an id the file skipped
            }
            std::printf("  id %-5u %s v%u  %s\n", type.id, std::string{type.name}.c_str(), type.version,
                        type.codec ? "codec" : (std::to_string(type.size) + " bytes").c_str());
        }
        std::printf("records     %" PRIu64 "\n", records);
        if(records != 0u) {
            std::printf("time span   %s .. %s (%.9f s)\n", utc(first).c_str(), utc(last).c_str(),
                        seconds_between(lowest, highest));
        }
    }
    if(st.corrupt_bytes != 0u) {
        std::fprintf(stderr,
                     "evbus-journal: %s: CORRUPT: the %" PRIu64 " bytes from offset %zu on are not a whole, valid "
                     "record (torn by a crash, or damaged); %" PRIu64 " records before them are valid\n",
                     path, st.corrupt_bytes, jr.size() - static_cast<std::size_t>(st.corrupt_bytes), records);
        return exit_corrupt;
    }
    if(!quiet) {
        std::printf("checksums   OK: every frame is whole and valid\n");
    }
    return exit_valid;
}

} // namespace

int main(int argc, char **argv) {
    unsigned long count = 10u;
    bool quiet = false;
    const char *path = nullptr;
    for(int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if(arg == "-n" && i + 1 < argc) {
            char *end = nullptr;
            errno = 0;
            count = std::strtoul(argv[++i], &end, 10);
            if(end == argv[i] || *end != '\0' || errno == ERANGE || argv[i][0] == '-') {
                std::fprintf(stderr, "evbus-journal: -n needs a count, not '%s'\n%s", argv[i], usage);
                return exit_usage;
            }
        } else if(arg == "-q") {
            quiet = true;
        } else if(arg == "-h" || arg == "--help") {
            std::printf("%s", usage);
            return exit_valid;
        } else if(!arg.empty() && arg[0] != '-' && !path) {
            path = argv[i];
        } else {
            std::fprintf(stderr, "evbus-journal: unexpected argument '%s'\n%s", argv[i], usage);
            return exit_usage;
        }
    }
    if(!path) {
        std::fprintf(stderr, "evbus-journal: no file given\n%s", usage);
        return exit_usage;
    }
#if EVBUS_HAS_EXCEPTIONS
    try {
        return inspect(path, count, quiet);
    } catch(const evbus::error &e) {
        std::fprintf(stderr, "evbus-journal: %s\n", e.what());
        return e.code() == evbus::errc::format_error ? exit_corrupt : exit_usage;
    }
#else
    evbus::set_error_handler(&on_error);
    return inspect(path, count, quiet);
#endif
}
