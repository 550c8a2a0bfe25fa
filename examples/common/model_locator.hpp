// Where the model comes from when the user names none.
#ifndef DIGITINFER_EXAMPLES_MODEL_LOCATOR_HPP
#define DIGITINFER_EXAMPLES_MODEL_LOCATOR_HPP

#include <string>

namespace common {

/// The first existing file of: $DIGITINFER_MODEL (taken as is, even if missing), the
/// convnet.dimodel installed beside the executable (<bin>/../share/digitinfer/models), the one
/// at the configured install prefix, the source tree's. Throws std::runtime_error listing what
/// was tried.
std::string default_model_path();

}  // namespace common

#endif  // DIGITINFER_EXAMPLES_MODEL_LOCATOR_HPP
