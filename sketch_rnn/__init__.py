"""Sketch-RNN (Ha & Eck 2017), following magenta's sketch_rnn code. SPEC is its registry entry
(run_utils.registry); nothing heavy is imported here."""
from run_utils.registry import ModelSpec
from sketch_rnn.options import SampleOptions, TrainOptions

SPEC = ModelSpec.of_package(
    "sketch_rnn", shipped="sketch_rnn_aaron_sheep", web="sketch", config_class="SketchRNNConfig",
    web_loader="web.models:load_sketch", train_options=TrainOptions, sample_options=SampleOptions)
