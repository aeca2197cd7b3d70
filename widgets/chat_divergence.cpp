#include "widgets/chat_divergence.h"

#include <algorithm>

namespace mote::widgets {
namespace {

template <typename Sequence>
int firstDifference(const Sequence& a, const Sequence& b) {
  const auto n = std::min(a.size(), b.size());
  for (decltype(a.size()) i = 0; i < n; ++i) {
    if (a[i] != b[i]) return static_cast<int>(i);
  }
  return a.size() == b.size() ? -1 : static_cast<int>(n);
}

}  // namespace

int firstDivergentToken(const QStringList& a, const QStringList& b) {
  return firstDifference(a, b);
}

int firstDivergentToken(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  return firstDifference(a, b);
}

}  // namespace mote::widgets
