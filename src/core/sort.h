// StableSortMostlySorted: std::stable_sort for ranges that usually arrive in order, or in
// order but for their first element — a packet's light curve and its rows (the newest
// detection first, then the history oldest first). Those cases cost one or two passes of
// comparisons instead of a sort with its buffer; the result is always the stable sort's.
#pragma once

#include <algorithm>
#include <iterator>

namespace lantern {

template <typename It, typename Less>
void StableSortMostlySorted(It first, It last, Less less) {
  if (std::is_sorted(first, last, less)) return;
  if (std::is_sorted(std::next(first), last, less)) {
    // The first element goes before every element not less than it: among equals it keeps
    // its place at their front, as the stable sort keeps it.
    const It at = std::lower_bound(std::next(first), last, *first, less);
    std::rotate(first, std::next(first), at);
    return;
  }
  std::stable_sort(first, last, less);
}

}  // namespace lantern
