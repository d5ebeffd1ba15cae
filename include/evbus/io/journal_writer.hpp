#ifndef EVBUS_IO_JOURNAL_WRITER_HPP
#define EVBUS_IO_JOURNAL_WRITER_HPP

/// @file
/// @brief evbus::journal_writer: records the events a bus delivers into a crash-safe journal file.

#include <atomic>
#include <cerrno>
#include <chrono>
#include <climits>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../config.hpp"
#include "../core/diagnostics.hpp"
#include "../core/channel.hpp"
#include "../core/subscription.hpp"
#include "../core/threading.hpp"
#include "../sync/spin.hpp"
#include "codec.hpp"
#include "event_traits.hpp"
#include "journal_clock.hpp"
#include "journal_format.hpp"

namespace evbus {

/// @brief Settings of a journal_writer.
struct journal_config {
    /// @brief The buffer is written to the file (one write(2)) when it holds at least this many bytes.
    std::size_t buffer_size = 256u * 1024u;
    /// @brief flush() (and the destructor) also call fsync(2): what was flushed survives a power loss.
    bool fsync = false;
    /// @brief Where record timestamps come from: nanoseconds since the Unix epoch. Called once per
    /// record, inside the append (under the append lock of a journal_writer), so timestamps follow the
    /// file's order when the clock does: a simulated clock makes a recorded backtest reproducible, and
    /// tests give records the times they need. Null, the default, is std::chrono::system_clock time:
    /// where the kernel keeps time by the CPU's time-stamp counter (Linux, x86-64), the append reads
    /// only the counter, and each buffer's counter values become system_clock time when it is written,
    /// between two system_clock readings taken around its records; elsewhere, system_nanoseconds().
    std::int64_t (*timestamp)() noexcept = nullptr;
    /// @brief Writes on a thread of the writer's own: a full buffer is handed to it and appends go on
    /// into a second buffer meanwhile; the thread checksums (CRC-32C) and writes it. An append then
    /// waits only when the thread is still writing the previous buffer (the disk is behind). Without
    /// it, the append that fills the buffer checksums and writes it.
    bool writer_thread = false;
};

/// @brief Counters of a journal_writer (all since it was created).
struct journal_writer_stats {
    std::uint64_t records = 0u;      ///< events appended
    std::uint64_t bytes = 0u;        ///< bytes written to the file, its header included
    std::uint64_t write_errors = 0u; ///< failed write(2) or fsync(2) calls (disk full, file size limit)
    std::uint64_t dropped = 0u;      ///< events lost to failed writes, or too long for a frame (never in the file)
};

namespace detail::journal {

/// The longest frame a journal holds (its length field has 32 bits; padded, it still fits).
inline constexpr std::size_t max_frame_length = 0xFFFFFFF8u;

/// Fills in the CRC-32C of every frame in buffer (whole frames, as append() sealed them): done just
/// before the buffer is written, so that appending never checksums. With a span, the frames'
/// timestamps are counter values, turned into system_clock time first (never decreasing).
inline void checksum_frames(byte_buffer &buffer, const clock_span *span = nullptr) noexcept {
    std::int64_t latest = span ? span->from.nanoseconds : 0;
    for(std::size_t at = 0u; buffer.size() - at >= frame_header_size;) {
        std::byte *frame = buffer.data() + at;
        const std::size_t length = padded(load<std::uint32_t>(frame + at_length));
        if(length < frame_header_size || length > buffer.size() - at) {
            EVBUS_ASSERT(false, "evbus::journal_writer: a frame in the write buffer is not whole (a bug in evbus)");
            break; // never loop or walk past the buffer
        }
        if(span) {
            const std::int64_t resolved = span->resolve(load<std::int64_t>(frame + at_timestamp));
            latest = resolved > latest ? resolved : latest;
            store(frame + at_timestamp, latest);
        }
        store(frame + at_crc, frame_crc(frame, length));
        at += length;
    }
}

inline constexpr const char *concurrent_appends =
    "evbus::st_journal_writer: two threads appended at the same time (one thread at a time; "
    "evbus::journal_writer records from any thread)";

/// EVBUS_DEBUG_CHECKS with single_thread: an append that starts while another is under way on
/// another thread is the misuse named by concurrent_appends (an append never re-enters itself).
template<typename Threading>
class append_check {
public:
    struct guard {};
    [[nodiscard]] guard enter() noexcept { return {}; }
};

#if EVBUS_DEBUG_CHECKS
template<>
class append_check<single_thread> {
public:
    class guard {
    public:
        explicit guard(std::atomic<bool> &busy) noexcept: busy_{busy} {
            const bool was_busy = busy.exchange(true, std::memory_order_acq_rel);
            EVBUS_ASSERT(!was_busy, concurrent_appends);
            (void)was_busy;
        }
        guard(const guard &) = delete;
        guard &operator=(const guard &) = delete;
        ~guard() { busy_.store(false, std::memory_order_release); }

    private:
        std::atomic<bool> &busy_;
    };
    [[nodiscard]] guard enter() noexcept { return guard{busy_}; }

private:
    std::atomic<bool> busy_{false};
};
#endif

/// What a journal writer shares with its recording handlers, which may outlive it.
///
/// Two sides, two locks. The append side (the buffer being filled, the sequence, the type table)
/// is guarded by a spin_mutex with multi_thread (an append holds it for tens of nanoseconds; its
/// release is a store, where std::mutex's is a read-modify-write), nothing with single_thread, whose
/// appends come from one thread at a time. The file side (the file, its offset, the buffer handed
/// to the writer thread, the write counters) is guarded by mutex_, always a real one: the writer
/// thread takes it. An append takes only the first; a full buffer, flush() and close() take both,
/// in that order, and the writer thread only the second.
template<typename Threading>
class writer_state {
    static_assert(std::is_same_v<Threading, multi_thread> || std::is_same_v<Threading, single_thread>,
                  "evbus::basic_journal_writer<Threading>: Threading is evbus::multi_thread (appends from any "
                  "thread) or evbus::single_thread (appends from one thread at a time)");
    using append_mutex = std::conditional_t<Threading::concurrent, spin_mutex, null_mutex>;

public:
    writer_state(int fd, const journal_config &config)
        : threshold_{config.buffer_size == 0u ? 1u : config.buffer_size}, fsync_{config.fsync},
          ticks_{config.timestamp == nullptr && counter_keeps_time()}, timestamp_{config.timestamp ? config.timestamp
                                                                                  : ticks_         ? &counter_ticks
                                                                                           : &system_nanoseconds},
          buffer_{threshold_ + threshold_ / 2u + 256u}, fd_{fd} {
        if(ticks_) {
            anchor_ = take_anchor();
        }
    }

    writer_state(const writer_state &) = delete;
    writer_state &operator=(const writer_state &) = delete;
    ~writer_state() { close(); }

    /// Starts the writer thread (journal_config::writer_thread), after the header is written.
    void start_thread() {
        spare_ = byte_buffer{buffer_.capacity()};
        threaded_ = true;
        thread_ = std::thread{[this] { run(); }};
    }

    /// Writes the file header at once, so that the file is a valid (empty) journal from the start.
    void write_header() {
        std::byte header[file_header_size];
        make_file_header(header, ticks_ ? anchor_.nanoseconds : timestamp_());
        std::lock_guard<std::mutex> lock{mutex_};
        const int error_number = write_fully(header, sizeof header, 0u);
        if(error_number != 0) {
            raise_io("evbus::journal_writer: cannot write the file header: ", error_number);
        }
        offset_ = sizeof header;
        bytes_ = sizeof header;
    }

    /// The file id of Event in this journal (1, 2, ...), assigned on its first record<Event>().
    template<typename Event>
    std::uint32_t id_of() {
        const known_type &known = register_type<Event>();
        std::lock_guard<append_mutex> lock{append_mutex_};
        for(std::size_t i = 0; i < types_.size(); ++i) {
            if(types_[i].known == &known) {
                return static_cast<std::uint32_t>(i + 1u);
            }
        }
        EVBUS_EXPECT(types_.size() < max_types, "evbus::journal_writer: more event types than a journal holds (65535)");
        types_.push_back(type_slot{&known, false, 0u});
        return static_cast<std::uint32_t>(types_.size());
    }

    /// Appends one record of Event (file id `id`); writes the buffer out (or hands it to the writer
    /// thread) when it is full. Never raises for a failed write: that is counted, and flush() reports
    /// it. A record longer than a frame holds (4 GiB) is dropped and counted in stats().dropped. An
    /// exception from the codec or a failed allocation leaves the buffer as it was (no partial frame).
    template<typename Event>
    void append(std::uint32_t id, const Event &event) {
        std::lock_guard<append_mutex> lock{append_mutex_};
        [[maybe_unused]] const auto one_at_a_time = check_.enter();
        if(EVBUS_UNLIKELY(closed_)) {
            ++dropped_; // the writer is gone (or closing); its handlers outlived it
            return;
        }
        const std::int64_t timestamp = timestamp_();
        type_slot &slot = types_[id - 1u];
        if(EVBUS_UNLIKELY(!slot.announced)) {
            announce(id, slot, timestamp);
        }
        if constexpr(is_bytes_codec_v<Event>) {
            // The frame's size is known: one extend, then the header and the bytes.
            constexpr std::size_t length = frame_header_size + sizeof(Event);
            static_assert(length <= max_frame_length, "evbus::journal_writer: an event larger than a frame holds");
            std::byte *frame = buffer_.extend(padded(length));
            store(frame + at_length, static_cast<std::uint32_t>(length));
            store(frame + at_type, id);
            store(frame + at_reserved, std::uint32_t{0});
            store(frame + at_sequence, next_sequence_);
            store(frame + at_timestamp, timestamp);
            std::memcpy(frame + frame_header_size, &event, sizeof(Event));
            if constexpr(padded(length) != length) {
                std::memset(frame + length, 0, padded(length) - length);
            }
        } else {
            const std::size_t begin = buffer_.size();
            EVBUS_TRY { // the header, the encoding and the padding may each grow the buffer
                buffer_.extend(frame_header_size);
                byte_sink sink{buffer_};
                codec<Event>::encode(event, sink);
                if(EVBUS_UNLIKELY(buffer_.size() - begin > max_frame_length)) {
                    buffer_.truncate(begin); // a frame's length field has 32 bits: the record is dropped, and counted
                    ++dropped_;
                    return;
                }
                seal(begin, id, next_sequence_, timestamp);
            }
            EVBUS_CATCH {
                buffer_.truncate(begin);
                EVBUS_RETHROW;
            }
        }
        ++next_sequence_;
        ++records_;
        ++buffered_records_;
        if(EVBUS_UNLIKELY(buffer_.size() >= threshold_)) {
            buffer_full();
        }
    }

    /// Writes what is buffered; fsyncs when configured; false (once) if a write failed since the last flush.
    bool try_flush() noexcept {
        std::lock_guard<append_mutex> appending{append_mutex_};
        std::unique_lock<std::mutex> lock{mutex_};
        if(fd_ >= 0 && !closed_) {
            if(threaded_) {
                hand_over(lock);
                const std::uint64_t target = handed_;
                done_.wait(lock, [&] { return written_ >= target; });
                if(lost_) {
                    discard_lost(); // the next appends announce their types again
                }
            } else {
                write_out();
            }
            if(fsync_ && ::fsync(fd_) != 0) {
                fail(errno);
            }
        }
        return !std::exchange(unreported_, false);
    }

    /// try_flush(), raising errc::io_error with the OS's reason when it fails.
    void flush() {
        if(EVBUS_UNLIKELY(!try_flush())) {
            raise_io("evbus::journal_writer: a write to the journal failed: ", failed_errno());
        }
    }

    [[nodiscard]] int failed_errno() const noexcept {
        std::lock_guard<std::mutex> lock{mutex_};
        return failed_errno_;
    }

    [[nodiscard]] journal_writer_stats stats() const {
        std::lock_guard<append_mutex> appending{append_mutex_};
        std::lock_guard<std::mutex> lock{mutex_};
        return journal_writer_stats{records_, bytes_, write_errors_, dropped_ + dropped_by_writes_};
    }

    /// Writes what is buffered (fsync when configured) and closes the file; later appends are dropped.
    void close() noexcept {
        std::lock_guard<append_mutex> appending{append_mutex_};
        if(thread_.joinable()) { // hand over what is buffered, let the thread write it and stop
            {
                std::unique_lock<std::mutex> lock{mutex_};
                if(fd_ >= 0) {
                    hand_over(lock);
                }
                stop_ = true;
            }
            work_.notify_all();
            thread_.join();
        }
        closed_ = true;
        std::lock_guard<std::mutex> lock{mutex_};
        if(fd_ >= 0) {
            write_out(); // without a writer thread; with one, the buffer is empty by now
            if(fsync_) {
                (void)::fsync(fd_);
            }
            ::close(fd_);
            fd_ = -1;
        }
    }

private:
    struct type_slot {
        const known_type *known;
        bool announced;
        std::uint64_t announced_at; // file offset of the type entry
    };

    /// The span of the records in buffer_ (counter timestamps), which ends now: the next begins here.
    [[nodiscard]] clock_span close_span() noexcept {
        const clock_anchor now = take_anchor();
        return clock_span{std::exchange(anchor_, now), now};
    }

    /// Appends the type-table entry of `id`, the first time a record of it goes into the buffer.
    EVBUS_COLD void announce(std::uint32_t id, type_slot &slot, std::int64_t timestamp) {
        const std::size_t begin = buffer_.size();
        const known_type &known = *slot.known;
        const std::uint32_t fields[5] = {id, known.version, known.size, known.encoding,
                                         static_cast<std::uint32_t>(known.name.size())};
        // One extend for the whole entry, padding included: if it cannot grow the buffer (bad_alloc),
        // nothing of the entry is in it; once it has, nothing below allocates.
        const std::size_t length = frame_header_size + sizeof fields + known.name.size();
        std::byte *frame = buffer_.extend(padded(length));
        std::memcpy(frame + frame_header_size, fields, sizeof fields);
        std::memcpy(frame + frame_header_size + sizeof fields, known.name.data(), known.name.size());
        buffer_.truncate(begin + length); // seal() pads it again
        seal(begin, type_entry_type, 0u, timestamp);
        slot.announced = true;
        std::lock_guard<std::mutex> lock{mutex_};
        slot.announced_at = offset_ + (in_flight_ ? spare_.size() : 0u) + begin; // where it lands in the file
    }

    /// Fills in the frame header of the frame that starts at begin, but for its CRC, and pads it.
    void seal(std::size_t begin, std::uint32_t type, std::uint64_t sequence, std::int64_t timestamp) {
        const std::size_t length = buffer_.size() - begin;
        const std::size_t padding = padded(length) - length;
        if(padding != 0u) {
            std::memset(buffer_.extend(padding), 0, padding);
        }
        std::byte *frame = buffer_.data() + begin;
        store(frame + at_length, static_cast<std::uint32_t>(length));
        store(frame + at_type, type);
        store(frame + at_reserved, std::uint32_t{0});
        store(frame + at_sequence, sequence);
        store(frame + at_timestamp, timestamp);
    }

    /// The append that filled the buffer writes it out, or hands it to the writer thread.
    EVBUS_COLD void buffer_full() noexcept {
        std::unique_lock<std::mutex> lock{mutex_};
        if(threaded_) {
            hand_over(lock);
        } else {
            write_out();
        }
    }

    /// Gives the buffer to the writer thread (waiting while it still writes the previous one) and
    /// goes on with the empty spare. After a failed write, drops it instead (discard_lost).
    void hand_over(std::unique_lock<std::mutex> &lock) noexcept {
        done_.wait(lock, [this] { return !in_flight_; });
        if(lost_) {
            discard_lost();
            return;
        }
        if(buffer_.size() == 0u) {
            return;
        }
        if(ticks_) {
            spare_span_ = close_span();
        }
        std::swap(buffer_, spare_);
        spare_records_ = buffered_records_;
        buffered_records_ = 0u;
        in_flight_ = true;
        ++handed_;
        work_.notify_one();
    }

    /// After the writer thread failed a write: what was appended since is dropped too (counted),
    /// since the type entries it relies on may have been in the lost bytes, and the types announced
    /// in those bytes are announced again with their next record.
    void discard_lost() noexcept {
        lost_ = false;
        dropped_by_writes_ += buffered_records_;
        buffered_records_ = 0u;
        buffer_.clear();
        unannounce_lost();
    }

    /// The writer thread: checksums and writes each buffer handed over, outside the lock.
    void run() noexcept {
        std::unique_lock<std::mutex> lock{mutex_};
        for(;;) {
            work_.wait(lock, [this] { return in_flight_ || stop_; });
            if(!in_flight_) {
                return; // stopping, and everything handed over is written
            }
            const std::uint64_t at = offset_; // only this thread moves offset_ while it runs
            const clock_span span = spare_span_;
            lock.unlock();
            checksum_frames(spare_, ticks_ ? &span : nullptr);
            const int error_number = write_fully(spare_.data(), spare_.size(), at);
            lock.lock();
            if(error_number == 0) {
                offset_ += spare_.size();
                bytes_ += spare_.size();
            } else {
                // The file is cut back to its last whole write; the next hand-over drops what was
                // appended meanwhile (discard_lost).
                fail(error_number);
                (void)::ftruncate(fd_, static_cast<off_t>(offset_));
                dropped_by_writes_ += spare_records_;
                lost_ = true;
            }
            spare_records_ = 0u;
            spare_.clear();
            in_flight_ = false;
            ++written_;
            done_.notify_all();
        }
    }

    /// pwrite(2)s size bytes at offset, retrying short writes and EINTR; 0 or the errno of the failure.
    [[nodiscard]] int write_fully(const std::byte *data, std::size_t size, std::uint64_t offset) const noexcept {
        std::size_t done = 0u;
        while(done < size) {
            const ssize_t n = ::pwrite(fd_, data + done, size - done, static_cast<off_t>(offset + done));
            if(n > 0) {
                done += static_cast<std::size_t>(n);
            } else if(n < 0 && errno == EINTR) {
                continue;
            } else {
                return n < 0 ? errno : ENOSPC;
            }
        }
        return 0;
    }

    /// Types announced in bytes that never reached the file are announced again with their next record.
    void unannounce_lost() noexcept {
        for(type_slot &slot: types_) {
            if(slot.announced && slot.announced_at >= offset_) {
                slot.announced = false;
            }
        }
    }

    /// Checksums the buffer and writes it at the end of the file (no writer thread). On failure the
    /// file is cut back to its last whole write (so it stays a valid journal), the buffered records
    /// are counted as dropped, and the types announced in the lost bytes are announced again.
    bool write_out() noexcept {
        if(buffer_.size() == 0u) {
            return true;
        }
        if(ticks_) {
            const clock_span span = close_span();
            checksum_frames(buffer_, &span);
        } else {
            checksum_frames(buffer_);
        }
        const int error_number = write_fully(buffer_.data(), buffer_.size(), offset_);
        if(error_number != 0) {
            fail(error_number);
            (void)::ftruncate(fd_, static_cast<off_t>(offset_));
            dropped_by_writes_ += buffered_records_;
            unannounce_lost();
        } else {
            offset_ += buffer_.size();
            bytes_ += buffer_.size();
        }
        buffered_records_ = 0u;
        buffer_.clear();
        return error_number == 0;
    }

    void fail(int error_number) noexcept {
        ++write_errors_;
        failed_errno_ = error_number;
        unreported_ = true;
    }

    // Set at construction, read-only after.
    const std::size_t threshold_;
    const bool fsync_;
    const bool ticks_; // timestamps are counter ticks until the buffer is written (journal_config::timestamp)
    std::int64_t (*const timestamp_)() noexcept;
    bool threaded_{false}; // set before the writer thread starts
    // The append side, guarded by append_mutex_ (touched by close() and the file side's functions
    // only with both locks held).
    mutable append_mutex append_mutex_;
    append_check<Threading> check_;
    byte_buffer buffer_;
    std::uint64_t next_sequence_{1u};
    std::uint64_t buffered_records_{0u};
    std::uint64_t records_{0u};
    std::uint64_t dropped_{0u}; // appended after close, or too long for a frame
    bool closed_{false};
    std::vector<type_slot> types_;
    clock_anchor anchor_{}; // with ticks_: taken before the first record now in buffer_
    // The file side, guarded by mutex_.
    mutable std::mutex mutex_;
    int fd_;
    std::uint64_t offset_{0u}; // the file's size: the end of its last whole write
    std::uint64_t bytes_{0u};
    std::uint64_t write_errors_{0u};
    std::uint64_t dropped_by_writes_{0u};
    int failed_errno_{0};
    bool unreported_{false};
    bool stop_{false};
    bool in_flight_{false};           // spare_ holds a buffer the thread is writing
    bool lost_{false};                // the thread failed a write since the last hand-over
    byte_buffer spare_;               // the buffer being written (in_flight_), else the next one to fill
    std::uint64_t spare_records_{0u}; // records in spare_
    clock_span spare_span_{};         // with ticks_: the span of spare_'s records
    std::uint64_t handed_{0u};        // buffers handed over
    std::uint64_t written_{0u};       // buffers the thread is done with
    std::condition_variable work_;    // the thread waits here for a buffer or stop_
    std::condition_variable done_;    // appenders and flush() wait here for a written buffer
    std::thread thread_;
};

} // namespace detail::journal

/// @brief Records the events a bus delivers into a journal file: `jw.record<tick>(bus)`.
/// @details Appending copies the event into a buffer on the delivering thread; the buffer goes to
/// the file in one write(2) when it holds journal_config::buffer_size bytes, at flush(), and at
/// destruction, each frame checksummed just before. Threading is multi_thread (journal_writer:
/// appends from any thread, under a spin lock) or single_thread (st_journal_writer: appends from one
/// thread at a time, no lock). Timestamps are std::chrono::system_clock nanoseconds since the Unix
/// epoch, or what journal_config::timestamp gives; sequence numbers start at 1 and follow the
/// order of appends. See docs/journal.md.
template<typename Threading>
class basic_journal_writer {
public:
    /// @brief Creates the journal at path (replacing a file there) and writes its header; a file that
    /// cannot be created or written is errc::io_error with the OS's reason.
    explicit basic_journal_writer(const char *path, const journal_config &config = {}) {
        const int fd = ::open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if(fd < 0) {
            const int error_number = errno;
            detail::journal::raise_io(std::string{"evbus::journal_writer: cannot create '"} + path + "': ",
                                      error_number);
        }
        state_ = std::make_shared<detail::journal::writer_state<Threading>>(fd, config);
        state_->write_header();
        if(config.writer_thread) {
            state_->start_thread();
        }
    }

    /// @brief basic_journal_writer(path.c_str(), config).
    explicit basic_journal_writer(const std::string &path, const journal_config &config = {})
        : basic_journal_writer{path.c_str(), config} {}

    basic_journal_writer(const basic_journal_writer &) = delete;
    basic_journal_writer &operator=(const basic_journal_writer &) = delete;

    /// @brief Writes what is buffered and closes the file (errors are counted, not raised). Recording
    /// handles that outlive the writer stay safe: what they deliver afterwards is dropped.
    ~basic_journal_writer() { state_->close(); }

    /// @brief Appends each Event that bus delivers (publish or dispatch), in delivery order, until the
    /// returned handle is reset. The recording handler runs before the bus's other handlers.
    /// @details Any bus with `subscribe<Event>(fn, priority)` works (bus, st_bus). Event needs
    /// evbus::event_traits and a codec (trivially copyable, or evbus::codec<Event>).
    template<typename Event, typename Bus>
    [[nodiscard]] subscription record(Bus &target) {
        return target.template subscribe<Event>(recorder<Event>(), INT_MAX);
    }

    /// @brief record() for a channel: each Event it delivers is appended (`jw.record(ch)` names no type).
    template<typename Event, typename ChannelThreading>
    [[nodiscard]] subscription record(channel<Event, ChannelThreading> &events) {
        return events.subscribe(recorder<Event>(), INT_MAX);
    }

    /// @brief Writes what was appended to the file (write(2); with journal_config::fsync also fsync(2));
    /// raises errc::io_error, once, if a write failed since the last flush().
    void flush() { state_->flush(); }

    /// @brief flush() without raising, for -fno-exceptions builds: false, once, if a write failed since the
    /// last flush (the failure is counted in stats() either way).
    [[nodiscard]] bool try_flush() noexcept { return state_->try_flush(); }

    /// @brief Counters: records appended, bytes written, failed writes, records dropped by them.
    [[nodiscard]] journal_writer_stats stats() const { return state_->stats(); }

private:
    /// The handler that appends Events to this journal (it shares the writer's state).
    template<typename Event>
    [[nodiscard]] auto recorder() {
        static_assert(has_event_traits_v<Event>, "evbus::journal_writer::record<E>: specialize evbus::event_traits<E> "
                                                 "with a stable `name` and a `version`");
        static_assert(detail::assert_codable<Event>());
        (void)detail::journal::static_registration<Event>::done;
        const std::uint32_t id = state_->template id_of<Event>();
        return [state = state_, id](const Event &event) { state->template append<Event>(id, event); };
    }

    std::shared_ptr<detail::journal::writer_state<Threading>> state_;
};

/// @brief A journal writer whose appends may come from any thread (they take a spin lock).
using journal_writer = basic_journal_writer<multi_thread>;

/// @brief A journal writer whose appends come from one thread at a time (no lock): it records an
/// st_bus, or a bus whose events are all delivered on one thread (dispatched, or published, there);
/// flush(), stats() and its destruction belong to that thread too, or to a time when none is delivering.
using st_journal_writer = basic_journal_writer<single_thread>;

} // namespace evbus

#endif
