#include "widgets/chat_think_stream.h"

namespace mote::widgets {
namespace {

const QString kOpen = QStringLiteral("<think>");
const QString kClose = QStringLiteral("</think>");

// Length of the longest suffix of `text` that is a proper prefix of `tag`.
qsizetype partialTagSuffix(const QString& text, const QString& tag) {
  for (qsizetype n = std::min(text.size(), tag.size() - 1); n > 0; --n) {
    if (QStringView(text).right(n) == QStringView(tag).left(n)) return n;
  }
  return 0;
}

}  // namespace

ThinkStreamSplitter::ThinkStreamSplitter(bool startsInThink)
    : state_(startsInThink ? State::kInThink : State::kBeforeThink) {}

std::vector<ThinkPiece> ThinkStreamSplitter::push(int token, const QString& text) {
  buffer_ += text;
  owners_.insert(owners_.end(), static_cast<std::size_t>(text.size()), token);
  return process(false);
}

std::vector<ThinkPiece> ThinkStreamSplitter::finish() {
  return process(true);
}

void ThinkStreamSplitter::emitRange(qsizetype from, qsizetype to, bool think,
                                    std::vector<ThinkPiece>& out) const {
  qsizetype start = from;
  while (start < to) {
    const int owner = owners_[static_cast<std::size_t>(start)];
    qsizetype end = start + 1;
    while (end < to && owners_[static_cast<std::size_t>(end)] == owner) ++end;
    if (!out.empty() && out.back().think == think && out.back().token == owner) {
      out.back().text += buffer_.mid(start, end - start);
    } else {
      out.push_back({think, owner, buffer_.mid(start, end - start)});
    }
    start = end;
  }
}

std::vector<ThinkPiece> ThinkStreamSplitter::process(bool final) {
  std::vector<ThinkPiece> out;
  qsizetype consumed = 0;
  while (consumed < buffer_.size()) {
    if (state_ == State::kAfterThink) {
      emitRange(consumed, buffer_.size(), false, out);
      consumed = buffer_.size();
      break;
    }
    const QString& tag = state_ == State::kBeforeThink ? kOpen : kClose;
    const bool think = state_ == State::kInThink;
    // Before an opening tag a closing tag also ends "the block" (the completion started inside
    // it without the caller knowing): the text before it becomes think text.
    const qsizetype open = buffer_.indexOf(tag, consumed);
    const qsizetype close = state_ == State::kBeforeThink ? buffer_.indexOf(kClose, consumed) : -1;
    if (close >= 0 && (open < 0 || close < open)) {
      emitRange(consumed, close, true, out);
      consumed = close + kClose.size();
      state_ = State::kAfterThink;
      closedWithoutOpen_ = true;
      continue;
    }
    if (open >= 0) {
      emitRange(consumed, open, think, out);
      consumed = open + tag.size();
      if (state_ == State::kBeforeThink) {
        sawOpen_ = true;
        state_ = State::kInThink;
      } else {
        state_ = State::kAfterThink;
      }
      continue;
    }
    // No complete tag: hold back a suffix that could still become one.
    qsizetype hold = 0;
    if (!final) {
      const QString rest = buffer_.mid(consumed);
      hold = partialTagSuffix(rest, tag);
      if (state_ == State::kBeforeThink) hold = std::max(hold, partialTagSuffix(rest, kClose));
    }
    emitRange(consumed, buffer_.size() - hold, think, out);
    consumed = buffer_.size() - hold;
    break;
  }
  buffer_.remove(0, consumed);
  owners_.erase(owners_.begin(), owners_.begin() + consumed);
  return out;
}

}  // namespace mote::widgets
