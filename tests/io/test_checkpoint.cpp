// Checkpoints (version 2, one format for every model): a round trip restores
// weights, running statistics, optimiser state and training state exactly;
// the HDF5 layout is the documented one; loading into a different model or
// from a foreign file is a clear error; and the three formats written before
// version 2 (tests/data/legacy, made by the build that wrote them) still load,
// computing what they computed then.
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "core/error.h"
#include "core/ops.h"
#include "core/train_ops.h"
#include "io/hdf5.h"
#include "models/calogan.h"
#include "models/checkpoint.h"
#include "models/gan_training.h"
#include "models/lagan.h"
#include "models/optimiser.h"
#include "models/predict.h"
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
  TrainState state;
  state.epoch = 3;
  state.seed = 9;
  state.monitor = "val_loss";
  state.best = 0.25;
  state.best_epoch = 2;
  state.epochs_without_improvement = 1;
  state.history = Json::array({{{"epoch", 1}}, {{"epoch", 2}}, {{"epoch", 3}}});
  state.settings = {{"epochs", 10}};
  save_checkpoint(path, "tagger", {{"model", &net, &adam}}, state, {{"command", "test"}});
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp-" + std::to_string(::getpid())));

  Context other(Device::cpu(), 77);  // different initial weights
  Sequential again = sequential_from_json(other, Json::parse(kNetwork), "net.json");
  Adam adam_again(0.01f);
  const CheckpointFile file(path);
  EXPECT_EQ(file.version(), 2);
  EXPECT_EQ(file.kind(), "tagger");
  file.load_into("model", again);
  file.load_optimiser("model", adam_again, again.parameters());
  expect_same(net.parameters(), again.parameters());
  expect_same(net.buffers(), again.buffers());
  expect_same(adam.state(net.parameters()), adam_again.state(again.parameters()));
  EXPECT_EQ(adam_again.steps(), 1);

  const TrainState& read = file.training();
  EXPECT_EQ(read.epoch, 3);
  EXPECT_EQ(read.seed, 9u);
  EXPECT_EQ(read.best, 0.25);
  EXPECT_EQ(read.best_epoch, 2);
  EXPECT_EQ(read.epochs_without_improvement, 1);
  EXPECT_EQ(read.settings["epochs"], 10);
  EXPECT_EQ(file.optimiser_record("model")["config"]["type"], "adam");
  EXPECT_EQ(file.provenance()["command"], "test");

  // The model alone, for inference: same outputs as the trained one.
  std::unique_ptr<Model> loaded = file.load_model(other, "model");
  net.set_training(false);
  Tensor x = Tensor::empty({6, 4, 4});
  random_normal(ctx, x, 0, 1);
  EXPECT_TRUE(testing::all_close(loaded->forward(other, {{"x", x}}).at("y"), net.forward(ctx, x), 0, 0));
  EXPECT_EQ(file.model_config("model"), net.config());
}

TEST(Checkpoint, LayoutIsTheDocumentedOne) {
  const std::string dir = testing::scratch_dir("ckpt");
  const std::string path = dir + "/model.h5";
  Context ctx(Device::cpu(), 1);
  Sequential net = sequential_from_json(ctx, Json::parse(kNetwork), "net.json");
  Sgd sgd(0.1f, 0.9f);
  save_checkpoint(path, "tagger", {{"model", &net, &sgd}}, TrainState{});
  const h5::File file = h5::File::open(path);
  EXPECT_EQ(file.read_string_attribute("format"), "jetimg-checkpoint");
  EXPECT_EQ(file.read_int_attribute("version"), 2);
  EXPECT_EQ(file.read_string_attribute("kind"), "tagger");
  EXPECT_EQ(file.read_json_attribute("models")["model"], net.config());
  EXPECT_EQ(file.read_json_attribute("optimisers")["model"]["steps"], 0);
  // Tensors as the model names them; dense-type weights are (in, out), as Keras stores kernels.
  EXPECT_EQ(file.dims("models/model/1.weight"), (std::vector<hsize_t>{16, 15}));
  EXPECT_EQ(file.dims("models/model/1.bias"), (std::vector<hsize_t>{15}));
  EXPECT_EQ(file.dims("models/model/2.running_var"), (std::vector<hsize_t>{5}));
  EXPECT_EQ(file.dims("models/model/3.weight"), (std::vector<hsize_t>{5, 3}));
  EXPECT_EQ(file.dims("optimisers/model/4.weight.velocity"), (std::vector<hsize_t>{3, 1}));
  EXPECT_EQ(file.read_all<float>("models/model/3.weight"), net.parameters()[4].tensor->to_vector());
}

TEST(Checkpoint, LoadingIntoAnotherModelOrFromAnotherFileFails) {
  const std::string dir = testing::scratch_dir("ckpt");
  const std::string path = dir + "/model.h5";
  Context ctx(Device::cpu(), 1);
  Sequential net = sequential_from_json(ctx, Json::parse(kNetwork), "net.json");
  save_checkpoint(path, "tagger", {{"model", &net, nullptr}}, TrainState{});
  const CheckpointFile file(path);

  Json wider = Json::parse(kNetwork);
  wider["layers"][3]["units"] = 4;
  Sequential other = sequential_from_json(ctx, wider, "wider.json");
  const std::string message = testing::error_message_of([&] { file.load_into("model", other); });
  EXPECT_NE(message.find("model.h5' was written for a different model: layer 3 is"), std::string::npos) << message;
  Json smaller = Json::parse(kNetwork);
  smaller["input_shape"] = {5, 5};
  Sequential other_input = sequential_from_json(ctx, smaller, "small.json");
  EXPECT_NE(testing::error_message_of([&] { file.load_into("model", other_input); }).find("input shape"),
            std::string::npos);
  // No optimiser state was saved: cannot resume from it.
  Adam adam;
  EXPECT_NE(testing::error_message_of([&] { file.load_optimiser("model", adam, net.parameters()); })
                .find("holds no optimiser state"),
            std::string::npos);
  EXPECT_NE(testing::error_message_of([&] { file.model_config("generator"); }).find("holds no generator"),
            std::string::npos);
  const std::string text = testing::write_text_file(dir, "text.h5", "not hdf5");
  EXPECT_NE(testing::error_message_of([&] { CheckpointFile{text}; }).find("is not an HDF5 file"), std::string::npos);
  h5::File foreign = h5::File::create(dir + "/foreign.h5");
  foreign.close();
  EXPECT_NE(testing::error_message_of([&] { CheckpointFile{dir + "/foreign.h5"}; }).find("is not a jetimg checkpoint"),
            std::string::npos);
}

// --- files written before version 2 ----------------------------------------------------------

std::string legacy(const std::string& name) { return testing::test_data("legacy/" + name); }

// The tagger of version 1 computes today what it computed when it was
// written (its scores of eight images, stored beside it); its optimiser and
// training state come back.
TEST(LegacyCheckpoints, TaggerOfVersion1) {
  Context ctx(Device::cpu(), 1);
  const CheckpointFile file(legacy("tagger_v1.h5"));
  EXPECT_EQ(file.version(), 1);
  EXPECT_EQ(file.kind(), "tagger");
  EXPECT_EQ(file.training().epoch, 2);
  EXPECT_EQ(file.training().history.size(), 2u);
  EXPECT_EQ(file.training().settings["batch_size"], 50);
  std::unique_ptr<Model> model = load_tagger(ctx, legacy("tagger_v1.h5"));
  EXPECT_EQ(model->config()["layers"].size(), 4u);
  // The stored inputs (8, 25, 25) float32 and scores; the sigmoid of the logit.
  std::ifstream npy(legacy("tagger_v1_inputs.npy"), std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(npy)), {});
  ASSERT_GT(bytes.size(), 8u * 625u * 4u);
  std::vector<float> images(8 * 625);
  std::memcpy(images.data(), bytes.data() + bytes.size() - images.size() * 4, images.size() * 4);  // data after the header
  const Tensor logits = model->forward(ctx, {{"x", Tensor::from_vector(images, {8, 25, 25})}}).at("y");
  std::ifstream scores(legacy("tagger_v1_scores.txt"));
  for (int i = 0; i < 8; ++i) {
    double expected = 0;
    scores >> expected;
    const double score = 1.0 / (1.0 + std::exp(-double(logits.to_vector()[size_t(i)])));
    EXPECT_NEAR(score, expected, 1e-6) << "image " << i;
  }
  Adam adam;
  file.load_optimiser("model", adam, model->parameters());
  EXPECT_GT(adam.steps(), 0);
}

// The GANs' version-1 files: every tensor of the generator and discriminator
// is the one stored under the old group names; optimisers and history come back.
TEST(LegacyCheckpoints, CaloGanAndLaganOfVersion1) {
  Context ctx(Device::cpu(), 1);
  for (const char* name : {"calogan_v1.h5", "lagan_v1.h5"}) {
    SCOPED_TRACE(name);
    const CheckpointFile file(legacy(name));
    EXPECT_EQ(file.version(), 1);
    EXPECT_EQ(file.training().epoch, 1);
    ASSERT_TRUE(file.has("discriminator"));
    const h5::File raw = h5::File::open(legacy(name));
    for (const char* role : {"generator", "discriminator"}) {
      std::unique_ptr<Model> model = file.load_model(ctx, role);
      for (const NamedTensor& t : model->parameters())
        EXPECT_EQ(t.tensor->to_vector(), raw.read_all<float>(std::string(role) + "/" + t.name)) << t.name;
      Adam adam;
      file.load_optimiser(role, adam, model->parameters());
      EXPECT_GT(adam.steps(), 0);
    }
  }
  // A generator-only file of version 1.
  std::unique_ptr<CaloGanGenerator> gen = load_calogan_generator(ctx, legacy("calogan_generator_v1.h5"));
  EXPECT_EQ(gen->settings().latent, 8);
  std::unique_ptr<LaganGenerator> lagan = load_lagan_generator(ctx, legacy("lagan_v1.h5"));
  EXPECT_EQ(lagan->settings().latent, 6);
}

// Weights saved from one device load on the other.
template <typename D>
class CheckpointDevice : public testing::DeviceTest<D> {};
TYPED_TEST_SUITE(CheckpointDevice, testing::Devices, testing::DeviceNames);

TYPED_TEST(CheckpointDevice, LoadsOnAnyDevice) {
  const std::string path = testing::scratch_dir("ckpt") + "/model.h5";
  Context cpu(Device::cpu(), 5), ctx(this->device(), 6);
  Sequential net = sequential_from_json(cpu, Json::parse(kNetwork), "net.json");
  save_checkpoint(path, "tagger", {{"model", &net, nullptr}}, TrainState{});
  std::unique_ptr<Model> loaded = load_tagger(ctx, path);
  net.set_training(false);
  Tensor x = Tensor::empty({6, 4, 4});
  random_normal(cpu, x, 0, 1);
  EXPECT_TRUE(testing::all_close(loaded->forward(ctx, {{"x", x.to(this->device())}}).at("y").to(Device::cpu()),
                                 net.forward(cpu, x), 1e-5, 1e-4));
}

}  // namespace
}  // namespace jetimg
