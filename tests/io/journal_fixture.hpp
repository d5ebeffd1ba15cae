#ifndef EVBUS_TESTS_IO_JOURNAL_FIXTURE_HPP
#define EVBUS_TESTS_IO_JOURNAL_FIXTURE_HPP

// Event types, traits and file helpers shared by the io tests.
#include <evbus/io/codec.hpp>
#include <evbus/io/event_traits.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <unistd.h>

namespace journal_test {

struct tick {
    int id;
    double px; // 4 bytes of padding before it
};

struct fill {
    std::uint64_t order;
    std::int32_t qty;
    float px;
};

// Not trivially copyable: goes through evbus::codec<note>.
struct note {
    std::string text;
    int level = 0;
};

// A type that the reading build below does not register (it is written by hand).
struct stranger {
    int x;
};

/// A file name of its own for each test, removed when the guard dies.
class temp_file {
public:
    explicit temp_file(const char *name)
        : path_{"/tmp/evbus_io_test_" + std::to_string(::getpid()) + "_" + name + ".evj"} {}
    ~temp_file() { std::remove(path_.c_str()); }
    temp_file(const temp_file &) = delete;
    temp_file &operator=(const temp_file &) = delete;
    [[nodiscard]] const std::string &path() const noexcept { return path_; }
    [[nodiscard]] const char *c_str() const noexcept { return path_.c_str(); }

private:
    std::string path_;
};

inline std::vector<std::byte> read_all(const std::string &path) {
    std::ifstream in{path, std::ios::binary};
    std::vector<char> chars{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
    std::vector<std::byte> bytes(chars.size());
    for(std::size_t i = 0; i < chars.size(); ++i) {
        bytes[i] = static_cast<std::byte>(chars[i]);
    }
    return bytes;
}

inline void write_all(const std::string &path, const std::byte *data, std::size_t size) {
    std::ofstream out{path, std::ios::binary | std::ios::trunc};
    out.write(reinterpret_cast<const char *>(data), static_cast<std::streamsize>(size));
}

} // namespace journal_test

template<>
struct evbus::event_traits<journal_test::tick> {
    static constexpr std::string_view name = "test.tick";
    static constexpr std::uint32_t version = 1;
};

template<>
struct evbus::event_traits<journal_test::fill> {
    static constexpr std::string_view name = "test.fill";
    static constexpr std::uint32_t version = 2;
};

template<>
struct evbus::event_traits<journal_test::note> {
    static constexpr std::string_view name = "test.note";
    static constexpr std::uint32_t version = 1;
};

template<>
struct evbus::event_traits<journal_test::stranger> {
    static constexpr std::string_view name = "test.stranger";
    static constexpr std::uint32_t version = 1;
};

template<>
struct evbus::codec<journal_test::note> {
    static void encode(const journal_test::note &n, evbus::byte_sink &out) {
        out.write_value(static_cast<std::int32_t>(n.level));
        out.write_string(n.text);
    }
    static bool decode(evbus::byte_source &in, journal_test::note &n) {
        std::int32_t level = 0;
        if(!in.read_value(level) || !in.read_string(n.text)) {
            return false;
        }
        n.level = level;
        return true;
    }
};

#endif
