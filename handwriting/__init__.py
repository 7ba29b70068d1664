"""Graves 2013 handwriting prediction (section 4) and synthesis (section 5). SPEC is its registry
entry (run_utils.registry); nothing heavy is imported here."""
from handwriting.options import SampleOptions, TrainOptions
from run_utils.registry import ModelSpec

SPEC = ModelSpec.of_package(
    "handwriting", shipped="handwriting_synthesis", web="handwriting", config_class="HandwritingConfig",
    web_loader="web.models:load_handwriting", train_options=TrainOptions, sample_options=SampleOptions)
