// Stage 2: any decoded Image -> one 8-bit channel, as Pillow's convert("L").
#pragma once

#include "image/image.hpp"

namespace digitinfer::core {

// L stays; LA drops alpha; RGB and RGBA use Pillow's integer luma
// L = (R*19595 + G*38470 + B*7471 + 0x8000) >> 16 with alpha ignored, not composited;
// CMYK goes through Pillow's cmyk2rgb first, as convert("L") does.
GrayImage to_grayscale(Image image);

}  // namespace digitinfer::core
