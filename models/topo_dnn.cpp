#include "models/topo_dnn.h"

#include "core/error.h"

namespace jetimg {

TopoDnn::TopoDnn(Context& ctx, const Json& config, const std::string& file) {
  ConfigSection s(config, file, "");
  std::string type = "topodnn";
  s.optional("type", type);
  s.optional("constituents", constituents_, int64_t{1}, int64_t{1} << 12);
  s.accept("layers");
  s.finish();
  if (!config.contains("layers")) fail(file, ": 'layers' is missing (a list of layers on the flattened constituents)");
  net_ = std::make_unique<Sequential>(ctx, config["layers"], SampleShape{3 * constituents_}, file);
  parts_.add("net.", *net_);
}

const TensorMap& TopoDnn::forward(Context& ctx, const TensorMap& inputs) {
  const Tensor& x = model_input(inputs, "leading", "topodnn");
  if (x.ndim() != 3 || x.dim(1) != constituents_ || x.dim(2) != 3)
    fail("topodnn: expected leading constituents (N, ", constituents_, ", 3), got ", x.shape().str());
  result_["score"] = net_->forward(ctx, x.view({x.dim(0), 3 * constituents_}));
  return result_;
}

const TensorMap& TopoDnn::backward(Context& ctx, const TensorMap& doutputs) {
  const Tensor dx = net_->backward(ctx, output_gradient(doutputs, "score", "topodnn"));
  dinputs_.clear();
  if (dx.defined()) dinputs_["leading"] = dx.view({dx.dim(0), constituents_, 3});
  return dinputs_;
}

}  // namespace jetimg
