// StableSortMostlySorted gives std::stable_sort's order on every shape of input: sorted,
// sorted but for the first element (with ties to it before and after), and unsorted.
#include "core/sort.h"

#include <gtest/gtest.h>

#include <random>
#include <utility>
#include <vector>

namespace lantern {
namespace {

using Item = std::pair<int, int>;  // (key, original position): ties keep their order

bool KeyLess(const Item& a, const Item& b) { return a.first < b.first; }

std::vector<Item> Numbered(const std::vector<int>& keys) {
  std::vector<Item> items;
  for (size_t i = 0; i < keys.size(); ++i) items.emplace_back(keys[i], static_cast<int>(i));
  return items;
}

void ExpectSameAsStableSort(const std::vector<int>& keys) {
  std::vector<Item> expected = Numbered(keys);
  std::stable_sort(expected.begin(), expected.end(), KeyLess);
  std::vector<Item> got = Numbered(keys);
  StableSortMostlySorted(got.begin(), got.end(), KeyLess);
  EXPECT_EQ(got, expected) << "input of " << keys.size() << " keys";
}

TEST(StableSortMostlySortedTest, MatchesStableSortOnEveryShape) {
  ExpectSameAsStableSort({});
  ExpectSameAsStableSort({5});
  ExpectSameAsStableSort({1, 2, 2, 3});        // sorted, with ties
  ExpectSameAsStableSort({9, 1, 2, 3});        // newest first
  ExpectSameAsStableSort({2, 1, 2, 2, 3});     // first ties with later elements
  ExpectSameAsStableSort({0, 1, 2});           // first already in place
  ExpectSameAsStableSort({3, 1, 2, 3, 3, 4});  // first equal to a run in the middle
  ExpectSameAsStableSort({3, 2, 1});           // unsorted
  std::mt19937 rng(11);
  for (int round = 0; round < 2000; ++round) {
    std::vector<int> keys(rng() % 40);
    for (int& k : keys) k = static_cast<int>(rng() % 12);
    const int shape = round % 3;
    if (shape >= 1) std::sort(keys.begin(), keys.end());
    if (shape == 2 && !keys.empty()) keys.front() = static_cast<int>(rng() % 14);
    ExpectSameAsStableSort(keys);
  }
}

}  // namespace
}  // namespace lantern
