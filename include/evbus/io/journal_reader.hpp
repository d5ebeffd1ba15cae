#ifndef EVBUS_IO_JOURNAL_READER_HPP
#define EVBUS_IO_JOURNAL_READER_HPP

/// @file
/// @brief evbus::journal_reader: validates a journal file, replays it into a bus, iterates its records.

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>
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

/// @brief One entry of a journal's type table, as journal_reader::types() gives it to tools.
struct journal_type {
    std::uint32_t id = 0u;      ///< the type id records carry (1, 2, ...); 0: an id the file never announced
    std::string_view name;      ///< event_traits<E>::name of the writer's build
    std::uint32_t version = 0u; ///< event_traits<E>::version of the writer's build
    std::uint32_t size = 0u;    ///< sizeof(E) for an event carried as its bytes, 0 for one with a codec
    bool codec = false;         ///< true: payloads are what evbus::codec<E>::encode wrote
    bool known = false;         ///< true: this build knows the type (name, version, encoding, size) and replays it
};

/// @brief Where journal_reader::replay() with a scheduler puts the records on the scheduler's clock.
enum class replay_time {
    /// @brief Clock's epoch is the journal's creation (journal_reader::created()): a record appended
    /// 3 s after the writer was made is at `Clock::time_point{} + 3s`. The default, for
    /// evbus::manual_clock, which starts at its epoch: simulated time reads the time into the session.
    since_created,
    /// @brief Clock's epoch is the Unix epoch: the recorded system_clock time itself (for a
    /// manual_clock meant to read wall-clock time, or std::chrono::system_clock).
    unix_epoch,
    /// @brief The first record of each replay() call is at Clock::now() when the call starts; the
    /// others keep their recorded distance from it (for a clock replay cannot set, such as steady_clock).
    from_now,
};

/// @brief What paced replay reads the time with and waits with (journal_replay_options::pacer).
/// @details The default (a null pacer) is std::chrono::steady_clock and std::this_thread::sleep_until. Tests
/// inject a pacer whose time moves only when it waits; an application can wait on something else meanwhile.
class replay_pacer {
public:
    /// @brief Destroys the pacer.
    virtual ~replay_pacer() = default;
    /// @brief The time now, on a steady clock of the pacer's choosing (nanoseconds since any fixed origin).
    virtual std::chrono::nanoseconds now() = 0;
    /// @brief Returns once now() has reached deadline (on the same clock).
    virtual void wait_until(std::chrono::nanoseconds deadline) = 0;

protected:
    /// @brief For derived pacers.
    replay_pacer() = default;
    /// @brief For derived pacers.
    replay_pacer(const replay_pacer &) = default;
    /// @brief For derived pacers.
    replay_pacer &operator=(const replay_pacer &) = default;
};

/// @brief How journal_reader::replay() paces the records and drives a scheduler.
struct replay_options {
    /// @brief 0 (the default): as fast as possible. Otherwise the recorded pace scaled by speed: 1 is the
    /// recorded pace, 2 twice as fast, 0.5 half as fast. Negative, infinite or NaN: errc::invalid_argument.
    double speed = 0.0;
    /// @brief replay() returns after publishing this many records (a later call resumes after them).
    std::uint64_t max_records = std::numeric_limits<std::uint64_t>::max();
    /// @brief With a scheduler: where records are on its clock.
    replay_time time = replay_time::since_created;
    /// @brief With a scheduler: dispatch the bus after each poll and before each record, so that the timers'
    /// events (and what handlers posted) are delivered before the next record, as in a live loop.
    bool dispatch = true;
    /// @brief Paced replay's clock and sleep (null: steady_clock and std::this_thread::sleep_until).
    replay_pacer *pacer = nullptr;
};

namespace detail::journal {

/// A Clock that replay can move forward: a static set(time_point), as evbus::manual_clock has.
template<typename Clock, typename = void>
struct settable_clock: std::false_type {};

template<typename Clock>
struct settable_clock<Clock, std::void_t<decltype(Clock::set(std::declval<typename Clock::time_point>()))>>
    : std::true_type {};

/// What replay needs of a scheduler: its clock, poll_until(time_point) and next_deadline().
template<typename Scheduler, typename = void>
struct is_scheduler: std::false_type {};

template<typename Scheduler>
struct is_scheduler<Scheduler, std::void_t<typename Scheduler::clock, typename Scheduler::time_point,
                                           decltype(std::declval<Scheduler &>().poll_until(
                                               std::declval<typename Scheduler::time_point>())),
                                           decltype(std::declval<const Scheduler &>().next_deadline())>>
    : std::true_type {};

/// a + b, saturated to the range of int64_t (journal times are file-controlled: no overflow).
[[nodiscard]] inline std::int64_t saturating_add(std::int64_t a, std::int64_t b) noexcept {
#if defined(__GNUC__) || defined(__clang__)
    std::int64_t sum = 0;
    if(!__builtin_add_overflow(a, b, &sum)) {
        return sum;
    }
#else
    if(b >= 0 ? a <= std::numeric_limits<std::int64_t>::max() - b : a >= std::numeric_limits<std::int64_t>::min() - b) {
        return a + b;
    }
#endif
    return b >= 0 ? std::numeric_limits<std::int64_t>::max() : std::numeric_limits<std::int64_t>::min();
}

/// a - b, saturated to the range of int64_t.
[[nodiscard]] inline std::int64_t saturating_sub(std::int64_t a, std::int64_t b) noexcept {
#if defined(__GNUC__) || defined(__clang__)
    std::int64_t difference = 0;
    if(!__builtin_sub_overflow(a, b, &difference)) {
        return difference;
    }
#else
    if(b >= 0 ? a >= std::numeric_limits<std::int64_t>::min() + b : a <= std::numeric_limits<std::int64_t>::max() + b) {
        return a - b;
    }
#endif
    return b >= 0 ? std::numeric_limits<std::int64_t>::min() : std::numeric_limits<std::int64_t>::max();
}

/// When paced replay publishes a record recorded at `recorded`: start + (recorded - first) / speed on
/// the pacer's clock, computed in double and saturated (timestamps are file-controlled, the pacer's
/// origin is its own); nullopt when that is not after start (no wait).
[[nodiscard]] inline std::optional<std::chrono::nanoseconds>
paced_due(std::chrono::nanoseconds start, std::int64_t first, std::int64_t recorded, double speed) noexcept {
    // Exact when the distance fits in int64_t (a double holds ~1.7e18 ns to 256 ns only), in double beyond.
    const std::int64_t distance = saturating_sub(recorded, first);
    const double offset =
        (distance == std::numeric_limits<std::int64_t>::max() || distance == std::numeric_limits<std::int64_t>::min()
             ? static_cast<double>(recorded) - static_cast<double>(first)
             : static_cast<double>(distance)) /
        speed;
    if(!(offset >= 1.0)) {
        return std::nullopt; // not later than the first record (or NaN): at once
    }
    constexpr double limit = 9223372036854775807.0; // 2^63 once rounded: no int64_t at or above it
    const std::int64_t step =
        offset >= limit ? std::numeric_limits<std::int64_t>::max() : static_cast<std::int64_t>(offset);
    return std::chrono::nanoseconds{saturating_add(start.count(), step)};
}

/// The default pacer: steady_clock and a sleep.
class steady_pacer final: public replay_pacer {
public:
    std::chrono::nanoseconds now() override {
        return std::chrono::duration_cast<std::chrono::nanoseconds>(
            std::chrono::steady_clock::now().time_since_epoch());
    }
    void wait_until(std::chrono::nanoseconds deadline) override {
        std::this_thread::sleep_until(std::chrono::steady_clock::time_point{
            std::chrono::duration_cast<std::chrono::steady_clock::duration>(deadline)});
    }
};

} // namespace detail::journal

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

    /// @brief Publishes every whole, valid record from the current position on, in order, into target
    /// (a bus or an st_bus), as fast as possible; returns how many were published. Unknown and malformed
    /// records are counted and skipped; a torn or corrupt tail ends it (stats().corrupt_bytes).
    /// Exceptions from handlers propagate; the record that raised counts as replayed, and a later call
    /// resumes after it. (With a scheduler, an exception from a timer's handler or from poll_until, raised
    /// before the record is published, leaves the record unread: a later call publishes it.)
    template<typename Threading>
    std::size_t replay(basic_bus<Threading> &target) {
        return replay(target, replay_options{});
    }

    /// @brief replay(target) paced as options say (replay_options::speed: the recorded pace, scaled), and
    /// stopping after replay_options::max_records.
    /// @details Record k is published at start + (t_k - t_0) / speed, where start is when the call
    /// began and t_k the record's timestamp (a timestamp below an earlier one, after an NTP step,
    /// counts as the earlier one). A late record is published at once; later ones keep their
    /// schedule (no drift, no catching up faster than the recording).
    template<typename Threading>
    std::size_t replay(basic_bus<Threading> &target, const replay_options &options) {
        return replay_records(target, options, [](std::int64_t recorded, auto &pace) { pace(recorded); });
    }

    /// @brief Replays into target while driving timers (a scheduler) in simulated time: before each record, the
    /// timers due at the record's time (replay_options::time maps it onto the scheduler's clock) fire,
    /// in deadline order, each at its own deadline.
    /// @details For each due deadline d up to the record's time t: a Clock with a static set()
    /// (evbus::manual_clock) is moved forward to d, then timers.poll_until(d), then target.dispatch()
    /// (unless replay_options::dispatch is false) delivers the timer's event. Then the clock is moved
    /// to t, target dispatched once more, and the record published; a handler's post_after(delay)
    /// then reads simulated time. Timers due after the last record stay pending. Pacing and
    /// max_records are as for replay(target, options). Scheduler is an evbus::scheduler<Clock> (any type
    /// with its clock, time_point, poll_until(time_point) and next_deadline()).
    template<typename Threading, typename Scheduler,
             typename = std::enable_if_t<detail::journal::is_scheduler<Scheduler>::value>>
    std::size_t replay(basic_bus<Threading> &target, Scheduler &timers, const replay_options &options = {}) {
        using clock = typename Scheduler::clock;
        using time_point = typename Scheduler::time_point;
        using duration = typename time_point::duration;
        std::int64_t origin = 0; // the recorded time (ns) at Clock's epoch
        switch(options.time) {
        case replay_time::since_created:
            origin = created_;
            break;
        case replay_time::unix_epoch:
            break;
        case replay_time::from_now:
            origin = std::numeric_limits<std::int64_t>::min(); // set by the first record
            break;
        }
        // Recorded times (and the header's created) come from the file: the mapping saturates, never overflows.
        const auto to_clock = [&origin](std::int64_t recorded) {
            const std::int64_t since = recorded > origin ? detail::journal::saturating_sub(recorded, origin) : 0;
            return time_point{std::chrono::duration_cast<duration>(std::chrono::nanoseconds{since})};
        };
        const auto to_recorded = [&origin](time_point at) {
            return detail::journal::saturating_add(
                origin, std::chrono::duration_cast<std::chrono::nanoseconds>(at.time_since_epoch()).count());
        };
        time_point reached = time_point::min();
        const auto advance = [&reached](time_point to) {
            reached = std::max(reached, to);
            if constexpr(detail::journal::settable_clock<clock>::value) {
                if(clock::now() < reached) {
                    clock::set(reached);
                }
            }
        };
        return replay_records(target, options, [&](std::int64_t recorded, auto &pace) {
            if(origin == std::numeric_limits<std::int64_t>::min()) {
                origin = detail::journal::saturating_sub(
                    recorded,
                    std::chrono::duration_cast<std::chrono::nanoseconds>(clock::now().time_since_epoch()).count());
                if(origin == std::numeric_limits<std::int64_t>::min()) {
                    origin = std::numeric_limits<std::int64_t>::min() + 1; // min() means "not set yet"
                }
            }
            const time_point at = to_clock(recorded);
            for(std::optional<time_point> due = timers.next_deadline(); due && *due <= at;
                due = timers.next_deadline()) {
                pace(to_recorded(*due));
                advance(*due);
                timers.poll_until(*due);
                if(options.dispatch) {
                    target.dispatch();
                }
            }
            pace(recorded);
            advance(at);
            if(options.dispatch) {
                target.dispatch();
            }
        });
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
            if(type > types_.size() || types_[type - 1u].id == 0u || sequence <= last_sequence_ ||
               (types_[type - 1u].size != 0u && types_[type - 1u].size != size)) {
                return stop();
            }
            record_at_ = at_;
            previous_sequence_ = last_sequence_;
            at_ += padded_length;
            last_sequence_ = sequence;
            current_type_ = type;
            ++stats_.records;
            const journal_type &ft = types_[type - 1u];
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

    /// @brief The type table read so far, indexed by id - 1 (an entry whose id is 0 was never announced).
    [[nodiscard]] const std::vector<journal_type> &types() const noexcept { return types_; }

    /// @brief The journal's size in bytes (where reading stopped: size() - stats().corrupt_bytes).
    [[nodiscard]] std::size_t size() const noexcept { return size_; }

private:
    /// Reads records and publishes them into target. Before each, before_record(t, pace) runs, with t the
    /// record's time (never below an earlier record's); pace(recorded) waits until the paced time of
    /// a recorded time (ns), and before_record calls it for the record and for what it does first.
    template<typename Threading, typename BeforeRecord>
    std::size_t replay_records(basic_bus<Threading> &target, const replay_options &options,
                               BeforeRecord &&before_record) {
        EVBUS_EXPECT(options.speed >= 0.0 && std::isfinite(options.speed),
                     "evbus::journal_reader::replay: speed must be 0 (as fast as possible) or a positive, finite "
                     "factor of the recorded pace");
        detail::journal::steady_pacer steady;
        replay_pacer &pacer = options.pacer ? *options.pacer : steady;
        const bool paced = options.speed > 0.0;
        bool started = false;
        std::chrono::nanoseconds start{0};
        std::int64_t first = 0;
        const auto pace = [&](std::int64_t recorded) {
            if(!paced) {
                return;
            }
            const std::optional<std::chrono::nanoseconds> due =
                detail::journal::paced_due(start, first, recorded, options.speed);
            if(due && pacer.now() < *due) {
                pacer.wait_until(*due);
            }
        };
        std::int64_t latest = std::numeric_limits<std::int64_t>::min();
        std::size_t published = 0u;
        journal_record record;
        while(published < options.max_records && next(record)) {
            const detail::journal::known_type *known = known_[current_type_ - 1u];
            if(!known) {
                ++stats_.unknown;
                continue;
            }
            latest = std::max(latest, record.timestamp); // time never goes back in a replay
            if(paced && !started) {
                started = true;
                start = pacer.now();
                first = latest;
            }
            // Timers and dispatch run before the record is published, and may raise (a timer handler's
            // exception, errc::closed): the record is then given back, so that the next call publishes it.
            EVBUS_TRY { before_record(latest, pace); }
            EVBUS_CATCH {
                unread_record();
                EVBUS_RETHROW;
            }
            const detail::journal::deliver_fn deliver = detail::journal::deliver_for<Threading>(*known);
            ++stats_.replayed;
            ++published;
            if(!deliver(record.payload, record.size, &target)) {
                --stats_.replayed;
                --published;
                ++stats_.malformed;
            }
        }
        return published;
    }

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
        if(id == 0u || id > j::max_types || (id <= types_.size() && types_[id - 1u].id != 0u) || name_length == 0u ||
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
        known_.resize(types_.size());
        types_[id - 1u] = journal_type{id, name, version, fixed_size, encoding == j::encoding_codec, known != nullptr};
        known_[id - 1u] = known;
        ++stats_.types;
        return true;
    }

    /// Steps back over the record next() returned last (its type entries stay read): next() returns it again.
    void unread_record() noexcept {
        at_ = record_at_;
        last_sequence_ = previous_sequence_;
        --stats_.records;
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
    std::size_t record_at_{0u};           // where the record next() returned last starts
    std::uint64_t previous_sequence_{0u}; // last_sequence_ before it
    std::uint32_t current_type_{0u};
    std::vector<journal_type> types_;
    std::vector<const detail::journal::known_type *> known_; // parallel to types_: null, unknown
    journal_reader_stats stats_{};
};

} // namespace evbus

#endif
