"""Sketch-RNN (Ha & Eck 2017), following magenta's sketch_rnn code. SPEC is its registry entry
(run_utils.registry); nothing heavy is imported here."""
from run_utils.registry import ModelSpec
from sketch_rnn.options import SampleOptions, TrainOptions

SPEC = ModelSpec(
    name="sketch_rnn", shipped="sketch_rnn_aaron_sheep", web="sketch",
    train_options=TrainOptions, sample_options=SampleOptions,
    config="sketch_rnn.config:SketchRNNConfig", build_model="sketch_rnn.model:build_model",
    train="sketch_rnn.train:main", sample="sketch_rnn.sample:main", export="sketch_rnn.ship:export",
    ship="sketch_rnn.ship", demo="sketch_rnn.demo:demo", web_loader="web.models:load_sketch")
