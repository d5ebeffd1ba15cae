#ifndef EVBUS_IO_JOURNAL_READER_HPP
#define EVBUS_IO_JOURNAL_READER_HPP

/// @file
/// @brief evbus::journal_reader: validates a journal file, replays it into a bus, iterates its records.

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../config.hpp"
#include "../core/bus.hpp"
#include "../core/diagnostics.hpp"
#include "codec.hpp"
#include "event_traits.hpp"
#include "journal_format.hpp"

namespace evbus {

/// @brief Counters of a journal_reader, over the records read so far.
struct journal_reader_stats {
    std::uint64_t records = 0u;       ///< whole, valid event records read (replayed, unknown or malformed)
    std::uint64_t replayed = 0u;      ///< records published by replay()
    std::uint64_t unknown = 0u;       ///< records of a type (name and version) this build does not know: skipped
    std::uint64_t malformed = 0u;     ///< valid records whose payload the type's codec refused: skipped
    std::uint64_t types = 0u;         ///< type-table entries read
    std::uint64_t corrupt_bytes = 0u; ///< size of the torn or corrupt tail where reading stopped (0: none)
};

/// @brief One record of a journal, as journal_reader::next() gives it to tools.
struct journal_record {
    std::uint64_t sequence = 0u;        ///< the writer's sequence number (1, 2, ...; gaps: dropped records)
    std::int64_t timestamp = 0;         ///< system_clock nanoseconds since the Unix epoch, taken at append
    std::string_view type_name;         ///< event_traits<E>::name of the writer's build
    std::uint32_t version = 0u;         ///< event_traits<E>::version of the writer's build
    const std::byte *payload = nullptr; ///< the encoded event (valid while the reader lives)
    std::size_t size = 0u;              ///< payload bytes
};

/// @brief Reads a journal: `jr.replay(bus)` publishes its events, `next()` walks its records.
/// @details The header is checked at construction: a file that is not a journal, of another byte order,
/// or of a newer format version is errc::format_error. Records are checked one by one (length, CRC-32C,
/// type, sequence); the first that fails ends the reading, and what is left is reported in
/// stats().corrupt_bytes. The types replayed are those this program records or registers (register_type).
class journal_reader {
public:
    /// @brief Opens (maps) the journal at path; errc::io_error if it cannot be read, errc::format_error
    /// if it is not a journal this build reads.
    explicit journal_reader(const char *path) {
        const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
        if(fd < 0) {
            raise_os(std::string{"evbus::journal_reader: cannot open '"} + path + "': ", errno);
        }
        struct stat info {};
        if(::fstat(fd, &info) != 0) {
            const int error_number = errno;
            ::close(fd);
            raise_os(std::string{"evbus::journal_reader: cannot stat '"} + path + "': ", error_number);
        }
        size_ = static_cast<std::size_t>(info.st_size);
        if(size_ != 0u) {
            void *mapped = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
            if(mapped == MAP_FAILED) {
                const int error_number = errno;
                ::close(fd);
                raise_os(std::string{"evbus::journal_reader: cannot map '"} + path + "': ", error_number);
            }
            mapped_ = mapped;
            data_ = static_cast<const std::byte *>(mapped);
        }
        ::close(fd);
        EVBUS_TRY { check_header(); }
        EVBUS_CATCH {
            unmap();
            EVBUS_RETHROW;
        }
    }

    /// @brief journal_reader(path.c_str()).
    explicit journal_reader(const std::string &path): journal_reader{path.c_str()} {}

    /// @brief Reads a journal held in memory (not copied: it must outlive the reader); header errors as above.
    journal_reader(const void *data, std::size_t size): data_{static_cast<const std::byte *>(data)}, size_{size} {
        check_header();
    }

    journal_reader(const journal_reader &) = delete;
    journal_reader &operator=(const journal_reader &) = delete;

    /// @brief Unmaps the file.
    ~journal_reader() { unmap(); }

    /// @brief Adds Event to the types this program replays (recording it with a journal_writer does too).
    template<typename Event>
    static void register_type() {
        static_assert(has_event_traits_v<Event>, "evbus::journal_reader::register_type<E>: specialize "
                                                 "evbus::event_traits<E> with a stable `name` and a `version`");
        static_assert(detail::assert_codable<Event>());
        (void)detail::journal::static_registration<Event>::done;
        (void)detail::journal::register_type<Event>();
    }

    /// @brief Publishes every whole, valid record from the current position on, in order, into bus
    /// (bus or st_bus); returns how many were published. Unknown and malformed records are counted
    /// and skipped; a torn or corrupt tail ends it (stats().corrupt_bytes). Exceptions from handlers
    /// propagate; the record that raised counts as replayed, and a later call resumes after it.
    template<typename Threading>
    std::size_t replay(basic_bus<Threading> &bus) {
        std::size_t published = 0u;
        journal_record record;
        while(next(record)) {
            const detail::journal::known_type *known = types_[current_type_ - 1u].known;
            if(!known) {
                ++stats_.unknown;
                continue;
            }
            const detail::journal::deliver_fn deliver =
                Threading::concurrent ? known->deliver_multi : known->deliver_single;
            ++stats_.replayed;
            ++published;
            if(!deliver(record.payload, record.size, &bus)) {
                --stats_.replayed;
                --published;
                ++stats_.malformed;
            }
        }
        return published;
    }

    /// @brief The next whole, valid event record (type-table entries are read on the way); false at the
    /// end or at a torn or corrupt tail, which is then reported in stats().corrupt_bytes.
    bool next(journal_record &out) {
        namespace j = detail::journal;
        while(!done_) {
            const std::size_t left = size_ - at_;
            if(left == 0u) {
                done_ = true;
                break;
            }
            const std::byte *frame = data_ + at_;
            if(left < j::frame_header_size) {
                return stop();
            }
            const auto length = j::load<std::uint32_t>(frame + j::at_length);
            const std::size_t padded_length = j::padded(length);
            if(length < j::frame_header_size || padded_length > left ||
               j::load<std::uint32_t>(frame + j::at_crc) != j::frame_crc(frame, padded_length) ||
               j::load<std::uint32_t>(frame + j::at_reserved) != 0u) {
                return stop();
            }
            const auto type = j::load<std::uint32_t>(frame + j::at_type);
            const auto sequence = j::load<std::uint64_t>(frame + j::at_sequence);
            const std::byte *payload = frame + j::frame_header_size;
            const std::size_t size = length - j::frame_header_size;
            if(type == j::type_entry_type) {
                if(sequence != 0u || !read_type_entry(payload, size)) {
                    return stop();
                }
                at_ += padded_length;
                continue;
            }
            if(type > types_.size() || !types_[type - 1u].present || sequence <= last_sequence_ ||
               (types_[type - 1u].size != 0u && types_[type - 1u].size != size)) {
                return stop();
            }
            at_ += padded_length;
            last_sequence_ = sequence;
            current_type_ = type;
            ++stats_.records;
            const file_type &ft = types_[type - 1u];
            out.sequence = sequence;
            out.timestamp = j::load<std::int64_t>(frame + j::at_timestamp);
            out.type_name = ft.name;
            out.version = ft.version;
            out.payload = payload;
            out.size = size;
            return true;
        }
        return false;
    }

    /// @brief Counters over what was read so far.
    [[nodiscard]] const journal_reader_stats &stats() const noexcept { return stats_; }

    /// @brief The format version in the file's header.
    [[nodiscard]] std::uint16_t format_version() const noexcept { return version_; }

    /// @brief When the file was created: system_clock nanoseconds since the Unix epoch.
    [[nodiscard]] std::int64_t created() const noexcept { return created_; }

private:
    /// A type-table entry of the file, and what this build knows of it (null: unknown).
    struct file_type {
        std::string_view name;
        std::uint32_t version;
        std::uint32_t size;
        const detail::journal::known_type *known;
        bool present; // false: an id not announced (yet)
    };

    [[noreturn]] EVBUS_COLD static void raise_os(const std::string &what, int error_number) {
        detail::journal::raise_io(what, error_number);
    }

    [[noreturn]] EVBUS_COLD void bad_header(const char *why) { detail::raise(errc::format_error, why); }

    void check_header() {
        namespace j = detail::journal;
        if(size_ < j::file_header_size || std::memcmp(data_, j::magic, sizeof j::magic) != 0) {
            bad_header("evbus::journal_reader: not an evbus journal (no EVBUSJNL header)");
        }
        const auto mark = j::load<std::uint32_t>(data_ + 8);
        if(mark != j::byte_order_mark) {
            bad_header(mark == 0x04030201u ? "evbus::journal_reader: the journal was written on a host of the "
                                             "other byte order; this build reads its own byte order only"
                                           : "evbus::journal_reader: corrupt journal header (byte order mark)");
        }
        if(j::load<std::uint32_t>(data_ + 28) != crc32c(data_, 28u)) {
            bad_header("evbus::journal_reader: corrupt journal header (checksum)");
        }
        version_ = j::load<std::uint16_t>(data_ + 12);
        if(version_ > journal_format_version) {
            const std::string message = "evbus::journal_reader: the journal's format version " +
                                        std::to_string(version_) + " is newer than this build reads (" +
                                        std::to_string(journal_format_version) + "): read it with a newer evbus";
            detail::raise(errc::format_error, message.c_str());
        }
        if(version_ == 0u || j::load<std::uint16_t>(data_ + 14) != j::file_header_size) {
            bad_header("evbus::journal_reader: corrupt journal header (version or size)");
        }
        created_ = j::load<std::int64_t>(data_ + 16);
        at_ = j::file_header_size;
    }

    bool read_type_entry(const std::byte *payload, std::size_t size) {
        namespace j = detail::journal;
        if(size < j::type_entry_fixed) {
            return false;
        }
        std::uint32_t fields[5];
        std::memcpy(fields, payload, sizeof fields);
        const std::uint32_t id = fields[0];
        const std::uint32_t version = fields[1];
        const std::uint32_t fixed_size = fields[2];
        const std::uint32_t encoding = fields[3];
        const std::uint32_t name_length = fields[4];
        if(id == 0u || id > j::max_types || (id <= types_.size() && types_[id - 1u].present) || name_length == 0u ||
           name_length > j::max_name_length || name_length != size - j::type_entry_fixed ||
           encoding > j::encoding_codec || (encoding == j::encoding_codec) != (fixed_size == 0u)) {
            return false;
        }
        const std::string_view name{reinterpret_cast<const char *>(payload + j::type_entry_fixed), name_length};
        const j::known_type *known = j::registry::instance().find(name, version);
        if(known && (known->encoding != encoding || known->size != fixed_size)) {
            known = nullptr; // same name and version, another layout: this build lacks the writer's type
        }
        if(types_.size() < id) {
            types_.resize(id);
        }
        types_[id - 1u] = file_type{name, version, fixed_size, known, true};
        ++stats_.types;
        return true;
    }

    bool stop() noexcept {
        stats_.corrupt_bytes = size_ - at_;
        done_ = true;
        return false;
    }

    void unmap() noexcept {
        if(mapped_) {
            ::munmap(mapped_, size_);
            mapped_ = nullptr;
        }
    }

    void *mapped_{nullptr};
    const std::byte *data_{nullptr};
    std::size_t size_{0u};
    std::size_t at_{0u};
    bool done_{false};
    std::uint16_t version_{0u};
    std::int64_t created_{0};
    std::uint64_t last_sequence_{0u};
    std::uint32_t current_type_{0u};
    std::vector<file_type> types_;
    journal_reader_stats stats_{};
};

} // namespace evbus

#endif
