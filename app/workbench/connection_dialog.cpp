#include "app/workbench/connection_dialog.h"

#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRadioButton>
#include <QUrl>
#include <QVBoxLayout>

namespace mote::workbench {

ConnectionDialog::ConnectionDialog(const ConnectionTarget& current, QWidget* parent)
    : QDialog(parent) {
  setWindowTitle(tr("Connect to an engine"));
  local_ = new QRadioButton(tr("Local engine on a model directory"), this);
  remote_ = new QRadioButton(tr("Remote engine"), this);
  model_dir_ = new QLineEdit(current.model_dir, this);
  model_dir_->setObjectName("modelDir");
  auto* browse = new QPushButton(tr("Browse…"), this);
  url_ = new QLineEdit(
      current.url.isEmpty() ? QStringLiteral("http://127.0.0.1:8000") : current.url, this);
  url_->setObjectName("engineUrl");
  api_key_ = new QLineEdit(current.api_key, this);
  api_key_->setEchoMode(QLineEdit::Password);
  api_key_->setPlaceholderText(tr("bearer token (empty for a loopback engine without a key)"));
  problem_ = new QLabel(this);
  problem_->setStyleSheet("color: #b00020");
  problem_->setWordWrap(true);

  auto* dir_row = new QHBoxLayout;
  dir_row->addWidget(model_dir_, 1);
  dir_row->addWidget(browse);
  auto* form = new QFormLayout;
  form->addRow(local_);
  form->addRow(tr("Model directory:"), dir_row);
  form->addRow(remote_);
  form->addRow(tr("URL:"), url_);
  form->addRow(tr("API key:"), api_key_);
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
  buttons->button(QDialogButtonBox::Ok)->setText(tr("Connect"));
  auto* layout = new QVBoxLayout(this);
  layout->addLayout(form);
  layout->addWidget(problem_);
  layout->addWidget(buttons);

  (current.kind == ConnectionTarget::Kind::kLocal ? local_ : remote_)->setChecked(true);
  connect(local_, &QRadioButton::toggled, this, &ConnectionDialog::updateEnabled);
  connect(browse, &QPushButton::clicked, this, [this] {
    const QString dir =
        QFileDialog::getExistingDirectory(this, tr("Model directory"), model_dir_->text());
    if (!dir.isEmpty()) model_dir_->setText(dir);
  });
  connect(buttons, &QDialogButtonBox::accepted, this, &ConnectionDialog::validateAndAccept);
  connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
  updateEnabled();
}

void ConnectionDialog::updateEnabled() {
  const bool local = local_->isChecked();
  model_dir_->setEnabled(local);
  url_->setEnabled(!local);
  api_key_->setEnabled(!local);
}

ConnectionTarget ConnectionDialog::target() const {
  ConnectionTarget t;
  t.kind = local_->isChecked() ? ConnectionTarget::Kind::kLocal : ConnectionTarget::Kind::kRemote;
  t.model_dir = model_dir_->text().trimmed();
  t.url = url_->text().trimmed();
  t.api_key = api_key_->text();
  return t;
}

void ConnectionDialog::validateAndAccept() {
  const ConnectionTarget t = target();
  if (t.kind == ConnectionTarget::Kind::kLocal) {
    if (!QFileInfo(QDir(t.model_dir).filePath("config.json")).isFile()) {
      problem_->setText(tr("%1 is not a model directory (no config.json).").arg(t.model_dir));
      return;
    }
  } else {
    const QUrl url(t.url, QUrl::StrictMode);
    if (!url.isValid() || (url.scheme() != "http" && url.scheme() != "https") ||
        url.host().isEmpty()) {
      problem_->setText(tr("%1 is not an http(s) URL.").arg(t.url));
      return;
    }
  }
  accept();
}

}  // namespace mote::workbench
