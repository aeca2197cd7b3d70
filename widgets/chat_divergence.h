#pragma once
// Where two generations part ways: the first token index at which the token texts differ.
#include <QStringList>
#include <string>
#include <vector>

namespace mote::widgets {

// Index of the first position where the token texts differ; if one sequence is a proper prefix
// of the other, the length of the shorter one (the first token only one side has); -1 if both
// are identical. Tokens compare by exact text (the same tokenizer on both sides gives the same
// pieces for the same text).
int firstDivergentToken(const QStringList& a, const QStringList& b);
int firstDivergentToken(const std::vector<std::string>& a, const std::vector<std::string>& b);

}  // namespace mote::widgets
