"""The char-RNN (Graves 2013 section 3; the SeedBank char-rnn). SPEC is its registry entry
(run_utils.registry); nothing heavy is imported here."""
from char_rnn.options import SampleOptions, TrainOptions
from run_utils.registry import ModelSpec

SPEC = ModelSpec(
    name="char_rnn", shipped="char_rnn_shakespeare", web="text",
    train_options=TrainOptions, sample_options=SampleOptions,
    config="char_rnn.config:CharRNNConfig", build_model="char_rnn.model:build_model",
    train="char_rnn.train:main", sample="char_rnn.sample:main", export="char_rnn.ship:export",
    ship="char_rnn.ship", demo="char_rnn.demo:demo", web_loader="web.models:load_text")
