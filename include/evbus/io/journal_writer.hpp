#ifndef EVBUS_IO_JOURNAL_WRITER_HPP
#define EVBUS_IO_JOURNAL_WRITER_HPP

/// @file
/// @brief evbus::journal_writer: records the events a bus delivers into a crash-safe journal file.

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
#include <utility>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../config.hpp"
#include "../core/diagnostics.hpp"
#include "../core/channel.hpp"
#include "../core/subscription.hpp"
#include "codec.hpp"
#include "event_traits.hpp"
#include "journal_format.hpp"

namespace evbus {

/// @brief Settings of a journal_writer.
struct journal_config {
    /// @brief The buffer is written to the file (one write(2)) when it holds at least this many bytes.
    std::size_t buffer_size = 256u * 1024u;
    /// @brief flush() (and the destructor) also call fsync(2): what was flushed survives a power loss.
    bool fsync = false;
    /// @brief Where record timestamps come from: nanoseconds since the Unix epoch (null, the default:
    /// std::chrono::system_clock). Called under the writer's lock, once per record: a simulated clock
    /// makes a recorded backtest reproducible, and tests give records the times they need.
    std::int64_t (*timestamp)() noexcept = nullptr;
    /// @brief Writes on a thread of the writer's own: a full buffer is handed to it and appends go on
    /// into a second buffer meanwhile, and the CRC-32C of each frame is computed there too. An append
    /// then waits only when the thread is still writing the previous buffer (the disk is behind).
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

/// What a journal_writer shares with its recording handlers, which may outlive it.
class writer_state {
public:
    writer_state(int fd, const journal_config &config)
        : fd_{fd}, threshold_{config.buffer_size == 0u ? 1u : config.buffer_size}, fsync_{config.fsync},
          timestamp_{config.timestamp ? config.timestamp : &system_now}, buffer_{threshold_ + threshold_ / 2u + 256u} {}

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
        make_file_header(header, timestamp_());
        std::lock_guard<std::mutex> lock{mutex_};
        buffer_.append(header, sizeof header);
        if(!write_out()) {
            raise_io("evbus::journal_writer: cannot write the file header: ", failed_errno_);
        }
    }

    /// The file id of Event in this journal (1, 2, ...), assigned on its first record<Event>().
    template<typename Event>
    std::uint32_t id_of() {
        const known_type &known = register_type<Event>();
        std::lock_guard<std::mutex> lock{mutex_};
        for(std::size_t i = 0; i < types_.size(); ++i) {
            if(types_[i].known == &known) {
                return static_cast<std::uint32_t>(i + 1u);
            }
        }
        EVBUS_EXPECT(types_.size() < max_types, "evbus::journal_writer: more event types than a journal holds (65535)");
        types_.push_back(type_slot{&known, false, 0u});
        return static_cast<std::uint32_t>(types_.size());
    }

    /// Appends one record of Event (file id `id`); writes the buffer out when it is full. Never
    /// raises for a failed write: that is counted, and flush() reports it. A record longer than a frame
    /// holds (4 GiB) is dropped and counted in stats().dropped. An exception from the codec or a failed
    /// allocation leaves the buffer as it was (no partial frame).
    template<typename Event>
    void append(std::uint32_t id, const Event &event) {
        std::unique_lock<std::mutex> lock{mutex_};
        if(EVBUS_UNLIKELY(fd_ < 0 || stop_)) {
            ++stats_.dropped; // the writer is gone (or closing); its handlers outlived it
            return;
        }
        const std::int64_t timestamp = timestamp_();
        type_slot &slot = types_[id - 1u];
        if(EVBUS_UNLIKELY(!slot.announced)) {
            announce(id, slot, timestamp);
        }
        const std::size_t begin = buffer_.size();
        buffer_.extend(frame_header_size);
        EVBUS_TRY {
            byte_sink sink{buffer_};
            codec<Event>::encode(event, sink);
        }
        EVBUS_CATCH {
            buffer_.truncate(begin);
            EVBUS_RETHROW;
        }
        if(EVBUS_UNLIKELY(buffer_.size() - begin > max_frame_length)) {
            buffer_.truncate(begin); // a frame's length field has 32 bits: the record is dropped, and counted
            ++stats_.dropped;
            return;
        }
        seal(begin, id, next_sequence_++, timestamp);
        ++stats_.records;
        ++buffered_records_;
        if(buffer_.size() >= threshold_) {
            if(threaded_) {
                hand_over(lock, true);
            } else {
                write_out();
            }
        }
    }

    /// Writes what is buffered; fsyncs when configured; false (once) if a write failed since the last flush.
    bool try_flush() noexcept {
        std::unique_lock<std::mutex> lock{mutex_};
        if(fd_ >= 0 && !stop_) {
            if(threaded_) {
                if(buffer_.size() != 0u) {
                    hand_over(lock);
                }
                const std::uint64_t target = handed_;
                done_.wait(lock, [&] { return written_ >= target; });
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
        std::lock_guard<std::mutex> lock{mutex_};
        return stats_;
    }

    /// Writes what is buffered (fsync when configured) and closes the file; later appends are dropped.
    void close() noexcept {
        if(thread_.joinable()) { // hand over what is buffered, let the thread write it and stop
            {
                std::unique_lock<std::mutex> lock{mutex_};
                if(buffer_.size() != 0u && fd_ >= 0) {
                    hand_over(lock);
                }
                stop_ = true;
            }
            work_.notify_all();
            thread_.join();
        }
        std::lock_guard<std::mutex> lock{mutex_};
        if(fd_ >= 0) {
            write_out();
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

    [[nodiscard]] static std::int64_t system_now() noexcept {
        return static_cast<std::int64_t>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
                .count());
    }

    /// Appends the type-table entry of `id`, the first time a record of it goes into the buffer.
    void announce(std::uint32_t id, type_slot &slot, std::int64_t timestamp) {
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
        slot.announced_at = offset_ + (in_flight_ ? spare_.size() : 0u) + begin; // where it lands in the file
    }

    /// Fills in the frame header of the frame that starts at begin, pads it, and checksums it (with a
    /// writer thread, that thread checksums it before writing).
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
        if(!threaded_) { // the writer thread checksums the frames it writes
            store(frame + at_crc, frame_crc(frame, length + padding));
        }
    }

    /// Gives the full buffer to the writer thread (waiting while it still writes the previous one) and
    /// goes on with the empty spare.
    /// With only_if_full (the append path), nothing is handed over if, after the wait, the buffer is no
    /// longer full: another appender handed it over meanwhile, and this one's record is in the new buffer.
    void hand_over(std::unique_lock<std::mutex> &lock, bool only_if_full = false) noexcept {
        done_.wait(lock, [this] { return !in_flight_; });
        if(only_if_full && buffer_.size() < threshold_) {
            return;
        }
        std::swap(buffer_, spare_);
        spare_records_ = buffered_records_;
        buffered_records_ = 0u;
        in_flight_ = true;
        ++handed_;
        work_.notify_one();
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
            lock.unlock();
            for(std::size_t frame = 0u; spare_.size() - frame >= frame_header_size;) {
                std::byte *f = spare_.data() + frame;
                const std::size_t length = padded(load<std::uint32_t>(f + at_length));
                if(length < frame_header_size || length > spare_.size() - frame) {
                    break; // cannot happen (every frame is whole when sealed); never loop or walk past the buffer
                }
                store(f + at_crc, frame_crc(f, length));
                frame += length;
            }
            const int error_number = write_fully(spare_.data(), spare_.size(), at);
            lock.lock();
            if(error_number == 0) {
                offset_ += spare_.size();
                stats_.bytes += spare_.size();
            } else {
                // The file is cut back to its last whole write; what was appended meanwhile is dropped
                // too, since the type entries it relies on may have been in the lost bytes.
                fail(error_number);
                (void)::ftruncate(fd_, static_cast<off_t>(offset_));
                stats_.dropped += spare_records_ + buffered_records_;
                buffered_records_ = 0u;
                buffer_.clear();
                unannounce_lost();
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

    /// Writes the buffer at the end of the file. On failure the file is cut back to its last whole
    /// write (so it stays a valid journal), the buffered records are counted as dropped, and the
    /// types announced in the lost bytes are announced again with their next record.
    bool write_out() noexcept {
        const int error_number = write_fully(buffer_.data(), buffer_.size(), offset_);
        if(error_number != 0) {
            fail(error_number);
            (void)::ftruncate(fd_, static_cast<off_t>(offset_));
            stats_.dropped += buffered_records_;
            unannounce_lost();
            buffered_records_ = 0u;
            buffer_.clear();
            return false;
        }
        offset_ += buffer_.size();
        stats_.bytes += buffer_.size();
        buffered_records_ = 0u;
        buffer_.clear();
        return true;
    }

    void fail(int error_number) noexcept {
        ++stats_.write_errors;
        failed_errno_ = error_number;
        unreported_ = true;
    }

    mutable std::mutex mutex_;
    int fd_;
    std::size_t threshold_;
    bool fsync_;
    std::int64_t (*timestamp_)() noexcept;
    byte_buffer buffer_;
    std::uint64_t offset_{0u}; // the file's size: the end of its last whole write
    std::uint64_t next_sequence_{1u};
    std::uint64_t buffered_records_{0u};
    journal_writer_stats stats_{};
    int failed_errno_{0};
    bool unreported_{false};
    std::vector<type_slot> types_;
    // The writer thread (journal_config::writer_thread); all but thread_ guarded by mutex_.
    bool threaded_{false};
    bool stop_{false};
    bool in_flight_{false};           // spare_ holds a buffer the thread is writing
    byte_buffer spare_;               // the buffer being written (in_flight_), else the next one to fill
    std::uint64_t spare_records_{0u}; // records in spare_
    std::uint64_t handed_{0u};        // buffers handed over
    std::uint64_t written_{0u};       // buffers the thread is done with
    std::condition_variable work_;    // the thread waits here for a buffer or stop_
    std::condition_variable done_;    // appenders and flush() wait here for a written buffer
    std::thread thread_;
};

} // namespace detail::journal

/// @brief Records the events a bus delivers into a journal file: `jw.record<tick>(bus)`.
/// @details Appending copies the event into a buffer (under a mutex, on the delivering thread); the
/// buffer goes to the file in one write(2) when it holds journal_config::buffer_size bytes, at
/// flush(), and at destruction. Timestamps are std::chrono::system_clock nanoseconds since the Unix
/// epoch; sequence numbers start at 1 and follow the order of appends. See docs/journal.md.
class journal_writer {
public:
    /// @brief Creates the journal at path (replacing a file there) and writes its header; a file that
    /// cannot be created or written is errc::io_error with the OS's reason.
    explicit journal_writer(const char *path, const journal_config &config = {}) {
        const int fd = ::open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if(fd < 0) {
            const int error_number = errno;
            detail::journal::raise_io(std::string{"evbus::journal_writer: cannot create '"} + path + "': ",
                                      error_number);
        }
        state_ = std::make_shared<detail::journal::writer_state>(fd, config);
        state_->write_header();
        if(config.writer_thread) {
            state_->start_thread();
        }
    }

    /// @brief journal_writer(path.c_str(), config).
    explicit journal_writer(const std::string &path, const journal_config &config = {})
        : journal_writer{path.c_str(), config} {}

    journal_writer(const journal_writer &) = delete;
    journal_writer &operator=(const journal_writer &) = delete;

    /// @brief Writes what is buffered and closes the file (errors are counted, not raised). Recording
    /// handles that outlive the writer stay safe: what they deliver afterwards is dropped.
    ~journal_writer() { state_->close(); }

    /// @brief Appends each Event that bus delivers (publish or dispatch), in delivery order, until the
    /// returned handle is reset. The recording handler runs before the bus's other handlers.
    /// @details Any bus with `subscribe<Event>(fn, priority)` works (bus, st_bus). Event needs
    /// evbus::event_traits and a codec (trivially copyable, or evbus::codec<Event>).
    template<typename Event, typename Bus>
    [[nodiscard]] subscription record(Bus &target) {
        return target.template subscribe<Event>(recorder<Event>(), INT_MAX);
    }

    /// @brief record() for a channel: each Event it delivers is appended (`jw.record(ch)` names no type).
    template<typename Event, typename Threading>
    [[nodiscard]] subscription record(channel<Event, Threading> &events) {
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
        const std::uint32_t id = state_->id_of<Event>();
        return [state = state_, id](const Event &event) { state->template append<Event>(id, event); };
    }

    std::shared_ptr<detail::journal::writer_state> state_;
};

} // namespace evbus

#endif
