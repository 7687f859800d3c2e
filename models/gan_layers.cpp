#include "models/gan_layers.h"

#include "models/layer_registry.h"

#include <cmath>
#include <limits>
#include <utility>

#include "core/error.h"
#include "core/gan_ops.h"
#include "core/gemm.h"
#include "core/nn_ops.h"
#include "core/ops.h"
#include "models/layer_registry.h"
#include "models/simple_layers.h"

namespace jetimg {


namespace {

void check_grad(const Tensor& dy, const Tensor& y, const std::string& layer) {
  if (!y.defined()) fail(layer, ": backward called before forward");
  if (dy.shape() != y.shape()) fail(layer, ": dy has shape ", dy.shape().str(), " but y had ", y.shape().str());
}

bool is_linear(ActivationParams p) { return p.kind == ActivationKind::Linear; }

}  // namespace

// --- MinibatchDiscrimination ----------------------------------------------------------------

MinibatchDiscrimination::MinibatchDiscrimination(Context& ctx, int64_t in, int64_t features, int64_t dims,
                                                 ActivationParams activation, Init init, bool use_bias)
    : in_(in), features_(features), dims_(dims), activation_(activation), init_(init) {
  if (in < 1 || features < 1 || dims < 1)
    fail("minibatch_discrimination: need in, features and dims >= 1, got in ", in, ", features ", features,
         ", dims ", dims);
  const int64_t columns = features * dims;
  weight_ = Tensor::empty({in, columns}, ctx.device());
  initialise(ctx, weight_, init, in, columns);
  dweight_ = Tensor::zeros(weight_.shape(), ctx.device());
  if (use_bias) {
    bias_ = Tensor::zeros({columns}, ctx.device());
    dbias_ = Tensor::zeros({columns}, ctx.device());
  }
}

std::vector<NamedTensor> MinibatchDiscrimination::parameters() {
  if (!bias_.defined()) return {{"weight", &weight_}};
  return {{"weight", &weight_}, {"bias", &bias_}};
}

std::vector<NamedTensor> MinibatchDiscrimination::gradients() {
  if (!dbias_.defined()) return {{"weight", &dweight_}};
  return {{"weight", &dweight_}, {"bias", &dbias_}};
}

Tensor MinibatchDiscrimination::forward(Context& ctx, const Tensor& x) {
  if (x.ndim() != 2 || x.dim(1) != in_)
    fail("minibatch_discrimination: expected input (N, ", in_, "), got ", x.shape().str(),
         (x.ndim() > 2 ? " (put a flatten layer before it)" : ""));
  x_ = x;
  const int64_t n = x.dim(0);
  ensure_tensor(m_, {n, features_ * dims_}, ctx.device());
  gemm(ctx, false, false, 1.0f, x, weight_, 0.0f, m_);  // m = x · weight (+ bias)
  if (bias_.defined()) bias_add(ctx, m_, bias_);
  ensure_tensor(o_, {n, features_}, ctx.device());
  minibatch_discrimination_forward(ctx, m_.view({n, features_, dims_}), o_);
  if (is_linear(activation_)) {
    y_ = o_;
  } else {
    ensure_tensor(y_, o_.shape(), ctx.device());
    activation_forward(ctx, activation_, o_, y_);
  }
  return y_;
}

Tensor MinibatchDiscrimination::backward(Context& ctx, const Tensor& dy) {
  check_grad(dy, y_, "minibatch_discrimination");
  Tensor dout = dy;
  if (!is_linear(activation_)) {
    ensure_tensor(do_, dy.shape(), ctx.device());
    activation_backward(ctx, activation_, o_, y_, dy, do_);
    dout = do_;
  }
  const int64_t n = x_.dim(0);
  ensure_tensor(dm_, m_.shape(), ctx.device());
  Tensor dm = dm_.view({n, features_, dims_});
  minibatch_discrimination_backward(ctx, m_.view({n, features_, dims_}), dout, dm);
  gemm(ctx, true, false, 1.0f, x_, dm_, 0.0f, dweight_);  // dweight = xᵀ · dm
  if (bias_.defined()) bias_backward(ctx, dm_, dbias_);   // zero up to rounding: the bias cancels
  ensure_tensor(dx_, x_.shape(), ctx.device());
  gemm(ctx, false, true, 1.0f, dm_, weight_, 0.0f, dx_);  // dx = dm · weightᵀ
  return dx_;
}

Json MinibatchDiscrimination::config() const {
  Json c = {{"type", type()},
            {"features", features_},
            {"dims", dims_},
            {"activation", activation_name(activation_.kind)},
            {"init", init_name(init_)},
            {"use_bias", bias_.defined()}};
  if (activation_.kind == ActivationKind::LeakyReLU) c["slope"] = config_number(activation_.slope);
  return c;
}

// --- InpaintingAttention -----------------------------------------------------------------------

InpaintingAttention::InpaintingAttention(Context& ctx, const SampleShape& input, int kernel_size,
                                         std::vector<float> bias_init, Init init)
    : input_(input), kernel_size_(kernel_size), init_(init) {
  if (input.size() != 3 || input[0] < 2)
    fail("inpainting_attention: needs images (C, H, W) with C >= 2 (the layer's own image first, the carried-over "
         "one last), got ",
         shape_string(input));
  if (kernel_size < 1 || kernel_size % 2 == 0)
    fail("inpainting_attention: kernel_size must be odd and at least 1, got ", kernel_size);
  const int64_t channels = input[0];
  if (bias_init.empty()) {
    bias_init_.assign(static_cast<size_t>(channels), 0.0f);
    bias_init_.back() = -10.0f;
  } else if (bias_init.size() == 1) {
    bias_init_.assign(static_cast<size_t>(channels), bias_init[0]);
  } else if (bias_init.size() == static_cast<size_t>(channels)) {
    bias_init_ = std::move(bias_init);
  } else {
    fail("inpainting_attention: bias_init has ", bias_init.size(), " values, but the input has ", channels,
         " channels (give one or ", channels, ")");
  }
  const int half = kernel_size / 2;
  pad_ = std::make_unique<ZeroPadding2D>(ZeroPadding2dParams{half, half, half, half});
  logits_ = std::make_unique<LocallyConnected2D>(
      ctx, pad_->output_shape(input), channels, LocallyConnected2dParams{kernel_size, kernel_size, 1, 1},
      ActivationParams{ActivationKind::Linear, 0.0f}, init, BiasConfig{true, bias_init_});
}

Tensor InpaintingAttention::forward(Context& ctx, const Tensor& x) {
  if (x.ndim() != 4 || x.dim(1) != input_[0] || x.dim(2) != input_[1] || x.dim(3) != input_[2])
    fail("inpainting_attention: expected input (N, ", shape_string(input_).substr(1), ", got ", x.shape().str());
  x_ = x;
  h_ = logits_->forward(ctx, pad_->forward(ctx, x));  // h: (N, C, H, W)
  ensure_tensor(y_, {x.dim(0), 1, x.dim(2), x.dim(3)}, ctx.device());
  attention_combine_forward(ctx, x, h_, y_);
  return y_;
}

Tensor InpaintingAttention::backward(Context& ctx, const Tensor& dy) {
  check_grad(dy, y_, "inpainting_attention");
  ensure_tensor(dx_, x_.shape(), ctx.device());
  ensure_tensor(dh_, x_.shape(), ctx.device());
  attention_combine_backward(ctx, x_, h_, dy, dx_, dh_);
  // x reaches y twice: directly, and through the logits.
  const Tensor through_logits = pad_->backward(ctx, logits_->backward(ctx, dh_));
  axpy(ctx, 1.0f, through_logits, dx_);
  return dx_;
}

Json InpaintingAttention::config() const {
  Json bias = Json::array();
  for (float b : bias_init_) bias.push_back(config_number(b));
  return {{"type", type()}, {"kernel_size", kernel_size_}, {"bias_init", bias}, {"init", init_name(init_)}};
}

SampleShape InpaintingAttention::output_shape(const SampleShape& input) const {
  if (input != input_)
    fail("inpainting_attention: made for inputs ", shape_string(input_), ", not ", shape_string(input));
  return {1, input[1], input[2]};
}

// --- registration -------------------------------------------------------------------------------

namespace {

Init init_of(const LayerArgs& a) { return parse_init(a.text("init"), a.where("init")); }

// A number or a non-empty list of numbers, each finite as a float (empty: absent).
std::vector<float> numbers(const LayerArgs& a, const std::string& key) {
  if (!a.given(key)) return {};
  const Json& v = a.value(key);
  std::vector<float> values;
  const auto add = [&](const Json& e) {
    if (!e.is_number() || !(std::fabs(e.get<double>()) <= std::numeric_limits<float>::max()))
      a.bad(key, "a number or a list of numbers, each finite as a float");
    values.push_back(static_cast<float>(e.get<double>()));
  };
  if (v.is_array() && !v.empty()) {
    for (const Json& e : v) add(e);
  } else {
    add(v);
  }
  return values;
}

}  // namespace

void register_gan_layers() {
  register_layer(
      {"minibatch_discrimination", "gan",
       "minibatch discrimination (Salimans et al.): features comparing each sample with the rest of its batch; "
       "flat inputs (in) -> (features)",
       {{"features", 10, "kernels F, 1 to 65536"},
        {"dims", 10, "dimensions V of each kernel's space, 1 to 65536"},
        {"activation", "tanh", "on the output: any dense activation, linear for none"},
        {"slope", 0.2, "leaky_relu's slope below zero"},
        {"init", "glorot_uniform", "weight initialiser"},
        {"use_bias", true, "false: no bias (it cancels in every distance)"}},
       [](LayerArgs& a) -> std::unique_ptr<Layer> {
         const int64_t features = a.integer("features", 1, kMaxLayerUnits);
         const int64_t dims = a.integer("dims", 1, kMaxLayerUnits);
         ActivationParams activation{parse_activation(a.text("activation"), a.where("activation")), 0.2f};
         if (activation.kind == ActivationKind::LeakyReLU)
           activation.slope = static_cast<float>(a.number("slope", 0, 1e6));
         else if (a.given("slope"))
           a.unknown("slope");
         const Init init = init_of(a);
         const bool use_bias = a.flag("use_bias");
         if (a.input.size() != 1)
           fail(a.file(), ": '", a.path(), "' (minibatch_discrimination) needs flat inputs, but gets ",
                shape_string(a.input), "; put {\"type\": \"flatten\"} before it");
         return std::make_unique<MinibatchDiscrimination>(a.ctx, a.input[0], features, dims, activation, init,
                                                          use_bias);
       },
       {},
       true});
  register_layer({"inpainting_attention", "gan",
                  "CaloGAN's attention between layers: a per-pixel softmax over the channels mixes them; images "
                  "(C, H, W), C >= 2 -> (1, H, W)",
                  {{"kernel_size", 3, "odd window of the locally connected logits"},
                   {"bias_init", nullptr, "start of the logits' bias: a number or one per channel (default 0, "
                                          "..., 0, -10)"},
                   {"init", "glorot_uniform", "weight initialiser"}},
                  [](LayerArgs& a) -> std::unique_ptr<Layer> {
                    const int64_t kernel = a.integer("kernel_size", 1, kMaxWindow);
                    if (kernel % 2 == 0) fail(a.where("kernel_size"), " must be odd, got ", kernel);
                    std::vector<float> bias_init = numbers(a, "bias_init");
                    return std::make_unique<InpaintingAttention>(a.ctx, a.input, static_cast<int>(kernel),
                                                                 std::move(bias_init), init_of(a));
                  },
                  {}});
}

}  // namespace jetimg
