"""Graves 2013 handwriting prediction (section 4) and synthesis (section 5). SPEC is its registry
entry (run_utils.registry); nothing heavy is imported here."""
from handwriting.options import SampleOptions, TrainOptions
from run_utils.registry import ModelSpec

SPEC = ModelSpec(
    name="handwriting", shipped="handwriting_synthesis", web="handwriting",
    train_options=TrainOptions, sample_options=SampleOptions,
    config="handwriting.config:HandwritingConfig", build_model="handwriting.model:build_model",
    train="handwriting.train:main", sample="handwriting.sample:main", export="handwriting.ship:export",
    ship="handwriting.ship", demo="handwriting.demo:demo", web_loader="web.models:load_handwriting")
