// Checkpoints: a round trip restores weights, running statistics, optimiser
// state and training state exactly; the HDF5 layout is the documented one;
// loading into a different network or from a foreign file is a clear error.
#include <filesystem>

#include "core/error.h"
#include "core/ops.h"
#include "core/train_ops.h"
#include "models/checkpoint.h"
#include "io/hdf5.h"
#include "models/optimiser.h"
#include "models/sequential.h"
#include "tests/testing.h"

namespace jetimg {
namespace {

const char* kNetwork = R"({"input_shape": [4, 4], "layers": [{"type": "flatten"},
    {"type": "maxout_dense", "units": 5, "pieces": 3}, {"type": "batch_norm"},
    {"type": "dense", "units": 3, "activation": "relu"}, {"type": "dense", "units": 1}]})";

// One Adam step on random data, so that weights, running statistics and the
// optimiser's moments all differ from their initial values.
void train_one_step(Context& ctx, Sequential& net, Optimiser& optimiser) {
  Tensor x = Tensor::empty({8, 4, 4}), labels = Tensor::empty({8});
  random_normal(ctx, x, 0, 1);
  random_uniform(ctx, labels, 0, 1);
  const Tensor logits = net.forward(ctx, x);
  Tensor dlogits = Tensor::empty(logits.shape());
  bce_with_logits(ctx, logits, labels, Tensor(), &dlogits);
  net.backward(ctx, dlogits);
  optimiser.step(ctx, net.parameters(), net.gradients());
}

void expect_same(const std::vector<NamedTensor>& a, const std::vector<NamedTensor>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].name, b[i].name);
    EXPECT_TRUE(testing::all_close(*a[i].tensor, *b[i].tensor, 0, 0)) << a[i].name;
  }
}

TEST(Checkpoint, RoundTripRestoresEverything) {
  const std::string dir = testing::scratch_dir("ckpt");
  const std::string path = dir + "/model.h5";
  Context ctx(Device::cpu(), 1);
  Sequential net = sequential_from_json(ctx, Json::parse(kNetwork), "net.json");
  Adam adam(0.01f);
  train_one_step(ctx, net, adam);
  TrainingState state;
  state.epoch = 3;
  state.best_val_loss = 0.25;
  state.best_epoch = 2;
  state.epochs_without_improvement = 1;
  state.lr = 0.005f;
  state.optimiser_steps = adam.steps();
  state.optimiser = adam.config();
  state.train_config = {{"epochs", 10}};
  save_checkpoint(path, net, &adam, state);
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp-" + std::to_string(::getpid())));

  Context other(Device::cpu(), 77);  // different initial weights
  Sequential again = sequential_from_json(other, Json::parse(kNetwork), "net.json");
  Adam adam_again(0.01f);
  load_checkpoint(path, again, &adam_again);
  expect_same(net.parameters(), again.parameters());
  expect_same(net.buffers(), again.buffers());
  expect_same(adam.state(net.parameters()), adam_again.state(again.parameters()));
  EXPECT_EQ(adam_again.steps(), 1);

  const TrainingState read = read_training_state(path);
  EXPECT_EQ(read.epoch, 3);
  EXPECT_EQ(read.best_val_loss, 0.25);
  EXPECT_EQ(read.best_epoch, 2);
  EXPECT_EQ(read.epochs_without_improvement, 1);
  EXPECT_EQ(read.lr, 0.005f);
  EXPECT_EQ(read.optimiser, adam.config());
  EXPECT_EQ(read.train_config["epochs"], 10);

  // The network alone, for inference: same outputs as the trained one.
  Sequential loaded = load_network(other, path);
  net.set_training(false);
  Tensor x = Tensor::empty({6, 4, 4});
  random_normal(ctx, x, 0, 1);
  EXPECT_TRUE(testing::all_close(loaded.forward(other, x), net.forward(ctx, x), 0, 0));
  EXPECT_EQ(read_checkpoint_network(path), network_json(net));
}

TEST(Checkpoint, LayoutIsTheDocumentedOne) {
  const std::string dir = testing::scratch_dir("ckpt");
  const std::string path = dir + "/model.h5";
  Context ctx(Device::cpu(), 1);
  Sequential net = sequential_from_json(ctx, Json::parse(kNetwork), "net.json");
  Sgd sgd(0.1f, 0.9f);
  save_checkpoint(path, net, &sgd, TrainingState{});
  const h5::File file = h5::File::open(path);
  EXPECT_EQ(file.read_string_attribute("format"), "jetimg-checkpoint");
  EXPECT_EQ(file.read_int_attribute("epoch"), 0);
  EXPECT_EQ(Json::parse(file.read_string_attribute("network")), network_json(net));
  EXPECT_TRUE(file.has("layer_00_flatten"));
  // Dense-type weights are (in, out), as Keras stores kernels.
  EXPECT_EQ(file.dims("layer_01_maxout_dense/weight"), (std::vector<hsize_t>{16, 15}));
  EXPECT_EQ(file.dims("layer_01_maxout_dense/bias"), (std::vector<hsize_t>{15}));
  EXPECT_EQ(file.dims("layer_02_batch_norm/running_var"), (std::vector<hsize_t>{5}));
  EXPECT_EQ(file.dims("layer_03_dense/weight"), (std::vector<hsize_t>{5, 3}));
  EXPECT_EQ(file.dims("optimiser/layer_04_dense/weight.velocity"), (std::vector<hsize_t>{3, 1}));
  EXPECT_EQ(file.read_all<float>("layer_03_dense/weight"), net.parameters()[4].tensor->to_vector());
}

TEST(Checkpoint, LoadingIntoAnotherNetworkOrFromAnotherFileFails) {
  const std::string dir = testing::scratch_dir("ckpt");
  const std::string path = dir + "/model.h5";
  Context ctx(Device::cpu(), 1);
  Sequential net = sequential_from_json(ctx, Json::parse(kNetwork), "net.json");
  save_checkpoint(path, net, nullptr, TrainingState{});

  Json wider = Json::parse(kNetwork);
  wider["layers"][3]["units"] = 4;
  Sequential other = sequential_from_json(ctx, wider, "wider.json");
  const std::string message = testing::error_message_of([&] { load_checkpoint(path, other, nullptr); });
  EXPECT_NE(message.find("model.h5' was written for a different network: layer 3 is"), std::string::npos) << message;
  Json smaller = Json::parse(kNetwork);
  smaller["input_shape"] = {5, 5};
  Sequential other_input = sequential_from_json(ctx, smaller, "small.json");
  EXPECT_NE(testing::error_message_of([&] { load_checkpoint(path, other_input, nullptr); }).find("input shape"),
            std::string::npos);
  // No optimiser state was saved: cannot resume from it.
  Adam adam;
  EXPECT_NE(testing::error_message_of([&] { load_checkpoint(path, net, &adam); }).find("holds no optimiser state"),
            std::string::npos);
  const std::string text = testing::write_text_file(dir, "text.h5", "not hdf5");
  EXPECT_NE(testing::error_message_of([&] { load_network(ctx, text); }).find("is not an HDF5 file"),
            std::string::npos);
  h5::File foreign = h5::File::create(dir + "/foreign.h5");
  foreign.close();
  EXPECT_NE(testing::error_message_of([&] { load_network(ctx, dir + "/foreign.h5"); })
                .find("is not a jetimg checkpoint"),
            std::string::npos);
}

// Weights saved from one device load on the other.
template <typename D>
class CheckpointDevice : public testing::DeviceTest<D> {};
TYPED_TEST_SUITE(CheckpointDevice, testing::Devices, testing::DeviceNames);

TYPED_TEST(CheckpointDevice, LoadsOnAnyDevice) {
  const std::string path = testing::scratch_dir("ckpt") + "/model.h5";
  Context cpu(Device::cpu(), 5), ctx(this->device(), 6);
  Sequential net = sequential_from_json(cpu, Json::parse(kNetwork), "net.json");
  save_checkpoint(path, net, nullptr, TrainingState{});
  Sequential loaded = load_network(ctx, path);
  net.set_training(false);
  Tensor x = Tensor::empty({6, 4, 4});
  random_normal(cpu, x, 0, 1);
  EXPECT_TRUE(testing::all_close(loaded.forward(ctx, x.to(this->device())).to(Device::cpu()), net.forward(cpu, x),
                                 1e-5, 1e-4));
}

}  // namespace
}  // namespace jetimg
