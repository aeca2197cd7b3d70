#include "widgets/vtk_opengl_widget.h"

#include <vtkAutoInit.h>
#include <vtkCallbackCommand.h>
#include <vtkCamera.h>
#include <vtkCommand.h>
#include <vtkGenericOpenGLRenderWindow.h>
#include <vtkGenericRenderWindowInteractor.h>
#include <vtkInteractorStyleTrackballCamera.h>
#include <vtkObjectFactory.h>
#include <vtkOpenGLState.h>
#include <vtkRenderer.h>

#include <QElapsedTimer>
#include <QKeyEvent>
#include <QMouseEvent>
#include <QOpenGLContext>
#include <QOpenGLExtraFunctions>
#include <QOpenGLFunctions>
#include <QWheelEvent>
#include <cctype>

// Object factory overrides (vtkRenderer -> vtkOpenGLRenderer, ...). The widgets library is not
// built through vtk_module_autoinit, so the modules are registered here.
VTK_MODULE_INIT(vtkRenderingOpenGL2);
VTK_MODULE_INIT(vtkInteractionStyle);
VTK_MODULE_INIT(vtkRenderingVolumeOpenGL2);

namespace mote::widgets {
namespace {

// Trackball camera (left: rotate, middle / shift+left: pan, right / wheel: zoom) without VTK's
// single-key commands, which would quit, switch to stereo or wireframe inside the application;
// only 'r' (reset camera) is kept.
class WorkbenchInteractorStyle : public vtkInteractorStyleTrackballCamera {
 public:
  static WorkbenchInteractorStyle* New();
  vtkTypeMacro(WorkbenchInteractorStyle, vtkInteractorStyleTrackballCamera);

  void OnChar() override {
    auto* rwi = this->Interactor;
    if (!rwi) return;
    const char key = rwi->GetKeyCode();
    if (key == 'r' || key == 'R') {
      this->FindPokedRenderer(rwi->GetEventPosition()[0], rwi->GetEventPosition()[1]);
      if (this->CurrentRenderer) {
        this->CurrentRenderer->ResetCamera();
        this->CurrentRenderer->ResetCameraClippingRange();
      }
      rwi->Render();
    }
  }

 protected:
  WorkbenchInteractorStyle() = default;
};
vtkStandardNewMacro(WorkbenchInteractorStyle);

// GL enum values (core since OpenGL 3.0) without pulling GL headers that clash with VTK's GLEW.
constexpr unsigned int kGlLequal = 0x0203;
constexpr unsigned int kGlDrawFramebuffer = 0x8CA9;
constexpr unsigned int kGlColorAttachment0 = 0x8CE0;
constexpr unsigned int kGlScissorTest = 0x0C11;
constexpr unsigned int kGlColorBufferBit = 0x00004000;
constexpr unsigned int kGlLinear = 0x2601;

// VTK's key symbols (X11 names) for the keys an interactor style may care about.
const char* keySym(int key) {
  switch (key) {
    case Qt::Key_Up:
      return "Up";
    case Qt::Key_Down:
      return "Down";
    case Qt::Key_Left:
      return "Left";
    case Qt::Key_Right:
      return "Right";
    case Qt::Key_PageUp:
      return "Prior";
    case Qt::Key_PageDown:
      return "Next";
    case Qt::Key_Home:
      return "Home";
    case Qt::Key_End:
      return "End";
    case Qt::Key_Escape:
      return "Escape";
    case Qt::Key_Return:
    case Qt::Key_Enter:
      return "Return";
    case Qt::Key_Space:
      return "space";
    case Qt::Key_Plus:
      return "plus";
    case Qt::Key_Minus:
      return "minus";
    case Qt::Key_Shift:
      return "Shift_L";
    case Qt::Key_Control:
      return "Control_L";
    case Qt::Key_Alt:
      return "Alt_L";
    default:
      return nullptr;
  }
}

}  // namespace

VtkOpenGLWidget::VtkOpenGLWidget(QWidget* parent)
    : QOpenGLWidget(parent),
      render_window_(vtkSmartPointer<vtkGenericOpenGLRenderWindow>::New()),
      interactor_(vtkSmartPointer<vtkGenericRenderWindowInteractor>::New()),
      renderer_(vtkSmartPointer<vtkRenderer>::New()) {
  setFormat(defaultFormat());
  setFocusPolicy(Qt::StrongFocus);
  setMouseTracking(true);
  setUpdateBehavior(QOpenGLWidget::NoPartialUpdate);
  setMinimumSize(120, 120);

  // Not ready until initializeGL has a context; VTK must not blit to the window system's
  // framebuffer (paintGL blits into the widget's framebuffer object).
  render_window_->SetReadyForRendering(false);
  render_window_->SetFrameBlitModeToNoBlit();
  render_window_->SetMultiSamples(0);
  render_window_->AddRenderer(renderer_);
  for (unsigned long e : {vtkCommand::WindowMakeCurrentEvent, vtkCommand::WindowIsCurrentEvent,
                          vtkCommand::WindowFrameEvent, vtkCommand::WindowSupportsOpenGLEvent,
                          vtkCommand::WindowIsDirectEvent})
    render_window_->AddObserver(e, this, &VtkOpenGLWidget::onRenderWindowEvent);

  // Renders only ever happen in paintGL: the interactor asks for one by update().
  interactor_->SetRenderWindow(render_window_);
  interactor_->EnableRenderOff();
  interactor_->AddObserver(vtkCommand::RenderEvent, this, &VtkOpenGLWidget::onInteractorRender);
  vtkNew<WorkbenchInteractorStyle> style;
  interactor_->SetInteractorStyle(style);
  interactor_->Initialize();
}

VtkOpenGLWidget::~VtkOpenGLWidget() {
  if (context()) {
    makeCurrent();
    releaseGraphics();
    doneCurrent();
  }
  render_window_->RemoveAllObservers();
  interactor_->RemoveAllObservers();
}

QSurfaceFormat VtkOpenGLWidget::defaultFormat() {
  QSurfaceFormat format;
  format.setRenderableType(QSurfaceFormat::OpenGL);
  format.setVersion(3, 2);
  format.setProfile(QSurfaceFormat::CoreProfile);
  format.setSwapBehavior(QSurfaceFormat::DoubleBuffer);
  format.setRedBufferSize(8);
  format.setGreenBufferSize(8);
  format.setBlueBufferSize(8);
  format.setAlphaBufferSize(8);
  format.setDepthBufferSize(24);
  format.setStencilBufferSize(0);
  format.setSamples(0);
  return format;
}

vtkGenericOpenGLRenderWindow* VtkOpenGLWidget::renderWindow() const {
  return render_window_;
}
vtkGenericRenderWindowInteractor* VtkOpenGLWidget::interactor() const {
  return interactor_;
}
vtkRenderer* VtkOpenGLWidget::renderer() const {
  return renderer_;
}

void VtkOpenGLWidget::setInteractorStyle(vtkInteractorObserver* style) {
  interactor_->SetInteractorStyle(style);
}

QPoint VtkOpenGLWidget::toDisplay(const QPoint& widget_pos) const {
  const double dpr = devicePixelRatioF();
  const int h = static_cast<int>(height() * dpr);
  return {static_cast<int>(widget_pos.x() * dpr), h - static_cast<int>(widget_pos.y() * dpr) - 1};
}

QPointF VtkOpenGLWidget::fromDisplay(double x, double y) const {
  const double dpr = devicePixelRatioF();
  const double h = height() * dpr;
  return {x / dpr, (h - y - 1.0) / dpr};
}

void VtkOpenGLWidget::initializeGL() {
  // VTK adopts the widget's context: it never creates or swaps one itself.
  render_window_->SetOwnContext(0);
  render_window_->SetReadyForRendering(true);
  render_window_->SetForceMaximumHardwareLineWidth(1);
  render_window_->InitializeFromCurrentContext();
  render_window_->SetMapped(1);
  gl_ready_ = true;
  constexpr unsigned int kGlRenderer = 0x1F01;
  if (const auto* name = context()->functions()->glGetString(kGlRenderer))
    gl_renderer_ = QString::fromLatin1(reinterpret_cast<const char*>(name));
  connect(
      context(), &QOpenGLContext::aboutToBeDestroyed, this,
      [this] {
        makeCurrent();
        releaseGraphics();
      },
      Qt::DirectConnection);
  Q_EMIT glInitialized();
}

bool VtkOpenGLWidget::isSoftwareRenderer() const {
  return gl_renderer_.contains(QLatin1String("llvmpipe"), Qt::CaseInsensitive) ||
         gl_renderer_.contains(QLatin1String("softpipe"), Qt::CaseInsensitive) ||
         gl_renderer_.contains(QLatin1String("swrast"), Qt::CaseInsensitive) ||
         gl_renderer_.contains(QLatin1String("software"), Qt::CaseInsensitive);
}

void VtkOpenGLWidget::releaseGraphics() {
  if (!gl_ready_) return;
  render_window_->Finalize();  // frees every GL resource of the renderers and mappers
  render_window_->SetReadyForRendering(false);
  gl_ready_ = false;
}

void VtkOpenGLWidget::resizeGL(int, int) {
  const double dpr = devicePixelRatioF();
  const int w = static_cast<int>(width() * dpr);
  const int h = static_cast<int>(height() * dpr);
  interactor_->UpdateSize(w, h);  // also sizes the render window
  render_window_->SetScreenSize(w, h);
}

void VtkOpenGLWidget::paintGL() {
  if (!gl_ready_) return;
  in_paint_ = true;
  vtkOpenGLState* state = render_window_->GetState();
  // Qt changed GL state since the last frame: make VTK's cache re-read it, and keep Qt's.
  state->Reset();
  state->Push();
  state->vtkglDepthFunc(kGlLequal);  // Qt leaves GL_LESS; VTK expects GL_LEQUAL

  QElapsedTimer timer;
  timer.start();
  render_window_->Render();
  last_render_ms_ = static_cast<double>(timer.nsecsElapsed()) / 1e6;

  // Blit VTK's display framebuffer into the widget's framebuffer object.
  const int* size = render_window_->GetSize();
  const double dpr = devicePixelRatioF();
  const int target_w = static_cast<int>(width() * dpr);
  const int target_h = static_cast<int>(height() * dpr);
  state->vtkglBindFramebuffer(kGlDrawFramebuffer, defaultFramebufferObject());
  unsigned int buffer = kGlColorAttachment0;
  state->vtkglDrawBuffers(1, &buffer);
  state->vtkglDisable(kGlScissorTest);
  render_window_->BlitDisplayFramebuffer(0, 0, 0, size[0], size[1], 0, 0, target_w, target_h,
                                         kGlColorBufferBit, kGlLinear);
  // Opaque alpha: with Mesa a translucent widget framebuffer blends with what is behind it.
  state->vtkglColorMask(0, 0, 0, 1);
  state->vtkglClearColor(0.0f, 0.0f, 0.0f, 1.0f);
  state->vtkglViewport(0, 0, target_w, target_h);
  state->vtkglClear(kGlColorBufferBit);
  state->vtkglColorMask(1, 1, 1, 1);
  state->Pop();
  in_paint_ = false;
  Q_EMIT frameRendered();
}

void VtkOpenGLWidget::onRenderWindowEvent(vtkObject*, unsigned long event_id, void* call_data) {
  switch (event_id) {
    case vtkCommand::WindowMakeCurrentEvent:
      if (context() && QOpenGLContext::currentContext() != context()) makeCurrent();
      break;
    case vtkCommand::WindowIsCurrentEvent:
      *static_cast<bool*>(call_data) =
          context() != nullptr && QOpenGLContext::currentContext() == context();
      break;
    case vtkCommand::WindowFrameEvent:
      // VTK rendered outside paintGL (e.g. an explicit Render() by a pick): show it.
      if (!in_paint_) update();
      break;
    case vtkCommand::WindowSupportsOpenGLEvent:
    case vtkCommand::WindowIsDirectEvent:
      *static_cast<int*>(call_data) = 1;
      break;
    default:
      break;
  }
}

void VtkOpenGLWidget::onInteractorRender(vtkObject*, unsigned long, void*) {
  if (!in_paint_) update();
}

void VtkOpenGLWidget::setEventPosition(const QPointF& pos, Qt::KeyboardModifiers modifiers,
                                       int repeat) {
  const double dpr = devicePixelRatioF();
  interactor_->SetEventInformationFlipY(static_cast<int>(pos.x() * dpr),
                                        static_cast<int>(pos.y() * dpr),
                                        (modifiers & Qt::ControlModifier) ? 1 : 0,
                                        (modifiers & Qt::ShiftModifier) ? 1 : 0, 0, repeat);
  interactor_->SetAltKey((modifiers & Qt::AltModifier) ? 1 : 0);
}

void VtkOpenGLWidget::mousePressEvent(QMouseEvent* event) {
  press_pos_ = event->position().toPoint();
  press_button_ = event->button();
  setEventPosition(event->position(), event->modifiers());
  switch (event->button()) {
    case Qt::LeftButton:
      interactor_->InvokeEvent(vtkCommand::LeftButtonPressEvent, event);
      break;
    case Qt::MiddleButton:
      interactor_->InvokeEvent(vtkCommand::MiddleButtonPressEvent, event);
      break;
    case Qt::RightButton:
      interactor_->InvokeEvent(vtkCommand::RightButtonPressEvent, event);
      break;
    default:
      break;
  }
  event->accept();
}

void VtkOpenGLWidget::mouseDoubleClickEvent(QMouseEvent* event) {
  setEventPosition(event->position(), event->modifiers(), 1);
  if (event->button() == Qt::LeftButton)
    interactor_->InvokeEvent(vtkCommand::LeftButtonDoubleClickEvent, event);
  event->accept();
}

void VtkOpenGLWidget::mouseReleaseEvent(QMouseEvent* event) {
  setEventPosition(event->position(), event->modifiers());
  switch (event->button()) {
    case Qt::LeftButton:
      interactor_->InvokeEvent(vtkCommand::LeftButtonReleaseEvent, event);
      break;
    case Qt::MiddleButton:
      interactor_->InvokeEvent(vtkCommand::MiddleButtonReleaseEvent, event);
      break;
    case Qt::RightButton:
      interactor_->InvokeEvent(vtkCommand::RightButtonReleaseEvent, event);
      break;
    default:
      break;
  }
  const QPoint pos = event->position().toPoint();
  if (event->button() == press_button_ && (pos - press_pos_).manhattanLength() <= 3)
    Q_EMIT clicked(pos, event->button(), event->modifiers());
  press_button_ = Qt::NoButton;
  event->accept();
}

void VtkOpenGLWidget::mouseMoveEvent(QMouseEvent* event) {
  setEventPosition(event->position(), event->modifiers());
  interactor_->InvokeEvent(vtkCommand::MouseMoveEvent, event);
  event->accept();
}

void VtkOpenGLWidget::wheelEvent(QWheelEvent* event) {
  setEventPosition(event->position(), event->modifiers());
  const int delta =
      event->angleDelta().y() != 0 ? event->angleDelta().y() : event->angleDelta().x();
  if (delta > 0)
    interactor_->InvokeEvent(vtkCommand::MouseWheelForwardEvent, event);
  else if (delta < 0)
    interactor_->InvokeEvent(vtkCommand::MouseWheelBackwardEvent, event);
  event->accept();
}

void VtkOpenGLWidget::keyPressEvent(QKeyEvent* event) {
  const QString text = event->text();
  const char ascii = text.size() == 1 && text.at(0).unicode() < 128
                         ? static_cast<char>(text.at(0).unicode())
                         : '\0';
  const char* sym = keySym(event->key());
  char letter[2] = {ascii, '\0'};
  if (!sym && std::isprint(static_cast<unsigned char>(ascii))) sym = letter;
  interactor_->SetKeyEventInformation((event->modifiers() & Qt::ControlModifier) ? 1 : 0,
                                      (event->modifiers() & Qt::ShiftModifier) ? 1 : 0, ascii,
                                      event->isAutoRepeat() ? 1 : 0, sym);
  interactor_->SetAltKey((event->modifiers() & Qt::AltModifier) ? 1 : 0);
  interactor_->InvokeEvent(vtkCommand::KeyPressEvent, event);
  interactor_->InvokeEvent(vtkCommand::CharEvent, event);
  // Let parents see keys VTK does not use (e.g. the slice stepping of a view).
  QOpenGLWidget::keyPressEvent(event);
}

void VtkOpenGLWidget::keyReleaseEvent(QKeyEvent* event) {
  const char* sym = keySym(event->key());
  interactor_->SetKeyEventInformation((event->modifiers() & Qt::ControlModifier) ? 1 : 0,
                                      (event->modifiers() & Qt::ShiftModifier) ? 1 : 0, 0,
                                      event->isAutoRepeat() ? 1 : 0, sym);
  interactor_->InvokeEvent(vtkCommand::KeyReleaseEvent, event);
  QOpenGLWidget::keyReleaseEvent(event);
}

void VtkOpenGLWidget::enterEvent(QEnterEvent* event) {
  setEventPosition(event->position(), event->modifiers());
  interactor_->InvokeEvent(vtkCommand::EnterEvent, event);
  QOpenGLWidget::enterEvent(event);
}

void VtkOpenGLWidget::leaveEvent(QEvent* event) {
  interactor_->InvokeEvent(vtkCommand::LeaveEvent, event);
  QOpenGLWidget::leaveEvent(event);
}

}  // namespace mote::widgets
