// Must not compile: what the target evbus::nats defines when evbus was configured without libnats.
#define EVBUS_NATS_UNAVAILABLE
#include <evbus/bridge/nats.hpp>

int main() { return 0; }
