// Must not compile: a channel of `char*` cannot take `const char*` (that would need a cast).
#include <evbus/evbus.hpp>

#include <iterator>

int main() {
    evbus::channel<char *, evbus::single_thread> channel;
    const char *const names[] = {"a", "b"};
    channel.post_bulk(std::begin(names), std::end(names));
}
