// ONNX export of a trained network (through the onnx library, libonnx-dev),
// so that a tagger reaches experiment software that runs ONNX (CMSSW, Athena)
// or ONNX Runtime. Opset 13.
//
// The graph takes `images` (N, input_shape...) float32 and gives `score`
// (N, outputs): the network's output passed through the same transform that
// jetimg's predict applies (sigmoid for networks trained with binary
// cross-entropy, softmax for categorical, none otherwise). Each layer becomes
// standard operators: dense → Gemm (+ activation), maxout_dense → Gemm,
// Reshape (N, pieces, units), ReduceMax over the pieces; conv2d → Conv with
// explicit (also asymmetric 'same') pads; pooling → MaxPool/AveragePool;
// batch_norm → BatchNormalization; zero_padding2d → Pad; up_sampling2d →
// Resize (nearest); dropout is the identity. locally_connected2d has no ONNX
// operator and is refused with a message.
#pragma once

#include <string>

#include "models/predict.h"
#include "models/model.h"

namespace jetimg {

// Writes `model` (a sequential or graph model with one output) to `path`
// (atomically). A sequential model's input is called `images`; a graph's
// inputs keep their names. Error naming the layer it cannot export.
void export_onnx(Model& model, ScoreTransform transform, const std::string& path,
                 const std::string& producer_note = "");

}  // namespace jetimg
