// Launchers of cuda/image_ops.cu on raw NCHW buffers, for other cuda/ files:
// the cuDNN convolution pads its input here when TensorFlow's 'same' padding
// is asymmetric, which cuDNN cannot express.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace jetimg::cuda {

// y: planes of (out_h, out_w) = x's (in_h, in_w) planes shifted by (top, left), zeros around.
void launch_zero_pad(const float* x, int64_t planes, int in_h, int in_w, int top, int left, int out_h, int out_w,
                     float* y, cudaStream_t stream);
// dx: planes of (in_h, in_w) = the window at (top, left) of dy's (out_h, out_w) planes.
void launch_crop(const float* dy, int64_t planes, int in_h, int in_w, int top, int left, int out_h, int out_w,
                 float* dx, cudaStream_t stream);

}  // namespace jetimg::cuda
