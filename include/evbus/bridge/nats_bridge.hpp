#ifndef EVBUS_BRIDGE_NATS_BRIDGE_HPP
#define EVBUS_BRIDGE_NATS_BRIDGE_HPP

/// @file
/// @brief evbus::nats::bridge: carries a bus's typed events to NATS subjects and back. Part of the
/// optional target evbus::nats.

#if defined(EVBUS_NATS_UNAVAILABLE)
#    error "evbus::nats was configured without libnats: apt-get install libnats-dev pkg-config, configure again"
#endif

#include <atomic>
#include <chrono>
#include <climits>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <thread>
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
    /// durable only: redeliveries of events already posted (acked again, not posted twice), and
    /// publishes the stream reported as duplicates of an earlier one (a retry of a stored event)
    std::uint64_t duplicates = 0u;
    /// publish_inline only: received events whose handlers raised (counted in received as well; the
    /// exception stops at the bridge)
    std::uint64_t handler_errors = 0u;
    /// @brief Well-formed messages of another event type on a received subject (their Evbus-Type names
    /// another type, with a valid version): skipped, neither posted nor malformed; durable: acknowledged.
    std::uint64_t other_type = 0u;
};

/// @brief Settings of a bridge.
struct bridge_options {
    /// @brief How sends carry the type name and version: NATS headers (the default) or a payload
    /// prefix (wire_format::prefix: no headers, cheaper in libnats; docs/bridge.md, "Wire format").
    /// Receives accept both formats whatever this says.
    wire_format format{wire_format::headers};
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
    /// @brief Deliver with bus.publish() on libnats' delivery thread instead of post(): the handlers
    /// run there, at once (no queue, no dispatch; the lowest latency), and must be safe to run on
    /// that thread. Nothing is rejected then; `received` counts what was published.
    bool publish_inline{false};
};

/// @brief Settings of send_durable() and receive_durable() (JetStream).
struct durable_options {
    /// @brief The stream that stores the subject; empty: "EVBUS_" and the subject with every
    /// character other than a letter, a digit, '-' or '_' replaced by '_' ("oms.fill": EVBUS_oms_fill).
    std::string stream{};
    /// @brief Create the stream (file storage, the one subject) when it does not exist; false: it
    /// must exist (errc::io_error otherwise).
    bool create_stream{true};
    /// @brief send: how long one publish waits for the stream's acknowledgement.
    std::chrono::milliseconds ack_timeout{std::chrono::milliseconds{2000}};
    /// @brief send: publishes of one event (the same message id, so the stream stores it once)
    /// before it counts as send_failed.
    int attempts{10};
    /// @brief send: pause between two attempts (a reconnect in progress).
    std::chrono::milliseconds retry_wait{std::chrono::milliseconds{200}};
    /// @brief receive: the server redelivers a message not acknowledged within this time.
    std::chrono::milliseconds ack_wait{std::chrono::milliseconds{30000}};
    /// @brief receive: messages delivered and not yet acknowledged; 1 keeps the order even when
    /// posts are refused (redeliveries); 0: the server's default.
    int max_ack_pending{0};
};

namespace detail {

/// The stream name durable_options::stream defaults to for subject.
inline std::string stream_for(std::string_view subject) {
    std::string name = "EVBUS_";
    for(const char c: subject) {
        const bool plain =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
        name += plain ? c : '_';
    }
    return name;
}

/// A NATS subject: tokens separated by '.', none empty, no space or control character (libnats 3.4.1
/// checks only that a subject is not empty: "a b" would go out as a subject and a reply, "\r\n"
/// would inject protocol). With wildcards (subscriptions), '*' may be a whole token and '>' the
/// whole last one; without (publishes), neither may appear (the server drops such messages).
inline bool valid_subject(std::string_view subject, bool wildcards) noexcept {
    if(subject.empty()) {
        return false;
    }
    std::size_t start = 0u;
    while(true) {
        std::size_t end = subject.find('.', start);
        const bool last = end == std::string_view::npos;
        if(last) {
            end = subject.size();
        }
        const std::string_view token = subject.substr(start, end - start);
        if(token.empty()) {
            return false;
        }
        for(const char c: token) {
            const auto u = static_cast<unsigned char>(c);
            if(u <= 0x20u || u == 0x7Fu) {
                return false;
            }
            if((c == '*' || c == '>') && (!wildcards || token.size() != 1u || (c == '>' && !last))) {
                return false;
            }
        }
        if(last) {
            return true;
        }
        start = end + 1u;
    }
}

class bridge_state;

/// One receive(): the libnats subscription and what its callback needs.
struct receiver {
    bridge_state *state{nullptr};
    natsSubscription *sub{nullptr};
    void (*deliver)(receiver &, natsMsg *){nullptr};
    std::mutex mutex;
    std::condition_variable cv;
    bool complete{false};
    bool publish_inline{false};
    // durable receivers: the stream sequences posted (the newest posted_window of them), so that a
    // redelivery of one is acked, not posted again; touched only by the subscription's delivery thread.
    std::set<std::uint64_t> posted;
    static constexpr std::size_t posted_window = 65536u;

    void remember_posted(std::uint64_t seq) {
        posted.insert(seq);
        if(posted.size() > posted_window) {
            posted.erase(posted.begin());
        }
    }
    // the last slow-consumer drop count read from the subscription
    std::atomic<std::uint64_t> last_dropped{0u};

    // Set when the receiver outlives its close (reset from its own callback, or a wedged callback):
    // keeps the counters and the bus pointer valid for callbacks still to come.
    std::shared_ptr<bridge_state> keep_alive;
    // Reset from its own callback: on_complete frees it.
    bool orphan{false};

    static void on_complete(void *closure) noexcept {
        auto *self = static_cast<receiver *>(closure);
        bool free_it = false;
        {
            const std::lock_guard<std::mutex> lock{self->mutex};
            self->complete = true;
            free_it = self->orphan;
            self->cv.notify_all();
        }
        if(free_it) {
            delete self; // its subscription was handed to the connection
        }
    }
};

/// One send(): the bus subscription of its handler.
struct sender {
    subscription local;
};

/// What a bridge's handles and callbacks share.
/// The receiver whose callback runs on this thread (libnats' delivery thread), if any.
inline receiver *&delivering() noexcept {
    static thread_local receiver *current = nullptr;
    return current;
}

class bridge_state final: public evbus::detail::connection_owner, public std::enable_shared_from_this<bridge_state> {
public:
    bridge_state(evbus::bus &target, std::shared_ptr<connection_state> conn)
        : bus_{&target}, connection_{std::move(conn)} {}

    bridge_state(const bridge_state &) = delete;
    bridge_state &operator=(const bridge_state &) = delete;

    ~bridge_state() {
        close_all();
        if(js_ != nullptr) {
            jsCtx_Destroy(js_);
        }
    }

    /// The JetStream context, made on first use.
    jsCtx *jetstream() {
        const std::lock_guard<std::mutex> lock{mutex_};
        if(js_ == nullptr) {
            const natsStatus s = natsConnection_JetStream(&js_, native(), nullptr);
            if(s != NATS_OK) {
                js_ = nullptr;
                raise_js("evbus::nats::bridge: no JetStream context: ", s, static_cast<jsErrCode>(0));
            }
        }
        return js_;
    }

    /// Checks that the stream exists, or creates it (file storage, the one subject) when allowed.
    void ensure_stream(const std::string &stream, const std::string &subject, bool create) {
        jsCtx *js = jetstream();
        jsStreamInfo *info = nullptr;
        jsErrCode code = static_cast<jsErrCode>(0);
        natsStatus s = js_GetStreamInfo(&info, js, stream.c_str(), nullptr, &code);
        if(s == NATS_OK) {
            jsStreamInfo_Destroy(info);
            return;
        }
        if(s == NATS_NOT_FOUND && create) {
            jsStreamConfig config;
            jsStreamConfig_Init(&config);
            const char *subjects[1] = {subject.c_str()};
            config.Name = stream.c_str();
            config.Subjects = subjects;
            config.SubjectsLen = 1;
            config.Storage = js_FileStorage;
            s = js_AddStream(&info, js, &config, nullptr, &code);
            if(s == NATS_OK) {
                jsStreamInfo_Destroy(info);
                return;
            }
        }
        raise_js("evbus::nats::bridge: JetStream stream '" + stream + "' for '" + subject + "': ", s, code);
    }

    /// Makes the durable consumer (explicit acks, all messages of subject) unless it exists, so that
    /// unsubscribing never deletes it.
    void ensure_consumer(const std::string &stream, const std::string &subject, const std::string &name,
                         const durable_options &options) {
        jsCtx *js = jetstream();
        const std::string deliver = "_EVBUS.deliver." + stream + "." + name;
        jsConsumerConfig config;
        jsConsumerConfig_Init(&config);
        config.Durable = name.c_str();
        config.DeliverSubject = deliver.c_str();
        config.DeliverPolicy = js_DeliverAll;
        config.AckPolicy = js_AckExplicit;
        config.AckWait = static_cast<int64_t>(options.ack_wait.count()) * 1000000;
        config.FilterSubject = subject.c_str();
        if(options.max_ack_pending > 0) {
            config.MaxAckPending = options.max_ack_pending;
        }
        jsConsumerInfo *info = nullptr;
        jsErrCode code = static_cast<jsErrCode>(0);
        const natsStatus s = js_AddConsumer(&info, js, stream.c_str(), &config, nullptr, &code);
        if(s == NATS_OK) {
            jsConsumerInfo_Destroy(info);
            return;
        }
        raise_js("evbus::nats::bridge: JetStream consumer '" + name + "' on '" + stream + "': ", s, code);
    }

    /// An id for this bridge's message ids: random, so that two processes never share one.
    [[nodiscard]] const std::string &instance() const noexcept { return instance_; }

    [[nodiscard]] natsConnection *native() const noexcept { return connection_->native(); }
    [[nodiscard]] evbus::bus &target() const noexcept { return *bus_; }

    /// The id this bridge's receives post with (bus::post_from), which its sends recognize (no echo):
    /// unique in the process, never 0.
    [[nodiscard]] std::uint64_t origin() const noexcept { return origin_; }

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
        st.duplicates = duplicates.load(std::memory_order_relaxed);
        st.handler_errors = handler_errors.load(std::memory_order_relaxed);
        st.other_type = other_type.load(std::memory_order_relaxed);
        const std::lock_guard<std::mutex> lock{mutex_};
        st.dropped = retired_dropped_;
        for(const auto &entry: receivers_) {
            st.dropped += dropped_of(*entry.second);
        }
        return st;
    }

    /// Publishes one prefix-format message (wire_format::prefix): the bytes, prefix included, no headers.
    void publish_prefixed(const std::string &subject, const void *data, std::size_t size) noexcept {
        const natsStatus s = natsConnection_Publish(native(), subject.c_str(), data, static_cast<int>(size));
        (s == NATS_OK ? sent : send_failed).fetch_add(1u, std::memory_order_relaxed);
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
    std::atomic<std::uint64_t> duplicates{0u};
    std::atomic<std::uint64_t> handler_errors{0u};
    std::atomic<std::uint64_t> other_type{0u};

    /// Publishes one encoded event to JetStream and waits for the stream's acknowledgement, again
    /// with the same message id after a failure (the stream stores it once), up to options.attempts.
    /// version == nullptr: a prefix-format message (the prefix is in data; no Evbus headers).
    void publish_durable(const std::string &subject, const std::string &name, const char *version,
                         const std::string &msg_id, const void *data, std::size_t size,
                         const durable_options &options) noexcept {
        natsMsg *msg = nullptr;
        natsStatus s =
            natsMsg_Create(&msg, subject.c_str(), nullptr, static_cast<const char *>(data), static_cast<int>(size));
        if(s == NATS_OK && version != nullptr) {
            s = natsMsgHeader_Set(msg, type_header.data(), name.c_str());
        }
        if(s == NATS_OK && version != nullptr) {
            s = natsMsgHeader_Set(msg, version_header.data(), version);
        }
        bool stored = false;
        for(int attempt = 0; s == NATS_OK && !stored && attempt < options.attempts; ++attempt) {
            if(attempt != 0) {
                std::this_thread::sleep_for(options.retry_wait);
            }
            jsPubOptions po;
            jsPubOptions_Init(&po);
            po.MsgId = msg_id.c_str();
            po.MaxWait = static_cast<int64_t>(options.ack_timeout.count());
            jsPubAck *ack = nullptr;
            jsErrCode code = static_cast<jsErrCode>(0);
            const natsStatus p = js_PublishMsg(&ack, js_, msg, &po, &code);
            if(p == NATS_OK) {
                if(ack != nullptr && ack->Duplicate) {
                    duplicates.fetch_add(1u, std::memory_order_relaxed);
                }
                jsPubAck_Destroy(ack);
                stored = true;
            } else if(code != 0) {
                break; // the stream refused it (no stream for the subject, a limit): retrying will not help
            }
        }
        natsMsg_Destroy(msg);
        (stored ? sent : send_failed).fetch_add(1u, std::memory_order_relaxed);
    }

private:
    [[noreturn]] static void raise_js(std::string message, natsStatus s, jsErrCode code) {
        message += natsStatus_GetText(s);
        if(code != 0) {
            message += " (JetStream error " + std::to_string(static_cast<int>(code)) + ")";
        }
        natsStatus last = NATS_OK;
        const char *text = nats_GetLastError(&last);
        if(text != nullptr && *text != '\0') {
            message += ": ";
            message += text;
        }
        evbus::detail::raise(errc::io_error, message.c_str());
    }

    static void close_sender(sender &s) noexcept { s.local.reset(); }

    /// The subscription's slow-consumer drops: libnats' count while it can read it (an open
    /// subscription), else the last count read (a closed connection closes its subscriptions).
    static std::uint64_t dropped_of(receiver &r) noexcept {
        int64_t n = 0;
        if(natsSubscription_GetDropped(r.sub, &n) == NATS_OK && n > 0) {
            std::uint64_t seen = r.last_dropped.load(std::memory_order_relaxed);
            while(
                static_cast<std::uint64_t>(n) > seen &&
                !r.last_dropped.compare_exchange_weak(seen, static_cast<std::uint64_t>(n), std::memory_order_relaxed)) {
            }
        }
        return r.last_dropped.load(std::memory_order_relaxed);
    }

    /// Drains the subscription (libnats delivers what it holds, so nothing pending is discarded
    /// uncounted; plain unsubscribe when it cannot drain) and waits until libnats calls back no more
    /// (its completion callback); then destroys it once the read loop is known to be past it (a
    /// flush), or hands it to the connection, which destroys it after closing. If the completion
    /// never comes (a wedged callback), the receiver is leaked, not freed.
    void close_receiver(std::unique_ptr<receiver> r) noexcept {
        if(delivering() == r.get()) {
            // Reset from its own callback (a publish_inline handler): the completion can only come
            // after this callback returns, so do not wait for it; on_complete frees the receiver.
            {
                const std::lock_guard<std::mutex> lock{mutex_};
                retired_dropped_ += dropped_of(*r);
            }
            natsSubscription_Unsubscribe(r->sub);
            connection_->retire(r->sub);
            r->keep_alive = weak_from_this().lock();
            const std::lock_guard<std::mutex> lock{r->mutex};
            r->orphan = true;
            (void)r.release();
            return;
        }
        std::uint64_t dropped = dropped_of(*r);
        if(natsSubscription_DrainTimeout(r->sub, static_cast<int64_t>(drain_timeout.count())) != NATS_OK) {
            natsSubscription_Unsubscribe(r->sub);
        }
        bool complete = false;
        {
            std::unique_lock<std::mutex> lock{r->mutex};
            complete = r->cv.wait_for(lock, drain_timeout + std::chrono::seconds{10}, [&r] { return r->complete; });
        }
        dropped = dropped_of(*r);
        {
            const std::lock_guard<std::mutex> lock{mutex_};
            retired_dropped_ += dropped;
        }
        if(complete) {
            // libnats 3.4.1 may still be inside natsConn_processMsg for this subscription (nats.c
            // #637): the read loop handles the flush's PONG only after the messages before it.
            if(natsConnection_FlushTimeout(native(), 2000) == NATS_OK) {
                natsSubscription_Destroy(r->sub);
            } else {
                connection_->retire(r->sub);
            }
        } else {
            // A wedged callback may still count and post: it keeps the counters alive (leaked).
            r->keep_alive = weak_from_this().lock();
            (void)r.release();
        }
    }

public:
    /// How long closing a receive lets libnats deliver what it holds for it.
    static constexpr std::chrono::milliseconds drain_timeout{5000};

private:
    evbus::bus *bus_;
    std::shared_ptr<connection_state> connection_;
    mutable std::mutex mutex_;
    std::map<void *, std::unique_ptr<sender>> senders_;
    std::map<void *, std::unique_ptr<receiver>> receivers_;
    std::uint64_t origin_{[] {
        static std::atomic<std::uint64_t> last{0u};
        return last.fetch_add(1u, std::memory_order_relaxed) + 1u;
    }()};
    std::uint64_t retired_dropped_{0u};
    jsCtx *js_{nullptr};
    std::string instance_{[] {
        std::random_device random;
        const std::uint64_t id = (static_cast<std::uint64_t>(random()) << 32u) ^ random();
        char text[17];
        for(int i = 15; i >= 0; --i) {
            text[15 - i] = "0123456789abcdef"[(id >> (4 * i)) & 0xFu];
        }
        text[16] = '\0';
        return std::string{text};
    }()};
};

inline void on_message(natsConnection *, natsSubscription *, natsMsg *msg, void *closure) noexcept {
    auto *r = static_cast<receiver *>(closure);
    receiver *const outer = delivering();
    delivering() = r;
    r->deliver(*r, msg);
    delivering() = outer;
    natsMsg_Destroy(msg);
}

/// Decodes a message of either wire format: with an Evbus-Type header, the header form (whatever
/// the payload); without one, the prefix form when the payload starts with its magic; else no_type.
/// (A message without headers costs libnats no header parsing: natsMsgHeader_Get returns at once.)
template<typename Event>
decode_status decode_message(natsMsg *msg, Event &event) {
    const char *data = natsMsg_GetData(msg);
    const auto size = static_cast<std::size_t>(natsMsg_GetDataLength(msg));
    const char *type = nullptr;
    if(natsMsgHeader_Get(msg, type_header.data(), &type) != NATS_OK || type == nullptr) {
        return nats::decode_prefixed(data, size, event); // no_type without the magic
    }
    const char *version = nullptr;
    if(natsMsgHeader_Get(msg, version_header.data(), &version) != NATS_OK) {
        version = nullptr;
    }
    return nats::decode(type, version, data, size, event);
}

/// Decodes one message into an Event and posts it; every outcome is counted.
template<typename Event>
void deliver(receiver &r, natsMsg *msg) noexcept {
    bridge_state &state = *r.state;
    EVBUS_TRY {
        Event event{};
        const decode_status status = decode_message(msg, event);
        if(status != decode_status::ok) {
            (status == decode_status::other_type ? state.other_type : state.malformed)
                .fetch_add(1u, std::memory_order_relaxed);
            return;
        }
        // The event carries this bridge's origin to its handlers: the bridge's sends skip it (no echo).
        if(r.publish_inline) {
            state.received.fetch_add(1u, std::memory_order_relaxed); // before the handlers see it
            const evbus::detail::origin_scope origin{state.origin(), &event};
            EVBUS_TRY { (void)state.target().publish(event); }
            EVBUS_CATCH { state.handler_errors.fetch_add(1u, std::memory_order_relaxed); } // received, not malformed
        } else if(state.target().post_from(state.origin(), std::move(event))) {
            state.received.fetch_add(1u, std::memory_order_relaxed);
        } else {
            state.rejected.fetch_add(1u, std::memory_order_relaxed);
        }
    }
    EVBUS_CATCH { state.malformed.fetch_add(1u, std::memory_order_relaxed); }
}

/// A JetStream message: decoded and posted, then acknowledged; a refused post is nak'ed (the server
/// redelivers it); a message that does not decode is terminated (never redelivered); a redelivery
/// of one already posted is acknowledged and not posted again.
template<typename Event>
void deliver_durable(receiver &r, natsMsg *msg) noexcept {
    bridge_state &state = *r.state;
    jsMsgMetaData *meta = nullptr;
    if(natsMsg_GetMetaData(&meta, msg) != NATS_OK || meta == nullptr) {
        state.malformed.fetch_add(1u, std::memory_order_relaxed);
        (void)natsMsg_Term(msg, nullptr);
        return;
    }
    const std::uint64_t seq = meta->Sequence.Stream;
    jsMsgMetaData_Destroy(meta);
    // JetStream's push deliveries ignore no_echo: a message this bridge stored itself (its message
    // id starts with the bridge's id) is acknowledged and not posted again.
    const char *msg_id = nullptr;
    if(natsMsgHeader_Get(msg, "Nats-Msg-Id", &msg_id) == NATS_OK && msg_id != nullptr) {
        const std::string &own = state.instance();
        if(std::char_traits<char>::length(msg_id) > own.size() &&
           own.compare(0u, own.size(), msg_id, own.size()) == 0 && msg_id[own.size()] == '-') {
            state.echo_suppressed.fetch_add(1u, std::memory_order_relaxed);
            (void)natsMsg_Ack(msg, nullptr);
            return;
        }
    }
    // Not "first deliveries only": a server restarted after a crash may deliver again with
    // NumDelivered back at 1 (its consumer state lost the acks).
    if(r.posted.count(seq) != 0u) {
        state.duplicates.fetch_add(1u, std::memory_order_relaxed);
        (void)natsMsg_Ack(msg, nullptr);
        return;
    }
    EVBUS_TRY {
        Event event{};
        const decode_status status = decode_message(msg, event);
        if(status == decode_status::other_type) {
            // another receiver's event on this subject: done with here, not redelivered
            state.other_type.fetch_add(1u, std::memory_order_relaxed);
            (void)natsMsg_Ack(msg, nullptr);
            return;
        }
        if(status != decode_status::ok) {
            state.malformed.fetch_add(1u, std::memory_order_relaxed);
            (void)natsMsg_Term(msg, nullptr);
            return;
        }
        if(state.target().post_from(state.origin(), std::move(event))) {
            EVBUS_TRY { r.remember_posted(seq); }
            EVBUS_CATCH{} // no memory: a redelivery of it would be posted again (at least once)
            (void)natsMsg_Ack(msg, nullptr);
            state.received.fetch_add(1u, std::memory_order_relaxed);
        } else {
            (void)natsMsg_Nak(msg, nullptr);
            state.rejected.fetch_add(1u, std::memory_order_relaxed);
        }
    }
    EVBUS_CATCH {
        (void)natsMsg_Nak(msg, nullptr);
        state.rejected.fetch_add(1u, std::memory_order_relaxed);
    }
}

/// The encoding buffer of the thread that sends (a codec's output; bytes codecs need none).
inline evbus::detail::byte_buffer &send_buffer() {
    static thread_local evbus::detail::byte_buffer buffer;
    return buffer;
}

/// The bytes a send handler publishes for one event; publish == false: nothing to publish (counted).
struct outgoing {
    const void *data;
    std::size_t size;
    bool publish;
};

/// What send() and send_durable() do before publishing: skip an echo (the event being delivered is
/// one this bridge received: posted with its origin, or published inline, and this is that very
/// object), then encode the event (a bytes codec: the event itself; a codec: into the thread's send
/// buffer, valid until this thread's next encode). A skipped echo is counted in echo_suppressed, an
/// encode that fails in send_failed; both return publish == false. A non-empty prefix (wire_format::
/// prefix) goes first: the result is then the whole payload, in the send buffer.
template<typename Event>
outgoing encode_outgoing(bridge_state &state, const Event &event, std::string_view prefix) noexcept {
    const evbus::detail::delivery_origin_state &origin = evbus::detail::delivery_origin();
    if(origin.is(state.origin(), event)) {
        state.echo_suppressed.fetch_add(1u, std::memory_order_relaxed);
        return outgoing{nullptr, 0u, false};
    }
    outgoing out{&event, sizeof(Event), true};
    if(!is_bytes_codec_v<Event> || !prefix.empty()) {
        evbus::detail::byte_buffer &buffer = send_buffer();
        buffer.clear();
        EVBUS_TRY {
            buffer.append(prefix.data(), prefix.size());
            byte_sink sink{buffer};
            codec<Event>::encode(event, sink);
        }
        EVBUS_CATCH {
            state.send_failed.fetch_add(1u, std::memory_order_relaxed);
            return outgoing{nullptr, 0u, false};
        }
        out = outgoing{buffer.data(), buffer.size(), true};
    }
    return out;
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

    /// @brief A bridge with settings: the wire format its sends use (bridge_options::format).
    bridge(evbus::bus &target, connection &conn, const bridge_options &options)
        : state_{std::make_shared<detail::bridge_state>(target, conn.state())}, options_{options} {}

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
        EVBUS_EXPECT(detail::valid_subject(subject, false),
                     "evbus::nats::bridge::send: not a subject to publish to (empty, an empty token, a space or "
                     "control character, a wildcard)");
        auto entry = std::make_unique<detail::sender>();
        char version_text[11];
        detail::format_version(event_version<Event>(), version_text);
        std::string wire = prefix_of<Event>("evbus::nats::bridge::send: wire_format::prefix needs a type name of 1 "
                                            "to 255 bytes (event_traits<E>::name)");
        auto handler = [state = state_, to = std::move(subject), name = std::string{event_name<Event>()},
                        version = std::string{version_text}, wire = std::move(wire)](const Event &event) noexcept {
            const detail::outgoing out = detail::encode_outgoing(*state, event, wire);
            if(!out.publish) {
                return;
            }
            if(wire.empty()) {
                state->publish(to, name, version.c_str(), out.data, out.size);
            } else {
                state->publish_prefixed(to, out.data, out.size);
            }
        };
        detail::sender *token = entry.get();
        entry->local = state_->target().template subscribe<Event>(std::move(handler), INT_MAX);
        state_->add_sender(std::move(entry));
        return subscription{std::weak_ptr<evbus::detail::connection_owner>{state_}, token};
    }

    /// @brief Posts each message on subject (decoded as an Event) to the bus, from libnats' thread,
    /// until the handle is reset; a message that does not decode is counted as malformed, a well-formed
    /// one of another event type in other_type (several types may share a subject).
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
        EVBUS_EXPECT(detail::valid_subject(subject, true),
                     "evbus::nats::bridge::receive: not a subject (empty, an empty token, a space or control "
                     "character, a wildcard that is not a whole token)");
        EVBUS_EXPECT(options.queue_group.find_first_of(" \t\r\n") == std::string::npos,
                     "evbus::nats::bridge::receive: a queue group with white space");
        auto entry = std::make_unique<detail::receiver>();
        entry->state = state_.get();
        entry->deliver = &detail::deliver<Event>;
        entry->publish_inline = options.publish_inline;
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

    /// @brief Publishes each Event the bus delivers to subject through JetStream, waiting for the
    /// stream's acknowledgement on the delivering thread; after a failure (a reconnect) it publishes
    /// again with the same message id, so the stream stores the event once. An event the stream never
    /// acknowledged is counted in send_failed.
    /// @details The message id is `<bridge id>-<send number>-<event number>`: unique across
    /// processes and runs. The stream (durable_options::stream) is created when missing, unless
    /// create_stream is false; a stream that cannot be found or made raises errc::io_error.
    template<typename Event>
    [[nodiscard]] subscription send_durable(std::string subject, const durable_options &options = {}) {
        static_assert(evbus::detail::assert_codable<Event>());
        EVBUS_EXPECT(detail::valid_subject(subject, false),
                     "evbus::nats::bridge::send_durable: not a subject to publish to (empty, an empty token, a space "
                     "or control character, a wildcard)");
        EVBUS_EXPECT(options.attempts > 0, "evbus::nats::bridge::send_durable: attempts must be positive");
        const std::string stream = options.stream.empty() ? detail::stream_for(subject) : options.stream;
        state_->ensure_stream(stream, subject, options.create_stream);
        auto entry = std::make_unique<detail::sender>();
        char version_text[11];
        detail::format_version(event_version<Event>(), version_text);
        const std::string id_prefix =
            state_->instance() + "-" + std::to_string(sends_.fetch_add(1u, std::memory_order_relaxed)) + "-";
        std::string wire = prefix_of<Event>("evbus::nats::bridge::send_durable: wire_format::prefix needs a type "
                                            "name of 1 to 255 bytes (event_traits<E>::name)");
        auto handler = [state = state_, to = std::move(subject), name = std::string{event_name<Event>()},
                        version = std::string{version_text}, id_prefix, wire = std::move(wire), options,
                        sequence = std::make_shared<std::atomic<std::uint64_t>>(0u)](const Event &event) noexcept {
            const detail::outgoing out = detail::encode_outgoing(*state, event, wire);
            if(!out.publish) {
                return;
            }
            EVBUS_TRY {
                const std::string id =
                    id_prefix + std::to_string(sequence->fetch_add(1u, std::memory_order_relaxed) + 1u);
                state->publish_durable(to, name, wire.empty() ? version.c_str() : nullptr, id, out.data, out.size,
                                       options);
            }
            EVBUS_CATCH { state->send_failed.fetch_add(1u, std::memory_order_relaxed); }
        };
        detail::sender *token = entry.get();
        entry->local = state_->target().template subscribe<Event>(std::move(handler), INT_MAX);
        state_->add_sender(std::move(entry));
        return subscription{std::weak_ptr<evbus::detail::connection_owner>{state_}, token};
    }

    /// @brief Consumes subject from the durable JetStream consumer `consumer` (made when missing:
    /// explicit acks, every message of the subject) and posts each event to the bus; a message is
    /// acknowledged once its post was accepted, and a refused post is not (it is redelivered).
    /// @details A redelivery of an event already posted is acknowledged and not posted again (counted
    /// in duplicates). Resetting the handle unsubscribes and keeps the consumer: a later
    /// receive_durable with the same name resumes after the last acknowledged message.
    template<typename Event>
    [[nodiscard]] subscription receive_durable(std::string_view subject, std::string_view consumer,
                                               const durable_options &options = {}) {
        static_assert(evbus::detail::assert_codable<Event>());
        const std::string subj{subject};
        const std::string name{consumer};
        EVBUS_EXPECT(detail::valid_subject(subj, true) && !name.empty(),
                     "evbus::nats::bridge::receive_durable: not a subject, or an empty consumer name");
        const std::string stream = options.stream.empty() ? detail::stream_for(subj) : options.stream;
        state_->ensure_stream(stream, subj, options.create_stream);
        state_->ensure_consumer(stream, subj, name, options);
        auto entry = std::make_unique<detail::receiver>();
        entry->state = state_.get();
        entry->deliver = &detail::deliver_durable<Event>;
        jsSubOptions so;
        jsSubOptions_Init(&so);
        so.Stream = stream.c_str();
        so.Consumer = name.c_str();
        so.ManualAck = true;
        jsErrCode code = static_cast<jsErrCode>(0);
        natsStatus s = js_Subscribe(&entry->sub, state_->jetstream(), subj.c_str(), &detail::on_message, entry.get(),
                                    nullptr, &so, &code);
        if(s == NATS_OK) {
            s = natsSubscription_SetOnCompleteCB(entry->sub, &detail::receiver::on_complete, entry.get());
        }
        if(s != NATS_OK) {
            std::string message = "evbus::nats::bridge::receive_durable: cannot consume '" + subj + "' as '" + name +
                                  "': " + natsStatus_GetText(s);
            if(entry->sub != nullptr) {
                natsSubscription_Unsubscribe(entry->sub);
                (void)entry.release(); // a callback may still be running
            }
            evbus::detail::raise(errc::io_error, message.c_str());
        }
        detail::receiver *token = entry.get();
        state_->add_receiver(std::move(entry));
        return subscription{std::weak_ptr<evbus::detail::connection_owner>{state_}, token};
    }

    /// @brief Counters: sent, send_failed, received, malformed, dropped, rejected, echo_suppressed,
    /// duplicates, handler_errors, other_type.
    [[nodiscard]] bridge_stats stats() const noexcept { return state_->stats(); }

private:
    /// The prefix a send of Event writes before each payload (wire_format::prefix), or "" (headers).
    template<typename Event>
    [[nodiscard]] std::string prefix_of(const char *what) const {
        if(options_.format != wire_format::prefix) {
            return {};
        }
        constexpr std::string_view name = event_name<Event>();
        EVBUS_EXPECT(!name.empty() && name.size() <= prefix_max_name, what);
        std::string prefix(detail::prefix_size(name), '\0');
        detail::write_prefix(name, event_version<Event>(), reinterpret_cast<unsigned char *>(prefix.data()));
        return prefix;
    }

    std::shared_ptr<detail::bridge_state> state_;
    bridge_options options_{};
    std::atomic<std::uint64_t> sends_{0u};
};

} // namespace evbus::nats

#endif
