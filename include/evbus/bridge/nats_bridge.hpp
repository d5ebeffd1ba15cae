#ifndef EVBUS_BRIDGE_NATS_BRIDGE_HPP
#define EVBUS_BRIDGE_NATS_BRIDGE_HPP

/// @file
/// @brief evbus::nats::bridge: carries a bus's typed events to NATS subjects and back. Part of the
/// optional target evbus::nats.

#include <atomic>
#include <chrono>
#include <climits>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nats/nats.h>

#include "../config.hpp"
#include "../core/bus.hpp"
#include "../core/subscription.hpp"
#include "../io/codec.hpp"
#include "../io/event_traits.hpp"
#include "nats_connection.hpp"
#include "nats_wire.hpp"

namespace evbus::nats {

/// @brief Counters of a bridge (integers, read without a lock); see docs/bridge.md, "Accounting".
struct bridge_stats {
    std::uint64_t sent = 0u;            ///< events handed to the client library for publishing
    std::uint64_t send_failed = 0u;     ///< events the client refused (reconnect buffer full, closed, too big)
    std::uint64_t received = 0u;        ///< messages decoded and accepted by the bus's post()
    std::uint64_t malformed = 0u;       ///< messages that did not decode (never posted)
    std::uint64_t dropped = 0u;         ///< messages the client dropped for a slow consumer (pending limits)
    std::uint64_t rejected = 0u;        ///< decoded messages the bus refused (a full bounded bus, a closed bus)
    std::uint64_t echo_suppressed = 0u; ///< received events a send() of the same type did not send back
};

/// @brief Settings of one receive().
struct receive_options {
    /// @brief The queue group: each message reaches one member of the group; empty: every subscriber.
    std::string queue_group{};
    /// @brief Messages the client may hold for this subscription before it drops (a slow consumer);
    /// zero: libnats' default (65536).
    int pending_messages{0};
    /// @brief Bytes the client may hold for this subscription; zero: libnats' default (64 MiB).
    int pending_bytes{0};
};

namespace detail {

/// Received payloads that a send() of the same type must not send back (no echo), by bytes.
struct echo_filter {
    std::atomic<int> senders{0};
    std::atomic<std::size_t> pending_count{0u};
    std::mutex mutex;
    std::vector<std::string> pending;

    void add(const void *data, std::size_t size) {
        const std::lock_guard<std::mutex> lock{mutex};
        pending.emplace_back(static_cast<const char *>(data), size);
        pending_count.store(pending.size(), std::memory_order_release);
    }

    /// Removes one pending payload equal to [data, data + size); true if there was one.
    bool take(const void *data, std::size_t size) {
        const std::lock_guard<std::mutex> lock{mutex};
        const std::string_view bytes{static_cast<const char *>(data), size};
        for(auto it = pending.begin(); it != pending.end(); ++it) {
            if(*it == bytes) {
                pending.erase(it);
                pending_count.store(pending.size(), std::memory_order_release);
                return true;
            }
        }
        return false;
    }
};

class bridge_state;

/// One receive(): the libnats subscription and what its callback needs.
struct receiver {
    bridge_state *state{nullptr};
    natsSubscription *sub{nullptr};
    void (*deliver)(receiver &, natsMsg *){nullptr};
    std::shared_ptr<echo_filter> echo;
    std::mutex mutex;
    std::condition_variable cv;
    bool complete{false};

    static void on_complete(void *closure) noexcept {
        auto *self = static_cast<receiver *>(closure);
        const std::lock_guard<std::mutex> lock{self->mutex};
        self->complete = true;
        self->cv.notify_all();
    }
};

/// One send(): the bus subscription of its handler.
struct sender {
    subscription local;
    std::shared_ptr<echo_filter> echo;
};

/// What a bridge's handles and callbacks share.
class bridge_state final: public evbus::detail::connection_owner {
public:
    bridge_state(evbus::bus &target, std::shared_ptr<connection_state> conn)
        : bus_{&target}, connection_{std::move(conn)} {}

    bridge_state(const bridge_state &) = delete;
    bridge_state &operator=(const bridge_state &) = delete;

    ~bridge_state() { close_all(); }

    [[nodiscard]] natsConnection *native() const noexcept { return connection_->native(); }
    [[nodiscard]] evbus::bus &target() const noexcept { return *bus_; }

    std::shared_ptr<echo_filter> echo_for(std::string_view name) {
        const std::lock_guard<std::mutex> lock{mutex_};
        std::shared_ptr<echo_filter> &slot = echo_[std::string{name}];
        if(!slot) {
            slot = std::make_shared<echo_filter>();
        }
        return slot;
    }

    void add_sender(std::unique_ptr<sender> s) {
        const std::lock_guard<std::mutex> lock{mutex_};
        senders_.emplace(s.get(), std::move(s));
    }

    void add_receiver(std::unique_ptr<receiver> r) {
        const std::lock_guard<std::mutex> lock{mutex_};
        receivers_.emplace(r.get(), std::move(r));
    }

    void disconnect(void *token) noexcept override {
        std::unique_ptr<sender> s;
        std::unique_ptr<receiver> r;
        {
            const std::lock_guard<std::mutex> lock{mutex_};
            if(auto it = senders_.find(token); it != senders_.end()) {
                s = std::move(it->second);
                senders_.erase(it);
            } else if(auto jt = receivers_.find(token); jt != receivers_.end()) {
                r = std::move(jt->second);
                receivers_.erase(jt);
            }
        }
        if(s) {
            close_sender(*s);
        }
        if(r) {
            close_receiver(std::move(r));
        }
    }

    void close_all() noexcept {
        std::map<void *, std::unique_ptr<sender>> senders;
        std::map<void *, std::unique_ptr<receiver>> receivers;
        {
            const std::lock_guard<std::mutex> lock{mutex_};
            senders.swap(senders_);
            receivers.swap(receivers_);
        }
        for(auto &entry: senders) {
            close_sender(*entry.second);
        }
        for(auto &entry: receivers) {
            close_receiver(std::move(entry.second));
        }
    }

    [[nodiscard]] bridge_stats stats() const noexcept {
        bridge_stats st;
        st.sent = sent.load(std::memory_order_relaxed);
        st.send_failed = send_failed.load(std::memory_order_relaxed);
        st.received = received.load(std::memory_order_relaxed);
        st.malformed = malformed.load(std::memory_order_relaxed);
        st.rejected = rejected.load(std::memory_order_relaxed);
        st.echo_suppressed = echo_suppressed.load(std::memory_order_relaxed);
        const std::lock_guard<std::mutex> lock{mutex_};
        st.dropped = retired_dropped_;
        for(const auto &entry: receivers_) {
            int64_t n = 0;
            if(natsSubscription_GetDropped(entry.second->sub, &n) == NATS_OK && n > 0) {
                st.dropped += static_cast<std::uint64_t>(n);
            }
        }
        return st;
    }

    /// Publishes one encoded event: a message with the two headers, the bytes as its payload.
    void publish(const std::string &subject, const std::string &name, const char *version, const void *data,
                 std::size_t size) noexcept {
        natsMsg *msg = nullptr;
        natsStatus s =
            natsMsg_Create(&msg, subject.c_str(), nullptr, static_cast<const char *>(data), static_cast<int>(size));
        if(s == NATS_OK) {
            s = natsMsgHeader_Set(msg, type_header.data(), name.c_str());
        }
        if(s == NATS_OK) {
            s = natsMsgHeader_Set(msg, version_header.data(), version);
        }
        if(s == NATS_OK) {
            s = natsConnection_PublishMsg(native(), msg);
        }
        natsMsg_Destroy(msg);
        (s == NATS_OK ? sent : send_failed).fetch_add(1u, std::memory_order_relaxed);
    }

    std::atomic<std::uint64_t> sent{0u};
    std::atomic<std::uint64_t> send_failed{0u};
    std::atomic<std::uint64_t> received{0u};
    std::atomic<std::uint64_t> malformed{0u};
    std::atomic<std::uint64_t> rejected{0u};
    std::atomic<std::uint64_t> echo_suppressed{0u};

private:
    static void close_sender(sender &s) noexcept {
        s.local.reset();
        s.echo->senders.fetch_sub(1, std::memory_order_acq_rel);
    }

    /// Unsubscribes at NATS and waits until libnats calls back no more (its completion callback),
    /// then frees the receiver; if that never comes (a wedged callback), the receiver is leaked, not freed.
    void close_receiver(std::unique_ptr<receiver> r) noexcept {
        int64_t dropped = 0;
        if(natsSubscription_GetDropped(r->sub, &dropped) != NATS_OK || dropped < 0) {
            dropped = 0;
        }
        natsSubscription_Unsubscribe(r->sub);
        bool complete = false;
        {
            std::unique_lock<std::mutex> lock{r->mutex};
            complete = r->cv.wait_for(lock, std::chrono::seconds{10}, [&r] { return r->complete; });
        }
        int64_t after = 0;
        if(natsSubscription_GetDropped(r->sub, &after) == NATS_OK && after > dropped) {
            dropped = after;
        }
        {
            const std::lock_guard<std::mutex> lock{mutex_};
            retired_dropped_ += static_cast<std::uint64_t>(dropped);
        }
        if(complete) {
            natsSubscription_Destroy(r->sub);
        } else {
            (void)r.release();
        }
    }

    evbus::bus *bus_;
    std::shared_ptr<connection_state> connection_;
    mutable std::mutex mutex_;
    std::map<void *, std::unique_ptr<sender>> senders_;
    std::map<void *, std::unique_ptr<receiver>> receivers_;
    std::map<std::string, std::shared_ptr<echo_filter>> echo_;
    std::uint64_t retired_dropped_{0u};
};

inline void on_message(natsConnection *, natsSubscription *, natsMsg *msg, void *closure) noexcept {
    auto *r = static_cast<receiver *>(closure);
    r->deliver(*r, msg);
    natsMsg_Destroy(msg);
}

/// Decodes one message into an Event and posts it; every outcome is counted.
template<typename Event>
void deliver(receiver &r, natsMsg *msg) noexcept {
    bridge_state &state = *r.state;
    const char *type = nullptr;
    const char *version = nullptr;
    if(natsMsgHeader_Get(msg, type_header.data(), &type) != NATS_OK) {
        type = nullptr;
    }
    if(natsMsgHeader_Get(msg, version_header.data(), &version) != NATS_OK) {
        version = nullptr;
    }
    const char *data = natsMsg_GetData(msg);
    const auto size = static_cast<std::size_t>(natsMsg_GetDataLength(msg));
    EVBUS_TRY {
        Event event{};
        if(nats::decode(type, version, data, size, event) != decode_status::ok) {
            state.malformed.fetch_add(1u, std::memory_order_relaxed);
            return;
        }
        const bool echo = r.echo->senders.load(std::memory_order_acquire) > 0;
        if(echo) {
            r.echo->add(data, size);
        }
        if(state.target().post(std::move(event))) {
            state.received.fetch_add(1u, std::memory_order_relaxed);
        } else {
            if(echo) {
                (void)r.echo->take(data, size);
            }
            state.rejected.fetch_add(1u, std::memory_order_relaxed);
        }
    }
    EVBUS_CATCH { state.malformed.fetch_add(1u, std::memory_order_relaxed); }
}

/// The encoding buffer of the thread that sends (a codec's output; bytes codecs need none).
inline evbus::detail::byte_buffer &send_buffer() {
    static thread_local evbus::detail::byte_buffer buffer;
    return buffer;
}

} // namespace detail

/// @brief Carries a bus's events to NATS and back: `send<E>(subject)` publishes each E the bus
/// delivers, `receive<E>(subject)` posts each message on the subject to the bus.
/// @details Event types need evbus::event_traits (a stable name and version) and a codec (trivially
/// copyable, or evbus::codec<E>): the same as the journal. The wire format is in docs/bridge.md.
/// The bus must outlive the bridge; the connection may not (the bridge keeps it open). Thread-safe.
class bridge {
public:
    /// @brief A bridge between target and the NATS connection conn.
    bridge(evbus::bus &target, connection &conn)
        : state_{std::make_shared<detail::bridge_state>(target, conn.state())} {}

    bridge(const bridge &) = delete;
    bridge &operator=(const bridge &) = delete;

    /// @brief Unsubscribes every send and receive (waiting for libnats' callbacks to end); their
    /// handles become inactive.
    ~bridge() { state_->close_all(); }

    /// @brief Publishes each Event the bus delivers (publish or dispatch) to subject, until the
    /// handle is reset. The handler runs before the bus's other handlers (delivery order).
    /// @details An Event this bridge received from NATS is not sent back (no echo).
    template<typename Event>
    [[nodiscard]] subscription send(std::string subject) {
        static_assert(evbus::detail::assert_codable<Event>());
        EVBUS_EXPECT(!subject.empty(), "evbus::nats::bridge::send: an empty subject");
        auto entry = std::make_unique<detail::sender>();
        entry->echo = state_->echo_for(event_name<Event>());
        entry->echo->senders.fetch_add(1, std::memory_order_acq_rel);
        char version_text[11];
        detail::format_version(event_version<Event>(), version_text);
        auto handler = [state = state_, echo = entry->echo, to = std::move(subject),
                        name = std::string{event_name<Event>()},
                        version = std::string{version_text}](const Event &event) noexcept {
            const void *data = &event;
            std::size_t size = sizeof(Event);
            if constexpr(!is_bytes_codec_v<Event>) {
                evbus::detail::byte_buffer &buffer = detail::send_buffer();
                buffer.clear();
                EVBUS_TRY {
                    byte_sink sink{buffer};
                    codec<Event>::encode(event, sink);
                }
                EVBUS_CATCH {
                    state->send_failed.fetch_add(1u, std::memory_order_relaxed);
                    return;
                }
                data = buffer.data();
                size = buffer.size();
            }
            if(echo->pending_count.load(std::memory_order_acquire) != 0u && echo->take(data, size)) {
                state->echo_suppressed.fetch_add(1u, std::memory_order_relaxed);
                return;
            }
            state->publish(to, name, version.c_str(), data, size);
        };
        detail::sender *token = entry.get();
        entry->local = state_->target().template subscribe<Event>(std::move(handler), INT_MAX);
        state_->add_sender(std::move(entry));
        return subscription{std::weak_ptr<evbus::detail::connection_owner>{state_}, token};
    }

    /// @brief Posts each message on subject (decoded as an Event) to the bus, from libnats' thread,
    /// until the handle is reset; a message that does not decode is counted as malformed.
    template<typename Event>
    [[nodiscard]] subscription receive(std::string_view subject) {
        return receive<Event>(subject, receive_options{});
    }

    /// @brief receive() in a queue group: each message on subject reaches one member of the group.
    template<typename Event>
    [[nodiscard]] subscription receive(std::string_view subject, std::string_view queue_group) {
        receive_options options;
        options.queue_group = std::string{queue_group};
        return receive<Event>(subject, options);
    }

    /// @brief receive() with settings: a queue group, pending limits (slow-consumer drops are counted).
    /// @details A subscription libnats refuses (an invalid subject, a closed connection) raises
    /// errc::invalid_argument with its message.
    template<typename Event>
    [[nodiscard]] subscription receive(std::string_view subject, const receive_options &options) {
        static_assert(evbus::detail::assert_codable<Event>());
        auto entry = std::make_unique<detail::receiver>();
        entry->state = state_.get();
        entry->deliver = &detail::deliver<Event>;
        entry->echo = state_->echo_for(event_name<Event>());
        const std::string subj{subject};
        natsStatus s = NATS_OK;
        if(options.queue_group.empty()) {
            s = natsConnection_Subscribe(&entry->sub, state_->native(), subj.c_str(), &detail::on_message, entry.get());
        } else {
            s = natsConnection_QueueSubscribe(&entry->sub, state_->native(), subj.c_str(), options.queue_group.c_str(),
                                              &detail::on_message, entry.get());
        }
        if(s == NATS_OK) {
            s = natsSubscription_SetOnCompleteCB(entry->sub, &detail::receiver::on_complete, entry.get());
        }
        if(s == NATS_OK && (options.pending_messages != 0 || options.pending_bytes != 0)) {
            s = natsSubscription_SetPendingLimits(
                entry->sub, options.pending_messages != 0 ? options.pending_messages : 65536,
                options.pending_bytes != 0 ? options.pending_bytes : 64 * 1024 * 1024);
        }
        if(s != NATS_OK) {
            std::string message = "evbus::nats::bridge::receive: cannot subscribe to '" + subj + "': ";
            message += natsStatus_GetText(s);
            if(entry->sub != nullptr) {
                // A callback may still be running: the small receiver is left alive, not freed.
                natsSubscription_Unsubscribe(entry->sub);
                (void)entry.release();
            }
            evbus::detail::raise(errc::invalid_argument, message.c_str());
        }
        detail::receiver *token = entry.get();
        state_->add_receiver(std::move(entry));
        return subscription{std::weak_ptr<evbus::detail::connection_owner>{state_}, token};
    }

    /// @brief Counters: sent, send_failed, received, malformed, dropped, rejected, echo_suppressed.
    [[nodiscard]] bridge_stats stats() const noexcept { return state_->stats(); }

private:
    std::shared_ptr<detail::bridge_state> state_;
};

} // namespace evbus::nats

#endif
