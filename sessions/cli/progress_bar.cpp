#include "sessions/cli/progress_bar.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>

#include "sessions/cli/cli_table.h"

namespace mote::cli {

ProgressBar::ProgressBar(std::ostream& out, bool terminal, std::string label, std::size_t width,
                         std::chrono::milliseconds plain_interval)
    : out_(out),
      terminal_(terminal),
      label_(std::move(label)),
      width_(std::max<std::size_t>(width, 20)),
      plain_interval_(plain_interval) {}

ProgressBar::~ProgressBar() {
  try {
    finish();
  } catch (...) {
    // A destructor must not throw; the stream's state is all that can fail here.
  }
}

std::string ProgressBar::format_line(const std::string& label, const ProgressState& state,
                                     std::size_t width, bool with_bar) {
  std::string counts = std::to_string(state.done) + "/" + std::to_string(state.total);
  std::string stats;
  if (state.rate > 0) stats += "  " + fixed(state.rate, state.rate < 10 ? 2 : 1) + " prompts/s";
  if (state.done < state.total && state.eta_seconds >= 0)
    stats += "  ETA " + duration(state.eta_seconds);
  std::string note = state.note.empty() ? "" : "  " + single_line(state.note);
  std::string head = label.empty() ? "" : label + " ";
  if (!with_bar) return head + counts + " prompts" + stats + note;
  // [=====>    ] with whatever room is left after the text (at least 10 cells).
  // "[" + bar + "] " around the text; the line must stay below `width` (no wrap at the margin).
  const std::size_t text =
      display_width(head) + counts.size() + display_width(stats) + display_width(note) + 4;
  const std::size_t bar = width > text + 10 ? std::min<std::size_t>(width - text - 1, 40) : 10;
  std::string line = head + "[";
  const double fraction =
      state.total ? std::min(1.0, static_cast<double>(state.done) / state.total) : 0.0;
  const std::size_t filled = static_cast<std::size_t>(fraction * bar);
  line += std::string(filled, '=');
  if (filled < bar) line += '>' + std::string(bar - filled - 1, ' ');
  line += "] " + counts + stats + note;
  return truncate_to_width(line, width - 1);
}

void ProgressBar::update(const ProgressState& state, Clock::time_point now) {
  if (finished_) return;
  last_ = state;
  pending_ = true;
  const auto since = now - last_draw_;
  if (terminal_) {
    if (drawn_ && since < std::chrono::milliseconds(100)) return;
    out_ << '\r' << format_line(label_, state, width_, true) << "\x1b[K" << std::flush;
  } else {
    if (drawn_ && since < plain_interval_) return;
    if (!drawn_ && state.done == 0) {
      last_draw_ = now;  // the first plain line comes after one interval, not at 0/N
      drawn_ = true;
      return;
    }
    out_ << format_line(label_, state, width_, false) << '\n' << std::flush;
  }
  drawn_ = true;
  pending_ = false;
  last_draw_ = now;
}

void ProgressBar::finish() {
  if (finished_) return;
  finished_ = true;
  if (terminal_) {
    if (!drawn_ && !pending_) return;
    out_ << '\r' << format_line(label_, last_, width_, true) << "\x1b[K\n" << std::flush;
  } else if (pending_) {
    out_ << format_line(label_, last_, width_, false) << '\n' << std::flush;
  }
}

bool is_terminal(int fd) {
  return ::isatty(fd) == 1;
}

std::size_t terminal_width(int fd) {
  winsize size{};
  if (::ioctl(fd, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  return 80;
}

}  // namespace mote::cli
