#include <catch2/catch.hpp>

#include <cstddef>
#include <vector>
#include <evbus/cache/slot_list.hpp>

namespace {
std::vector<std::size_t> forward(const evbus::slot_list &list) {
    std::vector<std::size_t> out;
    for(std::size_t slot = list.front(); slot != evbus::slot_list::npos; slot = list.next(slot)) {
        out.push_back(slot);
    }
    return out;
}

std::vector<std::size_t> backward(const evbus::slot_list &list) {
    std::vector<std::size_t> out;
    for(std::size_t slot = list.back(); slot != evbus::slot_list::npos; slot = list.prev(slot)) {
        out.push_back(slot);
    }
    return out;
}
} // namespace

TEST_CASE("slot_list: O(1) list over slot indices", "[cache]") {
    evbus::slot_list list{5};
    CHECK(list.slots() == 5u);
    CHECK(list.empty());
    CHECK(list.front() == evbus::slot_list::npos);
    CHECK(list.back() == evbus::slot_list::npos);

    list.push_back(2);
    list.push_back(0);
    list.push_front(4);
    list.push_back(3);
    CHECK(forward(list) == std::vector<std::size_t>{4, 2, 0, 3});
    CHECK(backward(list) == std::vector<std::size_t>{3, 0, 2, 4});

    list.move_to_back(4);
    CHECK(forward(list) == std::vector<std::size_t>{2, 0, 3, 4});
    list.move_to_front(3);
    CHECK(forward(list) == std::vector<std::size_t>{3, 2, 0, 4});
    list.erase(2);
    list.erase(4);
    CHECK(forward(list) == std::vector<std::size_t>{3, 0});
    CHECK(backward(list) == std::vector<std::size_t>{0, 3});
    list.move_to_back(0);
    CHECK(forward(list) == std::vector<std::size_t>{3, 0});

    list.clear();
    CHECK(list.empty());
    list.push_back(1);
    CHECK(forward(list) == std::vector<std::size_t>{1});
}
