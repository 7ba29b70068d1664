"""The char-RNN (Graves 2013 section 3; the SeedBank char-rnn). SPEC is its registry entry
(run_utils.registry); nothing heavy is imported here."""
from char_rnn.options import SampleOptions, TrainOptions
from run_utils.registry import ModelSpec

SPEC = ModelSpec.of_package(
    "char_rnn", shipped="char_rnn_shakespeare", web="text", config_class="CharRNNConfig",
    web_loader="web.models:load_text", train_options=TrainOptions, sample_options=SampleOptions)
