// Per-element math of the basic ops, shared by host/ and cuda/.
#pragma once

#include "core/hd.h"

namespace jetimg {

JI_HD float scale_element(float x, float alpha) { return alpha * x; }
JI_HD float axpy_element(float alpha, float x, float y) { return y + alpha * x; }

}  // namespace jetimg
