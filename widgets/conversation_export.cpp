#include "widgets/conversation_export.h"

#include <QSaveFile>
#include <algorithm>
#include <functional>

namespace mote::widgets {
namespace {

const QString kDash = QStringLiteral("\u2014");

QString cellOrDash(const QString& text) {
  return text.isEmpty() ? kDash : markdownTableCell(text);
}

QString thinkCell(const ConversationTurn& turn) {
  if (!turn.hasThink) return QStringLiteral("*(no think block)*");
  if (turn.think.trimmed().isEmpty()) return QStringLiteral("*(empty)*");
  return markdownTableCell(turn.think.trimmed());
}

QString headerCell(const Conversation& c, const QString& fallback) {
  return markdownTableCell(c.title.isEmpty() ? fallback : c.title);
}

QString tuningCell(const Conversation& c) {
  if (c.tuning.trimmed().isEmpty()) return QStringLiteral("none");
  QString code = c.tuning.simplified();
  code.replace(QLatin1Char('|'), QStringLiteral("\\|"));
  code.replace(QLatin1Char('`'), QLatin1Char('\''));
  return QStringLiteral("`") + code + QStringLiteral("`");
}

const ConversationTurn* turnAt(const Conversation& c, qsizetype i) {
  return i < c.turns.size() ? &c.turns[i] : nullptr;
}

}  // namespace

QString markdownTableCell(const QString& text) {
  QString out;
  out.reserve(text.size() + 16);
  for (qsizetype i = 0; i < text.size(); ++i) {
    const QChar c = text[i];
    if (c == QLatin1Char('|')) {
      out += QStringLiteral("\\|");
    } else if (c == QLatin1Char('<')) {
      out += QStringLiteral("&lt;");
    } else if (c == QLatin1Char('>')) {
      out += QStringLiteral("&gt;");
    } else if (c == QLatin1Char('&')) {
      out += QStringLiteral("&amp;");
    } else if (c == QLatin1Char('\r')) {
      if (i + 1 < text.size() && text[i + 1] == QLatin1Char('\n')) continue;
      out += QStringLiteral("<br>");
    } else if (c == QLatin1Char('\n')) {
      out += QStringLiteral("<br>");
    } else {
      out += c;
    }
  }
  return out;
}

QString sideBySideMarkdown(const Conversation& left, const Conversation& right,
                           const QString& title) {
  const QString l = headerCell(left, QStringLiteral("Left")),
                r = headerCell(right, QStringLiteral("Right"));
  QString md;
  md += QStringLiteral("# %1\n\n").arg(title.isEmpty() ? QStringLiteral("Conversation") : title);
  md += QStringLiteral("| | %1 | %2 |\n|---|---|---|\n").arg(l, r);
  md += QStringLiteral("| Tuning | %1 | %2 |\n").arg(tuningCell(left), tuningCell(right));

  const qsizetype n = std::max(left.turns.size(), right.turns.size());
  int exchange = 0;
  for (qsizetype i = 0; i < n; ++i) {
    const ConversationTurn* a = turnAt(left, i);
    const ConversationTurn* b = turnAt(right, i);
    const bool assistant = (a && a->role == QLatin1String("assistant")) ||
                           (b && b->role == QLatin1String("assistant"));
    if (!assistant) {
      ++exchange;
      const QString role = (a ? a->role : b->role);
      const QString roleName =
          role.isEmpty() ? QStringLiteral("User") : role.left(1).toUpper() + role.mid(1);
      md += QStringLiteral("\n## %1 %2\n\n").arg(roleName).arg(exchange);
      if (a && b && a->text == b->text) {
        md += QStringLiteral("> ") +
              QString(a->text).replace(QLatin1Char('\n'), QStringLiteral("\n> ")) +
              QStringLiteral("\n");
      } else {
        md += QStringLiteral("| | %1 | %2 |\n|---|---|---|\n").arg(l, r);
        md += QStringLiteral("| %1 | %2 | %3 |\n")
                  .arg(roleName, a ? cellOrDash(a->text) : kDash, b ? cellOrDash(b->text) : kDash);
      }
      continue;
    }
    md += QStringLiteral("\n### Assistant\n\n| | %1 | %2 |\n|---|---|---|\n").arg(l, r);
    auto row = [&](const QString& name,
                   const std::function<QString(const ConversationTurn&)>& cell) {
      md += QStringLiteral("| %1 | %2 | %3 |\n")
                .arg(name, a ? cell(*a) : kDash, b ? cell(*b) : kDash);
    };
    row(QStringLiteral("Class"), [](const ConversationTurn& t) {
      return t.label.isEmpty()
                 ? kDash
                 : QStringLiteral("**") + markdownTableCell(t.label) + QStringLiteral("**");
    });
    row(QStringLiteral("Think"), thinkCell);
    row(QStringLiteral("Answer"), [](const ConversationTurn& t) {
      return cellOrDash(t.hasThink ? t.answer.trimmed() : t.text.trimmed());
    });
    row(QStringLiteral("First divergence"), [](const ConversationTurn& t) {
      return t.firstDivergence < 0 ? kDash : QStringLiteral("token %1").arg(t.firstDivergence);
    });
    row(QStringLiteral("Tokens"), [](const ConversationTurn& t) {
      if (t.tokenCount <= 0) return kDash;
      QString s = QString::number(t.tokenCount);
      if (!t.finishReason.isEmpty())
        s += QStringLiteral(" (%1)").arg(markdownTableCell(t.finishReason));
      return s;
    });
  }
  return md;
}

bool writeMarkdownFile(const QString& path, const QString& text, QString* error) {
  QSaveFile file(path);
  const QByteArray bytes = text.toUtf8();
  if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size() || !file.commit()) {
    if (error) *error = QStringLiteral("Cannot write %1: %2").arg(path, file.errorString());
    return false;
  }
  return true;
}

}  // namespace mote::widgets
