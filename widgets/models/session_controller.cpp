#include "widgets/models/session_controller.h"

#include <QFileInfo>
#include <QSettings>

#include "sessions/session_backup.h"

namespace mote::widgets {

namespace {
const char* kRecentKey = "sessions/recent";
}

SessionController::SessionController(QObject* parent) : QObject(parent) {}
SessionController::~SessionController() = default;

QString SessionController::displayName() const {
  return path_.isEmpty() ? QString() : QFileInfo(path_).fileName();
}

QStringList SessionController::recentFiles() const {
  return QSettings().value(kRecentKey).toStringList();
}

bool SessionController::newSession(const QString& path) {
  const QString absolute = QFileInfo(path).absoluteFilePath();
  try {
    return adopt(sessions::SessionStore::create(absolute.toStdString()), absolute);
  } catch (const std::exception& e) {
    Q_EMIT failed(
        tr("Cannot create session %1: %2").arg(absolute, QString::fromStdString(e.what())));
    return false;
  }
}

bool SessionController::openSession(const QString& path) {
  const QString absolute = QFileInfo(path).absoluteFilePath();
  try {
    auto store = sessions::SessionStore::open(absolute.toStdString());
    // open() checks the header lazily for some files: read once so a broken file fails here.
    store.list_datasets();
    return adopt(std::move(store), absolute);
  } catch (const std::exception& e) {
    Q_EMIT failed(tr("Cannot open session %1: %2").arg(absolute, QString::fromStdString(e.what())));
    return false;
  }
}

bool SessionController::saveSessionAs(const QString& path) {
  if (!store_) {
    Q_EMIT failed(tr("No session is open."));
    return false;
  }
  const QString absolute = QFileInfo(path).absoluteFilePath();
  if (absolute == path_) return true;
  try {
    sessions::backup_session(path_.toStdString(), absolute.toStdString());
  } catch (const std::exception& e) {
    Q_EMIT failed(
        tr("Cannot save the session as %1: %2").arg(absolute, QString::fromStdString(e.what())));
    return false;
  }
  return openSession(absolute);
}

void SessionController::closeSession() {
  if (!store_) return;
  store_.reset();
  path_.clear();
  Q_EMIT sessionChanged(nullptr);
}

void SessionController::clearRecentFiles() {
  QSettings().remove(kRecentKey);
  Q_EMIT recentFilesChanged({});
}

bool SessionController::adopt(sessions::SessionStore store, const QString& path) {
  store_ = std::make_unique<sessions::SessionStore>(std::move(store));
  path_ = path;
  addRecent(path);
  Q_EMIT sessionChanged(store_.get());
  return true;
}

void SessionController::addRecent(const QString& path) {
  QStringList files = recentFiles();
  files.removeAll(path);
  files.prepend(path);
  while (files.size() > kMaxRecent) files.removeLast();
  QSettings().setValue(kRecentKey, files);
  Q_EMIT recentFilesChanged(files);
}

}  // namespace mote::widgets
