// How dense, convolution and maxout GEMMs compute on a GPU. FP32 is the
// default everywhere, so that CPU and CUDA results agree to float rounding;
// the others trade precision for tensor-core speed and are asked for
// explicitly (`--math`):
//
//   fp32  float32 FMA arithmetic (cuBLAS SGEMM, cuDNN with CUDNN_FMA_MATH)
//   tf32  TF32 tensor cores: operands rounded to 10 mantissa bits, products
//         accumulated in float32 (about 1e-3 relative error per product; ~1e-2
//         on a layer's output). Training and inference.
//   bf16  weights and activations converted to bfloat16 (8 mantissa bits) for
//         the GEMM or convolution, float32 accumulation, float32 results.
//         Inference and generation only: training refuses it.
//
// On the CPU every mode computes float32 (OpenBLAS has no TF32 or BF16 path
// here); a run that asks for another logs that once.
#pragma once

#include <string>

namespace jetimg {

class Context;

enum class MathMode { fp32, tf32, bf16 };

// "fp32", "tf32", "bf16".
const char* math_mode_name(MathMode mode);
// The names above; an Error naming `where` (e.g. "--math") and listing the
// choices for anything else.
MathMode parse_math_mode(const std::string& text, const std::string& where = "math mode");
// "fp32, tf32 or bf16", for messages and help.
const char* math_mode_choices();

// Sets the context's math mode. On a CPU context a mode other than fp32 logs
// once per process that the CPU computes float32 whatever the mode.
void use_math_mode(Context& ctx, MathMode mode);

// An Error naming the option when `mode` cannot train (bf16); `what` names the
// run ("training", "jetimg train-calogan").
void check_training_math_mode(MathMode mode, const std::string& what = "training");

}  // namespace jetimg
