"""The ground floor: writing files atomically, downloads with a progress line, progress lines. It
imports nothing of the project, and every other package may use it (data_utils, run_utils, the
models, web)."""
