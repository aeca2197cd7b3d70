#pragma once
// Progress of a long command. On a terminal: one line redrawn in place with '\r' (bar,
// done/total, prompts/s, ETA, a short note), at most 10 times a second. Otherwise (a log file, a
// pipe, CI): a plain line every `plain_interval` and one at the end, so logs stay readable.
#include <chrono>
#include <cstddef>
#include <ostream>
#include <string>

namespace mote::cli {

struct ProgressState {
  std::size_t done = 0;
  std::size_t total = 0;
  double rate = 0.0;        // items per second (0 = unknown yet)
  double eta_seconds = -1;  // < 0 = unknown
  std::string note;         // e.g. the last answer's label
};

class ProgressBar {
 public:
  using Clock = std::chrono::steady_clock;

  // `terminal`: draw in place (pass is_terminal(stderr)); `width`: terminal columns.
  ProgressBar(std::ostream& out, bool terminal, std::string label, std::size_t width = 80,
              std::chrono::milliseconds plain_interval = std::chrono::seconds(10));
  ~ProgressBar();  // finish() if not done yet

  void update(const ProgressState& state) { update(state, Clock::now()); }
  void update(const ProgressState& state, Clock::time_point now);
  // Draws the final state and ends the line (terminal) / prints the last plain line.
  void finish();

  // The text of one progress line (without '\r'), fitted to `width` cells.
  static std::string format_line(const std::string& label, const ProgressState& state,
                                 std::size_t width, bool with_bar);

 private:
  std::ostream& out_;
  bool terminal_;
  std::string label_;
  std::size_t width_;
  std::chrono::milliseconds plain_interval_;
  ProgressState last_;
  bool drawn_ = false, finished_ = false, pending_ = false;
  Clock::time_point last_draw_{};
};

// True if the file descriptor is a terminal; terminal_width() its columns (80 if unknown).
bool is_terminal(int fd);
std::size_t terminal_width(int fd);

}  // namespace mote::cli
