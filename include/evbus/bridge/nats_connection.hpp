#ifndef EVBUS_BRIDGE_NATS_CONNECTION_HPP
#define EVBUS_BRIDGE_NATS_CONNECTION_HPP

/// @file
/// @brief evbus::nats::connection: an RAII connection to a NATS server (or a cluster) through the
/// official C client, libnats. Part of the optional target evbus::nats.

#if defined(EVBUS_NATS_UNAVAILABLE)
#    error "evbus::nats was configured without libnats: apt-get install libnats-dev pkg-config, configure again"
#endif

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <nats/nats.h>

#include "../config.hpp"

namespace evbus::nats {

/// @brief Reconnection after the server went away (libnats' reconnect settings).
struct reconnect_options {
    /// @brief Reconnect at all; false: a lost server closes the connection.
    bool allow{true};
    /// @brief Attempts per server before the connection is closed; a negative value: forever.
    int max_attempts{60};
    /// @brief Wait between two attempts on the same server.
    std::chrono::milliseconds wait{std::chrono::milliseconds{2000}};
    /// @brief Bytes of publishes buffered while reconnecting; a full buffer refuses publishes
    /// (counted in bridge_stats::send_failed). Zero: libnats' default (8 MiB).
    std::size_t buffer_size{0u};
};

/// @brief The settings of a connection.
struct connection_options {
    /// @brief Server URLs ("nats://host:port", "nats://user:password@host:port", "tls://..."); one
    /// string may also hold several, comma-separated.
    std::vector<std::string> servers{};
    /// @brief The client's name, as the server's monitoring shows it.
    std::string name{};
    /// @brief User name (with password); empty: none, or what a URL carries.
    std::string user{};
    /// @brief Password of user.
    std::string password{};
    /// @brief Authentication token; empty: none.
    std::string token{};
    /// @brief A PEM file of the certificate authorities to trust; non-empty turns TLS on.
    std::string tls_ca_file{};
    /// @brief TLS even without a CA file (with the system's trust store).
    bool tls{false};
    /// @brief Reconnect settings.
    reconnect_options reconnect{};
    /// @brief Time allowed to connect to one server.
    std::chrono::milliseconds connect_timeout{std::chrono::milliseconds{2000}};
    /// @brief Time the destructor allows the drain (pending messages delivered and sent) before it
    /// closes the connection.
    std::chrono::milliseconds drain_timeout{std::chrono::milliseconds{2000}};
    /// @brief The server does not send this connection the messages it published itself.
    bool no_echo{true};
    /// @brief Each publish goes to the socket at once instead of being batched by libnats' flusher
    /// (lower latency for request/reply traffic, lower throughput for streams).
    bool send_asap{false};
    /// @brief Called on libnats' thread for each asynchronous error (a permission violation, a slow
    /// consumer), with its text; may be empty.
    std::function<void(std::string_view message)> on_error{};
};

/// @brief Where a connection stands.
enum class connection_status {
    disconnected, ///< not connected (between attempts)
    connecting,   ///< connecting
    connected,    ///< connected
    reconnecting, ///< the server went away; reconnecting (publishes are buffered)
    draining,     ///< draining before close
    closed,       ///< closed for good
};

/// @brief Counters of a connection (integers, read without a lock).
struct connection_stats {
    std::uint64_t disconnects = 0u;   ///< times the connection was lost
    std::uint64_t reconnects = 0u;    ///< times it was reestablished
    std::uint64_t errors = 0u;        ///< asynchronous errors reported by the server or the client
    std::uint64_t not_permitted = 0u; ///< of which permission violations (a publish or subscribe refused)
    std::uint64_t slow_consumer = 0u; ///< of which slow-consumer reports (messages dropped)
};

namespace detail {

/// What libnats' callbacks see: counters, the last error, the closed flag. Heap-allocated and
/// left alive (leaked) if libnats never reports the close, so a late callback stays safe.
struct connection_hooks {
    std::atomic<std::uint64_t> disconnects{0u};
    std::atomic<std::uint64_t> reconnects{0u};
    std::atomic<std::uint64_t> errors{0u};
    std::atomic<std::uint64_t> not_permitted{0u};
    std::atomic<std::uint64_t> slow_consumer{0u};
    std::mutex mutex;
    std::condition_variable closed_cv;
    bool closed{false};
    std::string last_error;
    std::function<void(std::string_view)> on_error;

    static void on_disconnected(natsConnection *, void *closure) noexcept {
        static_cast<connection_hooks *>(closure)->disconnects.fetch_add(1u, std::memory_order_relaxed);
    }
    static void on_reconnected(natsConnection *, void *closure) noexcept {
        static_cast<connection_hooks *>(closure)->reconnects.fetch_add(1u, std::memory_order_relaxed);
    }
    static void on_closed(natsConnection *, void *closure) noexcept {
        auto *self = static_cast<connection_hooks *>(closure);
        const std::lock_guard<std::mutex> lock{self->mutex};
        self->closed = true;
        self->closed_cv.notify_all();
    }
    static void on_async_error(natsConnection *nc, natsSubscription *, natsStatus status, void *closure) noexcept {
        auto *self = static_cast<connection_hooks *>(closure);
        const char *text = nullptr;
        if(status == NATS_SLOW_CONSUMER || nc == nullptr || natsConnection_GetLastError(nc, &text) == NATS_OK ||
           text == nullptr || *text == '\0') {
            text = natsStatus_GetText(status);
        }
        EVBUS_TRY {
            std::string message{text};
            if(self->on_error) {
                self->on_error(message);
            }
            const std::lock_guard<std::mutex> lock{self->mutex};
            self->last_error = std::move(message);
        }
        EVBUS_CATCH {}
        // Counted last: a thread that sees the count also sees the message and the callback's effects.
        if(status == NATS_NOT_PERMITTED) {
            self->not_permitted.fetch_add(1u, std::memory_order_release);
        } else if(status == NATS_SLOW_CONSUMER) {
            self->slow_consumer.fetch_add(1u, std::memory_order_release);
        }
        self->errors.fetch_add(1u, std::memory_order_release);
    }
};

/// Replaces what sits between "//" and "@" in each URL (credentials) with "***", for messages.
inline std::string redacted(const std::vector<std::string> &servers) {
    std::string out;
    for(const std::string &url: servers) {
        if(!out.empty()) {
            out += ',';
        }
        const std::size_t scheme = url.find("//");
        const std::size_t at = url.rfind('@');
        if(scheme != std::string::npos && at != std::string::npos && at > scheme) {
            out += url.substr(0u, scheme + 2u) + "***" + url.substr(at);
        } else {
            out += url;
        }
    }
    return out;
}

/// Splits entries holding several comma-separated URLs (as natsConnection_ConnectTo takes them);
/// spaces around each URL are dropped, empty ones skipped.
inline std::vector<std::string> split_urls(const std::vector<std::string> &servers) {
    std::vector<std::string> out;
    for(const std::string &entry: servers) {
        std::size_t at = 0u;
        while(at <= entry.size()) {
            std::size_t end = entry.find(',', at);
            if(end == std::string::npos) {
                end = entry.size();
            }
            std::size_t first = at;
            std::size_t last = end;
            while(first < last && entry[first] == ' ') {
                ++first;
            }
            while(last > first && entry[last - 1u] == ' ') {
                --last;
            }
            if(last > first) {
                out.push_back(entry.substr(first, last - first));
            }
            at = end + 1u;
        }
    }
    return out;
}

/// The natsConnection and its hooks; shared by the connection and its bridges, so that the last
/// one out drains and closes.
class connection_state {
public:
    explicit connection_state(connection_options options): drain_timeout_{options.drain_timeout} {
        hooks_ = new connection_hooks{};
        hooks_->on_error = std::move(options.on_error);
        natsOptions *opts = nullptr;
        natsStatus s = natsOptions_Create(&opts);
        options.servers = split_urls(options.servers);
        if(options.servers.empty()) {
            options.servers.emplace_back(NATS_DEFAULT_URL);
        }
        std::vector<const char *> urls;
        for(const std::string &url: options.servers) {
            urls.push_back(url.c_str());
        }
        if(s == NATS_OK && urls.size() == 1u) {
            s = natsOptions_SetURL(opts, urls.front());
        } else if(s == NATS_OK) {
            s = natsOptions_SetServers(opts, urls.data(), static_cast<int>(urls.size()));
        }
        if(s == NATS_OK && !options.name.empty()) {
            s = natsOptions_SetName(opts, options.name.c_str());
        }
        if(s == NATS_OK && !options.user.empty()) {
            s = natsOptions_SetUserInfo(opts, options.user.c_str(), options.password.c_str());
        }
        if(s == NATS_OK && !options.token.empty()) {
            s = natsOptions_SetToken(opts, options.token.c_str());
        }
        if(s == NATS_OK && (options.tls || !options.tls_ca_file.empty())) {
            s = natsOptions_SetSecure(opts, true);
            if(s == NATS_OK && !options.tls_ca_file.empty()) {
                s = natsOptions_LoadCATrustedCertificates(opts, options.tls_ca_file.c_str());
            }
        }
        if(s == NATS_OK) {
            s = natsOptions_SetAllowReconnect(opts, options.reconnect.allow);
        }
        if(s == NATS_OK) {
            s = natsOptions_SetMaxReconnect(opts, options.reconnect.max_attempts);
        }
        if(s == NATS_OK) {
            s = natsOptions_SetReconnectWait(opts, static_cast<int64_t>(options.reconnect.wait.count()));
        }
        if(s == NATS_OK && options.reconnect.buffer_size != 0u) {
            s = natsOptions_SetReconnectBufSize(opts, static_cast<int>(options.reconnect.buffer_size));
        }
        if(s == NATS_OK) {
            s = natsOptions_SetTimeout(opts, static_cast<int64_t>(options.connect_timeout.count()));
        }
        if(s == NATS_OK) {
            s = natsOptions_SetNoEcho(opts, options.no_echo);
        }
        if(s == NATS_OK && options.send_asap) {
            s = natsOptions_SetSendAsap(opts, true);
        }
        if(s == NATS_OK) {
            s = natsOptions_SetErrorHandler(opts, &connection_hooks::on_async_error, hooks_);
        }
        if(s == NATS_OK) {
            s = natsOptions_SetDisconnectedCB(opts, &connection_hooks::on_disconnected, hooks_);
        }
        if(s == NATS_OK) {
            s = natsOptions_SetReconnectedCB(opts, &connection_hooks::on_reconnected, hooks_);
        }
        if(s == NATS_OK) {
            s = natsOptions_SetClosedCB(opts, &connection_hooks::on_closed, hooks_);
        }
        std::string message;
        if(s != NATS_OK) {
            message = "evbus::nats::connection: invalid options: ";
        } else {
            s = natsConnection_Connect(&nc_, opts);
            if(s != NATS_OK) {
                message = "evbus::nats::connection: cannot connect to " + redacted(options.servers) + ": ";
            }
        }
        if(s != NATS_OK) {
            natsStatus last = NATS_OK;
            const char *text = nats_GetLastError(&last);
            message += natsStatus_GetText(s);
            if(text != nullptr && *text != '\0') {
                message += " (";
                message += text;
                message += ')';
            }
        }
        natsOptions_Destroy(opts);
        if(s != NATS_OK) {
            if(nc_ != nullptr) {
                natsConnection_Destroy(nc_);
            }
            delete hooks_; // no connection: no callback can come
            hooks_ = nullptr;
            evbus::detail::raise(errc::io_error, message.c_str());
        }
    }

    connection_state(const connection_state &) = delete;
    connection_state &operator=(const connection_state &) = delete;

    ~connection_state() {
        const std::chrono::milliseconds timeout = drain_timeout_;
        if(natsConnection_DrainTimeout(nc_, static_cast<int64_t>(timeout.count())) != NATS_OK) {
            natsConnection_Close(nc_);
        }
        bool closed = false;
        {
            std::unique_lock<std::mutex> lock{hooks_->mutex};
            closed =
                hooks_->closed_cv.wait_for(lock, timeout + std::chrono::seconds{2}, [this] { return hooks_->closed; });
        }
        if(!closed) {
            natsConnection_Close(nc_);
            std::unique_lock<std::mutex> lock{hooks_->mutex};
            closed = hooks_->closed_cv.wait_for(lock, std::chrono::seconds{2}, [this] { return hooks_->closed; });
        }
        if(closed) {
            // The read loop has ended: no thread can look a retired subscription up any more.
            for(natsSubscription *sub: retired_) {
                natsSubscription_Destroy(sub);
            }
        } // else: leaked on purpose, like the hooks
        natsConnection_Destroy(nc_);
        if(closed) {
            delete hooks_;
        } // else: leaked on purpose, libnats may still call it
    }

    /// Keeps a closed subscription until the connection is closed, then destroys it. libnats 3.4.1
    /// (fixed upstream in nats.c #637) looks a subscription up in its read loop and locks it without
    /// holding a reference: destroying one while a message for it is being read frees memory the
    /// read loop then locks.
    void retire(natsSubscription *sub) noexcept {
        EVBUS_TRY {
            const std::lock_guard<std::mutex> lock{retired_mutex_};
            retired_.push_back(sub);
        }
        EVBUS_CATCH {} // no memory: leaked, never freed early
    }

    [[nodiscard]] natsConnection *native() const noexcept { return nc_; }
    [[nodiscard]] connection_hooks &hooks() const noexcept { return *hooks_; }

private:
    natsConnection *nc_{nullptr};
    connection_hooks *hooks_{nullptr};
    std::chrono::milliseconds drain_timeout_;
    std::mutex retired_mutex_;
    std::vector<natsSubscription *> retired_;
};

} // namespace detail

/// @brief A connection to NATS: connects in the constructor (or raises evbus::error, errc::io_error,
/// with libnats' message), reconnects as configured, drains and closes in the destructor.
/// @details Bridges share the underlying connection: it is drained when the last of the connection
/// and its bridges is destroyed. Thread-safe.
class connection {
public:
    /// @brief Connects to url ("nats://host:port", credentials as "nats://user:password@host:port",
    /// or several URLs separated by commas).
    explicit connection(std::string_view url): connection{options_for(url)} {}

    /// @brief Connects with the given settings.
    explicit connection(connection_options options)
        : state_{std::make_shared<detail::connection_state>(std::move(options))} {}

    connection(const connection &) = delete;
    connection &operator=(const connection &) = delete;

    /// @brief Drains (pending messages are sent and delivered, up to drain_timeout) and closes, unless
    /// a bridge still uses the connection (the last one out does it).
    ~connection() = default;

    /// @brief Where the connection stands.
    [[nodiscard]] connection_status status() const noexcept {
        switch(natsConnection_Status(state_->native())) {
        case NATS_CONN_STATUS_CONNECTING:
            return connection_status::connecting;
        case NATS_CONN_STATUS_CONNECTED:
            return connection_status::connected;
        case NATS_CONN_STATUS_RECONNECTING:
            return connection_status::reconnecting;
        case NATS_CONN_STATUS_DRAINING_SUBS:
        case NATS_CONN_STATUS_DRAINING_PUBS:
            return connection_status::draining;
        case NATS_CONN_STATUS_CLOSED:
            return connection_status::closed;
        case NATS_CONN_STATUS_DISCONNECTED:
            break;
        }
        return connection_status::disconnected;
    }

    /// @brief status() == connection_status::connected.
    [[nodiscard]] bool connected() const noexcept { return status() == connection_status::connected; }

    /// @brief Sends what is buffered and waits for the server's answer (a round trip): after it, the
    /// server has processed every earlier publish and subscription. False on a timeout or no connection.
    [[nodiscard]] bool flush(std::chrono::milliseconds timeout = std::chrono::milliseconds{5000}) noexcept {
        return natsConnection_FlushTimeout(state_->native(), static_cast<int64_t>(timeout.count())) == NATS_OK;
    }

    /// @brief Counters: disconnects, reconnects, asynchronous errors.
    [[nodiscard]] connection_stats stats() const noexcept {
        const detail::connection_hooks &h = state_->hooks();
        connection_stats st;
        st.disconnects = h.disconnects.load(std::memory_order_relaxed);
        st.reconnects = h.reconnects.load(std::memory_order_relaxed);
        st.errors = h.errors.load(std::memory_order_acquire);
        st.not_permitted = h.not_permitted.load(std::memory_order_acquire);
        st.slow_consumer = h.slow_consumer.load(std::memory_order_acquire);
        return st;
    }

    /// @brief The text of the last asynchronous error (a permission violation names the subject), or "".
    [[nodiscard]] std::string last_error() const {
        detail::connection_hooks &h = state_->hooks();
        const std::lock_guard<std::mutex> lock{h.mutex};
        return h.last_error;
    }

    /// @brief The libnats connection, for what the bridge does not wrap (owned by this object).
    [[nodiscard]] natsConnection *native() const noexcept { return state_->native(); }

    /// @brief The shared state (used by bridges to keep the connection alive).
    [[nodiscard]] const std::shared_ptr<detail::connection_state> &state() const noexcept { return state_; }

private:
    static connection_options options_for(std::string_view url) {
        connection_options options;
        options.servers.emplace_back(url);
        return options;
    }

    std::shared_ptr<detail::connection_state> state_;
};

} // namespace evbus::nats

#endif
