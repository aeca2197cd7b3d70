#pragma once
// Splits a streamed completion into R1's think block and the answer as tokens arrive, without
// waiting for the end: tags split across tokens ("</th" + "ink>") are held back until they are
// complete (or cannot be a tag any more), and every piece of text keeps the index of the token
// it came from (for token hover). Tags are removed from the pieces.
//
// Rules (the same as sessions::split_think_block for a finished completion):
//  - startsInThink: the prompt ended with "<think>\n" (R1's template), so the completion begins
//    inside the block; otherwise "<think>" opens it when it appears before any "</think>".
//  - "</think>" closes the block; everything after it is answer.
#include <QString>
#include <vector>

namespace mote::widgets {

struct ThinkPiece {
  bool think = false;  // inside the think block
  int token = -1;      // index of the token the text came from
  QString text;
  friend bool operator==(const ThinkPiece&, const ThinkPiece&) = default;
};

class ThinkStreamSplitter {
 public:
  explicit ThinkStreamSplitter(bool startsInThink = false);

  // Text of token `token`; returns the pieces that can be shown now, in order.
  std::vector<ThinkPiece> push(int token, const QString& text);
  // End of the stream: the held-back text (a partial tag that never completed).
  std::vector<ThinkPiece> finish();

  bool inThink() const { return state_ == State::kInThink; }
  bool sawOpenTag() const { return sawOpen_; }
  bool closed() const { return state_ == State::kAfterThink; }
  // A think block was entered (startsInThink or an opening tag).
  bool hasThink() const { return state_ != State::kBeforeThink; }
  // "</think>" came without an opening tag although the splitter did not start inside the
  // block: text already returned as answer was really think text (re-split from the start with
  // startsInThink = true).
  bool closedWithoutOpen() const { return closedWithoutOpen_; }

 private:
  enum class State { kBeforeThink, kInThink, kAfterThink };
  void emitRange(qsizetype from, qsizetype to, bool think, std::vector<ThinkPiece>& out) const;
  std::vector<ThinkPiece> process(bool final);

  State state_;
  bool sawOpen_ = false;
  bool closedWithoutOpen_ = false;
  QString buffer_;
  std::vector<int> owners_;  // token index of every UTF-16 unit of buffer_
};

}  // namespace mote::widgets
