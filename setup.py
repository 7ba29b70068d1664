"""Keras 3 / TensorFlow 2 reproduction of Sketch-RNN, Graves handwriting and char-RNN.

The package metadata lives here; pyproject.toml holds the build system and tool configuration."""
from setuptools import setup

setup(
    name="rnn-sequence-generators",
    version="0.2.0",
    description="Sketch-RNN, Graves handwriting prediction/synthesis and char-RNN in Keras 3 / TF 2",
    python_requires=">=3.10",
    packages=["fileio", "data_utils", "mdn", "run_utils", "sketch_rnn", "handwriting", "char_rnn", "web"],
    package_data={"web": ["static/*"]},
    py_modules=["train", "sample", "serve", "demo", "convert"],
    install_requires=[
        "tensorflow>=2.16",
        "tensorflow-probability[tf]>=0.24",
        "numpy",
        "svgwrite",
        "absl-py",
        "tensorboard",  # TensorBoard logs; TF 2.21 no longer pulls it in
    ],
    extras_require={
        "web": ["fastapi", "uvicorn"],  # serve.py: the local web page
        "test": ["pytest", "ruff", "selenium", "fastapi", "uvicorn"],  # selenium drives Debian's chromium
    },
    entry_points={"console_scripts": ["rnngen-train=train:run", "rnngen-sample=sample:run",
                                      "rnngen-serve=serve:run", "rnngen-convert=convert:run"]},
)
